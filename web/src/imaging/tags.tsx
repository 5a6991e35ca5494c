// An instance's DICOM tags (its metadata from the index, DICOM JSON) in a table that a filter
// narrows: by tag number, keyword or value. Sequences show their item count; bulk data (pixel
// data, large binary values) is not fetched.
import { useState } from 'preact/hooks';
import { Field } from '../components/fields';
import { DataTable } from '../components/table-box';
import { formatNumber, t } from '../i18n';
import type { DicomElement, DicomJson } from './model';

// Keywords of the tags a reader looks for most (PS3.6); others show their number only.
const keywords: Record<string, string> = {
  '00020010': 'TransferSyntaxUID',
  '00080008': 'ImageType',
  '00080016': 'SOPClassUID',
  '00080018': 'SOPInstanceUID',
  '00080020': 'StudyDate',
  '00080021': 'SeriesDate',
  '00080030': 'StudyTime',
  '00080050': 'AccessionNumber',
  '00080060': 'Modality',
  '00080070': 'Manufacturer',
  '00080080': 'InstitutionName',
  '00080090': 'ReferringPhysicianName',
  '00081030': 'StudyDescription',
  '0008103E': 'SeriesDescription',
  '00081090': 'ManufacturerModelName',
  '00100010': 'PatientName',
  '00100020': 'PatientID',
  '00100021': 'IssuerOfPatientID',
  '00100030': 'PatientBirthDate',
  '00100040': 'PatientSex',
  '00101010': 'PatientAge',
  '00180050': 'SliceThickness',
  '00180060': 'KVP',
  '00185100': 'PatientPosition',
  '0020000D': 'StudyInstanceUID',
  '0020000E': 'SeriesInstanceUID',
  '00200010': 'StudyID',
  '00200011': 'SeriesNumber',
  '00200013': 'InstanceNumber',
  '00200032': 'ImagePositionPatient',
  '00200037': 'ImageOrientationPatient',
  '00201041': 'SliceLocation',
  '00280002': 'SamplesPerPixel',
  '00280004': 'PhotometricInterpretation',
  '00280008': 'NumberOfFrames',
  '00280010': 'Rows',
  '00280011': 'Columns',
  '00280030': 'PixelSpacing',
  '00280100': 'BitsAllocated',
  '00280101': 'BitsStored',
  '00280102': 'HighBit',
  '00280103': 'PixelRepresentation',
  '00281050': 'WindowCenter',
  '00281051': 'WindowWidth',
  '00281052': 'RescaleIntercept',
  '00281053': 'RescaleSlope',
  '7FE00010': 'PixelData',
};

interface TagRow {
  tag: string; // (gggg,eeee)
  keyword: string;
  vr: string;
  value: string;
}

function valueText(e: DicomElement): string {
  if (e.BulkDataURI !== undefined || e.InlineBinary !== undefined) return t('imaging.bulk');
  const values = e.Value ?? [];
  if (e.vr === 'SQ') return t('imaging.items', { count: formatNumber(values.length) });
  return values
    .map((v) => {
      if (v && typeof v === 'object') return (v as { Alphabetic?: string }).Alphabetic ?? '';
      return String(v);
    })
    .join('\\');
}

export function rowsOf(ds: DicomJson): TagRow[] {
  return Object.keys(ds)
    .sort()
    .map((key) => ({
      tag: `(${key.slice(0, 4)},${key.slice(4)})`,
      keyword: keywords[key.toUpperCase()] ?? '',
      vr: ds[key].vr,
      value: valueText(ds[key]),
    }));
}

export function TagBrowser(props: { dataset: DicomJson }) {
  const [filter, setFilter] = useState('');
  const wanted = filter.trim().toLowerCase();
  const rows = rowsOf(props.dataset).filter(
    (r) =>
      !wanted ||
      r.tag.toLowerCase().includes(wanted) ||
      r.tag.replace(/[(),]/g, '').toLowerCase().includes(wanted) ||
      r.keyword.toLowerCase().includes(wanted) ||
      r.value.toLowerCase().includes(wanted),
  );
  return (
    <section class="panel" aria-labelledby="viewer-tags">
      <h2 id="viewer-tags">{t('imaging.tags_title')}</h2>
      <Field
        label={t('imaging.tags_filter')}
        type="search"
        value={filter}
        onInput={setFilter}
        hint={t('imaging.tags_filter_hint')}
      />
      {rows.length === 0 ? (
        <p role="status" class="empty">
          {t('imaging.tags_none')}
        </p>
      ) : (
        <div class="tag-scroll" role="region" aria-label={t('imaging.tags_table')} tabIndex={0}>
        <DataTable
          label={t('imaging.tags_table')}
          compact
          columns={[
            { label: t('imaging.tag') },
            { label: t('imaging.keyword') },
            { label: t('imaging.vr') },
            { label: t('imaging.value') },
          ]}
        >
          {rows.map((r) => (
            <tr key={r.tag}>
              <th scope="row" class="mono">
                {r.tag}
              </th>
              <td>{r.keyword}</td>
              <td class="mono">{r.vr}</td>
              <td class="tag-value">{r.value}</td>
            </tr>
          ))}
        </DataTable>
        </div>
      )}
    </section>
  );
}
