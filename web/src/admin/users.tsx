// Administration: finding users (search, role, status, pages) and creating one. The filters live
// in the address (?q=&role=&status=&offset=), so Back, reload and a shared link show the same list.
import { useState } from 'preact/hooks';
import { api, type User } from '../api';
import {
  Actions,
  Checkboxes,
  Field,
  LanguageSelect,
  Select,
  SubmitActions,
} from '../components/fields';
import { FilterField, filteredHref, useFilterValues } from '../components/filter-values';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { PagedTable } from '../components/paged-table';
import { offsetOf } from '../components/pager';
import { useAction, useApi } from '../hooks';
import { formatDateTime, t } from '../i18n';
import { navigate, useQuery } from '../router';
import { roleLabel, roles } from '../roles';
import { displayName } from '../session';
import { roleChoices, StatusBadge } from './common';

const pageSize = 25;

interface UserPage {
  users: User[];
  total: number;
  limit: number;
  offset: number;
}

function listPath(query: URLSearchParams): string {
  const params = new URLSearchParams();
  for (const key of ['q', 'role', 'status']) {
    const value = query.get(key);
    if (value) params.set(key, value);
  }
  params.set('limit', String(pageSize));
  params.set('offset', String(offsetOf(query)));
  return `/api/v1/users?${params}`;
}

export default function Users() {
  const query = useQuery();
  const list = useApi<UserPage>(listPath(query));
  return (
    <Page title={t('users.title')}>
      <Filters key={query.toString()} query={query} />
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && <UserTable page={list.data} query={query} />}
      <CreateUser onCreated={list.reload} />
    </Page>
  );
}

function Filters(props: { query: URLSearchParams }) {
  const filter = useFilterValues(props.query, ['q', 'role', 'status']);
  const submit = (e: Event) => {
    e.preventDefault();
    navigate(filteredHref('/admin/users', props.query, filter.values));
  };
  return (
    <form class="filters" role="search" onSubmit={submit}>
      <FilterField filter={filter} name="q" label={t('users.search')} type="search" />
      <Select
        label={t('users.role')}
        value={filter.values.role}
        onChange={filter.set('role')}
        choices={[{ value: '', label: t('users.any_role') }, ...roleChoices()]}
      />
      <Select
        label={t('users.status')}
        value={filter.values.status}
        onChange={filter.set('status')}
        choices={[
          { value: '', label: t('users.any_status') },
          { value: 'active', label: t('status.active') },
          { value: 'disabled', label: t('status.disabled') },
        ]}
      />
      <Actions>
        <button type="submit" class="button">
          {t('users.apply')}
        </button>
      </Actions>
    </form>
  );
}

function UserTable(props: { page: UserPage; query: URLSearchParams }) {
  const { page, query } = props;
  return (
    <PagedTable
      label={t('users.title')}
      columns={[
        { label: t('user.name') },
        { label: t('user.email') },
        { label: t('user.roles') },
        { label: t('user.status') },
        { label: t('user.last_login') },
      ]}
      empty={t('users.none')}
      offset={page.offset}
      limit={page.limit}
      shown={page.users.length}
      total={page.total}
      base="/admin/users"
      query={query}
    >
      {page.users.map((u) => (
        <tr key={u.id}>
          <th scope="row">
            <a href={`/admin/users/${encodeURIComponent(u.id)}`}>{displayName(u)}</a>
          </th>
          <td>{u.email ?? u.username}</td>
          <td>{u.roles.map(roleLabel).join(', ')}</td>
          <td>
            <StatusBadge status={u.status} />
          </td>
          <td>{u.last_login ? formatDateTime(u.last_login) : t('user.never')}</td>
        </tr>
      ))}
    </PagedTable>
  );
}

function CreateUser(props: { onCreated(): void }) {
  const [email, setEmail] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [language, setLanguage] = useState('en');
  const [chosenRoles, setChosenRoles] = useState<string[]>(['member']);
  const [password, setPassword] = useState('');
  const [created, setCreated] = useState<User | null>(null);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    setCreated(null);
    void action.run(async () => {
      const user = await api<User>('POST', '/api/v1/users', {
        body: {
          email: email.trim(),
          first_name: firstName.trim(),
          last_name: lastName.trim(),
          language,
          roles: roles.filter((r) => chosenRoles.includes(r)),
          ...(password ? { password } : {}),
        },
      });
      setEmail('');
      setFirstName('');
      setLastName('');
      setPassword('');
      setCreated(user);
      props.onCreated();
      return t('users.created', { name: displayName(user) });
    });
  };
  return (
    <section class="panel" aria-labelledby="new-user">
      <h2 id="new-user">{t('users.new')}</h2>
      <form class="form form-grid" onSubmit={submit}>
        <Field
          label={t('user.email')}
          type="email"
          required
          autocomplete="off"
          value={email}
          onInput={setEmail}
        />
        <Field label={t('user.first_name')} autocomplete="off" value={firstName} onInput={setFirstName} />
        <Field label={t('user.last_name')} autocomplete="off" value={lastName} onInput={setLastName} />
        <LanguageSelect value={language} onChange={setLanguage} />
        <Checkboxes
          legend={t('user.roles')}
          choices={roleChoices()}
          selected={chosenRoles}
          onChange={setChosenRoles}
        />
        <Field
          label={t('users.initial_password')}
          type="password"
          autocomplete="new-password"
          hint={t('users.initial_password_hint')}
          value={password}
          onInput={setPassword}
        />
        <div class="form-wide">
          <Messages error={action.error} status={action.status} />
          {created && (
            <p>
              <a href={`/admin/users/${encodeURIComponent(created.id)}`}>
                {t('users.open_created', { name: displayName(created) })}
              </a>
            </p>
          )}
          <SubmitActions action={action} label={t('users.create')} />
        </div>
      </form>
    </section>
  );
}
