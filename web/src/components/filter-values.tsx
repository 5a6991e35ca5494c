// A search form whose filters live in the address (?key=value), so Back, reload and a shared link
// show the same list: the values while typed, started from the address; a text field bound to
// one of them by its key; and the address they lead to.
import { useState } from 'preact/hooks';
import { Field, type FieldProps } from './fields';
import { hrefWith } from './pager';

export interface FilterValues<K extends string> {
  values: Record<K, string>;
  set(key: K): (value: string) => void;
}

// Every key's value from the address ('' when absent), and a setter per key.
export function useFilterValues<K extends string>(
  query: URLSearchParams,
  keys: readonly K[],
): FilterValues<K> {
  const [values, setValues] = useState(
    () => Object.fromEntries(keys.map((k) => [k, query.get(k) ?? ''])) as Record<K, string>,
  );
  const set = (key: K) => (value: string) => setValues((v) => ({ ...v, [key]: value }));
  return { values, set };
}

// A Field for the filter `name`: the key is its name in the form and in the address.
export function FilterField<K extends string>(
  props: Omit<FieldProps, 'name' | 'value' | 'onInput'> & { filter: FilterValues<K>; name: K },
) {
  const { filter, name, ...field } = props;
  return <Field {...field} name={name} value={filter.values[name]} onInput={filter.set(name)} />;
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
