// Every import, by anyone, newest first (GET /api/v1/imports), a page at a time (?offset= in the
// address): state, who, when, the file's size and the counts. Read again every second while one
// of the listed imports is queued or running.
import { useEffect } from 'preact/hooks';
import { Messages } from '../components/messages';
import { hrefWith, offsetOf, Pager } from '../components/pager';
import { DataTable } from '../components/table-box';
import { useApi, useRefresh } from '../hooks';
import { formatDateTime, t } from '../i18n';
import { Who } from './common';
import { percent, StateBadge } from './import-job';
import { count, formatBytes, type ImportJob, isFinished } from './model';

const pageSize = 10;
const refreshMs = 1_000;

interface ImportPage {
  imports: ImportJob[];
  total?: number;
}

export function ImportHistory(props: { query: URLSearchParams; finished: number }) {
  const { query } = props;
  const offset = offsetOf(query);
  const list = useApi<ImportPage>(`/api/v1/imports?limit=${pageSize}&offset=${offset}`);
  // An import that just ended (on this page) is read again at once.
  useEffect(() => {
    if (props.finished) list.reload();
  }, [props.finished]);
  const active = !!list.data?.imports.some((j) => !isFinished(j.state));
  useRefresh(list, refreshMs, active);
  const page = list.data;
  return (
    <section aria-labelledby="import-history">
      <h2 id="import-history">{t('empi.imports')}</h2>
      {list.error && <Messages error={list.error} />}
      {page && page.imports.length === 0 && <p class="empty">{t('empi.imports_none')}</p>}
      {page && page.imports.length > 0 && (
        <>
          <DataTable
            label={t('empi.imports')}
            compact
            columns={[
              { label: t('empi.import') },
              { label: t('jobs.state') },
              { label: t('empi.who') },
              { label: t('empi.when') },
              { label: t('empi.file_size'), numeric: true },
              { label: t('empi.result_rows'), numeric: true },
              { label: t('empi.result_stored'), numeric: true },
              { label: t('empi.result_already'), numeric: true },
              { label: t('empi.result_bad'), numeric: true },
            ]}
          >
            {page.imports.map((job) => (
              <tr key={job.id}>
                <th scope="row" class="nowrap">
                  <a
                    href={hrefWith('/empi/import', query, { job: String(job.id) })}
                    aria-label={t('empi.import_open', { id: job.id })}
                  >
                    {t('empi.import_n', { id: job.id })}
                  </a>
                </th>
                <td>
                  <StateBadge state={job.state} />
                  {!isFinished(job.state) && <span class="subtle">{percent(job.progress)}</span>}
                </td>
                <td>
                  <Who subject={job.actor ?? job.created_by} name={job.actor_name} />
                </td>
                <td>
                  <time dateTime={job.created_at}>{formatDateTime(job.created_at)}</time>
                </td>
                <td class="number">{job.bytes === undefined ? '' : formatBytes(job.bytes)}</td>
                <td class="number">{count(job.result?.rows)}</td>
                <td class="number">{count(job.result?.records_stored)}</td>
                <td class="number">{count(job.result?.records_already_stored)}</td>
                <td class="number">{count(job.result?.bad_rows)}</td>
              </tr>
            ))}
          </DataTable>
          <Pager
            offset={offset}
            limit={pageSize}
            shown={page.imports.length}
            total={page.total ?? offset + page.imports.length}
            base="/empi/import"
            query={query}
          />
        </>
      )}
    </section>
  );
}
