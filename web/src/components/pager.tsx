// "1–50 of 312" with links to the previous and next pages of a list whose place lives in the
// address (?offset=), so Back, reload and a shared link show the same page.
import { formatNumber, t } from '../i18n';

// Where a page's link goes: the list at base with the address's query and that page's ?offset=
// (none for the first page), or, for a list whose pages live elsewhere, any address.
type PageAddress =
  | { base: string; query: URLSearchParams }
  | { href(offset: number): string }; // the console address of the page starting at offset

export function Pager(
  props: { offset: number; limit: number; shown: number; total: number } & PageAddress,
) {
  const { offset, limit, shown, total } = props;
  const href =
    'href' in props
      ? props.href
      : (o: number) => hrefWith(props.base, props.query, { offset: o ? String(o) : '' });
  const to = offset + shown;
  return (
    <nav class="pager" aria-label={t('pager.label')}>
      <p role="status">
        {t('pager.showing', {
          from: formatNumber(shown > 0 ? offset + 1 : 0),
          to: formatNumber(to),
          total: formatNumber(total),
        })}
      </p>
      {offset > 0 && <a href={href(Math.max(0, offset - limit))}>{t('pager.previous')}</a>}
      {to < total && <a href={href(offset + limit)}>{t('pager.next')}</a>}
    </nav>
  );
}

// The console address `base` with some query parameters changed (an empty value removes one).
export function hrefWith(
  base: string,
  query: URLSearchParams,
  changes: Record<string, string>,
): string {
  const params = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value) params.set(key, value);
    else params.delete(key);
  }
  const search = params.toString();
  return `${base}${search ? `?${search}` : ''}`;
}

// The ?offset= of the address: a whole number, 0 when absent or malformed.
export function offsetOf(query: URLSearchParams): number {
  return Math.max(0, Math.floor(Number(query.get('offset')) || 0));
}
