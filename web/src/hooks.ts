// Hooks for the two things every screen does: load something, and run an action a person asked for.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, asApiError } from './api';
import { takePrefetched, takePrefetchedValue } from './prefetch';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
  replace(data: T): void; // an action answered the new state: show it without asking again
}

// GETs path (again when it or reload() changes); null: nothing to load yet.
export function useApi<T>(path: string | null): Loaded<T> {
  // A start-up call already answered (prefetch.ts) is shown by the first render.
  const [ready] = useState(() => (path === null ? null : takePrefetchedValue<T>(path)));
  const [data, setData] = useState<T | null>(ready?.data ?? null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null && ready === null);
  const [version, setVersion] = useState(0);
  const answered = useRef(ready !== null); // the first effect has nothing to ask
  // A layout effect: the call starts (or a start-up call is taken) as the screen is committed,
  // not after the next frame is painted, which on a busy machine came 100-150 ms later.
  useLayoutEffect(() => {
    if (path === null) return undefined;
    if (answered.current) {
      answered.current = false;
      return undefined;
    }
    let current = true; // an older answer arriving late must not overwrite a newer one
    setLoading(true);
    (takePrefetched<T>(path) ?? api<T>('GET', path)).then(
      (answer) => {
        if (!current) return;
        setData(answer);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!current) return;
        setError(asApiError(e));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [path, version]);
  return {
    data,
    error,
    loading,
    reload: () => setVersion((v) => v + 1),
    replace: (next) => {
      setData(next);
      setError(null);
    },
  };
}

export interface Action {
  busy: boolean;
  error: ApiError | string | null;
  status: string;
  // Runs work; its returned text becomes the status message, a throw the error message.
  run(work: () => Promise<string | void>): Promise<void>;
  fail(message: string): void;
  clear(): void;
}

// Buttons that start an action are marked aria-disabled while it runs, not disabled: a disabled
// button loses keyboard focus (to <body>), and the person loses their place in the form. So a
// second click is ignored here instead.
export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [status, setStatus] = useState('');
  const running = useRef(false);
  return {
    busy,
    error,
    status,
    async run(work) {
      if (running.current) return;
      running.current = true;
      setBusy(true);
      setError(null);
      setStatus('');
      try {
        const message = await work();
        if (message) setStatus(message);
      } catch (e) {
        setError(asApiError(e));
      } finally {
        running.current = false;
        setBusy(false);
      }
    },
    fail(message) {
      setStatus('');
      setError(message);
    },
    clear() {
      setError(null);
      setStatus('');
    },
  };
}

// Whether the tab is visible: screens that refresh themselves pause while nobody looks.
export function usePageVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible');
  useEffect(() => {
    const changed = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', changed);
    return () => document.removeEventListener('visibilitychange', changed);
  }, []);
  return visible;
}

// Loads loaded's path again `ms` after each answer while active and the tab is visible. Counted
// from the answer, not on a fixed clock: a slow server is never asked twice at once, and an
// answer is never dropped for a newer question.
export function useRefresh(loaded: Loaded<unknown>, ms: number, active: boolean): void {
  const visible = usePageVisible();
  const { loading, data, error, reload } = loaded;
  const latestReload = useRef(reload);
  latestReload.current = reload;
  useEffect(() => {
    if (!active || !visible || loading) return undefined;
    const timer = setTimeout(() => latestReload.current(), ms);
    return () => clearTimeout(timer);
  }, [active, visible, loading, data, error, ms]);
}
