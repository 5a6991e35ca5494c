// The records of a potential match side by side: one column per record, grouped by person; one
// row per field, values as imported. Each cell is coloured, and marked with an icon and a word,
// by how it agrees with the first record (see agreement.ts). The last row moves one record out to
// a new person.
import { TableBox } from '../components/table-box';
import { t } from '../i18n';
import { cellAgreement, pairOf, reviewFields } from './agreement';
import { AgreementMarker, Value } from './common';
import type { Person, PersonRecord, PotentialMatch } from './model';

export interface RecordMove {
  record: PersonRecord;
  person: Person;
}

export function recordsOf(match: PotentialMatch): PersonRecord[] {
  return match.persons.flatMap((p) => p.records);
}

// "Person 1", "Person 2"... in the order the server lists them, with the records they hold.
function withRecords(match: PotentialMatch): Person[] {
  return match.persons.filter((p) => p.records.length > 0);
}

export function ReviewTable(props: {
  match: PotentialMatch;
  canDecide: boolean;
  busy: boolean;
  onMove(move: RecordMove): void;
}) {
  const { match } = props;
  const persons = withRecords(match);
  const records = persons.flatMap((p) => p.records);
  const first = records[0];
  if (!first) return <p class="empty">{t('empi.review_no_records')}</p>;
  return (
    <TableBox label={t('empi.review_table')}>
      <table class="table table-compact review-table">
        <caption class="visually-hidden">{t('empi.review_table')}</caption>
        <colgroup />
        {persons.map((p) => (
          <colgroup key={p.id} span={p.records.length} />
        ))}
        <thead>
          <tr>
            <td />
            {persons.map((p, i) => (
              <th key={p.id} scope="colgroup" colSpan={p.records.length} class="person-head">
                <a href={`/empi/persons/${encodeURIComponent(p.id)}`}>
                  {t('empi.person_n', { n: i + 1 })}
                </a>
                <span class="subtle mono">{p.id}</span>
              </th>
            ))}
          </tr>
          <tr>
            <th scope="col">{t('empi.field')}</th>
            {persons.map((p) =>
              p.records.map((r, j) => (
                <th key={r.id} scope="col" class={j === 0 ? 'person-start' : undefined}>
                  {t('empi.record_n', { id: r.id })}
                  {r === first && <span class="subtle">{t('empi.reference')}</span>}
                </th>
              )),
            )}
          </tr>
        </thead>
        <tbody>
          {reviewFields.map((field) => (
            <tr key={field.column}>
              <th scope="row">{t(field.label)}</th>
              {persons.map((p) =>
                p.records.map((r, j) => {
                  const start = j === 0 ? ' person-start' : '';
                  if (r === first) {
                    return (
                      <td key={r.id} class={`agree-reference${start}`}>
                        <Value value={r[field.column]} />
                      </td>
                    );
                  }
                  const pair = pairOf(match.results, first.id, r.id);
                  const agreement = cellAgreement(first, r, field.column, pair?.explanation);
                  return (
                    <td key={r.id} class={`agree-${agreement ?? 'none'}${start}`}>
                      {agreement && <AgreementMarker agreement={agreement} />}
                      <span class="cell-value">
                        <Value value={r[field.column]} />
                      </span>
                    </td>
                  );
                }),
              )}
            </tr>
          ))}
        </tbody>
        {props.canDecide && (
          <tfoot>
            <tr>
              <th scope="row">{t('empi.move_row')}</th>
              {persons.map((p) =>
                p.records.map((r, j) => (
                  <td key={r.id} class={j === 0 ? 'person-start' : undefined}>
                    {p.records.length > 1 ? (
                      <button
                        type="button"
                        class="button button-small"
                        aria-label={t('empi.move_named', { id: r.id })}
                        aria-disabled={props.busy}
                        onClick={() => props.onMove({ record: r, person: p })}
                      >
                        {t('empi.move')}
                      </button>
                    ) : (
                      <span class="subtle">{t('empi.move_alone')}</span>
                    )}
                  </td>
                )),
              )}
            </tr>
          </tfoot>
        )}
      </table>
    </TableBox>
  );
}
