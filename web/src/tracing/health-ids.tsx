// An admin issues a batch of health-security ids (POST /api/v1/tracing/health-security-ids). The
// answer goes straight into a CSV file the browser saves (a Blob through an <a download>): the ids
// are never put on screen, and the server keeps only their hashes, so there is no second download.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { Field, SubmitActions } from '../components/fields';
import { Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction } from '../hooks';
import { t } from '../i18n';

// One id a line under a header: what a spreadsheet opens and a mail merge reads.
function healthIdsCsv(ids: string[]): string {
  return ['health_security_id', ...ids].join('\r\n') + '\r\n';
}

export default function HealthIds() {
  const [count, setCount] = useState('10');
  const [length, setLength] = useState('12');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const answer = await api<{ health_security_ids: string[] }>(
        'POST',
        '/api/v1/tracing/health-security-ids',
        { body: { count: Number(count), length: Number(length) } },
      );
      const ids = answer.health_security_ids;
      const file = `health-security-ids-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}Z.csv`;
      const url = URL.createObjectURL(new Blob([healthIdsCsv(ids)], { type: 'text/csv' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = file;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return t('tracing.ids_downloaded', { count: ids.length, file });
    });
  };
  return (
    <Page title={t('tracing.ids_title')}>
      <p class="lead">{t('tracing.ids_intro')}</p>
      <form class="panel form-grid" aria-label={t('tracing.ids_title')} onSubmit={submit}>
        <Field
          label={t('tracing.ids_count')}
          type="number"
          min="1"
          max="1000"
          required
          value={count}
          onInput={setCount}
        />
        <Field
          label={t('tracing.ids_length')}
          type="number"
          min="8"
          max="32"
          required
          value={length}
          onInput={setLength}
        />
        <SubmitActions action={action} label={t('tracing.ids_issue')} />
        <Messages error={action.error} status={action.status} />
      </form>
    </Page>
  );
}
