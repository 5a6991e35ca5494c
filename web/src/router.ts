// A small router on the History API. Links are real <a href>s (they open in a new tab, show their
// address, work without this code); a click on one is turned into a client-side navigation. The
// server answers index.html for every console path, so a reload or a bookmarked deep link works.
import { createStore, useStore } from './store';

export type RouteName =
  | 'home'
  | 'signin'
  | 'setup'
  | 'reset-password'
  | 'forgot-password'
  | 'register'
  | 'verify-email'
  | 'profile'
  | 'notifications'
  | 'admin-users'
  | 'admin-user'
  | 'admin-tokens'
  | 'admin-keys'
  | 'admin-jobs'
  | 'admin-audit'
  | 'admin-status'
  | 'admin-config'
  | 'empi'
  | 'empi-matches'
  | 'empi-match'
  | 'empi-persons'
  | 'empi-person'
  | 'empi-import'
  | 'empi-configs'
  | 'imaging'
  | 'imaging-studies'
  | 'imaging-study'
  | 'imaging-viewer'
  | 'imaging-upload'
  | 'cases'
  | 'case'
  | 'tracing-codes'
  | 'tracing-health-ids'
  | 'tracing-overview'
  | 'not-found';

export interface Route {
  name: RouteName;
  params: Record<string, string>;
}

// One line per route, top to bottom; the first match wins.
const table: Array<[RouteName, string]> = [
  ['home', '/'],
  ['signin', '/signin'],
  ['setup', '/setup'],
  ['reset-password', '/reset-password'],
  ['forgot-password', '/forgot-password'],
  ['register', '/register'],
  ['verify-email', '/verify-email'],
  ['profile', '/profile'],
  ['notifications', '/notifications'],
  ['admin-users', '/admin/users'],
  ['admin-user', '/admin/users/:id'],
  ['admin-tokens', '/admin/tokens'],
  ['admin-keys', '/admin/keys'],
  ['admin-jobs', '/admin/jobs'],
  ['admin-audit', '/admin/audit'],
  ['admin-status', '/admin/status'],
  ['admin-config', '/admin/config'],
  ['empi', '/empi'],
  ['empi-matches', '/empi/matches'],
  ['empi-match', '/empi/matches/:id'],
  ['empi-persons', '/empi/persons'],
  ['empi-person', '/empi/persons/:id'],
  ['empi-import', '/empi/import'],
  ['empi-configs', '/empi/configs'],
  ['imaging', '/imaging'],
  ['imaging-studies', '/imaging/studies'],
  ['imaging-study', '/imaging/studies/:study'],
  ['imaging-viewer', '/imaging/studies/:study/series/:series'],
  ['imaging-upload', '/imaging/upload'],
  ['tracing-codes', '/tracing/codes'],
  ['tracing-health-ids', '/tracing/health-ids'],
  ['tracing-overview', '/tracing/overview'],
  ['cases', '/cases'],
  ['case', '/cases/:id'],
];

// Routes a person who is not signed in may see.
export const openRoutes: ReadonlySet<RouteName> = new Set([
  'signin',
  'setup',
  'reset-password',
  'forgot-password',
  'register',
  'verify-email',
]);

export function matchRoute(path: string): Route {
  const parts = split(path);
  for (const [name, pattern] of table) {
    const want = split(pattern);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = want.every((segment, i) => {
      if (segment.startsWith(':')) {
        params[segment.slice(1)] = parts[i];
        return true;
      }
      return segment === parts[i];
    });
    if (matches) return { name, params };
  }
  return { name: 'not-found', params: {} };
}

function split(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s; // a malformed escape is just an unknown path
      }
    });
}

export interface Place {
  path: string;
  search: string; // with its "?", or ""
}

function here(): Place {
  return { path: window.location.pathname, search: window.location.search };
}

export const place = createStore<Place>(here());

export function usePlace(): Place {
  return useStore(place);
}

export function useQuery(): URLSearchParams {
  return new URLSearchParams(usePlace().search);
}

// Set when the path changes; the next page heading to mount takes focus, so a screen reader
// announces the new page and keyboard users start from its top (see components/page.tsx).
let headingFocusPending = false;

export function takeHeadingFocus(): boolean {
  const pending = headingFocusPending;
  headingFocusPending = false;
  return pending;
}

function update(): void {
  const next = here();
  const current = place.get();
  if (next.path === current.path && next.search === current.search) return;
  if (next.path !== current.path) headingFocusPending = true;
  place.set(next);
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = new URL(to, window.location.href);
  if (url.origin !== window.location.origin) {
    window.location.assign(url.href);
    return;
  }
  const target = url.pathname + url.search + url.hash;
  const current = window.location.pathname + window.location.search + window.location.hash;
  // A link to the page already shown adds no history entry (Back should not stay put).
  if (options.replace || target === current) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  const pathChanged = url.pathname !== place.get().path;
  update();
  if (pathChanged) window.scrollTo(0, 0);
}

// A same-site "where to go after signing in" (?next=...), or home. Never another origin: an
// attacker's link to /signin?next=//evil.example must not bounce a fresh session away.
export function safeNext(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
    return '/';
  }
  return matchRoute(new URL(value, window.location.origin).pathname).name === 'signin' ? '/' : value;
}

// The sign-in page, remembering the page asked for. An identity provider's ?signin_error=, which
// the server may append to that page's address, is carried over to the sign-in page to be shown.
export function signInPath(from: Place): string {
  const params = new URLSearchParams(from.search);
  const error = params.get('signin_error');
  params.delete('signin_error');
  const rest = params.toString();
  const next = from.path + (rest ? `?${rest}` : '');
  const query = new URLSearchParams();
  if (next !== '/' && matchRoute(from.path).name !== 'signin') query.set('next', next);
  if (error) query.set('signin_error', error);
  const search = query.toString();
  return `/signin${search ? `?${search}` : ''}`;
}

export function startRouter(): void {
  window.addEventListener('popstate', update);
  window.addEventListener('hashchange', reloadForToken);
  document.addEventListener('click', interceptLinkClick);
}

// A one-time link pasted into a tab that already shows its page changes only the fragment: the
// browser does not load the page again, so it would never read the token. Loading it again does.
function reloadForToken(): void {
  if (new URLSearchParams(window.location.hash.slice(1)).has('token')) window.location.reload();
}

function interceptLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // new tab/window
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || !anchor.href || anchor.hasAttribute('download')) return;
  if (anchor.target && anchor.target !== '_self') return;
  const url = new URL(anchor.href);
  if (url.origin !== window.location.origin) return;
  // The API and the assets are the server's, not console pages (e.g. a CSV export link).
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/assets/')) return;
  // An in-page anchor (#main) is left to the browser.
  if (url.pathname === window.location.pathname && url.search === window.location.search && url.hash) {
    return;
  }
  event.preventDefault();
  navigate(url.pathname + url.search + url.hash);
}
