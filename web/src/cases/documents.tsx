// A case's documents: upload (the File itself is the body, so the browser streams it from disk,
// with a progress bar from XMLHttpRequest's upload events), list, download, preview and delete.
import { useEffect, useId, useState } from 'preact/hooks';
import { api, download, uploadBody } from '../api';
import { useConfirm } from '../components/confirm';
import { Loading, Messages } from '../components/messages';
import { DataTable } from '../components/table-box';
import { useAction, useApi } from '../hooks';
import { formatBytes, formatDateTime, language, t } from '../i18n';
import { type CaseDocument, casePath, documentLink, documentPath } from './model';
import { useShown } from './ready';
import './messages';

export function Documents(props: { caseId: string; owner: boolean }) {
  const { caseId, owner } = props;
  const list = useApi<{ documents: CaseDocument[] }>(`${casePath(caseId)}/documents`);
  useShown('documents', list.data !== null);
  const action = useAction();
  const [dialog, ask] = useConfirm();
  const [preview, setPreview] = useState<CaseDocument | null>(null);
  const all = list.data?.documents ?? [];
  // The first hundred, in upload order; a case of years has hundreds, which the page need not
  // lay out before the person asks for them.
  const [showAll, setShowAll] = useState(false);
  const docs = showAll ? all : all.slice(0, documentsShown);

  const save = (d: CaseDocument) =>
    action.run(async () => {
      const blob = await download(documentPath(caseId, d.id));
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = d.name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
  const openPdf = (d: CaseDocument) =>
    action.run(async () => {
      const link = await documentLink(caseId, d.id);
      window.open(inlineUrl(link.url), '_blank', 'noopener,noreferrer');
    });
  const remove = async (d: CaseDocument) => {
    if (
      !(await ask({
        message: t('cases.doc_delete_question', { name: d.name }),
        confirmLabel: t('cases.delete'),
      }))
    )
      return;
    await action.run(async () => {
      await api('DELETE', documentPath(caseId, d.id));
      if (preview?.id === d.id) setPreview(null);
      list.reload();
      return t('cases.doc_deleted', { name: d.name });
    });
  };

  return (
    <section class="panel" aria-labelledby="case-documents">
      <h2 id="case-documents">{t('cases.documents')}</h2>
      {owner && <UploadForm caseId={caseId} onUploaded={list.reload} />}
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && docs.length === 0 && <p>{t('cases.documents_none')}</p>}
      {docs.length > 0 && (
        <DataTable
          label={t('cases.documents')}
          compact
          columns={[
            { label: t('cases.col_document') },
            { label: t('cases.col_size'), numeric: true },
            { label: t('cases.col_added') },
            { label: t('common.actions') },
          ]}
        >
          {docs.map((d) => (
            <tr key={d.id}>
              <th scope="row">{d.name}</th>
              <td class="number">{formatBytes(d.size)}</td>
              <td>{formatDateTime(d.created_at)}</td>
              <td class="row-actions">
                <button
                  type="button"
                  class="link-button"
                  onClick={() => void save(d)}
                  aria-label={t('cases.download_named', { name: d.name })}
                >
                  {t('cases.download')}
                </button>
                {isImage(d) && (
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => setPreview(d)}
                    aria-label={t('cases.preview_named', { name: d.name })}
                  >
                    {t('cases.preview')}
                  </button>
                )}
                {isPdf(d) && (
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => void openPdf(d)}
                    aria-label={t('cases.open_named', { name: d.name })}
                  >
                    {t('cases.open')}
                  </button>
                )}
                {owner && (
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => void remove(d)}
                    aria-label={t('cases.delete_named', { name: d.name })}
                  >
                    {t('cases.delete')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {all.length > docs.length && (
        <p>
          <button type="button" class="button" onClick={() => setShowAll(true)}>
            {t('cases.documents_all', { n: String(all.length) })}
          </button>
        </p>
      )}
      <Messages error={action.error} status={action.status} />
      {preview && <Preview key={preview.id} caseId={caseId} doc={preview} onClose={() => setPreview(null)} />}
      {dialog}
    </section>
  );
}

const documentsShown = 100;

const images = ['image/png', 'image/jpeg', 'image/gif', 'image/webp']; // routes_documents.cpp previewable()

function isImage(d: CaseDocument): boolean {
  return images.includes(d.content_type);
}

function isPdf(d: CaseDocument): boolean {
  return d.content_type === 'application/pdf';
}

// Chromium refuses to show a PDF in any sandboxed frame ("This page has been blocked"), so a PDF
// opens in a tab of its own, through a signed link that asks for inline display: the response
// still runs no script of ours and cannot be framed by another site.
function inlineUrl(url: string): string {
  return `${url}&disposition=inline`;
}

function UploadForm(props: { caseId: string; onUploaded(): void }) {
  const [file, setFile] = useState<File | null>(null);
  const [picker, setPicker] = useState(0); // a new input after each upload: it forgets the file
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const action = useAction();
  const id = useId();
  const submit = (e: Event) => {
    e.preventDefault();
    if (!file) {
      action.fail(t('cases.upload_none'));
      return;
    }
    void action.run(async () => {
      setProgress({ sent: 0, total: file.size });
      const path = `${casePath(props.caseId)}/documents?name=${encodeURIComponent(file.name)}`;
      const answer = await uploadBody<CaseDocument>(
        path,
        file,
        { contentType: file.type || 'application/octet-stream', accept: 'application/json' },
        (sent, total) => setProgress({ sent, total: total || file.size }),
      );
      setProgress({ sent: file.size, total: file.size });
      setFile(null);
      setPicker((n) => n + 1);
      props.onUploaded();
      return t('cases.upload_done', { name: answer.data.name });
    });
  };
  const percent = progress ? (progress.total ? progress.sent / progress.total : 0) : 0;
  return (
    <form class="upload-form" onSubmit={submit}>
      <div class="field">
        <label for={id}>{t('cases.choose_file')}</label>
        <input
          key={picker}
          id={id}
          type="file"
          onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
        />
      </div>
      {progress && (
        <div class="progress-row upload-progress">
          <progress
            max={Math.max(1, progress.total)}
            value={progress.sent}
            aria-label={t('cases.upload_progress')}
          />
          <span class="progress-figure" data-testid="upload-percent">
            {new Intl.NumberFormat(language.get(), { style: 'percent' }).format(percent)}
          </span>
        </div>
      )}
      <Messages
        error={action.error}
        status={
          action.busy && progress
            ? t('cases.uploading', { sent: formatBytes(progress.sent), total: formatBytes(progress.total) })
            : action.status
        }
      />
      <div class="actions">
        <button type="submit" class="button button-primary" aria-disabled={action.busy}>
          {t('cases.upload')}
        </button>
      </div>
    </form>
  );
}

// A picture shown in a sandboxed frame (no script, no same-origin rights) through a signed link:
// the frame cannot carry the access token, and the link works for minutes only.
function Preview(props: { caseId: string; doc: CaseDocument; onClose(): void }) {
  const [url, setUrl] = useState<string | null>(null);
  const action = useAction();
  useEffect(() => {
    void action.run(async () => {
      const link = await documentLink(props.caseId, props.doc.id);
      setUrl(inlineUrl(link.url));
    });
  }, []);
  return (
    <div class="case-preview" role="region" aria-label={t('cases.preview_named', { name: props.doc.name })}>
      <div class="actions">
        <strong>{props.doc.name}</strong>
        <button type="button" class="button" onClick={props.onClose}>
          {t('cases.preview_close')}
        </button>
      </div>
      <Messages error={action.error} />
      {url && (
        <iframe
          class="case-preview-frame"
          src={url}
          title={props.doc.name}
          sandbox=""
          referrerpolicy="no-referrer"
        />
      )}
    </div>
  );
}
