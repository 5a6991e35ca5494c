// "Forgot your password?": the person gives their address and is told to look in their mailbox.
// The server answers the same whether the address has an account or not, and so does this page.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Field, SubmitActions } from '../components/fields';
import { Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction } from '../hooks';
import { t } from '../i18n';

export function ForgotPassword() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const action = useAction();

  if (sent) {
    return (
      <Page title={t('forgot.title')} narrow>
        <p role="status">{t('forgot.sent')}</p>
        <p>
          <a href="/signin">{t('forgot.to_signin')}</a>
        </p>
      </Page>
    );
  }
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await api<unknown>('POST', '/api/v1/auth/forgot-password', {
        body: { email },
        auth: false,
      });
      setSent(true);
    });
  };
  return (
    <Page title={t('forgot.title')} narrow>
      <Messages error={action.error} />
      <form class="form" onSubmit={submit}>
        <p class="hint">{t('forgot.intro')}</p>
        <Field
          label={t('signin.email')}
          type="email"
          name="email"
          autocomplete="username"
          required
          value={email}
          onInput={setEmail}
        />
        <SubmitActions action={action} label={t('forgot.submit')} />
        <p class="hint">
          <a href="/signin">{t('forgot.to_signin')}</a>
        </p>
      </form>
    </Page>
  );
}
