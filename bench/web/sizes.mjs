// What the console's first page costs on the wire, read from the running server the way a browser
// gets it, and the peer: a React 18 + react-dom hello world bundled by the same esbuild.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

// A GET whose body is returned as sent (node's fetch would undo the gzip).
function getRaw(url, headers) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

// One file as served: its size without Accept-Encoding and with `Accept-Encoding: gzip`.
async function servedFile(base, path, accept) {
  const url = new URL(path, base);
  const plain = await getRaw(url, { Accept: accept });
  const zipped = await getRaw(url, { Accept: accept, 'Accept-Encoding': 'gzip' });
  for (const r of [plain, zipped]) {
    if (r.status !== 200) throw new Error(`GET ${url.pathname} answered ${r.status}`);
  }
  if (plain.headers['content-encoding']) {
    throw new Error(
      `GET ${url.pathname} without Accept-Encoding came back ${plain.headers['content-encoding']}`,
    );
  }
  const gzipped = zipped.headers['content-encoding'] === 'gzip';
  return {
    path: url.pathname,
    raw: plain.body.length,
    gzip: zipped.body.length,
    gzipped, // false: the server sent the plain bytes to a client that accepts gzip
    text: plain.body.toString('utf8'),
  };
}

// The leading static imports of an ES module (esbuild puts them first): what the browser fetches
// before running it. Dynamic import() chunks are lazy and not part of the first page.
function staticImports(source) {
  const found = [];
  const statement = /^\s*import\s*(?:[\w$\s{},*]*?\s*from\s*)?["']([^"']+)["'];?/;
  let rest = source;
  for (let m = statement.exec(rest); m; m = statement.exec(rest)) {
    found.push(m[1]);
    rest = rest.slice(m[0].length);
  }
  return found;
}

function linkedFromHtml(html) {
  const attr = (tag, name) => tag.match(new RegExp(`\\b${name}="([^"]+)"`))?.[1];
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)]
    .map((m) => attr(m[0], 'src'))
    .filter(Boolean);
  const links = [...html.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]);
  const styles = links.filter((l) => /rel="stylesheet"/.test(l)).map((l) => attr(l, 'href'));
  const preloads = links.filter((l) => /rel="modulepreload"/.test(l)).map((l) => attr(l, 'href'));
  return { scripts: [...scripts, ...preloads], styles };
}

// GET / as a browser asks for it, then every script and stylesheet it links and every module
// those scripts import statically.
export async function firstPageFromServer(base) {
  const html = await servedFile(base, '/', 'text/html');
  const { scripts, styles } = linkedFromHtml(html.text);
  if (scripts.length === 0 || styles.length === 0) {
    throw new Error(`index.html links no script or no stylesheet:\n${html.text}`);
  }
  const js = [];
  const seen = new Set();
  const queue = scripts.map((s) => new URL(s, base).pathname);
  while (queue.length > 0) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    const file = await servedFile(base, path, '*/*');
    js.push(file);
    for (const spec of staticImports(file.text))
      queue.push(new URL(spec, new URL(path, base)).pathname);
  }
  const css = [];
  for (const s of styles) css.push(await servedFile(base, new URL(s, base).pathname, 'text/css'));
  const total = (files) => ({
    files: files.length,
    raw: files.reduce((n, f) => n + f.raw, 0),
    gzip: files.reduce((n, f) => n + f.gzip, 0),
    notGzipped: files.filter((f) => !f.gzipped && f.raw > 1024).map((f) => f.path),
  });
  return { html, js, css, jsTotal: total(js), cssTotal: total(css) };
}

// Compares the served first page with the build's sizes.json: same files, same sizes. Returns
// a sentence for the report.
export function crossCheck(firstPage, sizesPath) {
  let sizes;
  try {
    sizes = JSON.parse(readFileSync(sizesPath, 'utf8'));
  } catch {
    return `no sizes.json at ${sizesPath}: not cross-checked`;
  }
  const served = [...firstPage.js, ...firstPage.css];
  const listed = new Set(sizes.first_page?.files ?? []);
  const servedPaths = new Set(served.map((f) => f.path));
  const missing = [...listed].filter((p) => !servedPaths.has(p));
  const extra = [...servedPaths].filter((p) => !listed.has(p));
  const differing = served.filter((f) => {
    const s = sizes.files?.[f.path];
    return s && (s.raw !== f.raw || (f.gzipped && s.gzip !== f.gzip));
  });
  if (missing.length || extra.length || differing.length) {
    return (
      `sizes.json (${sizesPath}) DISAGREES with the server: ` +
      `only in sizes.json [${missing.join(' ')}], only served [${extra.join(' ')}], ` +
      `sizes differ [${differing.map((f) => f.path).join(' ')}] (a binary older than the build?)`
    );
  }
  const { raw, gzip } = sizes.first_page;
  return `sizes.json agrees (${listed.size} files; ${raw} B raw, ${gzip} B gzip)`;
}

// The peer: createRoot(...).render(<h1>) bundled, minified, for production, with the options
// web/build.mjs gives the console's own bundle.
export async function reactHelloWorld() {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: ['react-hello.jsx'],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    outdir: join(here, 'out'), // names only: write is false
    write: false,
    logLevel: 'silent',
  });
  const js = result.outputFiles.filter((f) => f.path.endsWith('.js'));
  if (js.length !== 1) throw new Error(`the React peer built ${js.length} JS files, expected 1`);
  const body = Buffer.from(js[0].contents);
  return { raw: body.length, gzip: gzipSync(body, { level: 9 }).length, esbuild: esbuild.version };
}

export function esbuildVersionOf(packageDir) {
  try {
    return JSON.parse(readFileSync(join(packageDir, 'node_modules/esbuild/package.json'), 'utf8'))
      .version;
  } catch {
    return null;
  }
}
