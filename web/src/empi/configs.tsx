// Match configurations: the two thresholds an import matches with (pairs at or above "automatic"
// join persons; pairs between the two go to the review queue) and whether the model has been
// learnt (by the first import that used the config). Configs never change; a new one is made here.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Actions, Field } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useAction, useApi } from '../hooks';
import { formatDateTime, t } from '../i18n';
import { formatProbability, type MatchConfig } from './model';
import './messages'; // this workspace's words, before any screen renders

export default function Configs() {
  const list = useApi<{ configs: MatchConfig[] }>('/api/v1/configs');
  return (
    <Page title={t('empi.configs_title')}>
      <p class="lead">{t('empi.configs_intro')}</p>
      <CreateConfig onCreated={list.reload} />
      <section aria-labelledby="config-list">
        <h2 id="config-list">{t('empi.configs_list')}</h2>
        {list.error && <Messages error={list.error} />}
        {list.loading && !list.data && <Loading />}
        {list.data && <ConfigTable configs={list.data.configs} />}
      </section>
    </Page>
  );
}

function ConfigTable(props: { configs: MatchConfig[] }) {
  if (props.configs.length === 0) return <p class="empty">{t('empi.configs_none')}</p>;
  return (
    <DataTable
      label={t('empi.configs_list')}
      columns={[
        { label: t('empi.config') },
        { label: t('empi.potential_threshold'), numeric: true },
        { label: t('empi.auto_threshold'), numeric: true },
        { label: t('empi.trained') },
        { label: t('empi.created_by') },
        { label: t('empi.created') },
      ]}
    >
      {props.configs.map((c) => (
        <tr key={c.id}>
          <th scope="row" class="mono">
            {c.id}
          </th>
          <td class="number">{formatProbability(c.potential_match_threshold)}</td>
          <td class="number">{formatProbability(c.auto_match_threshold)}</td>
          <td>
            {c.trained ? (
              <span class="badge badge-ok">
                {c.trained_at
                  ? t('empi.trained_at', { at: formatDateTime(c.trained_at) })
                  : t('empi.trained_yes')}
              </span>
            ) : (
              <span class="badge badge-off">{t('empi.trained_no')}</span>
            )}
          </td>
          <td class="mono">{c.created_by}</td>
          <td>
            <time dateTime={c.created}>{formatDateTime(c.created)}</time>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

// A threshold typed as 0..1, or null when it is not one.
function threshold(text: string): number | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
}

function CreateConfig(props: { onCreated(): void }) {
  const [potential, setPotential] = useState('0.5');
  const [auto, setAuto] = useState('0.9');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const low = threshold(potential);
    const high = threshold(auto);
    if (low === null) {
      action.fail(t('empi.threshold_range', { name: t('empi.potential_threshold') }));
      return;
    }
    if (high === null) {
      action.fail(t('empi.threshold_range', { name: t('empi.auto_threshold') }));
      return;
    }
    if (low > high) {
      action.fail(t('empi.threshold_order'));
      return;
    }
    void action.run(async () => {
      const created = await api<{ config_id: string }>('POST', '/api/v1/config', {
        body: { potential_match_threshold: low, auto_match_threshold: high },
      });
      props.onCreated();
      return t('empi.config_created', { id: created.config_id });
    });
  };
  return (
    <section class="panel" aria-labelledby="new-config">
      <h2 id="new-config">{t('empi.config_new')}</h2>
      <form class="form" onSubmit={submit} noValidate>
        <Field
          label={t('empi.potential_threshold')}
          type="number"
          min="0"
          max="1"
          step="any"
          required
          value={potential}
          onInput={setPotential}
          hint={t('empi.potential_threshold_hint')}
        />
        <Field
          label={t('empi.auto_threshold')}
          type="number"
          min="0"
          max="1"
          step="any"
          required
          value={auto}
          onInput={setAuto}
          hint={t('empi.auto_threshold_hint')}
        />
        <Messages error={action.error} status={action.status} />
        <Actions>
          <button type="submit" class="button button-primary" aria-disabled={action.busy}>
            {t('empi.config_create')}
          </button>
        </Actions>
      </form>
    </section>
  );
}
