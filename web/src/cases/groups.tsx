// A case's resource groups (phenotype, reports, genotype, diseases, notes, timeline), each a list
// of entries edited here and saved whole with the version it was read at: a save from a stale
// page (another tab saved first) is refused by the API with 409, and said so here.
import { useState } from 'preact/hooks';
import { Loading, Messages } from '../components/messages';
import { useAction, useApi } from '../hooks';
import { t, type MessageKey } from '../i18n';
import { casePath, type Group, type GroupType, groupTypes, hpoPattern, isConflict, saveGroup } from './model';
import { ConflictMessage, literal, useLiterals } from './parts';
import { useShown } from './ready';
import './messages';

type Entry = Record<string, unknown>;

interface FieldSpec {
  key: string;
  label: MessageKey;
  kind?: 'text' | 'date' | 'textarea' | 'report-kind';
  placeholder?: string;
}

interface GroupSpec {
  title: MessageKey;
  fields: FieldSpec[];
  entries(data: unknown): Entry[];
  data(entries: Entry[]): unknown;
  problem?(entries: Entry[]): string | null;
}

const list = (data: unknown): Entry[] => (Array.isArray(data) ? (data as Entry[]) : []);

const specs: Record<GroupType, GroupSpec> = {
  phenotype: {
    title: 'cases.group_phenotype',
    fields: [
      { key: 'id', label: 'cases.hpo_id', placeholder: 'HP:0001250' },
      { key: 'name', label: 'cases.term_name' },
    ],
    entries: (data) => list((data as { terms?: unknown } | null)?.terms),
    data: (entries) => ({ terms: entries }),
    problem(entries) {
      const bad = entries.findIndex((e) => !hpoPattern.test(String(e.id ?? '')));
      return bad < 0 ? null : t('cases.hpo_invalid', { n: bad + 1, id: String(entries[bad].id ?? '') });
    },
  },
  reports: {
    title: 'cases.group_reports',
    fields: [
      { key: 'kind', label: 'cases.report_kind', kind: 'report-kind' },
      { key: 'title', label: 'cases.report_title' },
      { key: 'date', label: 'cases.date', kind: 'date' },
    ],
    entries(data) {
      const d = (data ?? {}) as { medical?: unknown; genetic?: unknown };
      return [
        ...list(d.medical).map((e) => ({ ...e, kind: 'medical' })),
        ...list(d.genetic).map((e) => ({ ...e, kind: 'genetic' })),
      ];
    },
    data(entries) {
      const of = (kind: string) =>
        entries.filter((e) => (e.kind || 'medical') === kind).map(({ kind: _, ...rest }) => rest);
      return { medical: of('medical'), genetic: of('genetic') };
    },
  },
  genotype: {
    title: 'cases.group_genotype',
    fields: [
      { key: 'gene', label: 'cases.gene' },
      { key: 'variant', label: 'cases.variant' },
    ],
    entries: list,
    data: (entries) => entries,
  },
  diseases: {
    title: 'cases.group_diseases',
    fields: [
      { key: 'id', label: 'cases.disease_id', placeholder: 'ORPHA:558' },
      { key: 'name', label: 'cases.disease_name' },
    ],
    entries: list,
    data: (entries) => entries,
  },
  notes: {
    title: 'cases.group_notes',
    fields: [{ key: 'text', label: 'cases.note', kind: 'textarea' }],
    entries: list,
    data: (entries) => entries,
  },
  timeline: {
    title: 'cases.group_timeline',
    fields: [
      { key: 'date', label: 'cases.date', kind: 'date' },
      { key: 'event', label: 'cases.event' },
    ],
    entries: list,
    data: (entries) => entries,
  },
};

export function Groups(props: { caseId: string; owner: boolean }) {
  return (
    <>
      {groupTypes.map((type) => (
        <GroupPanel key={type} caseId={props.caseId} type={type} owner={props.owner} />
      ))}
    </>
  );
}

function GroupPanel(props: { caseId: string; type: GroupType; owner: boolean }) {
  const loaded = useApi<Group>(`${casePath(props.caseId)}/groups/${props.type}`);
  useShown(`group:${props.type}`, loaded.data !== null);
  const [notice, setNotice] = useState(''); // kept here: the editor starts afresh on each version
  const words = useLiterals();
  const spec = specs[props.type];
  const title = literal(words, `group.${props.type}`, spec.title);
  const headingId = `group-${props.type}`;
  return (
    <section class="panel case-group" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {loaded.error && <Messages error={loaded.error} />}
      {loaded.loading && !loaded.data && <Loading />}
      {loaded.data &&
        (props.owner ? (
          <GroupEditor
            key={loaded.data.version}
            caseId={props.caseId}
            group={loaded.data}
            spec={spec}
            title={title}
            notice={notice}
            onSaved={(g) => {
              setNotice(t('cases.group_saved', { group: title }));
              loaded.replace(g);
            }}
            onReload={() => {
              setNotice('');
              loaded.reload();
            }}
          />
        ) : (
          <GroupView group={loaded.data} spec={spec} title={title} />
        ))}
    </section>
  );
}

const entriesPerPage = 25;

function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

function GroupView(props: { group: Group; spec: GroupSpec; title: string }) {
  const entries = props.spec.entries(props.group.data);
  if (entries.length === 0) return <p>{t('cases.group_empty')}</p>;
  return (
    <table class="table table-compact">
      <caption class="visually-hidden">{props.title}</caption>
      <thead>
        <tr>
          {props.spec.fields.map((f) => (
            <th key={f.key} scope="col">
              {t(f.label)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {entries.map((e, i) => (
          <tr key={i}>
            {props.spec.fields.map((f) => (
              <td key={f.key} class="pre-line">
                {f.kind === 'report-kind'
                  ? t(e.kind === 'genetic' ? 'cases.report_genetic' : 'cases.report_medical')
                  : text(e[f.key])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function GroupEditor(props: {
  caseId: string;
  group: Group;
  spec: GroupSpec;
  title: string;
  notice: string;
  onSaved(g: Group): void;
  onReload(): void;
}) {
  const { spec, group } = props;
  const [entries, setEntries] = useState<Entry[]>(() => spec.entries(group.data));
  const [conflict, setConflict] = useState(false);
  // A long list (a timeline of years) is edited a page of entries at a time: every entry as
  // fields at once cost Chromium seconds to lay out. The save still sends the whole list.
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(entries.length / entriesPerPage));
  const first = Math.min(page, pages - 1) * entriesPerPage;
  const shown = entries.slice(first, first + entriesPerPage);
  const action = useAction();
  const set = (i: number, key: string, value: string) =>
    setEntries(entries.map((e, j) => (j === i ? { ...e, [key]: value } : e)));
  const blank = (e: Entry) =>
    spec.fields.every((f) => f.kind === 'report-kind' || text(e[f.key]).trim() === '');

  const save = (ev: Event) => {
    ev.preventDefault();
    setConflict(false);
    const kept = entries.filter((e) => !blank(e));
    const problem = spec.problem?.(kept);
    if (problem) {
      action.fail(problem);
      return;
    }
    void action.run(async () => {
      try {
        props.onSaved(await saveGroup(props.caseId, group.type, spec.data(kept), group.version));
        return undefined;
      } catch (e) {
        if (isConflict(e)) {
          setConflict(true);
          return undefined;
        }
        throw e;
      }
    });
  };

  return (
    <form onSubmit={save}>
      {entries.length === 0 && <p>{t('cases.group_empty')}</p>}
      {entries.length > 0 && (
        <ol class="group-entries" start={first + 1}>
          {shown.map((e, k) => {
            const i = first + k;
            return (
            <li key={i} class="group-entry">
              {spec.fields.map((f) => (
                <EntryField
                  key={f.key}
                  field={f}
                  n={i + 1}
                  value={text(e[f.key])}
                  onInput={(v) => set(i, f.key, v)}
                />
              ))}
              <button
                type="button"
                class="link-button"
                aria-label={t('cases.remove_entry_n', { n: i + 1 })}
                onClick={() => setEntries(entries.filter((_, j) => j !== i))}
              >
                {t('cases.remove_entry')}
              </button>
            </li>
            );
          })}
        </ol>
      )}
      {pages > 1 && (
        <div class="pager">
          <button
            type="button"
            class="button"
            aria-disabled={first === 0}
            onClick={() => first > 0 && setPage(first / entriesPerPage - 1)}
          >
            {t('cases.entries_previous')}
          </button>
          <span>
            {t('cases.entries_shown', {
              from: String(first + 1),
              to: String(first + shown.length),
              total: String(entries.length),
            })}
          </span>
          <button
            type="button"
            class="button"
            aria-disabled={first + entriesPerPage >= entries.length}
            onClick={() =>
              first + entriesPerPage < entries.length && setPage(first / entriesPerPage + 1)
            }
          >
            {t('cases.entries_next')}
          </button>
        </div>
      )}
      {conflict && <ConflictMessage onReload={props.onReload} />}
      <Messages error={action.error} status={action.status || props.notice} />
      <div class="actions">
        <button
          type="button"
          class="button"
          onClick={() => {
            setEntries([...entries, {}]);
            setPage(Math.floor(entries.length / entriesPerPage)); // where the new entry is
          }}
        >
          {t('cases.add_entry')}
        </button>
        <button type="submit" class="button button-primary" aria-disabled={action.busy}>
          {t('cases.save_group', { group: props.title })}
        </button>
      </div>
    </form>
  );
}

// One field of an entry: its name shown above it, and said with the entry's number ("HPO id 2").
function EntryField(props: { field: FieldSpec; n: number; value: string; onInput(v: string): void }) {
  const { field } = props;
  return (
    <label class={field.kind === 'textarea' ? 'entry-field entry-field-wide' : 'entry-field'}>
      <span class="entry-label" aria-hidden="true">
        {t(field.label)}
      </span>
      <EntryControl {...props} />
    </label>
  );
}

function EntryControl(props: { field: FieldSpec; n: number; value: string; onInput(v: string): void }) {
  const { field, n } = props;
  const label = `${t(field.label)} ${n}`;
  if (field.kind === 'report-kind') {
    return (
      <select
        aria-label={label}
        value={props.value || 'medical'}
        onChange={(e) => props.onInput(e.currentTarget.value)}
      >
        <option value="medical">{t('cases.report_medical')}</option>
        <option value="genetic">{t('cases.report_genetic')}</option>
      </select>
    );
  }
  if (field.kind === 'textarea') {
    return (
      <textarea
        aria-label={label}
        rows={3}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    );
  }
  if (field.kind === 'date') {
    return (
      <input
        aria-label={label}
        type="date"
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    );
  }
  return (
    <input
      aria-label={label}
      type="text"
      placeholder={field.placeholder}
      value={props.value}
      onInput={(e) => props.onInput(e.currentTarget.value)}
    />
  );
}
