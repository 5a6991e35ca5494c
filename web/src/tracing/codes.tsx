// A medical user's status-change codes: issue one for a state (POST /api/v1/tracing/status-changes),
// shown large and as a QR code with its expiry, once; and the list of the codes they issued with
// whether each was used (GET /api/v1/tracing/status-changes).
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Field, Select, SubmitActions, TextArea } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useAction, useApi } from '../hooks';
import { formatDateTime, t } from '../i18n';
import { QrCode } from './qr';
import {
  type IssuedAnswer,
  type IssuedCode,
  type IssuedCodes,
  stateName,
  todayIso,
  type TracingState,
} from './model';

interface Shown extends IssuedAnswer {
  status_id: number;
}

export default function Codes() {
  const codes = useApi<IssuedCodes>('/api/v1/tracing/status-changes?limit=100');
  const [shown, setShown] = useState<Shown | null>(null);
  const states = codes.data?.statuses;
  return (
    <Page title={t('tracing.codes_title')}>
      <p class="lead">{t('tracing.codes_intro')}</p>
      {codes.error && <Messages error={codes.error} />}
      {codes.loading && !states && <Loading />}
      {states && (
        <IssueForm
          states={states}
          onIssued={(answer) => {
            setShown(answer);
            codes.reload();
          }}
        />
      )}
      {shown && <IssuedCodeCard code={shown} states={states} />}
      <section class="tracing-section" aria-labelledby="tracing-my-codes">
        <h2 id="tracing-my-codes">{t('tracing.my_codes')}</h2>
        {codes.data && <CodeList items={codes.data.items} states={states} />}
      </section>
    </Page>
  );
}

function IssueForm(props: { states: TracingState[]; onIssued(answer: Shown): void }) {
  const { states } = props;
  const [statusId, setStatusId] = useState(String(states.find((s) => s.severity > 0)?.id ?? states[0].id));
  const [on, setOn] = useState(todayIso());
  const [comment, setComment] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const answer = await api<IssuedAnswer>('POST', '/api/v1/tracing/status-changes', {
        body: { status_id: Number(statusId), status_changed_on: on, comment },
      });
      props.onIssued({ ...answer, status_id: Number(statusId) });
      setComment('');
      return t('tracing.issued', { state: stateName(states, Number(statusId)) });
    });
  };
  return (
    <form class="panel form-grid" aria-label={t('tracing.issue_label')} onSubmit={submit}>
      <Select
        label={t('tracing.state')}
        value={statusId}
        onChange={setStatusId}
        choices={states.map((s) => ({ value: String(s.id), label: s.name }))}
      />
      <Field
        label={t('tracing.changed_on')}
        type="date"
        value={on}
        max={todayIso()}
        required
        hint={t('tracing.changed_on_hint')}
        onInput={setOn}
      />
      <TextArea
        label={t('tracing.comment')}
        value={comment}
        maxLength={2000}
        hint={t('tracing.comment_hint')}
        onInput={setComment}
      />
      <SubmitActions action={action} label={t('tracing.issue')} />
      <Messages error={action.error} status={action.status} />
    </form>
  );
}

// The code, large, grouped for reading aloud; the QR encodes it exactly as the API gave it.
function IssuedCodeCard(props: { code: Shown; states: TracingState[] | undefined }) {
  const { code } = props;
  const grouped = code.medical_code.replace(/(.{5})(?=.)/g, '$1 ');
  return (
    <section class="panel code-card" aria-labelledby="tracing-code-heading">
      <h2 id="tracing-code-heading">{t('tracing.code_label')}</h2>
      <div class="code-card-body">
        <div>
          <p class="code-large" data-testid="medical-code" data-code={code.medical_code}>
            {grouped}
          </p>
          <p>{t('tracing.code_for', { state: stateName(props.states, code.status_id) })}</p>
          <p data-testid="code-expiry">
            <strong>{t('tracing.expires', { time: formatDateTime(code.expires_at) })}</strong>
          </p>
          <p class="hint">{t('tracing.code_once')}</p>
        </div>
        <QrCode text={code.medical_code} label={t('tracing.qr_label', { code: grouped })} />
      </div>
    </section>
  );
}

function CodeList(props: { items: IssuedCode[]; states: TracingState[] | undefined }) {
  if (props.items.length === 0) return <p>{t('tracing.my_codes_none')}</p>;
  return (
    <DataTable
      label={t('tracing.my_codes')}
      columns={[
        { label: t('tracing.col_issued') },
        { label: t('tracing.col_state') },
        { label: t('tracing.col_changed_on') },
        { label: t('tracing.col_expires') },
        { label: t('tracing.col_used') },
        { label: t('tracing.col_note') },
      ]}
    >
      {props.items.map((c, i) => (
        <tr key={`${c.created_at}-${i}`} data-state={c.state}>
          <td>{formatDateTime(c.created_at)}</td>
          <td>{stateName(props.states, c.status_id)}</td>
          <td>{c.status_changed_on.slice(0, 10)}</td>
          <td>{formatDateTime(c.expires_at)}</td>
          <td>
            {c.state === 'used'
              ? t('tracing.state_used', { time: formatDateTime(c.used_at) })
              : c.state === 'expired'
                ? t('tracing.state_expired')
                : t('tracing.state_unused')}
          </td>
          <td>{c.comment}</td>
        </tr>
      ))}
    </DataTable>
  );
}
