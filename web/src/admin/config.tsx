// Administration: the configuration the server runs with (its file, environment and defaults
// together), redacted as `carehub config print` redacts it: a secret's value never leaves the
// server, only "<redacted>" in its place. One table per section; nested objects become dotted
// keys (auth.oidc.issuer), lists of objects numbered ones (modules[0].name).
import { useId, useState } from 'preact/hooks';
import { Field } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useApi } from '../hooks';
import { formatNumber, t } from '../i18n';

const redacted = '<redacted>';

type Setting = [key: string, value: unknown];

interface Section {
  name: string;
  settings: Setting[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flatten(value: unknown, key: string, into: Setting[]): void {
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [name, inner] of Object.entries(value)) {
      flatten(inner, key ? `${key}.${name}` : name, into);
    }
  } else if (Array.isArray(value) && value.some((v) => isObject(v) || Array.isArray(v))) {
    value.forEach((inner, i) => flatten(inner, `${key}[${i}]`, into));
  } else {
    into.push([key, value]);
  }
}

// Sections in the server's order; settings at the top level (none today) under "general".
function sectionsOf(config: unknown): Section[] {
  const general: Setting[] = [];
  const sections: Section[] = [];
  for (const [name, value] of Object.entries(isObject(config) ? config : {})) {
    if (isObject(value)) {
      const settings: Setting[] = [];
      flatten(value, '', settings);
      sections.push({ name, settings });
    } else {
      flatten(value, name, general);
    }
  }
  if (general.length === 0) return sections;
  return [{ name: t('config.general'), settings: general }, ...sections];
}

export default function Configuration() {
  const config = useApi<Record<string, unknown>>('/api/v1/system/config');
  const [filter, setFilter] = useState('');
  const sections = config.data ? sectionsOf(config.data) : [];
  const wanted = filter.trim().toLowerCase();
  const matches = (section: string, key: string) =>
    !wanted || `${section}.${key}`.toLowerCase().includes(wanted);
  const shown = sections
    .map((s) => ({ ...s, settings: s.settings.filter(([key]) => matches(s.name, key)) }))
    .filter((s) => s.settings.length > 0);
  const secrets = sections.reduce(
    (n, s) => n + s.settings.filter(([, value]) => value === redacted).length,
    0,
  );
  return (
    <Page title={t('config.title')}>
      <p class="lead">{t('config.intro')}</p>
      <Messages error={config.error} />
      {config.loading && !config.data && <Loading />}
      {config.data && (
        <>
          <p>{t('config.secrets', { n: formatNumber(secrets) })}</p>
          <form
            class="filters"
            role="search"
            aria-label={t('config.find')}
            onSubmit={(e) => e.preventDefault()}
          >
            <Field
              label={t('config.find')}
              type="search"
              value={filter}
              onInput={setFilter}
              hint={t('config.find_hint')}
            />
          </form>
          {shown.length === 0 && (
            <p role="status" class="empty">
              {t('config.none')}
            </p>
          )}
          {shown.map((s) => (
            <SectionTable key={s.name} section={s} />
          ))}
        </>
      )}
    </Page>
  );
}

function SectionTable(props: { section: Section }) {
  const { section } = props;
  const headingId = useId();
  return (
    <section class="config-section" aria-labelledby={headingId}>
      <h2 id={headingId} class="mono-heading">
        {section.name}
      </h2>
      <DataTable
        label={t('config.section', { name: section.name })}
        compact
        class="config-table"
        columns={[{ label: t('config.key') }, { label: t('config.value') }]}
      >
        {section.settings.map(([key, value]) => (
          <tr key={key}>
            <th scope="row" class="mono">
              {key}
            </th>
            <td>
              <Value value={value} />
            </td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}

function Value(props: { value: unknown }) {
  const { value } = props;
  if (value === redacted) {
    return (
      <span class="badge badge-secret">{t('config.redacted')}</span>
    );
  }
  if (value === '') return <span class="subtle-inline">{t('config.empty')}</span>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span class="subtle-inline">{t('config.empty_list')}</span>;
    return (
      <ul class="config-list">
        {value.map((v, i) => (
          <li key={i}>
            <Value value={v} />
          </li>
        ))}
      </ul>
    );
  }
  if (isObject(value)) return <span class="subtle-inline">{t('config.empty_object')}</span>;
  if (typeof value === 'string') return <code class="mono">{value}</code>;
  return <code class="mono">{String(value)}</code>;
}
