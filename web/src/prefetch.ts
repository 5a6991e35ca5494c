// A screen's first call, started at start-up as soon as the session exists instead of after the
// screen's code has arrived; the screen's useApi takes the answer rather than asking again. Only
// for the page opened at start-up, taken at most once: a reload, or any later visit, asks anew.
import { api } from './api';
import { usesEmpi } from './roles';
import { place, type Route } from './router';
import { session } from './session';

interface Pending {
  path: string;
  answer: Promise<unknown>;
  value?: { data: unknown }; // set once the answer is in (a success)
}
let pending: Pending | null = null;

// GET /api/v1/potential-matches/{id}: the review screen's one call.
export function reviewCallPath(id: string): string {
  return `/api/v1/potential-matches/${encodeURIComponent(id)}`;
}

function firstCallOf(route: Route): string | null {
  return route.name === 'empi-match' ? reviewCallPath(route.params.id) : null;
}

// Called once, before the start-up refresh: when it signs someone in who may see the page, the
// page's call starts (the route's chunks load meanwhile, see preloadScreen in app.tsx).
export function prefetchFirstCall(route: Route): void {
  const path = firstCallOf(route);
  if (!path) return;
  const startPath = place.get().path;
  const stop = session.subscribe((state) => {
    if (state.status === 'starting') return;
    stop();
    if (state.status !== 'signed-in' || !usesEmpi(state.user)) return;
    if (place.get().path !== startPath) return;
    const answer = api<unknown>('GET', path);
    const started: Pending = { path, answer };
    answer.then(
      (data) => {
        started.value = { data };
      },
      () => undefined, // the screen shows the error when it takes the answer
    );
    pending = started;
  });
  // Another page shown first: the answer is not for it, and would be stale later.
  const stopPlace = place.subscribe((next) => {
    if (next.path === startPath) return;
    pending = null;
    stopPlace();
  });
}

// The answer for path when it is already in (once): the screen's first render can show it,
// instead of rendering "loading" and waiting a frame for its effect to take the promise.
export function takePrefetchedValue<T>(path: string): { data: T } | null {
  if (!pending || pending.path !== path || !pending.value) return null;
  const { value } = pending;
  pending = null;
  return value as { data: T };
}

// The answer started for path, if any (once); null: make the call.
export function takePrefetched<T>(path: string): Promise<T> | null {
  if (!pending || pending.path !== path) return null;
  const { answer } = pending;
  pending = null;
  return answer as Promise<T>;
}
