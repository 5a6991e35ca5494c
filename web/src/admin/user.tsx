// Administration of one user: details, roles, disabling, and a one-time set-password link.
import { useState } from 'preact/hooks';
import { api, refreshSession, type User } from '../api';
import { ActionButton, useActionButtons } from '../components/action-button';
import { Actions, Checkboxes, SubmitActions } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { SecretField } from '../components/secret';
import { useAction, useApi } from '../hooks';
import { formatDateTime, t } from '../i18n';
import { roles } from '../roles';
import { displayName, useUser } from '../session';
import { roleChoices, StatusBadge } from './common';

export default function UserPage(props: { id: string }) {
  const loaded = useApi<User>(`/api/v1/users/${encodeURIComponent(props.id)}`);
  const me = useUser();
  const changed = (user: User) => {
    loaded.replace(user);
    // A change to one's own roles revokes one's access token: a fresh one carries the new roles
    // (and the navigation follows them).
    if (me && user.id === me.id) void refreshSession();
  };
  if (loaded.error) {
    return (
      <Page title={t('user.title')}>
        <Messages error={loaded.error} />
        <p>
          <a href="/admin/users">{t('user.back')}</a>
        </p>
      </Page>
    );
  }
  if (!loaded.data) return <Loading />;
  const user = loaded.data;
  return (
    <Page title={displayName(user)}>
      <p>
        <a href="/admin/users">{t('user.back')}</a>
      </p>
      <Details user={user} />
      <div class="columns">
        <RolesForm user={user} onChanged={changed} />
        <AccountStatus user={user} onChanged={changed} />
      </div>
      <ResetLink user={user} />
    </Page>
  );
}

function Details(props: { user: User }) {
  const { user } = props;
  const rows: Array<[string, string | null]> = [
    [t('user.email'), user.email],
    [t('user.username'), user.username],
    [t('common.language'), user.language === 'es' ? 'Español' : 'English'],
    [t('user.sign_in_with'), user.has_password ? t('user.password') : t('user.provider_only')],
    [t('user.created'), formatDateTime(user.created_at)],
    [t('user.last_login'), user.last_login ? formatDateTime(user.last_login) : t('user.never')],
  ];
  return (
    <dl class="details">
      {rows
        .filter(([, value]) => value)
        .map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      <div>
        <dt>{t('user.status')}</dt>
        <dd>
          <StatusBadge status={user.status} />
        </dd>
      </div>
    </dl>
  );
}

function RolesForm(props: { user: User; onChanged(user: User): void }) {
  const [chosen, setChosen] = useState(props.user.roles);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const user = await api<User>('PATCH', `/api/v1/users/${encodeURIComponent(props.user.id)}`, {
        body: { roles: roles.filter((r) => chosen.includes(r)) },
      });
      props.onChanged(user);
      return t('user.roles_saved');
    });
  };
  return (
    <section class="panel" aria-labelledby="user-roles">
      <h2 id="user-roles">{t('user.roles')}</h2>
      <form class="form" onSubmit={submit}>
        <Checkboxes
          legend={t('user.roles_of', { name: displayName(props.user) })}
          choices={roleChoices()}
          selected={chosen}
          onChange={setChosen}
        />
        <Messages error={action.error} status={action.status} />
        <SubmitActions action={action} label={t('user.save_roles')} />
      </form>
    </section>
  );
}

function AccountStatus(props: { user: User; onChanged(user: User): void }) {
  const { user } = props;
  const buttons = useActionButtons();
  const active = user.status === 'active';
  const change = async () => {
    const changed = await api<User>('PATCH', `/api/v1/users/${encodeURIComponent(user.id)}`, {
      body: { status: active ? 'disabled' : 'active' },
    });
    props.onChanged(changed);
    return changed.status === 'active' ? t('user.enabled') : t('user.disabled');
  };
  return (
    <section class="panel" aria-labelledby="user-status">
      <h2 id="user-status">{t('user.account')}</h2>
      <p>{active ? t('user.is_active') : t('user.is_disabled')}</p>
      <Messages error={buttons.action.error} status={buttons.action.status} />
      <Actions>
        <ActionButton
          buttons={buttons}
          label={active ? t('user.disable') : t('user.enable')}
          danger={active}
          confirm={active ? t('user.disable_confirm', { name: displayName(user) }) : undefined}
          work={change}
        />
      </Actions>
      {buttons.dialog}
    </section>
  );
}

function ResetLink(props: { user: User }) {
  const [link, setLink] = useState<{ url: string; hours: number } | null>(null);
  const action = useAction();
  const create = () =>
    action.run(async () => {
      const answer = await api<{ token: string; expires_in: number }>(
        'POST',
        `/api/v1/users/${encodeURIComponent(props.user.id)}/reset-password`,
      );
      // The token goes in the fragment: it never reaches a server log or a Referer.
      const url = `${window.location.origin}/reset-password#token=${encodeURIComponent(answer.token)}`;
      setLink({ url, hours: Math.round(answer.expires_in / 3600) });
    });
  return (
    <section class="panel" aria-labelledby="user-reset">
      <h2 id="user-reset">{t('user.reset_title')}</h2>
      <p>{t('user.reset_text')}</p>
      <Messages error={action.error} />
      {link ? (
        <SecretField
          label={t('user.reset_link')}
          value={link.url}
          warning={t('user.reset_warning', { hours: link.hours })}
        />
      ) : (
        <Actions>
          <button type="button" class="button" onClick={create} aria-disabled={action.busy}>
            {t('user.reset_create')}
          </button>
        </Actions>
      )}
    </section>
  );
}
