// Figures to text: the tables bench/web prints.
export const kib = (bytes) => (bytes / 1024).toFixed(1);
const thousands = (n) =>
  n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US');
const ms = (n) => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(1));

export function median(values) {
  const v = values.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function max(values) {
  const v = values.filter((x) => typeof x === 'number');
  return v.length === 0 ? null : Math.max(...v);
}

export function target(ok, what, value) {
  return `  [${ok ? 'PASS' : 'MISS'}] ${what.padEnd(52)} ${value}`;
}

// A table line: the label, then right-aligned cells of the given widths.
function line(label, cells, widths) {
  return `  ${label.padEnd(70)} ${cells.map((c, i) => String(c).padStart(widths[i])).join(' ')}`;
}

// Rows of [label, files, raw, gzip].
export function sizeTable(rows) {
  const widths = [5, 9, 9, 9];
  const header = line('what', ['files', 'raw B', 'gzip B', 'gzip KiB'], widths);
  const lines = [header, `  ${'-'.repeat(header.length - 2)}`];
  for (const [label, files, raw, gzip] of rows) {
    lines.push(line(label, [files, thousands(raw), thousands(gzip), kib(gzip)], widths));
  }
  return lines.join('\n');
}

// Rows of [label, values (ms)]: median and max of each.
export function timeTable(title, rows) {
  const widths = [10, 9];
  const header = line(title, ['median ms', 'max ms'], widths);
  const lines = [header, `  ${'-'.repeat(header.length - 2)}`];
  for (const [label, values] of rows)
    lines.push(line(label, [ms(median(values)), ms(max(values))], widths));
  return lines.join('\n');
}

// An API path with its ids as {id}, so the same route called for different rows counts as one.
export function routeOf(path) {
  return path
    .replace(/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|\?|$)/gi, '/{id}')
    .replace(/\/\d+(?=\/|\?|$)/g, '/{id}')
    .replace(/\?.*$/, '');
}

// "GET /api/v1/x (2), POST /api/v1/y" from a list of calls.
export function callList(calls) {
  const counts = new Map();
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => (n > 1 ? `${c} (x${n})` : c)).join(', ') || 'none';
}

export function section(title) {
  return `\n${title}\n${'='.repeat(title.length)}`;
}
