// Administration: how the server is doing, from GET /api/v1/system/status, read again every 5 s
// while the tab is visible. The server keeps request and error counters since it started; rates
// are the difference between two readings over the time between them, over at most the last
// minute of readings kept here. One reading alone gives no rate: the page says it is measuring.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useApi, useRefresh } from '../hooks';
import { formatNumber, language, t, type MessageKey } from '../i18n';

const refreshMs = 5_000;
const windowMs = 60_000;

interface SystemStatus {
  health: string;
  readiness: { ready: boolean; reason?: string };
  version: string;
  schema_version: { current: number; latest: number } | null;
  database: 'sqlite' | 'postgres' | string;
  uptime_s: number;
  requests: { total: number; client_errors: number; server_errors: number; in_flight: number };
  jobs: Partial<Record<JobState, number>> | null;
}

const jobStates = ['queued', 'running', 'succeeded', 'dead', 'cancelled'] as const;
type JobState = (typeof jobStates)[number];

const jobStateKeys: Record<JobState, MessageKey> = {
  queued: 'jobs.state_queued',
  running: 'jobs.state_running',
  succeeded: 'jobs.state_succeeded',
  dead: 'jobs.state_dead',
  cancelled: 'jobs.state_cancelled',
};

interface Sample {
  at: number; // performance.now() when the answer arrived
  total: number;
  clientErrors: number;
  serverErrors: number;
}

interface Rates {
  seconds: number;
  requests: number; // per minute
  clientErrors: number;
  serverErrors: number;
}

// Keeps the readings of the last minute and answers the rates between the oldest and the newest.
function useRates(status: SystemStatus | null): Rates | null {
  const samples = useRef<Sample[]>([]);
  const [rates, setRates] = useState<Rates | null>(null);
  useEffect(() => {
    if (!status) return;
    const now: Sample = {
      at: performance.now(),
      total: status.requests.total,
      clientErrors: status.requests.client_errors,
      serverErrors: status.requests.server_errors,
    };
    const last = samples.current[samples.current.length - 1];
    // Counters that went down: the server restarted, and older readings mean nothing now.
    const restarted = last && (now.total < last.total || now.clientErrors < last.clientErrors);
    const kept = restarted ? [] : samples.current.filter((s) => now.at - s.at <= windowMs + 1_000);
    samples.current = [...kept, now];
    const first = samples.current[0];
    const seconds = (now.at - first.at) / 1000;
    if (samples.current.length < 2 || seconds <= 0) {
      setRates(null);
      return;
    }
    const perMinute = (delta: number) => (delta / seconds) * 60;
    setRates({
      seconds,
      requests: perMinute(now.total - first.total),
      clientErrors: perMinute(now.clientErrors - first.clientErrors),
      serverErrors: perMinute(now.serverErrors - first.serverErrors),
    });
  }, [status]);
  return rates;
}

function unit(value: number, name: string): string {
  const format = new Intl.NumberFormat(language.get(), {
    style: 'unit',
    unit: name,
    unitDisplay: 'long',
  });
  return format.format(value);
}

// "3 days, 4 hours, 12 minutes"; under a minute, the seconds.
function formatUptime(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < 60) return unit(s, 'second');
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  const minutes = Math.floor((s % 3_600) / 60);
  const parts: string[] = [];
  if (days > 0) parts.push(unit(days, 'day'));
  if (days > 0 || hours > 0) parts.push(unit(hours, 'hour'));
  parts.push(unit(minutes, 'minute'));
  return parts.join(', ');
}

function formatRate(perMinute: number): string {
  const n = new Intl.NumberFormat(language.get(), { maximumFractionDigits: 1 }).format(perMinute);
  return t('system.per_minute', { n });
}

function formatClock(at: Date): string {
  return new Intl.DateTimeFormat(language.get(), { timeStyle: 'medium' }).format(at);
}

export default function Status() {
  const status = useApi<SystemStatus>('/api/v1/system/status');
  useRefresh(status, refreshMs, true);
  const rates = useRates(status.data);
  const [updated, setUpdated] = useState<Date | null>(null);
  useEffect(() => {
    if (status.data) setUpdated(new Date());
  }, [status.data]);
  const data = status.data;
  return (
    <Page title={t('system.title')}>
      <p class="lead">
        {t('system.intro')}
        {updated && <> {t('system.updated', { time: formatClock(updated) })}</>}
      </p>
      <Messages error={status.error} />
      {status.loading && !data && <Loading />}
      {data && (
        <>
          <Server status={data} />
          <Requests status={data} rates={rates} />
          <JobCounts jobs={data.jobs} />
        </>
      )}
    </Page>
  );
}

function Fact(props: { label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </div>
  );
}

function Server(props: { status: SystemStatus }) {
  const { status } = props;
  const schema = status.schema_version;
  return (
    <section class="panel" aria-labelledby="status-server">
      <h2 id="status-server">{t('system.server')}</h2>
      <dl class="facts">
        <Fact label={t('system.health')}>
          <span class={`badge ${status.health === 'ok' ? 'badge-ok' : 'badge-danger'}`}>
            {status.health === 'ok' ? t('system.health_ok') : status.health}
          </span>
        </Fact>
        <Fact label={t('system.readiness')}>
          {status.readiness.ready ? (
            <span class="badge badge-ok">{t('system.ready')}</span>
          ) : (
            <>
              <span class="badge badge-danger">{t('system.not_ready')}</span>{' '}
              {status.readiness.reason}
            </>
          )}
        </Fact>
        <Fact label={t('system.version')}>
          <span class="mono">{status.version}</span>
        </Fact>
        <Fact label={t('system.schema')}>
          {!schema
            ? t('system.schema_unknown')
            : schema.current === schema.latest
              ? t('system.schema_latest', { current: schema.current })
              : t('system.schema_behind', { current: schema.current, latest: schema.latest })}
        </Fact>
        <Fact label={t('system.database')}>
          {status.database === 'postgres'
            ? 'PostgreSQL'
            : status.database === 'sqlite'
              ? 'SQLite'
              : status.database}
        </Fact>
        <Fact label={t('system.uptime')}>{formatUptime(status.uptime_s)}</Fact>
      </dl>
    </section>
  );
}

function Requests(props: { status: SystemStatus; rates: Rates | null }) {
  const { requests } = props.status;
  const { rates } = props;
  const rows: Array<[string, number, number | undefined]> = [
    [t('system.requests_all'), requests.total, rates?.requests],
    [t('system.client_errors'), requests.client_errors, rates?.clientErrors],
    [t('system.server_errors'), requests.server_errors, rates?.serverErrors],
  ];
  return (
    <section class="panel" aria-labelledby="status-requests">
      <h2 id="status-requests">{t('system.requests')}</h2>
      <p class="hint">
        {rates
          ? t('system.measured', { seconds: Math.round(rates.seconds) })
          : t('system.measuring', { seconds: refreshMs / 1000 })}
      </p>
      <DataTable
        label={t('system.requests_table')}
        columns={[
          { label: <span class="visually-hidden">{t('system.kind')}</span> },
          { label: t('system.rate') },
          { label: t('system.since_start') },
        ]}
      >
        {rows.map(([label, total, rate]) => (
          <tr key={label}>
            <th scope="row">{label}</th>
            <td>{rate === undefined ? t('system.rate_pending') : formatRate(rate)}</td>
            <td>{formatNumber(total)}</td>
          </tr>
        ))}
      </DataTable>
      <p class="hint">
        {t('system.in_flight', { n: formatNumber(requests.in_flight) })} {t('system.own_requests')}
      </p>
    </section>
  );
}

function JobCounts(props: { jobs: SystemStatus['jobs'] }) {
  const { jobs } = props;
  return (
    <section class="panel" aria-labelledby="status-jobs">
      <h2 id="status-jobs">{t('system.jobs')}</h2>
      {jobs === null ? (
        <p>{t('system.jobs_unknown')}</p>
      ) : (
        <dl class="facts">
          {jobStates.map((state) => (
            <Fact key={state} label={t(jobStateKeys[state])}>
              <a
                href={`/admin/jobs?state=${state}`}
                aria-label={t('system.jobs_link', {
                  state: t(jobStateKeys[state]),
                  n: formatNumber(jobs[state] ?? 0),
                })}
              >
                {formatNumber(jobs[state] ?? 0)}
              </a>
            </Fact>
          ))}
        </dl>
      )}
    </section>
  );
}
