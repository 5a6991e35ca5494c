// The person's own account: names, language, password.
import { useState } from 'preact/hooks';
import { api, refreshSession, type User } from '../api';
import { Actions, Field, Select } from '../components/fields';
import { Messages } from '../components/messages';
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
        <Select
          label={t('common.language')}
          value={language}
          onChange={setLanguage}
          choices={[
            { value: 'en', label: 'English' },
            { value: 'es', label: 'Español' },
          ]}
        />
        <Messages error={action.error} status={action.status} />
        <Actions>
          <button type="submit" class="button button-primary" aria-disabled={action.busy}>
            {t('common.save')}
          </button>
        </Actions>
      </form>
    </section>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    if (next !== again) {
      action.fail(t('password.mismatch'));
      return;
    }
    void action.run(async () => {
      await api<void>('POST', '/api/v1/auth/password', {
        body: { current_password: current, new_password: next },
      });
      // The change revokes the account's access tokens: take a fresh one now (this session's
      // cookie is kept; every other session ends).
      await refreshSession();
      setCurrent('');
      setNext('');
      setAgain('');
      return t('password.changed');
    });
  };
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
        <Field
          label={t('password.new')}
          type="password"
          autocomplete="new-password"
          required
          hint={t('password.hint')}
          value={next}
          onInput={setNext}
        />
        <Field
          label={t('password.again')}
          type="password"
          autocomplete="new-password"
          required
          value={again}
          onInput={setAgain}
        />
        <Messages error={action.error} status={action.status} />
        <Actions>
          <button type="submit" class="button button-primary" aria-disabled={action.busy}>
            {t('password.submit')}
          </button>
        </Actions>
      </form>
    </section>
  );
}
