// Upload DICOM files: dropped on the drop zone (files or whole folders) or chosen with either
// picker (files, or a folder), then sent by STOW-RS a batch at a time, with a progress bar over
// all the bytes and each file's result: stored, already stored, or refused with the server's
// reason.
import { useId, useState } from 'preact/hooks';
import { Actions } from '../components/fields';
import { Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useAction } from '../hooks';
import { formatBytes, formatNumber, language, t, type MessageKey } from '../i18n';
import { batches, batchFiles, droppedFiles, type FileResult, type Outcome, sendBatch } from './stow';
import './messages';

const outcomeKeys: Record<Outcome, MessageKey> = {
  stored: 'imaging.result_stored',
  already: 'imaging.result_already',
  refused: 'imaging.result_refused',
};

export default function Upload() {
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [results, setResults] = useState<FileResult[]>([]);
  const [pickers, setPickers] = useState(0); // new inputs after each upload: they forget
  const action = useAction();

  const start = () => {
    if (files.length === 0) {
      action.fail(t('imaging.upload_none'));
      return;
    }
    void action.run(async () => {
      const total = files.reduce((n, f) => n + f.size, 0);
      const done: FileResult[] = [];
      setResults([]);
      let before = 0;
      setProgress({ sent: 0, total });
      try {
        for (const batch of batches(files)) {
          const size = batch.reduce((n, f) => n + f.size, 0);
          const answer = await sendBatch(batch, (sent) =>
            setProgress({ sent: before + Math.min(sent, size), total }),
          );
          before += size;
          done.push(...answer);
          setResults([...done]);
        }
      } finally {
        setProgress(null);
      }
      setFiles([]);
      setPickers((n) => n + 1);
      const tally = (o: Outcome) => formatNumber(done.filter((r) => r.outcome === o).length);
      return t('imaging.upload_done', {
        stored: tally('stored'),
        already: tally('already'),
        refused: tally('refused'),
      });
    });
  };

  return (
    <Page title={t('imaging.upload_title')}>
      <p class="lead">{t('imaging.upload_intro', { size: batchFiles })}</p>
      <section class="panel" aria-label={t('imaging.upload_title')}>
        <DropZone key={pickers} files={files} onFiles={setFiles} />
        {progress && (
          <div class="progress-row upload-progress">
            <progress
              max={Math.max(1, progress.total)}
              value={progress.sent}
              aria-label={t('imaging.upload_progress')}
            />
            <span class="progress-figure">
              {new Intl.NumberFormat(language.get(), { style: 'percent' }).format(
                progress.total ? progress.sent / progress.total : 0,
              )}
            </span>
          </div>
        )}
        <Messages
          error={action.error}
          status={
            progress
              ? t('imaging.uploading', { sent: formatBytes(progress.sent), total: formatBytes(progress.total) })
              : action.status
          }
        />
        <Actions>
          <button type="button" class="button button-primary" aria-disabled={action.busy} onClick={start}>
            {t('imaging.upload_start')}
          </button>
        </Actions>
      </section>
      {results.length > 0 && <Results results={results} />}
    </Page>
  );
}

function Results(props: { results: FileResult[] }) {
  return (
    <section class="panel" aria-labelledby="upload-results">
      <h2 id="upload-results">{t('imaging.results')}</h2>
      <DataTable
        label={t('imaging.results')}
        compact
        columns={[
          { label: t('imaging.col_file') },
          { label: t('imaging.col_result') },
          { label: t('imaging.col_reason') },
        ]}
      >
        {props.results.map((r, i) => (
          <tr key={i} class={`result-${r.outcome}`}>
            <th scope="row">{r.name}</th>
            <td>
              {r.study ? (
                <a href={`/imaging/studies/${encodeURIComponent(r.study)}`}>{t(outcomeKeys[r.outcome])}</a>
              ) : (
                t(outcomeKeys[r.outcome])
              )}
            </td>
            <td>{r.reason}</td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}

// Where files and folders can be dropped; the two labelled inputs inside do the same from the
// keyboard (the second picks a whole folder).
function DropZone(props: { files: File[]; onFiles(files: File[]): void }) {
  const [over, setOver] = useState(false);
  const id = useId();
  const take = (list: FileList | File[] | null | undefined) => {
    if (list && list.length > 0) props.onFiles([...list]);
  };
  // webkitdirectory is not in Preact's attribute types.
  const folder = { webkitdirectory: true } as Record<string, unknown>;
  const size = props.files.reduce((n, f) => n + f.size, 0);
  return (
    <div
      class={over ? 'drop-zone drop-zone-over' : 'drop-zone'}
      role="group"
      aria-label={t('imaging.drop_zone')}
      onDragEnter={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragOver={(e) => {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (e.dataTransfer) void droppedFiles(e.dataTransfer).then(take);
      }}
    >
      <p class="drop-zone-text" aria-hidden="true">
        {t('imaging.drop_here')}
      </p>
      <div class="field">
        <label for={`${id}-files`}>{t('imaging.choose_files')}</label>
        <input id={`${id}-files`} type="file" multiple onChange={(e) => take(e.currentTarget.files)} />
      </div>
      <div class="field">
        <label for={`${id}-folder`}>{t('imaging.choose_folder')}</label>
        <input id={`${id}-folder`} type="file" {...folder} onChange={(e) => take(e.currentTarget.files)} />
      </div>
      <p class="chosen-file" aria-live="polite">
        {props.files.length > 0
          ? t('imaging.chosen', { count: formatNumber(props.files.length), size: formatBytes(size) })
          : ''}
      </p>
    </div>
  );
}
