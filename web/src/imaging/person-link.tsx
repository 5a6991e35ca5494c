// The patient's person in the master patient index. The dicom module hands each new patient to
// the index as a record with data source "dicom:<issuer of the patient ID, or who sent it>" and
// the DICOM Patient ID as its source person id (modules/dicom/ingest.cpp); the persons search
// (GET /api/v1/persons?source_person_id=) finds it. That API is for admins and members only, so a
// physician is told whom to ask instead.
import { Loading, Messages } from '../components/messages';
import { useApi } from '../hooks';
import { t } from '../i18n';

interface PersonHit {
  id: string;
  first_name: string;
  last_name: string;
  data_sources: string[];
}

export function PersonLink(props: { patientId: string; canSearch: boolean }) {
  const { patientId } = props;
  return (
    <section class="panel" aria-labelledby="study-person">
      <h2 id="study-person">{t('imaging.person_title')}</h2>
      {props.canSearch ? (
        <Persons patientId={patientId} />
      ) : (
        <p>{t('imaging.person_no_access', { id: patientId })}</p>
      )}
    </section>
  );
}

function Persons(props: { patientId: string }) {
  const { patientId } = props;
  const search = `source_person_id=${encodeURIComponent(patientId)}`;
  const found = useApi<{ persons: PersonHit[] }>(patientId ? `/api/v1/persons?${search}&limit=10` : null);
  const fromDicom = (found.data?.persons ?? []).filter((p) =>
    p.data_sources.some((s) => s.startsWith('dicom:')),
  );
  return (
    <>
      {found.error && <Messages error={found.error} />}
      {found.loading && <Loading />}
      {found.data && fromDicom.length === 0 && <p>{t('imaging.person_none', { id: patientId })}</p>}
      {fromDicom.map((p) => (
        <p key={p.id}>
          {t('imaging.person_linked')}{' '}
          <a href={`/empi/persons/${encodeURIComponent(p.id)}`}>
            {`${p.first_name} ${p.last_name}`.trim() || p.id}
          </a>
        </p>
      ))}
      <p>
        <a href={`/empi/persons?${search}`}>{t('imaging.person_search', { id: patientId })}</a>
      </p>
    </>
  );
}
