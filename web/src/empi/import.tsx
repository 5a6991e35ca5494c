// Import person records: a CSV file dropped on the drop zone (or chosen with the file input, for
// keyboard users) and a match configuration; the upload's own progress (XMLHttpRequest reports
// it), then the import job's progress and result. The job's id goes into the address (?job=), so
// a reload or a shared link shows the same import. Below: every import, newest first.
import { useEffect, useId, useState } from 'preact/hooks';
import { upload } from '../api';
import { Actions, Select } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction, useApi } from '../hooks';
import { language, t } from '../i18n';
import { navigate, useQuery } from '../router';
import { configLabel } from './common';
import { ImportHistory } from './import-history';
import { ImportJobView } from './import-job';
import { formatBytes, type MatchConfig } from './model';
import './messages'; // this workspace's words, before any screen renders

export default function Import() {
  const query = useQuery();
  const job = query.get('job');
  // Bumped when an import finishes, so the history reads it again.
  const [finished, setFinished] = useState(0);
  return (
    <Page title={t('empi.import_title')}>
      <p class="lead">{t('empi.import_intro')}</p>
      <ImportForm />
      {job && (
        <ImportJobView key={job} id={job} onFinished={() => setFinished((n) => n + 1)} />
      )}
      <ImportHistory query={query} finished={finished} />
    </Page>
  );
}

function ImportForm() {
  const configs = useApi<{ configs: MatchConfig[] }>('/api/v1/configs');
  const [configId, setConfigId] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<{ sent: number; total: number } | null>(null);
  const [uploads, setUploads] = useState(0); // a new file input after each upload: it forgets

  const action = useAction();
  const list = configs.data?.configs ?? [];
  // The newest config, until the person picks another.
  useEffect(() => {
    if (!configId && list.length > 0) setConfigId(list[0].id);
  }, [list.length]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!file) {
      action.fail(t('empi.import_no_file'));
      return;
    }
    if (!configId) {
      action.fail(t('empi.import_no_config'));
      return;
    }
    void action.run(async () => {
      const form = new FormData();
      form.append('config_id', configId);
      form.append('file', file, file.name);
      setSent({ sent: 0, total: file.size });
      try {
        const answer = await upload<{ job_id: string }>(
          '/api/v1/person-records/import',
          form,
          (s, total) => setSent({ sent: s, total: total || file.size }),
        );
        setFile(null);
        setUploads((n) => n + 1);
        navigate(`/empi/import?job=${encodeURIComponent(answer.job_id)}`);
        return t('empi.uploaded', { name: file.name, id: answer.job_id });
      } finally {
        setSent(null);
      }
    });
  };

  return (
    <section class="panel" aria-labelledby="import-new">
      <h2 id="import-new">{t('empi.import_new')}</h2>
      <form class="form" onSubmit={submit}>
        {configs.error && <Messages error={configs.error} />}
        {configs.loading && !configs.data && <Loading />}
        {configs.data && list.length === 0 && (
          <p>
            {t('empi.import_needs_config')} <a href="/empi/configs">{t('empi.configs_title')}</a>
          </p>
        )}
        {list.length > 0 && (
          <Select
            label={t('empi.import_config')}
            value={configId}
            onChange={setConfigId}
            choices={list.map((c) => ({ value: c.id, label: configLabel(c) }))}
          />
        )}
        <DropZone key={uploads} file={file} onFile={setFile} />
        {sent && (
          <div class="progress-row upload-progress">
            <progress
              max={Math.max(1, sent.total)}
              value={sent.sent}
              aria-label={t('empi.upload_progress')}
            />
            <span class="progress-figure">
              {new Intl.NumberFormat(language.get(), { style: 'percent' }).format(
                sent.total ? sent.sent / sent.total : 0,
              )}
            </span>
          </div>
        )}
        <Messages
          error={action.error}
          status={sent ? uploading(sent.sent, sent.total) : action.status}
        />
        <Actions>
          <button type="submit" class="button button-primary" aria-disabled={action.busy}>
            {t('empi.import_start')}
          </button>
        </Actions>
      </form>
    </section>
  );
}

function uploading(sent: number, total: number): string {
  return t('empi.uploading', { sent: formatBytes(sent), total: formatBytes(total) });
}

// Where a file can be dropped; the labelled file input inside does the same from the keyboard.
function DropZone(props: { file: File | null; onFile(file: File): void }) {
  const [over, setOver] = useState(false);
  const inputId = useId();
  const hintId = `${inputId}-hint`;
  const take = (files: FileList | null | undefined) => {
    const f = files?.[0];
    if (f) props.onFile(f);
  };
  return (
    <div
      class={over ? 'drop-zone drop-zone-over' : 'drop-zone'}
      role="group"
      aria-label={t('empi.drop_zone')}
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
        take(e.dataTransfer?.files);
      }}
    >
      <p class="drop-zone-text" aria-hidden="true">
        {t('empi.drop_here')}
      </p>
      <div class="field">
        <label for={inputId}>{t('empi.choose_file')}</label>
        <input
          id={inputId}
          type="file"
          accept=".csv,text/csv"
          aria-describedby={hintId}
          onChange={(e) => take(e.currentTarget.files)}
        />
        <p id={hintId} class="hint">
          {t('empi.file_hint')}
        </p>
      </div>
      <p class="chosen-file" aria-live="polite">
        {props.file
          ? t('empi.file_chosen', { name: props.file.name, size: formatBytes(props.file.size) })
          : ''}
      </p>
    </div>
  );
}
