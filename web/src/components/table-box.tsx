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
