// Administration: the audit log, the "examine" half of HIPAA's audit control. Search by actor,
// action, resource and time range; pages; the whole match as CSV. Every search and export is
// itself recorded by the server. The search lives in the address (?actor=&...&from=&to=&offset=,
// times as the API takes them: RFC 3339 in UTC), so Back, reload and a shared link show the same.
import { useId, useState } from 'preact/hooks';
import { download } from '../api';
import { Actions, Field } from '../components/fields';
import { FilterField, filteredHref, useFilterValues } from '../components/filter-values';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { PagedTable } from '../components/paged-table';
import { hrefWith, offsetOf } from '../components/pager';
import { useAction, useApi } from '../hooks';
import { formatDateTime, t, type MessageKey } from '../i18n';
import { navigate, useQuery } from '../router';
import { useUser } from '../session';

const pageSize = 50;
const textKeys = ['actor', 'action', 'resource_type', 'resource_id'] as const;
const filterKeys = [...textKeys, 'from', 'to'] as const;
const csvName = 'carehub-audit.csv';

interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string;
  outcome: string;
  request_id: string;
  client_address: string;
  detail: unknown;
}

interface AuditPage {
  events: AuditEvent[];
  total: number;
  limit: number;
  offset: number;
}

const outcomeKeys: Record<string, MessageKey> = {
  success: 'audit.outcome_success',
  denied: 'audit.outcome_denied',
  failure: 'audit.outcome_failure',
  alert: 'audit.outcome_alert',
};

// The API's query for the search in the address: its filters, and for a page, limit and offset.
function apiQuery(query: URLSearchParams, page: boolean): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of filterKeys) {
    const value = query.get(key);
    if (value) params.set(key, value);
  }
  if (page) {
    params.set('limit', String(pageSize));
    params.set('offset', String(offsetOf(query)));
  }
  return params;
}

function listHref(query: URLSearchParams, changes: Record<string, string>): string {
  return hrefWith('/admin/audit', query, changes);
}

// <input type="datetime-local"> shows and takes the person's local time; the API takes UTC.
function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${day}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function toUtc(local: string): string {
  if (!local) return '';
  const d = new Date(local); // a date-time without an offset is local time
  if (Number.isNaN(d.getTime())) return '';
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export default function Audit() {
  const query = useQuery();
  const list = useApi<AuditPage>(`/api/v1/audit?${apiQuery(query, true)}`);
  return (
    <Page title={t('audit.title')}>
      <p class="lead">{t('audit.intro')}</p>
      <SearchForm key={query.toString()} query={query} />
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && <Results page={list.data} query={query} />}
    </Page>
  );
}

function SearchForm(props: { query: URLSearchParams }) {
  const { query } = props;
  const me = useUser();
  const filter = useFilterValues(query, textKeys);
  const [from, setFrom] = useState(toLocalInput(query.get('from')));
  const [to, setTo] = useState(toLocalInput(query.get('to')));
  const submit = (e: Event) => {
    e.preventDefault();
    const times = { from: toUtc(from), to: toUtc(to) };
    navigate(filteredHref('/admin/audit', query, { ...filter.values, ...times }));
  };
  const clear = () => navigate('/admin/audit');
  const mine = me ? `user:${me.id}` : '';
  const actorId = useId();
  return (
    <form
      class="panel form-grid audit-search"
      role="search"
      aria-label={t('audit.search')}
      onSubmit={submit}
    >
      <div class="field">
        <label for={actorId}>{t('audit.actor')}</label>
        <div class="input-and-button">
          <input
            id={actorId}
            name="actor"
            value={filter.values.actor}
            onInput={(e) => filter.set('actor')(e.currentTarget.value)}
            aria-describedby={`${actorId}-hint`}
          />
          {mine && (
            <button
              type="button"
              class="button"
              aria-describedby={`${actorId}-me`}
              onClick={() => filter.set('actor')(mine)}
            >
              {t('audit.me')}
            </button>
          )}
        </div>
        <p id={`${actorId}-hint`} class="hint">
          {t('audit.actor_hint')}
        </p>
        <span id={`${actorId}-me`} hidden>
          {t('audit.me_hint', { actor: mine })}
        </span>
      </div>
      <FilterField
        filter={filter}
        name="action"
        label={t('audit.action')}
        hint={t('audit.action_hint')}
      />
      <FilterField
        filter={filter}
        name="resource_type"
        label={t('audit.resource_type')}
        hint={t('audit.resource_type_hint')}
      />
      <FilterField filter={filter} name="resource_id" label={t('audit.resource_id')} />
      <Field
        label={t('audit.from')}
        type="datetime-local"
        value={from}
        onInput={setFrom}
        name="from"
        hint={t('audit.time_hint')}
      />
      <Field
        label={t('audit.to')}
        type="datetime-local"
        value={to}
        onInput={setTo}
        name="to"
        hint={t('audit.to_hint')}
      />
      <div class="form-wide">
        <Actions>
          <button type="submit" class="button button-primary">
            {t('audit.apply')}
          </button>
          <button type="button" class="button" onClick={clear}>
            {t('audit.clear')}
          </button>
        </Actions>
      </div>
    </form>
  );
}

function Results(props: { page: AuditPage; query: URLSearchParams }) {
  const { page, query } = props;
  const exporting = useAction();
  const exportCsv = () =>
    exporting.run(async () => {
      const params = apiQuery(query, false);
      params.set('format', 'csv');
      const blob = await download(`/api/v1/audit?${params}`);
      // Saved through an object URL (the CSP allows blob:): the token stayed in a header.
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = csvName;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return t('audit.exported', { file: csvName });
    });
  return (
    // Not a <section> with a name: the table's own box is the "Events" region.
    <div>
      <div class="section-head">
        <h2>{t('audit.results')}</h2>
        <button
          type="button"
          class="button"
          onClick={() => void exportCsv()}
          aria-disabled={exporting.busy}
          aria-describedby="audit-export-hint"
        >
          {t('audit.export')}
        </button>
      </div>
      <p id="audit-export-hint" class="hint">
        {t('audit.export_hint')}
      </p>
      <Messages
        error={exporting.error}
        status={exporting.busy ? t('audit.exporting') : exporting.status}
      />
      <EventTable page={page} query={query} />
    </div>
  );
}

function detailText(detail: unknown): string {
  if (detail === null || detail === undefined) return '';
  if (typeof detail === 'object' && Object.keys(detail).length === 0) return '';
  return JSON.stringify(detail);
}

function EventTable(props: { page: AuditPage; query: URLSearchParams }) {
  const { page } = props;
  return (
    <PagedTable
      label={t('audit.results')}
      compact
      columns={[
        { label: t('audit.at') },
        { label: t('audit.actor') },
        { label: t('audit.action') },
        { label: t('audit.resource') },
        { label: t('audit.outcome') },
        { label: t('audit.origin') },
        { label: t('audit.detail') },
      ]}
      empty={t('audit.none')}
      offset={page.offset}
      limit={page.limit}
      shown={page.events.length}
      total={page.total}
      base="/admin/audit"
      query={props.query}
    >
      {page.events.map((e) => {
        const outcome = outcomeKeys[e.outcome];
        return (
          <tr key={e.id}>
            <th scope="row">
              <time dateTime={e.at}>{formatDateTime(e.at)}</time>
            </th>
            <td>
              <a
                class="mono"
                href={listHref(new URLSearchParams(), { actor: e.actor })}
                aria-label={t('audit.by_actor', { actor: e.actor })}
              >
                {e.actor}
              </a>
            </td>
            <td class="mono">{e.action}</td>
            <td class="mono">
              {e.resource_type}
              {e.resource_id && ` ${e.resource_id}`}
            </td>
            <td>
              <span class={`badge ${e.outcome === 'success' ? 'badge-ok' : 'badge-danger'}`}>
                {outcome ? t(outcome) : e.outcome}
              </span>
            </td>
            <td>
              <span class="mono">{e.client_address}</span>
              {e.request_id && (
                <span class="subtle mono">{t('audit.request', { id: e.request_id })}</span>
              )}
            </td>
            <td>
              <code class="mono detail">{detailText(e.detail)}</code>
            </td>
          </tr>
        );
      })}
    </PagedTable>
  );
}
