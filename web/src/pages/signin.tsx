// Sign-in: email and password, and "Sign in with <provider>" when the server has OpenID Connect.
// After it the person goes where they were headed (?next=).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { Field, SubmitActions } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction } from '../hooks';
import { t } from '../i18n';
import { navigate, safeNext, useQuery } from '../router';
import { signIn } from '../session';

interface Providers {
  local_passwords: boolean;
  oidc: { name: string; start_url: string } | null;
}

export function SignIn() {
  const query = useQuery();
  const next = safeNext(query.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // null until the server says how its accounts sign in; then what it said, or, when it could
  // not be asked, the password form alone (the usual case).
  const [providers, setProviders] = useState<Providers | null>(null);
  const action = useAction();

  const [setupNeeded, setSetupNeeded] = useState(false);
  const [canRegister, setCanRegister] = useState(false);
  useEffect(() => {
    // Until the answer no form is shown, so a server whose accounts sign in at a provider never
    // flashes a password form first.
    api<Providers>('GET', '/api/v1/auth/providers', { auth: false }).then(setProviders, () =>
      setProviders({ local_passwords: true, oidc: null }),
    );
    // "Create an account" only where the server opens self-registration to some role.
    api<{ roles: string[] }>('GET', '/api/v1/auth/registration', { auth: false }).then(
      (r) => setCanRegister(r.roles.length > 0),
      () => {},
    );
    // A server with no administrator yet: nobody can sign in, so say where to start.
    api<{ needed: boolean }>('GET', '/api/v1/setup', { auth: false }).then(
      (s) => setSetupNeeded(s.needed),
      () => {},
    );
  }, []);

  // The identity provider sends the person back with ?signin_error=<text> when it went wrong.
  const [providerError] = useState(() => query.get('signin_error'));
  useEffect(() => {
    if (!providerError) return;
    const params = new URLSearchParams(window.location.search);
    params.delete('signin_error');
    const rest = params.toString();
    window.history.replaceState(null, '', `/signin${rest ? `?${rest}` : ''}`);
  }, [providerError]);

  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      await signIn(email, password);
      navigate(next, { replace: true });
    });
  };
  const startOidc = () => {
    if (!providers?.oidc) return;
    // A full page load: the server runs the authorization-code flow (PKCE) and comes back here
    // with the refresh cookie set, and the start-up refresh then signs the person in.
    window.location.assign(`${providers.oidc.start_url}?return_to=${encodeURIComponent(next)}`);
  };

  const showPasswords = providers?.local_passwords ?? false;
  return (
    <Page title={t('signin.title')} narrow>
      <Messages error={action.error ?? providerError} status={action.busy ? t('signin.busy') : ''} />
      {setupNeeded && <p class="hint setup-needed">{t('signin.setup_needed')}</p>}
      {!providers && <Loading />}
      {showPasswords && (
        <form class="form" onSubmit={submit}>
          <Field
            label={t('signin.email')}
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email}
            onInput={setEmail}
          />
          <Field
            label={t('signin.password')}
            type="password"
            name="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={setPassword}
          />
          <SubmitActions action={action} label={t('signin.submit')} />
          <p class="hint">
            <a href="/forgot-password">{t('signin.forgot')}</a>
          </p>
          {canRegister && (
            <p class="hint">
              <a href="/register">{t('signin.register')}</a>
            </p>
          )}
        </form>
      )}
      {providers?.oidc && (
        <div class="provider">
          {showPasswords && <p class="divider">{t('signin.or')}</p>}
          <button type="button" class="button button-wide" onClick={startOidc}>
            {t('signin.with_provider', { name: providers.oidc.name })}
          </button>
        </div>
      )}
    </Page>
  );
}
