// One import job: its progress bar, read again every 500 ms until it succeeded, died or was
// cancelled; then its result: rows, records stored, rows already stored, and the bad rows with
// their line numbers and what is wrong with them.
import { useEffect } from 'preact/hooks';
import { Messages } from '../components/messages';
import { DataTable } from '../components/table-box';
import { useApi, useRefresh } from '../hooks';
import { formatNumber, language, t, type MessageKey } from '../i18n';
import { forgetDataSources } from './common';
import { type ImportJob, type ImportResult, isFinished, type JobState } from './model';

const pollMs = 500;

export const stateKeys: Record<JobState, MessageKey> = {
  queued: 'jobs.state_queued',
  running: 'jobs.state_running',
  succeeded: 'jobs.state_succeeded',
  dead: 'jobs.state_dead',
  cancelled: 'jobs.state_cancelled',
};

export const stateBadges: Record<JobState, string> = {
  queued: 'badge-info',
  running: 'badge-busy',
  succeeded: 'badge-ok',
  dead: 'badge-danger',
  cancelled: 'badge-off',
};

export function StateBadge(props: { state: JobState }) {
  const key = stateKeys[props.state];
  return (
    <span class={`badge ${stateBadges[props.state] ?? 'badge-off'}`}>
      {key ? t(key) : props.state}
    </span>
  );
}

export function percent(progress: number): string {
  const share = Math.max(0, Math.min(100, progress)) / 100;
  const format = new Intl.NumberFormat(language.get(), {
    style: 'percent',
    maximumFractionDigits: 0,
  });
  return format.format(share);
}

export function ImportJobView(props: { id: string; onFinished(): void }) {
  const loaded = useApi<ImportJob>(`/api/v1/jobs/${encodeURIComponent(props.id)}`);
  const job = loaded.data;
  const done = !!job && isFinished(job.state);
  useRefresh(loaded, pollMs, !!job && !done);
  useEffect(() => {
    if (!done) return;
    forgetDataSources(); // the import may have brought a new data source
    props.onFinished();
  }, [done]);
  return (
    <section class="panel" aria-labelledby="import-current">
      <h2 id="import-current">{t('empi.import_job', { id: props.id })}</h2>
      {loaded.error && <Messages error={loaded.error} />}
      {job && (
        <>
          <div class="job-head">
            <StateBadge state={job.state} />
            {job.progress_message && <span class="subtle">{job.progress_message}</span>}
          </div>
          <div class="progress-row">
            <progress max={100} value={job.progress} aria-label={t('empi.import_progress')} />
            <span class="progress-figure">{percent(job.progress)}</span>
          </div>
          {job.state === 'dead' && (
            <p role="alert" class="message message-error">
              {t('empi.import_failed')} {job.last_error}
            </p>
          )}
          {job.state === 'succeeded' && job.result && <ImportResultView result={job.result} />}
        </>
      )}
    </section>
  );
}

function ImportResultView(props: { result: ImportResult }) {
  const r = props.result;
  const facts: Array<[MessageKey, number | undefined]> = [
    ['empi.result_rows', r.rows],
    ['empi.result_stored', r.records_stored],
    ['empi.result_already', r.records_already_stored],
    ['empi.result_bad', r.bad_rows],
    ['empi.result_persons_created', r.matching?.persons_created],
    ['empi.result_auto_matched', r.matching?.auto_matched_pairs],
    ['empi.result_potential', r.matching?.potential_matches],
  ];
  return (
    <div class="import-result">
      <h3>{t('empi.result')}</h3>
      <dl class="facts">
        {facts
          .filter(([, n]) => n !== undefined)
          .map(([key, n]) => (
            <div key={key}>
              <dt>{t(key)}</dt>
              <dd>{formatNumber(n as number)}</dd>
            </div>
          ))}
      </dl>
      {r.errors.length > 0 && (
        <>
          <h4>{t('empi.bad_rows')}</h4>
          <DataTable
            label={t('empi.bad_rows')}
            compact
            columns={[{ label: t('empi.line'), numeric: true }, { label: t('empi.problem') }]}
          >
            {r.errors.map((e) => (
              <tr key={e.line}>
                <th scope="row" class="number">
                  {formatNumber(e.line)}
                </th>
                <td>{e.error}</td>
              </tr>
            ))}
          </DataTable>
          {r.errors_truncated && (
            <p class="hint">
              {t('empi.errors_truncated', {
                shown: formatNumber(r.errors.length),
                total: formatNumber(r.bad_rows),
              })}
            </p>
          )}
        </>
      )}
    </div>
  );
}
