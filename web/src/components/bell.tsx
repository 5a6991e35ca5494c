// The notification bell in the product bar: a button named with the unread count, and a panel of
// the newest notifications. A disclosure, like the account menu: Escape or a click elsewhere
// closes it and focus goes back to the bell. In the list, one notification at a time is in the
// Tab order; the arrow keys (Down from the bell too), Home and End move between them.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api';
import { formatDateTime, formatNumber, t } from '../i18n';
import { initialFeed, NotificationFeed, type Notice } from '../notifications';
import { usePlace } from '../router';
import { Messages } from './messages';

export function Bell() {
  const [feed, setFeed] = useState(initialFeed);
  const [open, setOpen] = useState(false);
  const [current, setCurrent] = useState(0); // the notification in the Tab order
  const [error, setError] = useState<ApiError | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const source = useRef<NotificationFeed | null>(null);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const panelId = useId();
  const headingId = useId();
  const { path } = usePlace();

  // One stream per signed-in shell: it closes when the shell goes (sign-out).
  useEffect(() => {
    const announce = (n: Notice) => setAnnouncement(t('bell.arrived', { title: n.title }));
    const f = new NotificationFeed(setFeed, announce);
    source.current = f;
    f.start();
    return () => f.stop();
  }, []);

  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return undefined;
    const outside = (e: Event) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    // On the document: a "Mark as read" button that was just pressed is gone, and focus with it.
    const escape = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('pointerdown', outside);
    document.addEventListener('focusin', outside);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('pointerdown', outside);
      document.removeEventListener('focusin', outside);
      document.removeEventListener('keydown', escape);
    };
  }, [open]);

  const items = () => Array.from(list.current?.querySelectorAll<HTMLElement>('.notice') ?? []);
  const focusItem = (index: number) => {
    const all = items();
    if (all.length === 0) return;
    const i = Math.max(0, Math.min(all.length - 1, index));
    setCurrent(i);
    all[i].focus();
  };

  const toggle = () => {
    if (open) {
      setOpen(false);
      return;
    }
    setError(null);
    setCurrent(0);
    setOpen(true);
    source.current?.sync().catch((e: unknown) => setError(asApiError(e)));
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (!open) return;
    if (e.key === 'ArrowDown' && document.activeElement === button.current) {
      e.preventDefault();
      focusItem(0);
      return;
    }
    const at = items().indexOf(document.activeElement as HTMLElement);
    if (at < 0) return; // arrows keep their meaning on the buttons
    const moves: Record<string, number> = {
      ArrowDown: at + 1,
      ArrowUp: at - 1,
      Home: 0,
      End: items().length - 1,
    };
    if (e.key in moves) {
      e.preventDefault();
      focusItem(moves[e.key]);
    }
  };

  // The button pressed goes away once it worked: focus moves to what it acted on, not to <body>.
  const act = async (work: () => Promise<void> | undefined, then: () => void) => {
    setError(null);
    try {
      await work();
      then();
    } catch (e) {
      setError(asApiError(e));
    }
  };

  if (!feed.available) return null;
  const label =
    feed.unread === 0 ? t('bell.label_none') : t('bell.label', { count: formatNumber(feed.unread) });
  return (
    <div class="bell" ref={root} onKeyDown={onKeyDown}>
      <button
        ref={button}
        type="button"
        class="bell-button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={toggle}
      >
        <BellIcon />
        <span class="visually-hidden">{label}</span>
        {feed.unread > 0 && (
          <span class="bell-count" aria-hidden="true">
            {feed.unread > 99 ? '99+' : feed.unread}
          </span>
        )}
      </button>
      {/* Not role="status": the page's own status region stays the first one on the page. */}
      <div class="visually-hidden" aria-live="polite">
        {announcement}
      </div>
      <section id={panelId} class="bell-panel" aria-labelledby={headingId} hidden={!open}>
        <div class="bell-head">
          <h2 id={headingId}>{t('bell.title')}</h2>
          {feed.unread > 0 && (
            <button
              type="button"
              class="link-button"
              onClick={() => void act(() => source.current?.markAllRead(), () => focusItem(0))}
            >
              {t('bell.mark_all')}
            </button>
          )}
        </div>
        {open && <Messages error={error} />}
        {!feed.live && <p class="hint bell-offline">{t('bell.offline')}</p>}
        <p class="bell-all">
          <a href="/notifications">{t('bell.all')}</a>
        </p>
        {feed.notices.length === 0 ? (
          <p class="empty">{t('bell.none')}</p>
        ) : (
          <ul ref={list} class="bell-list" aria-labelledby={headingId}>
            {feed.notices.map((n, i) => (
              <NoticeItem
                key={n.id}
                notice={n}
                inTabOrder={i === Math.min(current, feed.notices.length - 1)}
                onFocus={() => setCurrent(i)}
                onRead={() => void act(() => source.current?.markRead(n.id), () => focusItem(i))}
              />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function NoticeItem(props: {
  notice: Notice;
  inTabOrder: boolean;
  onFocus(): void;
  onRead(): void;
}) {
  const { notice } = props;
  return (
    <li
      class={notice.read ? 'notice' : 'notice notice-unread'}
      tabIndex={props.inTabOrder ? 0 : -1}
      onFocus={(e) => {
        if (e.target === e.currentTarget) props.onFocus();
      }}
    >
      <p class="notice-title">
        {!notice.read && <span class="visually-hidden">{t('bell.unread')} </span>}
        {notice.title}
      </p>
      {notice.body && <p class="notice-body">{notice.body}</p>}
      <p class="notice-meta">
        <time dateTime={notice.created_at}>{formatDateTime(notice.created_at)}</time>
        {!notice.read && (
          <button
            type="button"
            class="link-button"
            aria-label={t('bell.mark_read_named', { title: notice.title })}
            onClick={props.onRead}
          >
            {t('bell.mark_read')}
          </button>
        )}
      </p>
    </li>
  );
}

function BellIcon() {
  return (
    <svg
      class="bell-icon"
      viewBox="0 0 24 24"
      width="22"
      height="22"
      aria-hidden="true"
      focusable="false"
    >
      <path
        fill="currentColor"
        d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
      />
    </svg>
  );
}
