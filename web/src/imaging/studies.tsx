// The study list: search by patient name or ID, study dates, modality and accession number, a
// page at a time (GET /api/v1/dicom/studies with limit and offset). The filters and the page live
// in the address, so Back, reload and a shared link show the same list.
import { Actions, Select } from '../components/fields';
import { FilterField, filteredHref, useFilterValues } from '../components/filter-values';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { PagedTable } from '../components/paged-table';
import { offsetOf } from '../components/pager';
import { useApi } from '../hooks';
import { formatBytes, formatNumber, t } from '../i18n';
import { navigate, useQuery } from '../router';
import { dicomDate, instanceCount, modalitiesOf, personName, type StudyPage } from './model';
import './messages';

const pageSize = 25;
const filterKeys = ['patient_name', 'patient_id', 'from', 'to', 'modality', 'accession_number'] as const;
const modalities = ['CT', 'MR', 'CR', 'DX', 'US', 'MG', 'PT', 'NM', 'XA', 'RF', 'OT'];

// The API's query from the address: the text filters as they are, the two dates as one range.
export function studiesApiPath(query: URLSearchParams, offset: number): string {
  const params = new URLSearchParams();
  for (const key of ['patient_name', 'patient_id', 'modality', 'accession_number']) {
    const value = query.get(key)?.trim();
    if (value) params.set(key, value);
  }
  const from = (query.get('from') ?? '').replace(/-/g, '');
  const to = (query.get('to') ?? '').replace(/-/g, '');
  if (from || to) params.set('study_date', from === to ? from : `${from}-${to}`);
  params.set('limit', String(pageSize));
  params.set('offset', String(offset));
  return `/api/v1/dicom/studies?${params}`;
}

export default function Studies() {
  const query = useQuery();
  const offset = offsetOf(query);
  const list = useApi<StudyPage>(studiesApiPath(query, offset));
  return (
    <Page title={t('imaging.studies_title')}>
      <p class="lead">
        {t('imaging.studies_intro')} <a href="/imaging/upload">{t('imaging.upload_link')}</a>
      </p>
      <Filters key={query.toString()} query={query} />
      {query.get('deleted') && (
        <Messages status={t('imaging.deleted', { instances: instanceCount(Number(query.get('deleted'))) })} />
      )}
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && <StudyTable page={list.data} query={query} offset={offset} />}
    </Page>
  );
}

function Filters(props: { query: URLSearchParams }) {
  const { query } = props;
  const filter = useFilterValues(query, filterKeys);
  const submit = (e: Event) => {
    e.preventDefault();
    navigate(filteredHref('/imaging/studies', query, { ...filter.values, deleted: '' }));
  };
  return (
    <form class="panel form-grid" role="search" aria-label={t('imaging.search_label')} onSubmit={submit}>
      <FilterField
        filter={filter}
        name="patient_name"
        label={t('imaging.patient_name')}
        hint={t('imaging.patient_name_hint')}
      />
      <FilterField filter={filter} name="patient_id" label={t('imaging.patient_id')} />
      <FilterField filter={filter} name="from" type="date" label={t('imaging.date_from')} />
      <FilterField filter={filter} name="to" type="date" label={t('imaging.date_to')} />
      <Select
        label={t('imaging.modality')}
        value={filter.values.modality}
        onChange={filter.set('modality')}
        choices={[
          { value: '', label: t('imaging.any_modality') },
          ...modalities.map((m) => ({ value: m, label: m })),
        ]}
      />
      <FilterField filter={filter} name="accession_number" label={t('imaging.accession')} />
      <div class="form-wide">
        <Actions>
          <button type="submit" class="button button-primary">
            {t('imaging.search')}
          </button>
          <button type="button" class="button" onClick={() => navigate('/imaging/studies')}>
            {t('imaging.clear')}
          </button>
        </Actions>
      </div>
    </form>
  );
}

function StudyTable(props: { page: StudyPage; query: URLSearchParams; offset: number }) {
  const rows = props.page.studies;
  return (
    <PagedTable
      label={t('imaging.studies_list')}
      columns={[
        { label: t('imaging.col_patient') },
        { label: t('imaging.patient_id') },
        { label: t('imaging.col_date') },
        { label: t('imaging.col_description') },
        { label: t('imaging.col_modalities') },
        { label: t('imaging.accession') },
        { label: t('imaging.col_series'), numeric: true },
        { label: t('imaging.col_instances'), numeric: true },
        { label: t('imaging.col_size'), numeric: true },
      ]}
      empty={t('imaging.studies_none')}
      offset={props.offset}
      limit={pageSize}
      shown={rows.length}
      base="/imaging/studies"
      query={props.query}
    >
      {rows.map((s) => (
        <tr key={s.study_instance_uid}>
          <th scope="row">
            <a href={`/imaging/studies/${encodeURIComponent(s.study_instance_uid)}`}>
              {personName(s.patient_name) || t('imaging.no_name')}
            </a>
          </th>
          <td>{s.patient_id}</td>
          <td>{dicomDate(s.study_date)}</td>
          <td>{s.study_description}</td>
          <td>{modalitiesOf(s)}</td>
          <td>{s.accession_number}</td>
          <td class="number">{formatNumber(s.series_count)}</td>
          <td class="number">{formatNumber(s.instance_count)}</td>
          <td class="number">{formatBytes(s.size_bytes)}</td>
        </tr>
      ))}
    </PagedTable>
  );
}
