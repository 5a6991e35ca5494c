// A screen whose code is fetched the first time it is shown (esbuild puts each dynamic import in a
// chunk of its own), so the sign-in page does not carry the administration screens.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';
import { Loading, Messages } from './messages';

// A lazy screen; preload() starts fetching its chunk (and the chunks it imports) before it is
// shown, e.g. at start-up while the session is still being checked.
export type LazyScreen<P> = ComponentType<P> & { preload(): Promise<unknown> };

export function lazy<P extends object>(
  load: () => Promise<{ default: ComponentType<P> }>,
): LazyScreen<P> {
  let loaded: ComponentType<P> | null = null;
  let loading: Promise<unknown> | null = null;
  const preload = () => {
    loading ??= load().then((module) => {
      loaded = module.default;
    });
    return loading;
  };
  function Lazy(props: P) {
    const [, setReady] = useState(false);
    const [failed, setFailed] = useState(false);
    const shown = loaded !== null; // preloaded: the screen itself was rendered
    useEffect(() => {
      // Not `loaded`: a preload may finish between this render and its effect, and the
      // <Loading /> just rendered must still give way to the screen.
      if (shown) return;
      preload().then(
        () => setReady(true),
        () => {
          loading = null; // try again next time
          setFailed(true);
        },
      );
    }, []);
    if (loaded) {
      const Screen = loaded;
      return <Screen {...props} />;
    }
    // A new version of the server removed the old chunks: a reload fetches the new ones.
    if (failed) return <Messages error={t('error.chunk')} />;
    return <Loading />;
  }
  return Object.assign(Lazy, { preload });
}
