// One case: its patient (edited by the owner, with the case's version), its documents, its
// sharing (owner only) and its resource groups. A recipient (a physician the case was shared
// with) sees the same data with no control that writes.
import { useEffect, useState } from 'preact/hooks';
import { Field, Select } from '../components/fields';
import { useConfirm } from '../components/confirm';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction, useApi } from '../hooks';
import { t } from '../i18n';
import { arrivals } from '../notifications';
import { navigate } from '../router';
import { useStore } from '../store';
import { Documents } from './documents';
import { Groups } from './groups';
import { type Case, casePath, deleteCase, genders, isConflict, updatePatient } from './model';
import { ConflictMessage, LegalLinks, statusLabel, useLiterals } from './parts';
import { useCasePartsReset, useShown } from './ready';
import { ShareOn, Sharing } from './sharing';
import './messages';

export default function CasePage(props: { id: string }) {
  useCasePartsReset(props.id);
  const loaded = useApi<Case>(casePath(props.id));
  // A recipient's access can end while the page is open (the owner revokes, or deletes the case):
  // a notification over the bell's stream has the page read the case again, and a 404 then
  // takes the case off the screen at once.
  const arrived = useStore(arrivals);
  const recipient = loaded.data?.role === 'recipient';
  useEffect(() => {
    if (arrived > 0 && recipient) loaded.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [arrived]);
  const gone = loaded.error?.status === 404;
  const c = gone ? null : loaded.data;
  useShown('case', c !== null);
  const words = useLiterals();
  const [notice, setNotice] = useState(''); // kept here: the form starts afresh on each version
  if (!c) {
    return (
      <Page title={t('cases.case_title')}>
        {loaded.error && <Messages error={loaded.error} />}
        {loaded.loading && <Loading />}
        <p>
          <a href="/cases">{t('cases.back')}</a>
        </p>
      </Page>
    );
  }
  const owner = c.role === 'owner';
  return (
    <Page title={c.patient.name || t('cases.no_name')}>
      <p class="lead">
        <a href="/cases">{t('cases.back')}</a> · {t('cases.col_status')}: {statusLabel(c.status, words)}
      </p>
      {!owner && (
        <p class="message message-status read-only-note" data-testid="read-only">
          {t('cases.read_only')}
        </p>
      )}
      {loaded.error && <Messages error={loaded.error} />}
      <PatientPanel
        key={c.version}
        item={c}
        owner={owner}
        notice={notice}
        onSaved={(next) => {
          setNotice(t('cases.saved'));
          loaded.replace(next);
        }}
        onReload={() => {
          setNotice('');
          loaded.reload();
        }}
      />
      <Documents caseId={c.id} owner={owner} />
      {owner ? <Sharing caseId={c.id} /> : <ShareOn caseId={c.id} />}
      <Groups caseId={c.id} owner={owner} />
      <LegalLinks />
    </Page>
  );
}

function PatientPanel(props: {
  item: Case;
  owner: boolean;
  notice: string;
  onSaved(c: Case): void;
  onReload(): void;
}) {
  const { item, owner } = props;
  const [name, setName] = useState(item.patient.name ?? '');
  const [birth, setBirth] = useState(item.patient.birth_date ?? '');
  const [gender, setGender] = useState(item.patient.gender ?? '');
  const [conflict, setConflict] = useState(false);
  const action = useAction();
  const [dialog, ask] = useConfirm();
  const genderLabel = (g: string) => (g ? t(`cases.gender_${g}` as 'cases.gender_female') : '');

  if (!owner) {
    return (
      <section class="panel" aria-labelledby="case-patient">
        <h2 id="case-patient">{t('cases.patient')}</h2>
        <dl class="facts">
          <dt>{t('cases.patient_name')}</dt>
          <dd>{item.patient.name}</dd>
          <dt>{t('cases.birth_date')}</dt>
          <dd>{item.patient.birth_date ?? '—'}</dd>
          <dt>{t('cases.gender')}</dt>
          <dd>{genderLabel(item.patient.gender ?? '') || '—'}</dd>
        </dl>
      </section>
    );
  }
  const save = (e: Event) => {
    e.preventDefault();
    if (!name.trim()) {
      action.fail(t('cases.name_required'));
      return;
    }
    setConflict(false);
    void action.run(async () => {
      try {
        const next = await updatePatient(item, {
          name: name.trim(),
          birth_date: birth || null,
          gender: gender || null,
        });
        props.onSaved(next);
        return undefined;
      } catch (err) {
        if (isConflict(err)) {
          setConflict(true);
          return undefined;
        }
        throw err;
      }
    });
  };
  const remove = async () => {
    const yes = await ask({
      message: t('cases.delete_question', { name: item.patient.name ?? '' }),
      confirmLabel: t('cases.delete'),
    });
    if (!yes) return;
    await action.run(async () => {
      await deleteCase(item.id);
      navigate('/cases?deleted=1');
    });
  };
  return (
    <form class="panel form-grid" aria-labelledby="case-patient" onSubmit={save}>
      <h2 id="case-patient" class="form-wide">
        {t('cases.patient')}
      </h2>
      <Field label={t('cases.patient_name')} value={name} onInput={setName} maxLength={200} />
      <Field label={t('cases.birth_date')} type="date" value={birth} onInput={setBirth} />
      <Select
        label={t('cases.gender')}
        value={gender}
        onChange={setGender}
        choices={[
          { value: '', label: t('cases.gender_none') },
          ...genders.map((g) => ({ value: g, label: genderLabel(g) })),
        ]}
      />
      <div class="form-wide">
        {conflict && <ConflictMessage onReload={props.onReload} />}
        <Messages error={action.error} status={action.status || props.notice} />
        <div class="actions">
          <button type="submit" class="button button-primary" aria-disabled={action.busy}>
            {t('cases.save_patient')}
          </button>
          <button
            type="button"
            class="button button-danger"
            aria-disabled={action.busy}
            onClick={() => void remove()}
          >
            {t('cases.delete')}
          </button>
        </div>
      </div>
      {dialog}
    </form>
  );
}
