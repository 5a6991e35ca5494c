// A screen whose code is fetched the first time it is shown (esbuild puts each dynamic import in a
// chunk of its own), so the sign-in page does not carry the administration screens.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n';
import { Loading, Messages } from './messages';

export function lazy<P extends object>(
  load: () => Promise<{ default: ComponentType<P> }>,
): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let loading: Promise<unknown> | null = null;
  return function Lazy(props: P) {
    const [, setReady] = useState(false);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (loaded) return;
      loading ??= load().then((module) => {
        loaded = module.default;
      });
      loading.then(
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
  };
}
