// A new password typed twice, for the forms that set one (first-run setup, the profile, a
// set-password link): the two fields, and a submit that refuses two different passwords before
// anything is sent.
import { useState } from 'preact/hooks';
import type { Action } from '../hooks';
import { t } from '../i18n';
import { Field } from './fields';

export interface NewPassword {
  password: string;
  again: string;
  setPassword(value: string): void;
  setAgain(value: string): void;
  // The form's onSubmit: the mismatch fails action; otherwise action runs work with the password.
  submit(work: (password: string) => Promise<string | void>): (e: Event) => void;
  clear(): void;
}

export function useNewPassword(action: Action): NewPassword {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  return {
    password,
    again,
    setPassword,
    setAgain,
    submit: (work) => (e) => {
      e.preventDefault();
      if (password !== again) {
        action.fail(t('password.mismatch'));
        return;
      }
      void action.run(() => work(password));
    },
    clear() {
      setPassword('');
      setAgain('');
    },
  };
}

export function NewPasswordFields(props: { value: NewPassword }) {
  const { value } = props;
  return (
    <>
      <Field
        label={t('password.new')}
        type="password"
        autocomplete="new-password"
        required
        hint={t('password.hint')}
        value={value.password}
        onInput={value.setPassword}
      />
      <Field
        label={t('password.again')}
        type="password"
        autocomplete="new-password"
        required
        value={value.again}
        onInput={value.setAgain}
      />
    </>
  );
}
