// How a record's field agrees with the first record of a potential match, for the colours and
// markers of the review table. Taken from the explanation of the scored pair (first record, that
// record), so the table says what the server compared, not what the console guesses: each
// column's own agreement, household's five columns included (the model weighs those together,
// the server still judges each alone).
import type { MessageKey } from '../i18n';
import type { Agreement, Explanation, PairResult, PersonRecord, RecordColumn } from './model';

// The review table's rows, top to bottom.
export const reviewFields: Array<{ column: RecordColumn; label: MessageKey }> = [
  { column: 'first_name', label: 'empi.col_first_name' },
  { column: 'last_name', label: 'empi.col_last_name' },
  { column: 'sex', label: 'empi.col_sex' },
  { column: 'birth_date', label: 'empi.col_birth_date' },
  { column: 'social_security_number', label: 'empi.col_ssn' },
  { column: 'address', label: 'empi.col_address' },
  { column: 'city', label: 'empi.col_city' },
  { column: 'state', label: 'empi.col_state' },
  { column: 'zip_code', label: 'empi.col_zip_code' },
  { column: 'phone', label: 'empi.col_phone' },
  { column: 'data_source', label: 'empi.col_data_source' },
  { column: 'source_person_id', label: 'empi.col_source_person_id' },
];

// Columns no comparison weighs: shown, never coloured.
const notCompared: ReadonlySet<RecordColumn> = new Set(['data_source', 'source_person_id']);

// The scored pair of two records, in either order.
export function pairOf(results: PairResult[], a: string, b: string): PairResult | undefined {
  return results.find(
    (r) =>
      (r.person_record_l_id === a && r.person_record_r_id === b) ||
      (r.person_record_l_id === b && r.person_record_r_id === a),
  );
}

// The value as stored and compared; an older server without `normalized` gives the imported
// value, compared without case.
function normalized(record: PersonRecord, column: RecordColumn): string {
  return (record.normalized?.[column] ?? record[column] ?? '').trim().toLowerCase();
}

// The agreement of other's column with first's; null: not compared (a column no comparison
// covers, or one the config's model leaves out).
export function cellAgreement(
  first: PersonRecord,
  other: PersonRecord,
  column: RecordColumn,
  explanation: Explanation | undefined,
): Agreement | null {
  if (notCompared.has(column)) return null;
  const a = normalized(first, column);
  const b = normalized(other, column);
  if (!explanation) {
    // No scored pair between the two (it fell below the potential threshold, or was not a
    // candidate): the plain comparison of the stored values.
    if (!a || !b) return 'missing';
    return a === b ? 'same' : 'different';
  }
  const step = explanation.comparisons.find((c) => c.columns.includes(column));
  const agreement = step?.column_agreements[column];
  if (!agreement) return null;
  // "Missing" is the model's level for no evidence. With a value on both sides that means it
  // could not read one (a birth date that is no calendar date): not compared, not "empty".
  if (agreement === 'missing' && a && b) return null;
  return agreement;
}
