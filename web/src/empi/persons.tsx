// Persons of the patient index: search by name, birth date, source person id, data source or
// person id, a page at a time (the filters and page live in the address), each row a link to the
// person. The crosswalk download is here too: every record with the person it belongs to.
import { FilterField, filteredHref, useFilterValues } from '../components/filter-values';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { PagedTable } from '../components/paged-table';
import { offsetOf } from '../components/pager';
import { useApi } from '../hooks';
import { t } from '../i18n';
import { navigate, useQuery } from '../router';
import { CrosswalkButton, Value } from './common';
import { pageQuery, recordFilterKeys } from './filter-query';
import { FilterActions, RecordFilterFields } from './filters';
import { count, fullName, type PersonRow } from './model';
import './messages'; // this workspace's words, before any screen renders

const pageSize = 25;
const filterKeys = [...recordFilterKeys, 'source_person_id', 'person_id'] as const;

interface PersonPage {
  persons: PersonRow[];
  total?: number;
}

function listPath(query: URLSearchParams, offset: number): string {
  return `/api/v1/persons?${pageQuery(query, filterKeys, offset, pageSize)}`;
}

export default function Persons() {
  const query = useQuery();
  const offset = offsetOf(query);
  const list = useApi<PersonPage>(listPath(query, offset));
  return (
    <Page title={t('empi.persons_title')}>
      <p class="lead">{t('empi.persons_intro')}</p>
      <Filters key={query.toString()} query={query} />
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && <PersonTable page={list.data} query={query} offset={offset} />}
      <section class="panel" aria-labelledby="crosswalk-title">
        <h2 id="crosswalk-title">{t('empi.crosswalk_title')}</h2>
        <CrosswalkButton />
      </section>
    </Page>
  );
}

function Filters(props: { query: URLSearchParams }) {
  const { query } = props;
  const filter = useFilterValues(query, filterKeys);
  const submit = (e: Event) => {
    e.preventDefault();
    navigate(filteredHref('/empi/persons', query, filter.values));
  };
  return (
    <form
      class="panel form-grid"
      role="search"
      aria-label={t('empi.persons_search')}
      onSubmit={submit}
    >
      <RecordFilterFields filter={filter} />
      <FilterField filter={filter} name="source_person_id" label={t('empi.col_source_person_id')} />
      <FilterField filter={filter} name="person_id" label={t('empi.person_id')} />
      <FilterActions submit={t('empi.search')} clearTo="/empi/persons" />
    </form>
  );
}

function PersonTable(props: { page: PersonPage; query: URLSearchParams; offset: number }) {
  const { page, query, offset } = props;
  const rows = page.persons;
  return (
    <PagedTable
      label={t('empi.persons_list')}
      columns={[
        { label: t('empi.name') },
        { label: t('empi.col_birth_date') },
        { label: t('empi.data_sources') },
        { label: t('empi.records_count'), numeric: true },
        { label: t('empi.person_id') },
      ]}
      empty={t('empi.persons_none')}
      offset={offset}
      limit={pageSize}
      shown={rows.length}
      total={page.total}
      base="/empi/persons"
      query={query}
    >
      {rows.map((p) => (
        <tr key={p.id}>
          <th scope="row">
            <a href={`/empi/persons/${encodeURIComponent(p.id)}`}>
              {fullName(p.first_name, p.last_name) || t('empi.no_name')}
            </a>
          </th>
          <td>
            <Value value={p.birth_date} />
          </td>
          <td>{p.data_sources.join(', ')}</td>
          <td class="number">{count(p.record_count)}</td>
          <td class="mono">{p.id}</td>
        </tr>
      ))}
    </PagedTable>
  );
}
