// The record filters the match queue and the persons search share: their values while typed
// (started from the address, where they live), the four fields both show, the buttons, and the
// API query built from the address. Each screen adds its own fields around them.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Actions, Field, Select } from '../components/fields';
import { hrefWith } from '../components/pager';
import { t } from '../i18n';
import { navigate } from '../router';
import { useDataSourceChoices } from './common';
import type { RecordFilterKey } from './filter-query';

// Every key's value from the address ('' when absent), and a setter per key.
export function useFilterValues<K extends string>(query: URLSearchParams, keys: readonly K[]) {
  const [values, setValues] = useState(
    () => Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ''])) as Record<K, string>,
  );
  const set = (key: K) => (value: string) => setValues((v) => ({ ...v, [key]: value }));
  return [values, set] as const;
}

// The console address of the list at base with these filter values (trimmed; empty ones
// removed) and back on its first page.
export function filteredHref(
  base: string,
  query: URLSearchParams,
  values: Record<string, string>,
): string {
  const changes: Record<string, string> = { offset: '' };
  for (const [key, value] of Object.entries(values)) changes[key] = value.trim();
  return hrefWith(base, query, changes);
}

export function RecordFilterFields(props: {
  values: Record<RecordFilterKey, string>;
  set(key: RecordFilterKey): (value: string) => void;
}) {
  const { values, set } = props;
  const sources = useDataSourceChoices(t('empi.any_source'));
  return (
    <>
      <Field
        label={t('empi.col_first_name')}
        value={values.first_name}
        onInput={set('first_name')}
        name="first_name"
      />
      <Field
        label={t('empi.col_last_name')}
        value={values.last_name}
        onInput={set('last_name')}
        name="last_name"
      />
      <Field
        label={t('empi.col_birth_date')}
        value={values.birth_date}
        onInput={set('birth_date')}
        name="birth_date"
        hint={t('empi.birth_date_hint')}
      />
      <Select
        label={t('empi.col_data_source')}
        value={values.data_source}
        onChange={set('data_source')}
        choices={sources}
      />
    </>
  );
}

// The form's last row: its messages, then submit and a Clear that returns to the bare list.
export function FilterActions(props: {
  submit: string;
  clearTo: string;
  children?: ComponentChildren;
}) {
  return (
    <div class="form-wide">
      {props.children}
      <Actions>
        <button type="submit" class="button button-primary">
          {props.submit}
        </button>
        <button type="button" class="button" onClick={() => navigate(props.clearTo)}>
          {t('empi.clear')}
        </button>
      </Actions>
    </div>
  );
}
