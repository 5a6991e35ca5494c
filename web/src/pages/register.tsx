// Creating an account. Two ways in:
// - an emailed invitation (#token=... in the link a patient's share sent to a physician with no
//   account): the account is a physician's, at the address the invitation went to, so neither is
//   asked; it signs in at once, the link having proved the address;
// - self-registration, with a role the server opens to it (auth.registration_roles); where the
//   server asks for it, the emailed confirmation link comes before the first sign-in.
import { useEffect, useState } from 'preact/hooks';
import { api, type User } from '../api';
import { Field, LanguageSelect, Select, SubmitActions } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { NewPasswordFields, useNewPassword } from '../components/new-password';
import { Page } from '../components/page';
import { useAction } from '../hooks';
import { language, t } from '../i18n';
import { roleLabel } from '../roles';
import { tokenFromHash } from './token-from-hash';

interface Registration {
  roles: string[];
  verify_email: boolean;
}

type Done = 'signin' | 'confirm';

export function Register() {
  const [invitation] = useState(() => tokenFromHash());
  const [open, setOpen] = useState<Registration | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [lang, setLang] = useState<string>(language.get());
  const [role, setRole] = useState('');
  const [done, setDone] = useState<Done | null>(null);
  const action = useAction();
  const password = useNewPassword(action);

  useEffect(() => {
    if (invitation) return;
    api<Registration>('GET', '/api/v1/auth/registration', { auth: false }).then(
      (r) => {
        setOpen(r);
        setRole(r.roles[0] ?? '');
      },
      (e: Error) => setFailed(e.message),
    );
  }, [invitation]);

  const title = invitation ? t('register.invited_title') : t('register.title');
  if (done) {
    return (
      <Page title={title} narrow>
        <p role="status">{done === 'confirm' ? t('register.confirm_sent') : t('register.ready')}</p>
        <p>
          <a href="/signin">{t('register.to_signin')}</a>
        </p>
      </Page>
    );
  }
  if (!invitation && !open) {
    return (
      <Page title={title} narrow>
        {failed ? <Messages error={failed} /> : <Loading />}
      </Page>
    );
  }
  if (!invitation && open && open.roles.length === 0) {
    return (
      <Page title={title} narrow>
        <p>{t('register.closed')}</p>
        <p>
          <a href="/signin">{t('register.to_signin')}</a>
        </p>
      </Page>
    );
  }

  const submit = password.submit(async (pw) => {
    const body: Record<string, unknown> = {
      password: pw,
      first_name: firstName,
      last_name: lastName,
      language: lang,
    };
    if (invitation) body.invitation = invitation;
    else {
      body.email = email;
      body.roles = [role];
    }
    const made = await api<User & { email_verification?: string }>(
      'POST',
      '/api/v1/auth/register',
      { body, auth: false },
    );
    setDone(made.email_verification === 'pending' ? 'confirm' : 'signin');
  });

  return (
    <Page title={title} narrow>
      <Messages error={action.error} />
      <form class="form" onSubmit={submit}>
        <p class="hint">{invitation ? t('register.invited_intro') : t('register.intro')}</p>
        {!invitation && (
          <Field
            label={t('signin.email')}
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email}
            onInput={setEmail}
          />
        )}
        {!invitation && open && open.roles.length > 1 && (
          <Select
            label={t('register.role')}
            value={role}
            onChange={setRole}
            choices={open.roles.map((r) => ({ value: r, label: roleLabel(r) }))}
          />
        )}
        <Field
          label={t('register.first_name')}
          name="given-name"
          autocomplete="given-name"
          value={firstName}
          onInput={setFirstName}
        />
        <Field
          label={t('register.last_name')}
          name="family-name"
          autocomplete="family-name"
          value={lastName}
          onInput={setLastName}
        />
        <LanguageSelect value={lang} onChange={setLang} />
        <NewPasswordFields value={password} />
        <SubmitActions action={action} label={t('register.submit')} />
        <p class="hint">
          <a href="/signin">{t('register.to_signin')}</a>
        </p>
      </form>
    </Page>
  );
}
