// Setting a password with a one-time link (/reset-password#token=...) an administrator made, or
// that `carehub bootstrap` printed.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { SubmitActions } from '../components/fields';
import { Messages } from '../components/messages';
import { NewPasswordFields, useNewPassword } from '../components/new-password';
import { Page } from '../components/page';
import { useAction } from '../hooks';
import { t } from '../i18n';
import { tokenFromHash } from './token-from-hash';

export function ResetPassword() {
  const [token] = useState(tokenFromHash);
  const [done, setDone] = useState(false);
  const action = useAction();
  const password = useNewPassword(action);

  if (!token) {
    return (
      <Page title={t('reset.title')} narrow>
        <p role="alert">{t('reset.no_token')}</p>
      </Page>
    );
  }
  if (done) {
    return (
      <Page title={t('reset.title')} narrow>
        <p role="status">{t('reset.done')}</p>
        <p>
          <a href="/signin">{t('reset.to_signin')}</a>
        </p>
      </Page>
    );
  }
  const submit = password.submit(async (chosen) => {
    await api<void>('POST', '/api/v1/auth/reset-password', {
      body: { token, password: chosen },
      auth: false,
    });
    setDone(true);
  });
  return (
    <Page title={t('reset.title')} narrow>
      <Messages error={action.error} />
      <form class="form" onSubmit={submit}>
        <NewPasswordFields value={password} />
        <SubmitActions action={action} label={t('reset.submit')} />
      </form>
    </Page>
  );
}
