// The admin's tracing overview (GET /api/v1/tracing/overview): people per state and exposures per
// day over the retention window. Counts only: the API answers no name, id or token.
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useApi } from '../hooks';
import { formatNumber, language, t } from '../i18n';
import type { Overview as OverviewAnswer } from './model';

function dayLabel(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  const format = new Intl.DateTimeFormat(language.get(), { dateStyle: 'medium', timeZone: 'UTC' });
  return format.format(date);
}

export default function Overview() {
  const overview = useApi<OverviewAnswer>('/api/v1/tracing/overview');
  const o = overview.data;
  return (
    <Page title={t('tracing.overview_title')}>
      {overview.error && <Messages error={overview.error} />}
      {overview.loading && !o && <Loading />}
      {o && (
        <>
          <p class="lead">{t('tracing.overview_intro', { days: o.retention_days })}</p>
          <section class="tracing-section" aria-labelledby="tracing-per-state">
            <h2 id="tracing-per-state">{t('tracing.users_per_state')}</h2>
            <DataTable
              label={t('tracing.users_per_state')}
              columns={[{ label: t('tracing.col_status') }, { label: t('tracing.col_users'), numeric: true }]}
            >
              {o.users_per_state.map((s) => (
                <tr key={s.status_id}>
                  <th scope="row">{s.status}</th>
                  <td class="number">{formatNumber(s.users)}</td>
                </tr>
              ))}
              {o.users_in_unknown_state > 0 && (
                <tr>
                  <th scope="row">{t('tracing.unknown_states')}</th>
                  <td class="number">{formatNumber(o.users_in_unknown_state)}</td>
                </tr>
              )}
            </DataTable>
          </section>
          <section class="tracing-section" aria-labelledby="tracing-per-day">
            <h2 id="tracing-per-day">{t('tracing.exposures_per_day')}</h2>
            <p>
              {t('tracing.exposures_total', {
                count: formatNumber(o.exposures_per_day.reduce((n, d) => n + d.exposures, 0)),
              })}
            </p>
            <DataTable
              label={t('tracing.exposures_per_day')}
              compact
              columns={[{ label: t('tracing.col_day') }, { label: t('tracing.col_exposures'), numeric: true }]}
            >
              {[...o.exposures_per_day].reverse().map((d) => (
                <tr key={d.day} data-day={d.day}>
                  <th scope="row">{dayLabel(d.day)}</th>
                  <td class="number">{formatNumber(d.exposures)}</td>
                </tr>
              ))}
            </DataTable>
          </section>
        </>
      )}
    </Page>
  );
}
