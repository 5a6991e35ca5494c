// A QR code as an SVG: white quiet zone of 4 modules, black modules, scaled by CSS. Named for
// screen readers by its text, which is also shown beside it.
import { useMemo } from 'preact/hooks';
import { qrModules } from './model';

const quiet = 4;

export function QrCode(props: { text: string; label: string }) {
  const { size, path } = useMemo(() => qrModules(props.text), [props.text]);
  const side = size + 2 * quiet;
  return (
    <svg
      class="qr-code"
      viewBox={`${-quiet} ${-quiet} ${side} ${side}`}
      role="img"
      aria-label={props.label}
      data-text={props.text}
      shape-rendering="crispEdges"
    >
      <rect x={-quiet} y={-quiet} width={side} height={side} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
