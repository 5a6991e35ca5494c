// A page's frame: its <h1> (focused after a navigation, so screen readers announce the new page
// and keyboard users start at its top) and the document title.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { takeHeadingFocus } from '../router';

export function Page(props: { title: string; children?: ComponentChildren; narrow?: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · carehub`;
  }, [props.title]);
  useEffect(() => {
    if (takeHeadingFocus()) heading.current?.focus();
  }, []);
  return (
    <div class={props.narrow ? 'page page-narrow' : 'page'}>
      <h1 ref={heading} tabIndex={-1} class="page-title">
        {props.title}
      </h1>
      {props.children}
    </div>
  );
}
