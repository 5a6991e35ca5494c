// The patient index's answers as the console reads them (modules/empi routes; the workspace
// additions are described in the EMPI API notes: configs, imports, explanations, totals), and
// the small pure functions the screens share.
import { formatNumber, language } from '../i18n';

// Tuva EMPI's 15 record columns (modules/empi/record.hpp kRecordColumns).
export const recordColumns = [
  'data_source',
  'source_person_id',
  'first_name',
  'last_name',
  'sex',
  'race',
  'birth_date',
  'death_date',
  'social_security_number',
  'address',
  'city',
  'state',
  'zip_code',
  'county',
  'phone',
] as const;
export type RecordColumn = (typeof recordColumns)[number];

export type PersonRecord = Record<RecordColumn, string> & {
  id: string;
  person_id: string;
  created: string;
  person_updated: string;
  matched_or_reviewed: boolean;
  // Each column as stored and compared (lower case, dates as YYYY-MM-DD, digits only...).
  normalized?: Partial<Record<RecordColumn, string>>;
};

export interface Person {
  id: string;
  version: number;
  created: string;
  records: PersonRecord[];
}

export type Agreement = 'same' | 'similar' | 'different' | 'missing';

export interface ComparisonStep {
  comparison: string; // first_name, last_name, birth_date, household, social_security_number, sex
  columns: RecordColumn[];
  // Each column's own agreement: the comparison's for a one-column comparison; household's five
  // columns each judged alone (the model weighs them together).
  column_agreements: Partial<Record<RecordColumn, Agreement>>;
  level: number;
  label: string;
  agreement: Agreement;
  m_probability: number;
  u_probability: number;
  match_weight: number;
  term_frequency_weight: number;
}

export interface Explanation {
  prior_match_weight: number;
  match_weight: number;
  match_probability: number;
  config_id: string;
  comparisons: ComparisonStep[];
}

export interface PairResult {
  id: string;
  match_probability: number;
  person_record_l_id: string;
  person_record_r_id: string;
  created: string;
  explanation?: Explanation;
}

export interface PotentialMatch {
  id: string;
  version: number;
  status: string; // open, or what a decision made it
  first_name: string;
  last_name: string;
  data_sources: string[];
  max_match_probability: number;
  results: PairResult[];
  persons: Person[];
}

export interface PotentialMatchRow {
  id: string;
  first_name: string;
  last_name: string;
  birth_date?: string;
  data_sources: string[];
  max_match_probability: number;
  person_count?: number;
  record_count?: number;
}

export interface PersonRow {
  id: string;
  first_name: string;
  last_name: string;
  birth_date?: string;
  data_sources: string[];
  record_count?: number;
  version?: number;
}

export interface MatchConfig {
  id: string;
  potential_match_threshold: number;
  auto_match_threshold: number;
  trained: boolean;
  trained_at: string | null;
  created_by: string;
  created: string;
}

export interface ImportResult {
  rows: number;
  records_stored: number;
  records_already_stored: number;
  bad_rows: number;
  errors: Array<{ line: number; error: string }>;
  errors_truncated: boolean;
  config_id: string;
  matching?: {
    candidate_pairs?: number;
    auto_matched_pairs?: number;
    persons_created?: number;
    persons_merged?: number;
    potential_matches?: number;
  };
}

export type JobState = 'queued' | 'running' | 'succeeded' | 'dead' | 'cancelled';

// JobInfo::to_json; an import's list entry adds config_id and bytes (and, where the server
// names it, who started it).
export interface ImportJob {
  id: number | string;
  type: string;
  state: JobState;
  progress: number;
  progress_message: string;
  last_error: string | null;
  result: ImportResult | null;
  created_at: string;
  finished_at: string | null;
  config_id?: string;
  bytes?: number;
  actor?: string;
  actor_name?: string | null;
  created_by?: string;
}

export const isFinished = (state: JobState) =>
  state === 'succeeded' || state === 'dead' || state === 'cancelled';

export interface HistoryEvent {
  id: string;
  type: string; // manual-match, auto-match, split, merge, do-not-link, undo
  actor: string;
  actor_name?: string | null;
  created: string;
  potential_match_id: string | null;
  undoes_event_id: string | null;
  undone_by_event_id: string | null;
  actions: Array<{
    person_record_id: string;
    from_person_id: string | null;
    to_person_id: string | null;
  }>;
  comments: Array<{ person_record_id: string; comment: string }>;
}

// 0.973 -> "97.3 %" (in the person's language).
export function formatProbability(p: number): string {
  return numberFormat('probability', {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(p);
}

// A match weight (bits of evidence), signed: "+3.21", "−1.50".
export function formatWeight(w: number): string {
  return numberFormat('weight', {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    signDisplay: 'exceptZero',
  }).format(w);
}

// Building an Intl.NumberFormat costs far more than formatting with one (the review screen
// formats a hundred numbers): one per kind and language, kept.
const formats = new Map<string, Intl.NumberFormat>();

function numberFormat(kind: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${kind} ${language.get()}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(language.get(), options);
    formats.set(key, format);
  }
  return format;
}

export function fullName(first: string, last: string): string {
  return `${first} ${last}`.trim();
}


// formatBytes lives with the other formatters now (the imaging screens use it too).
export { formatBytes } from '../i18n';

export function count(n: number | undefined): string {
  return n === undefined ? '' : formatNumber(n);
}
