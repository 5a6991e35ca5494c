// My cases: the cases a patient or physician owns (create one here), the cases shared with them
// (read-only), and the invitations waiting for them to accept.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Field } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useAction, useApi } from '../hooks';
import { formatDateTime, t } from '../i18n';
import { navigate, useQuery } from '../router';
import { type Case, createCase, type Share } from './model';
import { LegalLinks, statusLabel, useLiterals } from './parts';
import './messages';

export default function CaseList() {
  const query = useQuery();
  const list = useApi<{ cases: Case[] }>('/api/v1/cases');
  const cases = (list.data?.cases ?? []).filter((c) => c.status !== 'deleted');
  const mine = cases.filter((c) => c.role === 'owner');
  const shared = cases.filter((c) => c.role === 'recipient');
  return (
    <Page title={t('cases.list_title')}>
      <p class="lead">{t('cases.list_intro')}</p>
      {query.get('deleted') && <Messages status={t('cases.deleted')} />}
      <Invitations onAccepted={list.reload} />
      <NewCase />
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && (
        <>
          <section class="panel" aria-labelledby="cases-mine">
            <h2 id="cases-mine">{t('cases.mine')}</h2>
            {mine.length === 0 ? (
              <p>{t('cases.mine_none')}</p>
            ) : (
              <CaseTable label={t('cases.mine')} cases={mine} />
            )}
          </section>
          <section class="panel" aria-labelledby="cases-shared">
            <h2 id="cases-shared">{t('cases.shared_with_me')}</h2>
            {shared.length === 0 ? (
              <p>{t('cases.shared_none')}</p>
            ) : (
              <CaseTable label={t('cases.shared_with_me')} cases={shared} />
            )}
          </section>
        </>
      )}
      <LegalLinks />
    </Page>
  );
}

function CaseTable(props: { label: string; cases: Case[] }) {
  const words = useLiterals();
  return (
    <DataTable
      label={props.label}
      columns={[
        { label: t('cases.col_patient') },
        { label: t('cases.col_status') },
        { label: t('cases.col_updated') },
      ]}
    >
      {props.cases.map((c) => (
        <tr key={c.id}>
          <th scope="row">
            <a href={`/cases/${encodeURIComponent(c.id)}`}>{c.patient.name || t('cases.no_name')}</a>
          </th>
          <td>{statusLabel(c.status, words)}</td>
          <td>{formatDateTime(c.updated_at)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function NewCase() {
  const [name, setName] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    if (!name.trim()) {
      action.fail(t('cases.name_required'));
      return;
    }
    void action.run(async () => {
      const made = await createCase({ name: name.trim() });
      navigate(`/cases/${encodeURIComponent(made.id)}`);
    });
  };
  return (
    <form class="panel" aria-labelledby="cases-new" onSubmit={submit}>
      <h2 id="cases-new">{t('cases.new')}</h2>
      <Field label={t('cases.patient_name')} value={name} onInput={setName} maxLength={200} />
      <Messages error={action.error} status={action.status} />
      <div class="actions">
        <button type="submit" class="button button-primary" aria-disabled={action.busy}>
          {t('cases.create')}
        </button>
      </div>
    </form>
  );
}

// Shares waiting for the caller to accept (GET /api/v1/cases/shares answers pending and accepted).
function Invitations(props: { onAccepted(): void }) {
  const shares = useApi<{ shares: Share[] }>('/api/v1/cases/shares');
  const action = useAction();
  const pending = (shares.data?.shares ?? []).filter((s) => s.status === 'pending');
  if (pending.length === 0 && !action.status && !shares.error) return null;
  const accept = (s: Share) =>
    action.run(async () => {
      await api('POST', `/api/v1/cases/shares/${encodeURIComponent(s.id)}/accept`, { body: {} });
      shares.reload();
      props.onAccepted();
      return t('cases.invitation_accepted');
    });
  return (
    <section class="panel" aria-labelledby="cases-invitations">
      <h2 id="cases-invitations">{t('cases.invitations')}</h2>
      {shares.error && <Messages error={shares.error} />}
      {pending.length === 0 ? (
        <p>{t('cases.invitations_none')}</p>
      ) : (
        <ul class="plain-list">
          {pending.map((s) => (
            <li key={s.id}>
              {t('cases.invitation_text', { date: formatDateTime(s.created_at) })}{' '}
              <button
                type="button"
                class="button button-primary"
                aria-disabled={action.busy}
                onClick={() => void accept(s)}
              >
                {t('cases.accept')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <Messages error={action.error} status={action.status} />
    </section>
  );
}
