// Confirming an email address with the link carehub mailed after self-registration
// (/verify-email#token=...): the token is used once, on opening the page.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction } from '../hooks';
import { t } from '../i18n';
import { tokenFromHash } from './token-from-hash';

export function VerifyEmail() {
  const [token] = useState(tokenFromHash);
  const [done, setDone] = useState(false);
  const action = useAction();

  useEffect(() => {
    if (!token) return;
    void action.run(async () => {
      await api<void>('POST', '/api/v1/auth/verify-email', { body: { token }, auth: false });
      setDone(true);
    });
  }, [token]);

  if (!token) {
    return (
      <Page title={t('verify.title')} narrow>
        <p role="alert">{t('verify.no_token')}</p>
      </Page>
    );
  }
  return (
    <Page title={t('verify.title')} narrow>
      <Messages error={action.error} />
      {!done && !action.error && <Loading />}
      {done && <p role="status">{t('verify.done')}</p>}
      {(done || action.error) && (
        <p>
          <a href="/signin">{t('verify.to_signin')}</a>
        </p>
      )}
    </Page>
  );
}
