// The match queue's filters as they live in the console's address (the API's own names), and the
// API query for a page of it. The review screen carries the same query, to go back or to the next.
import { pageQuery, recordFilterKeys } from './filter-query';

export const queueFilterKeys = [
  ...recordFilterKeys,
  'min_match_probability',
  'max_match_probability',
] as const;

export const sorts = ['probability_desc', 'probability_asc'] as const;
export type Sort = (typeof sorts)[number];

export function sortOf(query: URLSearchParams): Sort {
  const value = query.get('sort');
  return (sorts as readonly string[]).includes(value ?? '') ? (value as Sort) : 'probability_desc';
}

export function queueApiQuery(
  query: URLSearchParams,
  offset: number,
  limit: number,
): URLSearchParams {
  const params = pageQuery(query, queueFilterKeys, offset, limit);
  params.set('sort', sortOf(query));
  return params;
}
