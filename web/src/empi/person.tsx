// One person of the patient index: their records as imported; split chosen records out into a
// new person; merge another person into this one; and the history with Undo. Every change sends
// the version of the person as this page read it: a 409 (someone changed them meanwhile) is shown
// as the server wrote it and the person is read again.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Actions, Field, TextArea } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useAction, useApi } from '../hooks';
import { formatDateTime, formatNumber, type MessageKey, t } from '../i18n';
import { Value } from './common';
import { History } from './history';
import {
  fullName,
  type HistoryEvent,
  type Person,
  type PersonRow,
  type RecordColumn,
} from './model';
import './messages'; // this workspace's words, before any screen renders

interface HistoryAnswer {
  person_id: string;
  version: number;
  events: HistoryEvent[];
}

// The records table's columns: twelve fields in seven columns, so that the table fits a laptop's
// width. Each cell holds lines of fields: the filled fields of a line, separated by a space.
const recordCells: Array<{ label: MessageKey; lines: RecordColumn[][]; nowrap?: boolean }> = [
  { label: 'empi.name', lines: [['first_name', 'last_name']] },
  { label: 'empi.col_sex', lines: [['sex']] },
  { label: 'empi.col_birth_date', lines: [['birth_date']], nowrap: true },
  { label: 'empi.col_ssn', lines: [['social_security_number']], nowrap: true },
  { label: 'empi.col_address', lines: [['address'], ['city', 'state', 'zip_code']] },
  { label: 'empi.col_phone', lines: [['phone']], nowrap: true },
  { label: 'empi.col_source', lines: [['data_source'], ['source_person_id']], nowrap: true },
];

const joinFilled = (values: Array<string | null | undefined>) =>
  values.filter((v) => v != null && v !== '').join(' ');

export default function PersonPage(props: { id: string }) {
  const base = `/api/v1/persons/${encodeURIComponent(props.id)}`;
  const loaded = useApi<{ person: Person }>(base);
  const history = useApi<HistoryAnswer>(`${base}/history`);
  const person = loaded.data?.person ?? null;
  const reload = () => {
    loaded.reload();
    history.reload();
  };
  // An undo in the history changes the person under the forms: their old messages no longer hold.
  const [undos, setUndos] = useState(0);
  const undone = () => {
    setUndos((n) => n + 1);
    reload();
  };
  const first = person?.records[0];
  const name = first ? fullName(first.first_name, first.last_name) : '';
  return (
    <Page title={name ? t('empi.person_title', { name }) : t('empi.person_title_plain')}>
      <p>
        <a href="/empi/persons">{t('empi.back_to_persons')}</a>
      </p>
      {loaded.error && <Messages error={loaded.error} />}
      {loaded.loading && !person && <Loading />}
      {person && (
        <>
          <dl class="details">
            <div>
              <dt>{t('empi.person_id')}</dt>
              <dd class="mono">{person.id}</dd>
            </div>
            <div>
              <dt>{t('empi.records_count')}</dt>
              <dd>{formatNumber(person.records.length)}</dd>
            </div>
            <div>
              <dt>{t('empi.version')}</dt>
              <dd>{formatNumber(person.version)}</dd>
            </div>
            <div>
              <dt>{t('empi.created')}</dt>
              <dd>{formatDateTime(person.created)}</dd>
            </div>
          </dl>
          <Records person={person} onChanged={reload} undos={undos} />
          <MergeForm person={person} onChanged={reload} undos={undos} />
        </>
      )}
      {history.error && <Messages error={history.error} />}
      {history.data && (
        <History personId={props.id} events={history.data.events} onChanged={undone} />
      )}
    </Page>
  );
}

// Runs forget when an undo happened (not on the first render).
function useForgetOnUndo(undos: number, forget: () => void): void {
  useEffect(() => {
    if (undos > 0) forget();
  }, [undos]);
}

// The records, each with a checkbox; the chosen ones can be split out into a new person.
function Records(props: { person: Person; onChanged(): void; undos: number }) {
  const { person } = props;
  const [chosen, setChosen] = useState<string[]>([]);
  const [comment, setComment] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const action = useAction();
  useForgetOnUndo(props.undos, () => {
    action.clear();
    setCreated(null);
  });
  const toggle = (id: string, on: boolean) =>
    setChosen((now) => (on ? [...now.filter((x) => x !== id), id] : now.filter((x) => x !== id)));
  const split = () => {
    const moving = chosen.filter((id) => person.records.some((r) => r.id === id));
    if (moving.length === 0) {
      action.fail(t('empi.split_none'));
      return;
    }
    if (moving.length === person.records.length) {
      action.fail(t('empi.split_all'));
      return;
    }
    setCreated(null);
    void action.run(async () => {
      try {
        const answer = await api<{ person: Person; event_id: string }>(
          'POST',
          `/api/v1/persons/${encodeURIComponent(person.id)}/split`,
          {
            body: {
              version: person.version,
              person_record_ids: moving,
              ...(comment.trim() ? { comment: comment.trim() } : {}),
            },
          },
        );
        setCreated(answer.person.id);
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) props.onChanged();
        throw e;
      }
      setChosen([]);
      setComment('');
      props.onChanged();
      return t('empi.split_done', { n: moving.length });
    });
  };
  return (
    <section aria-labelledby="person-records">
      <h2 id="person-records">{t('empi.records')}</h2>
      <DataTable
        label={t('empi.records')}
        compact
        columns={[
          { label: <span class="visually-hidden">{t('empi.select')}</span> },
          { label: t('empi.record') },
          ...recordCells.map((c) => ({ label: t(c.label), key: c.label })),
        ]}
      >
        {person.records.map((r) => (
          <tr key={r.id}>
            <td>
              <input
                type="checkbox"
                class="row-check"
                aria-label={t('empi.select_record', { id: r.id })}
                checked={chosen.includes(r.id)}
                onChange={(e) => toggle(r.id, e.currentTarget.checked)}
              />
            </td>
            <th scope="row" class="mono">
              {r.id}
            </th>
            {recordCells.map((c) => (
              <td key={c.label} class={c.nowrap ? 'nowrap' : undefined}>
                {c.lines.map((line, i) => (
                  <span key={i} class="cell-line">
                    <Value value={joinFilled(line.map((column) => r[column]))} />
                  </span>
                ))}
              </td>
            ))}
          </tr>
        ))}
      </DataTable>
      <div class="panel">
        <h3>{t('empi.split')}</h3>
        <p class="hint">{t('empi.split_hint')}</p>
        <TextArea
          label={t('empi.split_comment')}
          value={comment}
          onInput={setComment}
          maxLength={4000}
        />
        <Messages error={action.error} status={action.status} />
        {created && (
          <p>
            <a href={`/empi/persons/${encodeURIComponent(created)}`}>{t('empi.open_new_person')}</a>
          </p>
        )}
        <Actions>
          <button type="button" class="button" aria-disabled={action.busy} onClick={split}>
            {t('empi.split_button', { n: chosen.length })}
          </button>
        </Actions>
      </div>
    </section>
  );
}

// Another person merged into this one (this one is kept): found by name here, or their id pasted
// from elsewhere. Their version is read first: the merge must name the version of each person it
// changes.
function MergeForm(props: { person: Person; onChanged(): void; undos: number }) {
  const [other, setOther] = useState('');
  const [comment, setComment] = useState('');
  const action = useAction();
  useForgetOnUndo(props.undos, action.clear);
  const submit = (e: Event) => {
    e.preventDefault();
    const id = other.trim();
    if (!id) {
      action.fail(t('empi.merge_id_needed'));
      return;
    }
    if (id === props.person.id) {
      action.fail(t('empi.merge_self'));
      return;
    }
    void action.run(async () => {
      const path = `/api/v1/persons/${encodeURIComponent(id)}`;
      const them = await api<{ person: Person }>('GET', path);
      try {
        await api<unknown>('POST', '/api/v1/persons/merge', {
          body: {
            persons: [
              { id: props.person.id, version: props.person.version },
              { id: them.person.id, version: them.person.version },
            ],
            ...(comment.trim() ? { comment: comment.trim() } : {}),
          },
        });
      } catch (err) {
        if (err instanceof ApiError && err.status === 409) props.onChanged();
        throw err;
      }
      setOther('');
      setComment('');
      props.onChanged();
      return t('empi.merge_done', { n: them.person.records.length });
    });
  };
  return (
    <section class="panel" aria-labelledby="person-merge">
      <h2 id="person-merge">{t('empi.merge_title')}</h2>
      <MergeFinder self={props.person.id} onChoose={setOther} />
      <form class="form" aria-labelledby="person-merge" onSubmit={submit}>
        <Field
          label={t('empi.merge_id')}
          value={other}
          onInput={setOther}
          hint={t('empi.merge_id_hint')}
          name="merge_person_id"
        />
        <TextArea
          label={t('empi.merge_comment')}
          value={comment}
          onInput={setComment}
          maxLength={4000}
        />
        <Messages error={action.error} status={action.status} />
        <Actions>
          <button type="submit" class="button" aria-disabled={action.busy}>
            {t('empi.merge_person')}
          </button>
        </Actions>
      </form>
    </section>
  );
}

// Candidates for a merge by name: one search (GET /api/v1/persons, ten at most), each found
// person with a button that puts their id in the merge form.
function MergeFinder(props: { self: string; onChoose(id: string): void }) {
  const [name, setName] = useState('');
  const [found, setFound] = useState<PersonRow[] | null>(null);
  const action = useAction();
  const search = (e: Event) => {
    e.preventDefault();
    const last = name.trim();
    if (!last) {
      action.fail(t('empi.merge_find_needed'));
      return;
    }
    void action.run(async () => {
      const query = new URLSearchParams({ last_name: last, limit: '10' });
      const answer = await api<{ persons: PersonRow[] }>('GET', `/api/v1/persons?${query}`);
      setFound(answer.persons.filter((p) => p.id !== props.self));
      return undefined;
    });
  };
  return (
    <form
      class="form merge-finder"
      role="search"
      aria-label={t('empi.merge_find')}
      onSubmit={search}
    >
      <Field label={t('empi.merge_find_name')} value={name} onInput={setName} name="merge_find" />
      <Messages error={action.error} />
      <Actions>
        <button type="submit" class="button" aria-disabled={action.busy}>
          {t('empi.merge_find')}
        </button>
      </Actions>
      {found && found.length === 0 && (
        <p role="status" class="empty">
          {t('empi.merge_find_none')}
        </p>
      )}
      {found && found.length > 0 && (
        <ul class="merge-candidates" aria-label={t('empi.merge_candidates')}>
          {found.map((p) => (
            <li key={p.id}>
              <span>
                {fullName(p.first_name, p.last_name)} · <Value value={p.birth_date} /> ·{' '}
                {t('empi.records_n', { n: formatNumber(p.record_count ?? 0) })}
              </span>
              <button
                type="button"
                class="button button-small"
                aria-label={t('empi.merge_choose', { name: fullName(p.first_name, p.last_name) })}
                onClick={() => props.onChoose(p.id)}
              >
                {t('empi.merge_choose_short')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
