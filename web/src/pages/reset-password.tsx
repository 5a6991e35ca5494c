// Setting a password with a one-time link (/reset-password#token=...) an administrator made, or
// that `carehub bootstrap` printed.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Actions, Field } from '../components/fields';
import { Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction } from '../hooks';
import { t } from '../i18n';
import { tokenFromHash } from './token-from-hash';

export function ResetPassword() {
  const [token] = useState(tokenFromHash);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction();

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
  const submit = (e: Event) => {
    e.preventDefault();
    if (password !== again) {
      action.fail(t('password.mismatch'));
      return;
    }
    void action.run(async () => {
      await api<void>('POST', '/api/v1/auth/reset-password', {
        body: { token, password },
        auth: false,
      });
      setDone(true);
    });
  };
  return (
    <Page title={t('reset.title')} narrow>
      <Messages error={action.error} />
      <form class="form" onSubmit={submit}>
        <Field
          label={t('password.new')}
          type="password"
          autocomplete="new-password"
          required
          hint={t('password.hint')}
          value={password}
          onInput={setPassword}
        />
        <Field
          label={t('password.again')}
          type="password"
          autocomplete="new-password"
          required
          value={again}
          onInput={setAgain}
        />
        <Actions>
          <button type="submit" class="button button-primary" aria-disabled={action.busy}>
            {t('reset.submit')}
          </button>
        </Actions>
      </form>
    </Page>
  );
}
