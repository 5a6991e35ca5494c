// First run: the server logged a one-time link /setup#token=...; this page makes its holder the
// first administrator and signs them in.
import { useState } from 'preact/hooks';
import { Field, SubmitActions } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { NewPasswordFields, useNewPassword } from '../components/new-password';
import { Page } from '../components/page';
import { useAction, useApi } from '../hooks';
import { t } from '../i18n';
import { navigate } from '../router';
import { setUpFirstAdmin } from '../session';
import { tokenFromHash } from './token-from-hash';

export function Setup() {
  const [token] = useState(tokenFromHash);
  const status = useApi<{ needed: boolean }>('/api/v1/setup');
  if (status.loading) return <Loading />;
  if (status.error) {
    return (
      <Page title={t('setup.title')} narrow>
        <Messages error={status.error} />
      </Page>
    );
  }
  if (!status.data?.needed) {
    return (
      <Page title={t('setup.title')} narrow>
        <p>{t('setup.done')}</p>
        <p>
          <a href="/signin">{t('setup.to_signin')}</a>
        </p>
      </Page>
    );
  }
  if (!token) {
    return (
      <Page title={t('setup.title')} narrow>
        <p role="alert">{t('setup.no_token')}</p>
      </Page>
    );
  }
  return <SetupForm token={token} />;
}

function SetupForm(props: { token: string }) {
  const [email, setEmail] = useState('');
  const action = useAction();
  const password = useNewPassword(action);
  const submit = password.submit(async (chosen) => {
    await setUpFirstAdmin(props.token, email, chosen);
    navigate('/', { replace: true });
  });
  return (
    <Page title={t('setup.title')} narrow>
      <p>{t('setup.intro')}</p>
      <Messages error={action.error} status={action.busy ? t('setup.busy') : ''} />
      <form class="form" onSubmit={submit}>
        <Field
          label={t('setup.email')}
          type="email"
          autocomplete="username"
          required
          value={email}
          onInput={setEmail}
        />
        <NewPasswordFields value={password} />
        <SubmitActions action={action} label={t('setup.submit')} />
      </form>
    </Page>
  );
}
