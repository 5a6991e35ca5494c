// One study: its attributes, its series as thumbnails (each a link to the viewer), the patient's
// person in the patient index when the index knows them, the study as a ZIP, and for admins its
// deletion after a confirmation.
import { useEffect, useState } from 'preact/hooks';
import { api, type User } from '../api';
import { useConfirm } from '../components/confirm';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction, useApi } from '../hooks';
import { formatBytes, formatDateTime, formatNumber, t } from '../i18n';
import { navigate } from '../router';
import { usesEmpi } from '../roles';
import { hasRole } from '../session';
import {
  byNumber,
  dicomDate,
  dicomTime,
  type DicomJson,
  fetchPicture,
  instanceCount,
  modalitiesOf,
  numberOf,
  personName,
  saveStudyArchive,
  seriesPath,
  studyPath,
  type StudyPage,
  type StudyRow,
  text,
} from './model';
import { PersonLink } from './person-link';
import './messages';

export default function Study(props: { study: string; user: User }) {
  const { study, user } = props;
  const summary = useApi<StudyPage>(
    `/api/v1/dicom/studies?study_instance_uid=${encodeURIComponent(study)}&limit=1`,
  );
  const row = summary.data?.studies[0];
  const name = row ? personName(row.patient_name) || t('imaging.no_name') : study;
  return (
    <Page title={t('imaging.study_title', { name })}>
      <p>
        <a href="/imaging/studies">{t('imaging.back_to_studies')}</a>
      </p>
      {summary.error && <Messages error={summary.error} />}
      {summary.loading && !summary.data && <Loading />}
      {summary.data && !row && (
        <p role="status" class="empty">
          {t('imaging.study_missing')}
        </p>
      )}
      {row && (
        <>
          <Attributes row={row} />
          <SeriesList study={study} />
          <PersonLink patientId={row.patient_id} canSearch={usesEmpi(user)} />
          <Download study={study} />
          {hasRole(user, 'admin') && <Delete row={row} name={name} />}
        </>
      )}
    </Page>
  );
}

function Attributes(props: { row: StudyRow }) {
  const { row } = props;
  const facts: Array<[string, string]> = [
    [t('imaging.patient_id'), row.patient_id],
    [t('imaging.birth_date'), dicomDate(row.patient_birth_date)],
    [t('imaging.sex'), row.patient_sex],
    [t('imaging.col_date'), dicomDate(row.study_date)],
    [t('imaging.study_time'), dicomTime(row.study_time)],
    [t('imaging.col_description'), row.study_description || t('imaging.no_description')],
    [t('imaging.accession'), row.accession_number],
    [t('imaging.referring'), personName(row.referring_physician_name)],
    [t('imaging.col_modalities'), modalitiesOf(row)],
    [t('imaging.col_series'), formatNumber(row.series_count)],
    [t('imaging.col_instances'), formatNumber(row.instance_count)],
    [t('imaging.col_size'), formatBytes(row.size_bytes)],
    [t('imaging.study_uid'), row.study_instance_uid],
    [t('imaging.stored_at'), formatDateTime(row.created_at)],
  ];
  return (
    <section class="panel" aria-labelledby="study-attributes">
      <h2 id="study-attributes">{t('imaging.attributes')}</h2>
      <dl class="details">
        {facts.map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function SeriesList(props: { study: string }) {
  const series = useApi<DicomJson[]>(`${studyPath(props.study)}/series`);
  const list = [...(series.data ?? [])].sort(byNumber((s) => numberOf(s, '00200011')));
  return (
    <section class="panel" aria-labelledby="study-series">
      <h2 id="study-series">{t('imaging.series_title')}</h2>
      {series.error && <Messages error={series.error} />}
      {series.loading && !series.data && <Loading />}
      {series.data && list.length === 0 && <p class="empty">{t('imaging.series_none')}</p>}
      <ul class="series-grid">
        {list.map((s) => {
          const uid = text(s, '0020000E');
          const number = text(s, '00200011') || '?';
          return (
            <li key={uid} class="series-card">
              <a href={`/imaging/studies/${encodeURIComponent(props.study)}/series/${encodeURIComponent(uid)}`}>
                <Thumbnail
                  path={`${seriesPath(props.study, uid)}/thumbnail`}
                  label={t('imaging.open_viewer', { number })}
                />
                <span class="series-name">
                  {t('imaging.series_label', {
                    number,
                    description: text(s, '0008103E') || t('imaging.no_description'),
                  })}
                </span>
              </a>
              <span class="hint">
                {t('imaging.series_instances', {
                  modality: text(s, '00080060'),
                  instances: instanceCount(numberOf(s, '00201209') ?? 0),
                })}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

// A thumbnail the server draws, fetched with the token and shown through an object URL.
function Thumbnail(props: { path: string; label: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let current: string | null = null;
    let live = true;
    fetchPicture(props.path).then(
      (blob) => {
        if (!live) return;
        current = URL.createObjectURL(blob);
        setUrl(current);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
      if (current) URL.revokeObjectURL(current);
    };
  }, [props.path]);
  if (failed) return <span class="thumbnail thumbnail-missing">{t('imaging.thumbnail_failed')}</span>;
  if (!url) return <span class="thumbnail" aria-label={props.label} role="img" />;
  return <img class="thumbnail" src={url} alt={props.label} />;
}

function Download(props: { study: string }) {
  const action = useAction();
  const file = `${props.study}.zip`;
  const save = () =>
    action.run(async () => {
      await saveStudyArchive(props.study, file);
      return t('imaging.saved', { file });
    });
  return (
    <section class="panel" aria-labelledby="study-download">
      <h2 id="study-download">{t('imaging.downloads')}</h2>
      <button
        type="button"
        class="button"
        onClick={() => void save()}
        aria-disabled={action.busy}
        aria-describedby="study-download-hint"
      >
        {t('imaging.download_zip')}
      </button>
      <p id="study-download-hint" class="hint">
        {t('imaging.download_zip_hint')}
      </p>
      <Messages error={action.error} status={action.busy ? t('imaging.downloading') : action.status} />
    </section>
  );
}

function Delete(props: { row: StudyRow; name: string }) {
  const action = useAction();
  const [dialog, ask] = useConfirm();
  const remove = async () => {
    const yes = await ask({
      message: t('imaging.delete_confirm', {
        name: props.name,
        instances: instanceCount(props.row.instance_count),
      }),
      confirmLabel: t('imaging.delete'),
    });
    if (!yes) return;
    await action.run(async () => {
      const answer = await api<{ instances_deleted: number }>(
        'DELETE',
        `/api/v1/dicom/studies/${encodeURIComponent(props.row.study_instance_uid)}`,
      );
      navigate(`/imaging/studies?deleted=${answer.instances_deleted}`);
    });
  };
  return (
    <section class="panel" aria-labelledby="study-delete">
      <h2 id="study-delete">{t('imaging.delete_title')}</h2>
      <p class="hint">{t('imaging.delete_hint')}</p>
      <button
        type="button"
        class="button button-danger"
        onClick={() => void remove()}
        aria-disabled={action.busy}
      >
        {t('imaging.delete')}
      </button>
      <Messages error={action.error} status={action.status} />
      {dialog}
    </section>
  );
}
