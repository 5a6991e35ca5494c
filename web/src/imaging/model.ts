// The dicom module's answers as the imaging screens read them (GET /api/v1/dicom/studies, QIDO-RS
// and metadata in DICOM JSON), the paths the screens call, and small pure helpers.
import { api, download } from '../api';
import { formatNumber, t } from '../i18n';

// One row of GET /api/v1/dicom/studies.
export interface StudyRow {
  study_instance_uid: string;
  patient_id: string;
  patient_name: string;
  patient_birth_date: string;
  patient_sex: string;
  study_date: string;
  study_time: string;
  accession_number: string;
  study_description: string;
  referring_physician_name: string;
  modalities: string[] | string;
  series_count: number;
  instance_count: number;
  size_bytes: number;
  created_at: string;
  updated_at: string;
}

export interface StudyPage {
  studies: StudyRow[];
  limit: number;
  offset: number;
}

// A DICOM JSON data set (PS3.18 F.2): tag "GGGGEEEE" -> {vr, Value | BulkDataURI | InlineBinary}.
export interface DicomElement {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}
export type DicomJson = Record<string, DicomElement>;

// The first value of a tag as text ('' when absent); a person name as its alphabetic form.
export function text(ds: DicomJson | undefined, tag: string): string {
  const value = ds?.[tag]?.Value?.[0];
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return (value as { Alphabetic?: string }).Alphabetic ?? '';
  return String(value);
}

export function numberOf(ds: DicomJson | undefined, tag: string): number | null {
  const n = Number(text(ds, tag));
  return text(ds, tag) !== '' && Number.isFinite(n) ? n : null;
}

// "Family^Given^Middle" as "Family, Given Middle".
export function personName(pn: string): string {
  const [family = '', ...rest] = pn.split('^');
  const given = rest.filter(Boolean).join(' ');
  return [family, given].filter(Boolean).join(', ');
}

// YYYYMMDD as YYYY-MM-DD (other text as it is).
export function dicomDate(d: string): string {
  return /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : d;
}

// HHMMSS(.ffffff) as HH:MM:SS.
export function dicomTime(tm: string): string {
  const m = /^(\d{2})(\d{2})?(\d{2})?/.exec(tm);
  if (!m) return tm;
  return [m[1], m[2], m[3]].filter(Boolean).join(':');
}

export function modalitiesOf(row: StudyRow): string {
  return Array.isArray(row.modalities) ? row.modalities.join(', ') : row.modalities;
}

export const studyPath = (study: string) => `/dicom-web/studies/${encodeURIComponent(study)}`;
export const seriesPath = (study: string, series: string) =>
  `${studyPath(study)}/series/${encodeURIComponent(series)}`;
export const instancePath = (study: string, series: string, sop: string) =>
  `${seriesPath(study, series)}/instances/${encodeURIComponent(sop)}`;
export const archivePath = (study: string) =>
  `/api/v1/dicom/studies/${encodeURIComponent(study)}/archive`;

// Saves a study's ZIP by following a link, so the browser streams it to disk rather than holding
// it in the page: the link carries a single-use ticket, never the access token.
export async function saveStudyArchive(study: string, name: string): Promise<void> {
  const { ticket } = await api<{ ticket: string }>('POST', `${archivePath(study)}/ticket`);
  const link = document.createElement('a');
  link.href = `${archivePath(study)}?${new URLSearchParams({ ticket })}`;
  link.download = name;
  link.click();
}

// Sorts by a DICOM number (Series Number, Instance Number), those without one last.
export function byNumber<T>(number: (item: T) => number | null): (a: T, b: T) => number {
  return (a, b) => (number(a) ?? Number.MAX_SAFE_INTEGER) - (number(b) ?? Number.MAX_SAFE_INTEGER);
}

// A picture the server draws (a thumbnail, a rendered frame): fetched with the session's token
// (an <img src> could not carry it) and shown through an object URL or drawn on a canvas.
export async function fetchPicture(path: string): Promise<Blob> {
  return download(path);
}

// Saves a Blob under a name, through an object URL (the token never goes into a link).
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// "1 instance", "12 instances": the count as a phrase in the reader's language.
export function instanceCount(n: number): string {
  return n === 1 ? t('imaging.instance_one') : t('imaging.instance_many', { count: formatNumber(n) });
}
