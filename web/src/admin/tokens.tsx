// Administration: API tokens for machine clients. A new token's secret is shown once (the server
// keeps only its hash); revoking one stops it at once.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { ActionButton, useActionButtons } from '../components/action-button';
import { Checkboxes, Field, SubmitActions } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { SecretField } from '../components/secret';
import { useAction, useApi } from '../hooks';
import { formatDateTime, t } from '../i18n';
import { scopeLabel, scopes } from '../roles';

interface ApiToken {
  id: string;
  name: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used: string | null;
}

export default function Tokens() {
  const list = useApi<{ tokens: ApiToken[] }>('/api/v1/tokens');
  return (
    <Page title={t('tokens.title')}>
      <p class="lead">{t('tokens.intro')}</p>
      <CreateToken onCreated={list.reload} />
      <section aria-labelledby="token-list">
        <h2 id="token-list">{t('tokens.list')}</h2>
        {list.error && <Messages error={list.error} />}
        {list.loading && !list.data && <Loading />}
        {list.data && <TokenTable tokens={list.data.tokens} onRevoked={list.reload} />}
      </section>
    </Page>
  );
}

function stateOf(token: ApiToken): 'revoked' | 'expired' | 'active' {
  if (token.revoked_at) return 'revoked';
  if (token.expires_at && Date.parse(token.expires_at) <= Date.now()) return 'expired';
  return 'active';
}

function TokenTable(props: { tokens: ApiToken[]; onRevoked(): void }) {
  const buttons = useActionButtons();
  const { action } = buttons;
  if (props.tokens.length === 0) return <p class="empty">{t('tokens.none')}</p>;
  const newestFirst = [...props.tokens].sort((a, b) => Number(b.id) - Number(a.id));
  const revoke = async (token: ApiToken) => {
    await api<void>('DELETE', `/api/v1/tokens/${encodeURIComponent(token.id)}`);
    props.onRevoked();
    return t('tokens.revoked', { name: token.name });
  };
  return (
    <>
      <Messages error={action.error} status={action.status} />
      <DataTable
        label={t('tokens.list')}
        columns={[
          { label: t('tokens.name') },
          { label: t('tokens.scopes') },
          { label: t('tokens.created_col') },
          { label: t('tokens.expires') },
          { label: t('tokens.last_used') },
          { label: t('tokens.state') },
          { label: <span class="visually-hidden">{t('common.actions')}</span> },
        ]}
      >
        {newestFirst.map((token) => {
          const state = stateOf(token);
          return (
            <tr key={token.id}>
              <th scope="row">{token.name}</th>
              <td>{token.scopes.join(', ')}</td>
              <td>{formatDateTime(token.created_at)}</td>
              <td>{token.expires_at ? formatDateTime(token.expires_at) : t('tokens.never')}</td>
              <td>{token.last_used ? formatDateTime(token.last_used) : t('tokens.unused')}</td>
              <td>
                <span class={`badge badge-${state === 'active' ? 'ok' : 'off'}`}>
                  {t(`tokens.state_${state}`)}
                </span>
              </td>
              <td>
                {state === 'active' && (
                  <ActionButton
                    buttons={buttons}
                    label={t('tokens.revoke')}
                    name={t('tokens.revoke_named', { name: token.name })}
                    small
                    danger
                    confirm={t('tokens.revoke_confirm', { name: token.name })}
                    work={() => revoke(token)}
                  />
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
      {buttons.dialog}
    </>
  );
}

// <input type="date"> value of the day after today, the earliest expiry offered.
function tomorrow(): string {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// The token works through the chosen day (local time); the server takes seconds from now.
function secondsUntilEndOf(day: string): number {
  const [year, month, date] = day.split('-').map(Number);
  const end = new Date(year, month - 1, date + 1).getTime();
  return Math.round((end - Date.now()) / 1000);
}

function CreateToken(props: { onCreated(): void }) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [expiry, setExpiry] = useState('');
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    if (chosen.length === 0) {
      action.fail(t('tokens.scope_required'));
      return;
    }
    setSecret(null);
    void action.run(async () => {
      const created = await api<ApiToken & { token: string }>('POST', '/api/v1/tokens', {
        body: {
          name: name.trim(),
          scopes: scopes.filter((s) => chosen.includes(s)),
          ...(expiry ? { expires_in: secondsUntilEndOf(expiry) } : {}),
        },
      });
      setSecret({ name: created.name, token: created.token });
      setName('');
      setChosen([]);
      setExpiry('');
      props.onCreated();
      return t('tokens.created', { name: created.name });
    });
  };
  return (
    <section class="panel" aria-labelledby="new-token">
      <h2 id="new-token">{t('tokens.new')}</h2>
      <form class="form" onSubmit={submit}>
        <Field label={t('tokens.name')} required maxLength={200} value={name} onInput={setName} />
        <Checkboxes
          legend={t('tokens.scopes')}
          choices={scopes.map((s) => ({ value: s, label: `${s}: ${scopeLabel(s)}` }))}
          selected={chosen}
          onChange={setChosen}
        />
        <Field
          label={t('tokens.expiry')}
          type="date"
          min={tomorrow()}
          hint={t('tokens.expiry_hint')}
          value={expiry}
          onInput={setExpiry}
        />
        <Messages error={action.error} status={action.status} />
        <SubmitActions action={action} label={t('tokens.create')} />
      </form>
      {secret && (
        <SecretField
          label={t('tokens.secret', { name: secret.name })}
          value={secret.token}
          warning={t('tokens.secret_warning')}
        />
      )}
    </section>
  );
}
