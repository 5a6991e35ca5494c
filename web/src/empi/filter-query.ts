// The record filters' API names, and the API query of one page of a filtered list, from the
// console's address. No components here: the review screen builds the queue's query with them
// without loading the filter form.

// The fields of RecordFilterFields (filters.tsx), by their API names.
export const recordFilterKeys = ['first_name', 'last_name', 'birth_date', 'data_source'] as const;
export type RecordFilterKey = (typeof recordFilterKeys)[number];

// The API query of one page: the keys the address holds (trimmed), then limit and offset.
export function pageQuery(
  query: URLSearchParams,
  keys: readonly string[],
  offset: number,
  limit: number,
): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of keys) {
    const value = query.get(key)?.trim();
    if (value) params.set(key, value);
  }
  params.set('limit', String(limit));
  params.set('offset', String(offset));
  return params;
}
