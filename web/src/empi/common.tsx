// Pieces the patient index's screens share: the data sources (read once per page load), the
// crosswalk download, a field's value as imported, and the agreement markers with their legend.
import { useEffect, useState } from 'preact/hooks';
import { api, download } from '../api';
import type { Choice } from '../components/fields';
import { Messages } from '../components/messages';
import { useAction } from '../hooks';
import { t, type MessageKey } from '../i18n';
import { type Agreement, formatProbability, type MatchConfig } from './model';

// The data sources change only with an import: read once, shared by every screen's filter, so
// a filter change costs one call (the list), not two.
let sources: Promise<string[]> | null = null;

export function forgetDataSources(): void {
  sources = null; // an import may have brought a new one
}

export function useDataSourceChoices(anyLabel: string): Choice[] {
  const [names, setNames] = useState<string[]>([]);
  useEffect(() => {
    sources ??= api<{ data_sources: Array<{ name: string }> }>('GET', '/api/v1/data-sources').then(
      (answer) => answer.data_sources.map((d) => d.name),
      () => {
        sources = null; // try again next time; the filter still works without the list
        return [];
      },
    );
    let current = true;
    void sources.then((list) => {
      if (current) setNames(list);
    });
    return () => {
      current = false;
    };
  }, []);
  return [{ value: '', label: anyLabel }, ...names.map((n) => ({ value: n, label: n }))];
}

const crosswalkName = 'crosswalk.csv';

// The crosswalk (every record with its person) as CSV. POSTed with the access token in its
// header, saved through an object URL: the token never goes into a link.
export function CrosswalkButton() {
  const action = useAction();
  const save = () =>
    action.run(async () => {
      const blob = await download('/api/v1/person-records/export', 'POST');
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = crosswalkName;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      return t('empi.crosswalk_saved', { file: crosswalkName });
    });
  return (
    <div class="crosswalk">
      <button
        type="button"
        class="button"
        onClick={() => void save()}
        aria-disabled={action.busy}
        aria-describedby="crosswalk-hint"
      >
        {t('empi.crosswalk')}
      </button>
      <p id="crosswalk-hint" class="hint">
        {t('empi.crosswalk_hint')}
      </p>
      <Messages
        error={action.error}
        status={action.busy ? t('empi.crosswalk_busy') : action.status}
      />
    </div>
  );
}

// Who did it: their name (an email) where the server knows it, with the subject it recorded
// (user:12) under it, as the audit log shows it; a token, or the system, as recorded.
export function Who(props: { subject?: string | null; name?: string | null }) {
  const subject = props.subject || '—';
  if (!props.name) return <span class="mono">{subject}</span>;
  return (
    <>
      {props.name}
      <span class="subtle mono">{subject}</span>
    </>
  );
}

// A value as imported; an empty one says so (in the muted style) rather than leave a blank.
export function Value(props: { value: string | null | undefined }) {
  const value = props.value ?? '';
  if (value === '') return <span class="subtle-inline">{t('empi.empty_value')}</span>;
  return <>{value}</>;
}

const markers: Record<Agreement, { icon: string; label: MessageKey }> = {
  same: { icon: '✓', label: 'empi.agree_same' },
  similar: { icon: '≈', label: 'empi.agree_similar' },
  different: { icon: '✗', label: 'empi.agree_different' },
  missing: { icon: '?', label: 'empi.agree_missing' },
};

export const agreements: Agreement[] = ['same', 'similar', 'different', 'missing'];

// The icon and word that say what the cell's colour says (colour is never the only cue).
export function AgreementMarker(props: { agreement: Agreement }) {
  const m = markers[props.agreement];
  return (
    <span class={`agree-marker agree-marker-${props.agreement}`}>
      <span aria-hidden="true">{m.icon}</span> {t(m.label)}
    </span>
  );
}

// Each entry is a small sample of a table cell (its colour with its mark inside), then what it
// means: a sample reads as a cell, where a bare coloured square read as a checkbox.
export function AgreementLegend() {
  return (
    <div class="legend">
      <h3 id="agreement-legend" class="legend-title">
        {t('empi.legend')}
      </h3>
      <ul class="legend-list" aria-labelledby="agreement-legend">
        <li>
          <span class="legend-sample agree-reference">{t('empi.legend_sample_reference')}</span>
          <span class="legend-text">{t('empi.legend_reference')}</span>
        </li>
        {agreements.map((a) => (
          <li key={a}>
            <span class={`legend-sample agree-${a}`}>
              <AgreementMarker agreement={a} />
            </span>
            <span class="legend-text">{t(`empi.legend_${a}`)}</span>
          </li>
        ))}
        <li>
          <span class="legend-sample agree-none">{t('empi.legend_sample_none')}</span>
          <span class="legend-text">{t('empi.legend_not_compared')}</span>
        </li>
      </ul>
    </div>
  );
}

export function configLabel(c: MatchConfig): string {
  return t('empi.config_choice', {
    id: c.id,
    potential: formatProbability(c.potential_match_threshold),
    auto: formatProbability(c.auto_match_threshold),
  });
}
