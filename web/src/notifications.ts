// The signed-in person's notifications: the newest few and the unread count from the inbox API,
// kept current by the WebSocket stream (GET /api/v1/notifications/ws).
//
// A browser cannot set an Authorization header on a WebSocket, and the access token never goes
// into a URL: each connection asks for a single-use ticket first (POST .../ticket) and gives it
// as ?ticket=. Every (re)connection reads the inbox again, then opens the stream with
// last_event_id = the newest id read, so the server replays whatever was published in between:
// nothing is lost across a reconnect, and nothing counts twice (ids already listed are skipped).
import { api, ApiError } from './api';
import { createStore } from './store';

export interface Notice {
  id: string;
  type: string;
  title: string;
  body: string;
  created_at: string;
  read: boolean;
}

export interface FeedState {
  notices: Notice[]; // newest first, at most `kept`
  unread: number; // all of the person's unread notifications, not only those listed
  live: boolean; // the stream is open
  available: boolean; // false: the server refused notifications to this session (no retry)
}

interface InboxAnswer {
  notifications: Array<Omit<Notice, 'read'> & { read_at: string | null }>;
  unread_count: number;
}

const kept = 20;
const firstDelayMs = 1_000;
const maxDelayMs = 60_000;
// A stream that stayed open this long was healthy: the next reconnect starts at the first delay.
const healthyMs = 10_000;

export const initialFeed: FeedState = { notices: [], unread: 0, live: false, available: true };

// The notification centre shares the shell's one stream rather than opening a second: it reads
// the inbox again when `arrivals` moves (a notification came over the stream), and has the bell
// read it again after a change made on the page (resyncBell).
export const arrivals = createStore(0);
let shellFeed: NotificationFeed | null = null;

export function resyncBell(): void {
  void shellFeed?.sync().catch(() => {});
}

export class NotificationFeed {
  private state: FeedState = initialFeed;
  private socket: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly changed: (state: FeedState) => void,
    private readonly arrived: (notice: Notice) => void,
  ) {}

  start(): void {
    shellFeed = this;
    void this.connect();
  }

  // Sign-out (the shell goes away): close the stream, retry nothing.
  stop(): void {
    if (shellFeed === this) shellFeed = null;
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }

  // The inbox as the server has it now (another tab may have read some).
  async sync(): Promise<void> {
    const inbox = await api<InboxAnswer>('GET', `/api/v1/notifications?limit=${kept}`);
    if (this.stopped) return;
    const notices = inbox.notifications.map(({ read_at, ...n }) => ({
      ...n,
      read: read_at !== null,
    }));
    this.update({ notices, unread: inbox.unread_count });
  }

  async markRead(id: string): Promise<void> {
    await api<unknown>('POST', `/api/v1/notifications/${encodeURIComponent(id)}/read`);
    const was = this.state.notices.find((n) => n.id === id);
    this.update({
      notices: this.state.notices.map((n) => (n.id === id ? { ...n, read: true } : n)),
      unread: was && !was.read ? Math.max(0, this.state.unread - 1) : this.state.unread,
    });
  }

  async markAllRead(): Promise<void> {
    await api<unknown>('POST', '/api/v1/notifications/read-all');
    this.update({ notices: this.state.notices.map((n) => ({ ...n, read: true })), unread: 0 });
  }

  private update(changes: Partial<FeedState>): void {
    this.state = { ...this.state, ...changes };
    if (!this.stopped) this.changed(this.state);
  }

  private async connect(): Promise<void> {
    let ticket: string;
    try {
      await this.sync();
      ticket = (await api<{ ticket: string }>('POST', '/api/v1/notifications/ticket')).ticket;
    } catch (e) {
      // A refusal (403: not a user's session; 404: no notify module) will not change by asking
      // again. A 401 has ended the session already, and the shell with it.
      const refused = e instanceof ApiError && e.status >= 400 && e.status < 500;
      if (refused && e.status !== 408 && e.status !== 429) {
        this.update({ available: false });
        return;
      }
      this.retryLater();
      return;
    }
    if (this.stopped) return;
    const newest = this.state.notices[0]?.id ?? '0';
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = new URLSearchParams({ ticket, last_event_id: newest });
    const socket = new WebSocket(
      `${scheme}//${window.location.host}/api/v1/notifications/ws?${query}`,
    );
    this.socket = socket;
    let openedAt = 0;
    socket.onopen = () => {
      openedAt = Date.now();
      this.update({ live: true });
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => {
      if (this.socket !== socket) return; // stopped, or replaced
      this.socket = null;
      this.update({ live: false });
      if (openedAt > 0 && Date.now() - openedAt >= healthyMs) this.failures = 0;
      this.retryLater();
    };
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let notice: Notice;
    try {
      const message = JSON.parse(data) as Partial<Notice>;
      if (typeof message.id !== 'string' || typeof message.title !== 'string') return;
      notice = {
        id: message.id,
        type: String(message.type ?? ''),
        title: message.title,
        body: String(message.body ?? ''),
        created_at: String(message.created_at ?? ''),
        read: message.read === true,
      };
    } catch {
      return; // not ours to show
    }
    if (this.state.notices.some((n) => n.id === notice.id)) return; // replayed, listed already
    const notices = [...this.state.notices, notice]
      .sort((a, b) => Number(b.id) - Number(a.id))
      .slice(0, kept);
    this.update({ notices, unread: this.state.unread + (notice.read ? 0 : 1) });
    arrivals.set(arrivals.get() + 1);
    if (!notice.read) this.arrived(notice);
  }

  // Exponential backoff with jitter, so many consoles do not all come back at the same instant
  // after a server restart.
  private retryLater(): void {
    if (this.stopped) return;
    const delay = Math.min(maxDelayMs, firstDelayMs * 2 ** this.failures);
    this.failures += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay * (0.5 + Math.random() / 2));
  }
}
