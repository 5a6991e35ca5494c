// Administration: the background jobs (imports, pushes, retention purges...), filtered by type and
// state, with progress bars that move while the page is open: the list is read again every second
// while one of its jobs is queued or running and the tab is visible, and not at all otherwise.
// Cancel (queued or running) and retry (dead). Filters and page live in the address.
import { api } from '../api';
import { ActionButton, useActionButtons } from '../components/action-button';
import { Actions, Select } from '../components/fields';
import { FilterField, filteredHref, useFilterValues } from '../components/filter-values';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { PagedTable } from '../components/paged-table';
import { offsetOf } from '../components/pager';
import { type Loaded, useApi, useRefresh } from '../hooks';
import { formatDateTime, formatNumber, language, t, type MessageKey } from '../i18n';
import { navigate, useQuery } from '../router';

const pageSize = 50;
const refreshMs = 1_000;

const states = ['queued', 'running', 'succeeded', 'dead', 'cancelled'] as const;
type JobState = (typeof states)[number];

// JobInfo::to_json (src/jobs/job_info.cpp); the payload is never sent.
interface Job {
  id: number;
  type: string;
  queue: string;
  state: JobState;
  attempts: number;
  max_attempts: number;
  progress: number; // 0..100
  progress_message: string;
  last_error: string | null;
  cancel_requested: boolean;
  run_at: string;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

interface JobPage {
  jobs: Job[];
  total: number;
  limit: number;
  offset: number;
}

const stateKeys: Record<JobState, MessageKey> = {
  queued: 'jobs.state_queued',
  running: 'jobs.state_running',
  succeeded: 'jobs.state_succeeded',
  dead: 'jobs.state_dead',
  cancelled: 'jobs.state_cancelled',
};

const stateBadges: Record<JobState, string> = {
  queued: 'badge-info',
  running: 'badge-busy',
  succeeded: 'badge-ok',
  dead: 'badge-danger',
  cancelled: 'badge-off',
};

function listPath(query: URLSearchParams): string {
  const params = new URLSearchParams();
  for (const key of ['type', 'state']) {
    const value = query.get(key);
    if (value) params.set(key, value);
  }
  params.set('limit', String(pageSize));
  params.set('offset', String(offsetOf(query)));
  return `/api/v1/jobs?${params}`;
}

const isActive = (job: Job) => job.state === 'queued' || job.state === 'running';

export default function Jobs() {
  const query = useQuery();
  const list = useApi<JobPage>(listPath(query));
  const active = !!list.data?.jobs.some(isActive);
  useRefresh(list, refreshMs, active);
  return (
    <Page title={t('jobs.title')}>
      <p class="lead">{t('jobs.intro')}</p>
      <Filters key={query.toString()} query={query} />
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && <JobTable list={list} query={query} live={active} />}
    </Page>
  );
}

function Filters(props: { query: URLSearchParams }) {
  const filter = useFilterValues(props.query, ['type', 'state']);
  const submit = (e: Event) => {
    e.preventDefault();
    navigate(filteredHref('/admin/jobs', props.query, filter.values));
  };
  return (
    <form
      class="filters filters-hinted"
      role="search"
      aria-label={t('jobs.filters')}
      onSubmit={submit}
    >
      <FilterField filter={filter} name="type" label={t('jobs.type')} hint={t('jobs.type_hint')} />
      <Select
        label={t('jobs.state')}
        value={filter.values.state}
        onChange={filter.set('state')}
        name="state"
        choices={[
          { value: '', label: t('jobs.any_state') },
          ...states.map((s) => ({ value: s, label: t(stateKeys[s]) })),
        ]}
      />
      <Actions>
        <button type="submit" class="button">
          {t('jobs.apply')}
        </button>
      </Actions>
    </form>
  );
}

// A job that ended without finishing its work: its bar stays where it stopped, and says so.
const stopped = (job: Job) => job.state === 'dead' || job.state === 'cancelled';

function percent(progress: number): string {
  const share = Math.max(0, Math.min(100, progress)) / 100;
  return new Intl.NumberFormat(language.get(), { style: 'percent', maximumFractionDigits: 0 }).format(
    share,
  );
}

function JobTable(props: { list: Loaded<JobPage>; query: URLSearchParams; live: boolean }) {
  const { list, query } = props;
  const page = list.data as JobPage;
  const buttons = useActionButtons();
  const { action } = buttons;
  // The job as the server answered it after an action, shown at once (the next read follows).
  const show = (job: Job) => {
    list.replace({ ...page, jobs: page.jobs.map((j) => (j.id === job.id ? job : j)) });
    list.reload();
  };
  const cancel = async (job: Job) => {
    const after = await api<Job>('POST', `/api/v1/jobs/${job.id}/cancel`);
    show(after);
    return after.state === 'cancelled'
      ? t('jobs.cancelled', { id: job.id })
      : t('jobs.cancel_sent', { id: job.id });
  };
  const retry = async (job: Job) => {
    const after = await api<Job>('POST', `/api/v1/jobs/${job.id}/retry`);
    show(after);
    return t('jobs.retried', { id: job.id });
  };

  return (
    <>
      <Messages error={action.error} status={action.status} />
      {page.jobs.length > 0 && <p class="hint">{props.live ? t('jobs.live') : t('jobs.still')}</p>}
      <PagedTable
        label={t('jobs.list')}
        columns={[
          { label: t('jobs.id') },
          { label: t('jobs.type') },
          { label: t('jobs.state') },
          { label: t('jobs.progress') },
          { label: t('jobs.attempts') },
          { label: t('jobs.updated') },
          { label: <span class="visually-hidden">{t('common.actions')}</span> },
        ]}
        empty={t('jobs.none')}
        offset={page.offset}
        limit={page.limit}
        shown={page.jobs.length}
        total={page.total}
        base="/admin/jobs"
        query={query}
      >
        {page.jobs.map((job) => (
          <tr key={job.id}>
            <th scope="row" class="mono">
              {job.id}
            </th>
            <td>
              <span class="mono job-type">{job.type}</span>
              <span class="subtle">{t('jobs.queue', { queue: job.queue })}</span>
            </td>
            <td>
              <span class={`badge ${stateBadges[job.state] ?? 'badge-off'}`}>
                {stateKeys[job.state] ? t(stateKeys[job.state]) : job.state}
              </span>
              {job.cancel_requested && isActive(job) && (
                <span class="subtle">{t('jobs.cancel_requested')}</span>
              )}
            </td>
            <td class="progress-cell">
              <div class={stopped(job) ? 'progress-row progress-stopped' : 'progress-row'}>
                <progress
                  max={100}
                  value={job.progress}
                  aria-label={t('jobs.progress_of', { id: job.id })}
                />
                <span class="progress-figure">
                  {stopped(job)
                    ? t('jobs.stopped_at', { percent: percent(job.progress) })
                    : percent(job.progress)}
                </span>
              </div>
              {job.progress_message && <span class="subtle">{job.progress_message}</span>}
              {job.last_error && (
                <span class={job.state === 'cancelled' ? 'job-error job-stop' : 'job-error'}>
                  {t(job.state === 'cancelled' ? 'jobs.stop_reason' : 'jobs.last_error')}{' '}
                  <span class="mono">{job.last_error}</span>
                </span>
              )}
            </td>
            <td>
              {t('jobs.attempts_of', {
                attempts: formatNumber(job.attempts),
                max: formatNumber(job.max_attempts),
              })}
            </td>
            <td>
              <time dateTime={job.updated_at}>{formatDateTime(job.updated_at)}</time>
              {job.state === 'queued' && Date.parse(job.run_at) > Date.now() && (
                <span class="subtle">{t('jobs.runs_at', { at: formatDateTime(job.run_at) })}</span>
              )}
            </td>
            <td>
              {isActive(job) && !job.cancel_requested && (
                <ActionButton
                  buttons={buttons}
                  label={t('jobs.cancel')}
                  name={t('jobs.cancel_named', { id: job.id })}
                  small
                  danger
                  work={() => cancel(job)}
                />
              )}
              {job.state === 'dead' && (
                <ActionButton
                  buttons={buttons}
                  label={t('jobs.retry')}
                  name={t('jobs.retry_named', { id: job.id })}
                  small
                  work={() => retry(job)}
                />
              )}
            </td>
          </tr>
        ))}
      </PagedTable>
    </>
  );
}
