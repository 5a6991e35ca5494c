// The console's one way to the server: JSON in and out, the session's access token, and the
// refresh that keeps it fresh.
//
// The access token lives only in this module's variable: never in localStorage, sessionStorage or a
// URL, where any script or a copied link could carry it off. What survives a reload is the
// server's httpOnly refresh cookie, which this code cannot read either. Every request carries
// X-Carehub-Session: a header a cross-site form cannot send, which is how the server tells the
// console's cookie-authenticated calls from forged ones.
import { t } from './i18n';

export interface User {
  id: string;
  role: 'admin' | 'member' | null; // Tuva EMPI's single role; `roles` is carehub's full list
  email: string | null;
  username: string | null;
  first_name: string;
  last_name: string;
  language: string;
  roles: string[];
  status: 'active' | 'disabled';
  has_password: boolean;
  created_at: string;
  updated_at: string;
  last_login: string | null;
}

// What sign-in, refresh and first-run setup answer.
export interface SessionAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number; // seconds
  user: User;
}

export class ApiError extends Error {
  constructor(
    readonly status: number, // 0: the server could not be reached
    message: string, // the server's own words, shown as they are
    readonly code: string,
    readonly requestId: string | null = null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

// Whatever a call threw, as an ApiError (a bug in our own code shows as its message).
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(0, e instanceof Error ? e.message : String(e), 'client_error');
}

export type RefreshOutcome = 'renewed' | 'rejected' | 'unreachable';

interface SessionHandlers {
  renewed(user: User): void;
  ended(): void; // the refresh cookie was refused: the person must sign in again
}

const sessionHeader = { 'X-Carehub-Session': 'cookie' };
const refreshPath = '/api/v1/auth/refresh';
// Refresh this long before the access token expires, so a request never races its expiry.
const refreshLeadSeconds = 60;
const retryUnreachableMs = 15_000;

let accessToken: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshInFlight: Promise<RefreshOutcome> | null = null;
let handlers: SessionHandlers = { renewed() {}, ended() {} };

export function setSessionHandlers(next: SessionHandlers): void {
  handlers = next;
}

export interface RequestOptions {
  body?: unknown;
  // false: an open route, sent without the access token and never retried after a refresh.
  auth?: boolean;
}

// Calls the API and returns its JSON (undefined for 204). Throws ApiError. A 401 on a signed-in
// call refreshes the session once and retries; when that fails the session has ended.
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  return withSession(options.auth ?? true, async (auth) => {
    const response = await send(method, path, options.body, auth, 'application/json');
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  });
}

// A file the API answers (a CSV export) as a Blob: the same token, refresh and errors as api().
// The console saves it through an object URL, so the token never goes into a link.
export async function download(
  path: string,
  method: 'GET' | 'POST' = 'GET',
  accept = '*/*',
): Promise<Blob> {
  return withSession(true, async (auth) => {
    const response = await send(method, path, undefined, auth, accept);
    return response.blob();
  });
}

// Sends a multipart form (a file upload) and returns the JSON answer, with the same token,
// refresh and errors as api(). XMLHttpRequest rather than fetch: only it reports how much of the
// body has gone (fetch has no upload progress). onProgress(sent, total); total 0 when unknown.
export async function upload<T>(
  path: string,
  form: FormData,
  onProgress: (sent: number, total: number) => void,
): Promise<T> {
  return withSession(true, async (auth) => {
    const answer = await sendWithProgress<T>({ path, body: form, auth, onProgress });
    return answer.data;
  });
}

// A body that is not a form (a STOW-RS multipart/related of DICOM files), with its own
// Content-Type and Accept, and the same progress, token, refresh and errors as upload(). Statuses
// in `answered` (besides 2xx) are answers, not errors: STOW-RS says 409 when it stored none of
// the files, with the reasons in the same JSON as a success.
export async function uploadBody<T>(
  path: string,
  body: Blob,
  options: { contentType: string; accept: string; answered?: number[] },
  onProgress: (sent: number, total: number) => void,
): Promise<{ status: number; data: T }> {
  return withSession(true, (auth) => sendWithProgress<T>({ path, body, auth, onProgress, ...options }));
}

function sendWithProgress<T>(request: {
  path: string;
  body: FormData | Blob;
  auth: boolean;
  onProgress: (sent: number, total: number) => void;
  contentType?: string;
  accept?: string;
  answered?: number[];
}): Promise<{ status: number; data: T }> {
  const { path, body, auth, onProgress } = request;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [name, value] of Object.entries(sessionHeader)) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('Accept', request.accept ?? 'application/json');
    if (request.contentType) xhr.setRequestHeader('Content-Type', request.contentType);
    if (auth && accessToken) xhr.setRequestHeader('Authorization', `Bearer ${accessToken}`);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onerror = () => reject(new ApiError(0, t('error.unreachable'), 'unreachable'));
    xhr.onabort = xhr.onerror;
    xhr.onload = () => {
      // The answer as a Response, so errors read the same as fetch's (errorFrom).
      const headers = new Headers();
      for (const name of ['Content-Type', 'X-Request-Id', 'Retry-After']) {
        const value = xhr.getResponseHeader(name);
        if (value) headers.set(name, value);
      }
      const text = xhr.status === 204 ? null : xhr.responseText;
      const response = new Response(text, { status: xhr.status, headers });
      if (!response.ok && !request.answered?.includes(xhr.status)) {
        errorFrom(response).then(reject, reject);
        return;
      }
      response.json().then(
        (json) => resolve({ status: xhr.status, data: json as T }),
        () => reject(new ApiError(xhr.status, t('error.http', { status: xhr.status }), 'bad_json')),
      );
    };
    xhr.send(body);
  });
}

async function withSession<T>(auth: boolean, call: (auth: boolean) => Promise<T>): Promise<T> {
  try {
    return await call(auth);
  } catch (e) {
    if (!auth || !(e instanceof ApiError) || e.status !== 401) throw e;
    const outcome = await refreshSession();
    if (outcome === 'unreachable') throw e;
    if (outcome === 'rejected') throw new ApiError(401, t('error.session_ended'), 'unauthorized');
  }
  try {
    return await call(true);
  } catch (e) {
    // A 401 with a token just issued: the account itself was disabled or removed.
    if (e instanceof ApiError && e.status === 401) endSession();
    throw e;
  }
}

// One request; an answer other than 2xx is thrown as an ApiError.
async function send(
  method: string,
  path: string,
  body: unknown,
  auth: boolean,
  accept: string,
): Promise<Response> {
  const headers: Record<string, string> = { ...sessionHeader, Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, t('error.unreachable'), 'unreachable');
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

// The error envelope {"error":{"code","message","request_id"}}, or a plain message when a proxy
// or a crash answered something else.
async function errorFrom(response: Response): Promise<ApiError> {
  let envelope: { error?: { code?: string; message?: string; request_id?: string } } = {};
  try {
    envelope = await response.json();
  } catch {
    // not JSON: fall through to the generic message
  }
  const error = envelope.error ?? {};
  return new ApiError(
    response.status,
    error.message || t('error.http', { status: response.status }),
    error.code ?? 'http_error',
    error.request_id ?? response.headers.get('X-Request-Id'),
    retryAfterSeconds(response.headers.get('Retry-After')),
  );
}

function retryAfterSeconds(header: string | null): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header); // the HTTP-date form
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

// Takes a session answer (sign-in, refresh, setup): keeps the token, plans the next refresh.
export function adoptSession(answer: SessionAnswer): void {
  accessToken = answer.access_token;
  const seconds = Math.max(10, answer.expires_in - refreshLeadSeconds);
  scheduleRefresh(seconds * 1000);
  handlers.renewed(answer.user);
}

// Forgets the access token (after sign-out, or when the server refused the refresh cookie).
export function forgetSession(): void {
  accessToken = null;
  clearTimeout(refreshTimer);
  refreshTimer = undefined;
}

function endSession(): void {
  const wasSignedIn = accessToken !== null;
  forgetSession();
  if (wasSignedIn) handlers.ended();
}

function scheduleRefresh(ms: number): void {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    if ((await refreshSession()) === 'unreachable') scheduleRefresh(retryUnreachableMs);
  }, ms);
}

// Exchanges the refresh cookie for a new access token. One at a time: concurrent callers share the
// request in flight. Across tabs too (Web Locks, where the browser has them): the server rotates
// the cookie on every use and takes a second use of an old one for theft, ending the session.
export function refreshSession(): Promise<RefreshOutcome> {
  refreshInFlight ??= withRefreshLock(runRefresh).finally(() => {
    refreshInFlight = null;
  });
  return refreshInFlight;
}

async function runRefresh(): Promise<RefreshOutcome> {
  try {
    const response = await send('POST', refreshPath, {}, false, 'application/json');
    adoptSession((await response.json()) as SessionAnswer);
    return 'renewed';
  } catch (e) {
    // Only a refusal ends the session; a server that is down or busy (429, 5xx) is asked again.
    const refused = e instanceof ApiError && [400, 401, 403].includes(e.status);
    if (!refused) return 'unreachable';
    endSession();
    return 'rejected';
  }
}

async function withRefreshLock(run: () => Promise<RefreshOutcome>): Promise<RefreshOutcome> {
  // Web Locks exist only in secure contexts (https, or http on loopback).
  const locks = (navigator as Partial<Navigator>).locks;
  return locks ? await locks.request('carehub-refresh', run) : run();
}
