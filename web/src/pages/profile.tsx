// The person's own account: names, language, password.
import { useState } from 'preact/hooks';
import { api, refreshSession, type User } from '../api';
import { Field, LanguageSelect, SubmitActions } from '../components/fields';
import { Messages } from '../components/messages';
import { NewPasswordFields, useNewPassword } from '../components/new-password';
import { Page } from '../components/page';
import { useAction } from '../hooks';
import { t } from '../i18n';
import { updateUser } from '../session';

export function Profile(props: { user: User }) {
  return (
    <Page title={t('profile.title')}>
      <p class="lead">{props.user.email ?? props.user.username}</p>
      <div class="columns">
        <ProfileForm user={props.user} />
        {props.user.has_password && <PasswordForm />}
      </div>
    </Page>
  );
}

function ProfileForm(props: { user: User }) {
  const [firstName, setFirstName] = useState(props.user.first_name);
  const [lastName, setLastName] = useState(props.user.last_name);
  const [language, setLanguage] = useState(props.user.language);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const user = await api<User>('PATCH', '/api/v1/auth/me', {
        body: { first_name: firstName, last_name: lastName, language },
      });
      updateUser(user); // the console switches to the chosen language at once
      return t('profile.saved');
    });
  };
  return (
    <section class="panel" aria-labelledby="profile-details">
      <h2 id="profile-details">{t('profile.details')}</h2>
      <form class="form" onSubmit={submit}>
        <Field
          label={t('user.first_name')}
          autocomplete="given-name"
          value={firstName}
          onInput={setFirstName}
        />
        <Field
          label={t('user.last_name')}
          autocomplete="family-name"
          value={lastName}
          onInput={setLastName}
        />
        <LanguageSelect value={language} onChange={setLanguage} />
        <Messages error={action.error} status={action.status} />
        <SubmitActions action={action} label={t('common.save')} />
      </form>
    </section>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const action = useAction();
  const password = useNewPassword(action);
  const submit = password.submit(async (next) => {
    await api<void>('POST', '/api/v1/auth/password', {
      body: { current_password: current, new_password: next },
    });
    // The change revokes the account's access tokens: take a fresh one now (this session's
    // cookie is kept; every other session ends).
    await refreshSession();
    setCurrent('');
    password.clear();
    return t('password.changed');
  });
  return (
    <section class="panel" aria-labelledby="profile-password">
      <h2 id="profile-password">{t('password.change')}</h2>
      <form class="form" onSubmit={submit}>
        <Field
          label={t('password.current')}
          type="password"
          autocomplete="current-password"
          required
          value={current}
          onInput={setCurrent}
        />
        <NewPasswordFields value={password} />
        <Messages error={action.error} status={action.status} />
        <SubmitActions action={action} label={t('password.submit')} />
      </form>
    </section>
  );
}
