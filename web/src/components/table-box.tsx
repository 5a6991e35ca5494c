// The box a wide table scrolls in on a small screen. Focusable and named, so keyboard users can
// scroll it too (with the arrow keys) and screen readers say what it holds.
import type { ComponentChildren } from 'preact';

export function TableBox(props: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={props.label} tabIndex={0}>
      {props.children}
    </div>
  );
}

// One column of a DataTable's header row. A header seen only by screen readers (a column of
// buttons, say) is a <span class="visually-hidden">, so the column still has a name.
export interface Column {
  label: ComponentChildren;
  numeric?: boolean; // right-aligned figures: the header lines up with them
  class?: string;
  key?: string; // when the label is not a fixed text the columns can be told apart by
}

// A table in its scrolling box, with one header row: label names both the box (a region) and
// the table (a caption only screen readers see). The children are the body's rows.
export function DataTable(props: {
  label: string;
  columns: Column[];
  compact?: boolean;
  class?: string;
  children: ComponentChildren;
}) {
  const { label } = props;
  return (
    <TableBox label={label}>
      <table class={classes('table', props.compact && 'table-compact', props.class)}>
        <caption class="visually-hidden">{label}</caption>
        <thead>
          <tr>
            {props.columns.map((c, i) => (
              <th key={c.key ?? i} scope="col" class={classes(c.numeric && 'number', c.class)}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </TableBox>
  );
}

// The class names given, or no class attribute at all when none is.
function classes(...names: Array<string | false | undefined>): string | undefined {
  return names.filter(Boolean).join(' ') || undefined;
}
