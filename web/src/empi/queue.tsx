// The match queue: open potential matches, filtered by name, birth date, data source and
// probability, sorted by probability, a page at a time. One call per page or filter change
// (GET /api/v1/potential-matches answers each row whole, and `total` for the pager). The filters
// live in the address, so a reload or a shared link shows the same queue, and each row's link
// carries them to the review screen.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Select } from '../components/fields';
import {
  FilterField,
  filteredHref,
  type FilterValues,
  useFilterValues,
} from '../components/filter-values';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { PagedTable } from '../components/paged-table';
import { offsetOf } from '../components/pager';
import { useApi } from '../hooks';
import { t } from '../i18n';
import { navigate, useQuery } from '../router';
import { Value } from './common';
import { FilterActions, RecordFilterFields } from './filters';
import { count, formatProbability, fullName, type PotentialMatchRow } from './model';
import { queueApiQuery, queueFilterKeys, sortOf } from './queue-query';
import './messages'; // this workspace's words, before any screen renders

const pageSize = 25;

type QueueFilterKey = (typeof queueFilterKeys)[number];

interface QueuePage {
  potential_matches: PotentialMatchRow[];
  total?: number;
}

export default function Queue() {
  const query = useQuery();
  const offset = offsetOf(query);
  const list = useApi<QueuePage>(
    `/api/v1/potential-matches?${queueApiQuery(query, offset, pageSize)}`,
  );
  // For the benchmark (bench/web): the first page of the queue is on the screen.
  const marked = useRef(false);
  useEffect(() => {
    if (!list.data || marked.current) return;
    marked.current = true;
    performance.mark('carehub:queue-interactive');
  }, [list.data]);
  return (
    <Page title={t('empi.queue_title')}>
      <p class="lead">{t('empi.queue_intro')}</p>
      <Filters key={query.toString()} query={query} />
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && <QueueTable page={list.data} query={query} offset={offset} />}
    </Page>
  );
}

// A probability typed as 0..1; '' when empty, null when it is not one.
function probability(text: string): number | '' | null {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const n = Number(trimmed);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
}

function Filters(props: { query: URLSearchParams }) {
  const { query } = props;
  const filter = useFilterValues(query, queueFilterKeys);
  const { values } = filter;
  const [sort, setSort] = useState<string>(sortOf(query));
  const [error, setError] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const low = probability(values.min_match_probability);
    const high = probability(values.max_match_probability);
    if (low === null || high === null) {
      setError(t('empi.probability_range'));
      return;
    }
    if (low !== '' && high !== '' && low > high) {
      setError(t('empi.probability_order'));
      return;
    }
    setError('');
    navigate(
      filteredHref('/empi/matches', query, {
        ...values,
        sort: sort === 'probability_desc' ? '' : sort,
      }),
    );
  };
  return (
    <form
      class="panel form-grid queue-filters"
      role="search"
      aria-label={t('empi.queue_filters')}
      onSubmit={submit}
    >
      <RecordFilterFields filter={filter} />
      <ProbabilityField
        filter={filter}
        name="min_match_probability"
        label={t('empi.min_probability')}
      />
      <ProbabilityField
        filter={filter}
        name="max_match_probability"
        label={t('empi.max_probability_filter')}
      />
      <Select
        label={t('empi.sort')}
        value={sort}
        onChange={setSort}
        choices={[
          { value: 'probability_desc', label: t('empi.sort_desc') },
          { value: 'probability_asc', label: t('empi.sort_asc') },
        ]}
      />
      <FilterActions submit={t('empi.apply')} clearTo="/empi/matches">
        <Messages error={error} />
      </FilterActions>
    </form>
  );
}

function ProbabilityField(props: {
  filter: FilterValues<QueueFilterKey>;
  name: QueueFilterKey;
  label: string;
}) {
  return (
    <FilterField
      {...props}
      type="number"
      min="0"
      max="1"
      step="any"
      hint={t('empi.probability_hint')}
    />
  );
}

function QueueTable(props: { page: QueuePage; query: URLSearchParams; offset: number }) {
  const { page, query, offset } = props;
  const rows = page.potential_matches;
  const search = query.toString();
  const suffix = search ? `?${search}` : ''; // the review carries the queue's filters
  return (
    <PagedTable
      label={t('empi.queue_list')}
      columns={[
        { label: t('empi.name') },
        { label: t('empi.col_birth_date') },
        { label: t('empi.data_sources') },
        { label: t('empi.persons_count'), numeric: true },
        { label: t('empi.records_count'), numeric: true },
        { label: t('empi.max_probability'), numeric: true },
      ]}
      empty={t('empi.queue_none')}
      offset={offset}
      limit={pageSize}
      shown={rows.length}
      total={page.total}
      base="/empi/matches"
      query={query}
    >
      {rows.map((m) => {
        const name = fullName(m.first_name, m.last_name) || t('empi.no_name');
        return (
          <tr key={m.id}>
            <th scope="row">
              <a
                href={`/empi/matches/${encodeURIComponent(m.id)}${suffix}`}
                aria-label={t('empi.review_named', { name, id: m.id })}
              >
                {name}
              </a>
            </th>
            <td>
              <Value value={m.birth_date} />
            </td>
            <td>{m.data_sources.join(', ')}</td>
            <td class="number">{count(m.person_count)}</td>
            <td class="number">{count(m.record_count)}</td>
            <td class="number">{formatProbability(m.max_match_probability)}</td>
          </tr>
        );
      })}
    </PagedTable>
  );
}
