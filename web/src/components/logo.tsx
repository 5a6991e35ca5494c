// carehub's mark, drawn inline (the same drawing as favicon.svg, which stays the tab's icon). As an
// <img> of the SVG file it cost every new page an SVG document of its own: 18 ms of painting in a
// traced load of the review screen on the 2-core machine.
export function Logo(props: { size: number }) {
  return (
    <svg viewBox="0 0 32 32" width={props.size} height={props.size} aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="#0b5f6b" />
      <path fill="#fff" d="M13 6h6v7h7v6h-7v7h-6v-7H6v-6h7z" />
    </svg>
  );
}
