// Builds the web console and writes it as C++ source the binary compiles in (CMake runs this).
//
//   node web/build.mjs --out <path/to/console_data.cpp> [--dist <dir>]
//
// --out:  a C++ file implementing include/carehub/console_assets.hpp; written only when its
//         content changed, so an unchanged console does not recompile anything.
// --dist: also the files themselves (index.html, assets/...) and sizes.json, for benchmarks and
//         for looking at the console without the server.
// Exit codes: 0 built; 1 the bundle failed (esbuild's messages on stderr); 2 usage, or the npm
// packages are not installed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const webDir = dirname(fileURLToPath(import.meta.url));
// esbuild wants an outdir to name files even with write: false; nothing is written there.
const virtualOutDir = join(webDir, 'out');
const publicPath = '/assets/';

function fail(code, message) {
  process.stderr.write(`web/build.mjs: ${message}\n`);
  process.exit(code);
}

function parseCommandLine() {
  try {
    const { values } = parseArgs({
      options: { out: { type: 'string' }, dist: { type: 'string' } },
      strict: true,
    });
    if (!values.out) fail(2, 'usage: node web/build.mjs --out <console_data.cpp> [--dist <dir>]');
    return { out: resolve(values.out), dist: values.dist ? resolve(values.dist) : null };
  } catch (e) {
    return fail(2, `${e.message}\nusage: node web/build.mjs --out <console_data.cpp> [--dist <dir>]`);
  }
}

async function loadEsbuild() {
  const installed = ['esbuild', 'preact', 'typescript'].every((name) =>
    existsSync(join(webDir, 'node_modules', name, 'package.json')),
  );
  if (!installed) {
    fail(2, "web/node_modules is missing or incomplete: run scripts/install-deps.sh (npm ci in web/)");
  }
  return import('esbuild');
}

async function bundle(esbuild) {
  const options = {
    absWorkingDir: webDir,
    entryPoints: ['src/main.tsx'],
    bundle: true,
    minify: true,
    format: 'esm',
    splitting: true, // the admin (and later EMPI) screens are chunks loaded on demand
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    loader: { '.svg': 'file' },
    publicPath,
    outdir: virtualOutDir,
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'silent', // messages are printed below, once, with their source lines
  };
  try {
    const result = await esbuild.build(options);
    if (result.warnings.length > 0) {
      const text = await esbuild.formatMessages(result.warnings, { kind: 'warning' });
      process.stderr.write(text.join(''));
    }
    return result;
  } catch (e) {
    if (Array.isArray(e.errors) && e.errors.length > 0) {
      const text = await esbuild.formatMessages(e.errors, { kind: 'error' });
      process.stderr.write(text.join(''));
      fail(1, `the console did not build (${e.errors.length} error(s))`);
    }
    fail(1, `the console did not build: ${e.message}`);
  }
}

const contentTypes = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function contentTypeOf(name) {
  const ext = name.slice(name.lastIndexOf('.'));
  const type = contentTypes[ext];
  if (!type) fail(1, `no content type for ${name}: add it to contentTypes in web/build.mjs`);
  return type;
}

// Output key in the metafile ("out/main-X.js") -> URL path ("/assets/main-X.js").
function urlOf(metaKey) {
  return publicPath + basename(metaKey);
}

function findEntry(metafile) {
  const entries = Object.entries(metafile.outputs).filter(
    ([, o]) => o.entryPoint === 'src/main.tsx',
  );
  if (entries.length !== 1) fail(1, 'expected exactly one output for src/main.tsx');
  const [key, output] = entries[0];
  if (!output.cssBundle) fail(1, 'src/main.tsx imports no CSS (expected ./styles.css)');
  return { key, output };
}

// The JS and CSS index.html makes the browser load before anything shows: the entry, its CSS and
// every chunk reached through static imports. Lazy chunks (dynamic imports) are left out.
function firstPageFiles(metafile, entryKey, cssKey) {
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const imported of metafile.outputs[key]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    }
  };
  visit(entryKey);
  seen.add(cssKey);
  return [...seen].map(urlOf);
}

// Only the entry's CSS is linked from index.html, so CSS imported by a lazy chunk would never
// load: all styles live in src/styles.css (or in files it @imports).
function checkNoChunkCss(metafile, entryKey) {
  for (const [key, output] of Object.entries(metafile.outputs)) {
    if (key !== entryKey && output.cssBundle) {
      fail(1, `${output.entryPoint ?? key} imports CSS; put console styles in src/styles.css`);
    }
  }
}

function indexHtml({ script, stylesheet, icon, preloads }) {
  const iconLink = `<link rel="icon" href="${icon}" type="image/svg+xml">\n`;
  // The entry's static imports, asked for with the entry rather than after it has arrived.
  const preloadLinks = preloads.map((href) => `<link rel="modulepreload" href="${href}">\n`);
  // No inline script or style: the server's Content-Security-Policy allows neither.
  return (
    '<!doctype html>\n' +
    '<html lang="en">\n' +
    '<head>\n' +
    '<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<title>carehub</title>\n' +
    iconLink +
    `<link rel="stylesheet" href="${stylesheet}">\n` +
    `<script type="module" src="${script}"></script>\n` +
    preloadLinks.join('') +
    '</head>\n' +
    '<body><div id="app"></div><noscript>carehub\'s console needs JavaScript.</noscript></body>\n' +
    '</html>\n'
  );
}

function describe(path, body) {
  const gzip = gzipSync(body, { level: 9 });
  return {
    path,
    contentType: contentTypeOf(path),
    body,
    gzip,
    useGzip: gzip.length < body.length,
    etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`,
  };
}

function collectFiles(result) {
  const { metafile, outputFiles } = result;
  const entry = findEntry(metafile);
  checkNoChunkCss(metafile, entry.key);
  // The tab's icon: no module imports it (the page draws its logo inline), so esbuild would not
  // emit it; named by its content like the rest.
  const iconBody = readFileSync(join(webDir, 'src/favicon.svg'));
  const iconHash = createHash('sha256').update(iconBody).digest('hex').slice(0, 8).toUpperCase();
  const icon = `${publicPath}favicon-${iconHash}.svg`;
  const firstPage = firstPageFiles(metafile, entry.key, entry.output.cssBundle);
  const script = urlOf(entry.key);
  const stylesheet = urlOf(entry.output.cssBundle);
  const html = indexHtml({
    script,
    stylesheet,
    icon,
    preloads: firstPage.filter((url) => url !== script && url !== stylesheet),
  });
  const assets = outputFiles
    .filter((f) => !f.path.endsWith('.map'))
    .map((f) => describe(publicPath + basename(f.path), Buffer.from(f.contents)))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    files: [describe('/index.html', Buffer.from(html, 'utf8')), describe(icon, iconBody), ...assets],
    firstPage,
  };
}

function cppString(text) {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function cppBytes(name, bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = [...bytes.subarray(i, i + 16)].map((b) => `0x${b.toString(16).padStart(2, '0')},`);
    lines.push(`    ${row.join('')}`);
  }
  return `static const unsigned char ${name}[] = {\n${lines.join('\n')}\n};\n`;
}

function cppSource(files) {
  const arrays = [];
  const rows = [];
  const view = (name, bytes) =>
    bytes.length === 0
      ? 'std::string_view()'
      : `std::string_view(reinterpret_cast<const char*>(${name}), sizeof ${name})`;
  files.forEach((f, i) => {
    const body = `kAsset${i}Body`;
    const gzip = `kAsset${i}Gzip`;
    arrays.push(`// ${f.path}\n`);
    if (f.body.length > 0) arrays.push(cppBytes(body, f.body));
    if (f.useGzip) arrays.push(cppBytes(gzip, f.gzip));
    rows.push(
      `      {${cppString(f.path)}, ${cppString(f.contentType)},\n` +
        `       ${view(body, f.body)},\n` +
        `       ${f.useGzip ? view(gzip, f.gzip) : 'std::string_view()'},\n` +
        `       ${cppString(f.etag)}},`,
    );
  });
  return (
    '// Generated by web/build.mjs. Do not edit.\n' +
    '#include "carehub/console_assets.hpp"\n\n' +
    'namespace carehub {\n' +
    'namespace {\n\n' +
    arrays.join('') +
    '\n}  // namespace\n\n' +
    'std::span<const ConsoleAsset> console_assets() {\n' +
    '  static const ConsoleAsset assets[] = {\n' +
    rows.join('\n') +
    '\n  };\n' +
    '  return assets;\n' +
    '}\n\n' +
    '}  // namespace carehub\n'
  );
}

function writeIfChanged(path, content) {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return true;
}

function sizesOf(files, firstPage) {
  const byPath = Object.fromEntries(
    files.map((f) => [f.path, { raw: f.body.length, gzip: f.gzip.length }]),
  );
  const sum = (key) => firstPage.reduce((n, p) => n + byPath[p][key], 0);
  return {
    files: byPath,
    first_page: { files: firstPage, raw: sum('raw'), gzip: sum('gzip') },
  };
}

function writeDist(dir, files, firstPage) {
  // assets/ is ours: files of earlier builds go, so the folder shows one build.
  rmSync(join(dir, 'assets'), { recursive: true, force: true });
  for (const f of files) {
    const target = join(dir, ...f.path.split('/').filter(Boolean));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.body);
  }
  const sizes = sizesOf(files, firstPage);
  writeFileSync(join(dir, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
  return sizes;
}

const args = parseCommandLine();
const esbuild = await loadEsbuild();
const result = await bundle(esbuild);
const { files, firstPage } = collectFiles(result);
const changed = writeIfChanged(args.out, cppSource(files));
let summary = `${files.length} files, ${changed ? 'wrote' : 'unchanged'} ${args.out}`;
if (args.dist) {
  const sizes = writeDist(args.dist, files, firstPage);
  const kib = (n) => (n / 1024).toFixed(1);
  summary += `; first page ${kib(sizes.first_page.raw)} KiB (${kib(sizes.first_page.gzip)} KiB gzip)`;
}
process.stdout.write(`web/build.mjs: ${summary}\n`);
