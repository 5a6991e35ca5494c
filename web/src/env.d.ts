// Imports esbuild turns into something other than a module: an SVG becomes its /assets/ URL.
declare module '*.svg' {
  const url: string;
  export default url;
}
