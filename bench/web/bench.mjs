// bench/web: what the console costs a browser. Run through bench/web/run.sh, which installs the
// peer's packages and names the binary; the harness of tests/browser starts carehub and Chromium.
//
// Environment: CAREHUB_BINARY (the binary), LOADS (page loads per series, default 10), WANTED
// (open potential matches to seed, default 10000), POTENTIAL / AUTO (the config's thresholds,
// default 0.5 / 1.0), CAREHUB_SHARED (the shared data, default <repo>/../shared), SIZES_JSON (the
// build's sizes.json, default web-dist/sizes.json beside the binary), BENCH_JSON=FILE (also the
// figures as JSON).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { adminEmail, launchBrowser, password, startCarehub } from '../../tests/browser/harness.mjs';
import { kib, section, sizeTable, target } from './report.mjs';
import { queueSection, reviewSection } from './screens.mjs';
import { middleOfQueue, seed } from './seed.mjs';
import { crossCheck, esbuildVersionOf, firstPageFromServer, reactHelloWorld } from './sizes.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const env = process.env;
const loads = positive('LOADS', 10);
const wanted = positive('WANTED', 10000);
const potential = Number(env.POTENTIAL ?? 0.5);
const automatic = Number(env.AUTO ?? 1.0);
const shared = resolve(env.CAREHUB_SHARED ?? join(repo, '..', 'shared'));
const febrlPath = join(shared, 'data/empi/febrl_clean.csv');
const sizesJson = env.SIZES_JSON ?? join(dirname(env.CAREHUB_BINARY), 'web-dist/sizes.json');
const jsTargetKiB = 100;
const credentials = { email: adminEmail, password };

function positive(name, fallback) {
  const v = Number(env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
}

const log = (text) => process.stderr.write(`bench: ${text}\n`);
const out = [];
const print = (text = '') => out.push(text);

function version() {
  const run = spawnSync(env.CAREHUB_BINARY, ['version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.split('\n')[0].trim() : '?';
}

async function sizes(server) {
  const page = await firstPageFromServer(server.url);
  const react = await reactHelloWorld();
  const consoleEsbuild = esbuildVersionOf(join(repo, 'web'));
  const { jsTotal: js, cssTotal: css } = page;
  print(
    section('1. First page: the JS and CSS index.html loads (and their static imports), as served'),
  );
  print(
    sizeTable([
      ['console JS (entry and its static imports)', js.files, js.raw, js.gzip],
      ['console CSS', css.files, css.raw, css.gzip],
      ['console JS + CSS', js.files + css.files, js.raw + css.raw, js.gzip + css.gzip],
      ['index.html', 1, page.html.raw, page.html.gzip],
      [
        `peer: React ${reactVersion()} + react-dom hello world, production`,
        1,
        react.raw,
        react.gzip,
      ],
    ]),
  );
  print(`  console JS gzip / React hello world gzip: ${(js.gzip / react.gzip).toFixed(2)}`);
  print('  files (raw B / gzip B as served):');
  for (const f of [...page.js, ...page.css]) print(`    ${f.path} ${f.raw} / ${f.gzip}`);
  print(
    `  peer built by esbuild ${react.esbuild} (web/ has ${consoleEsbuild ?? '?'}), ` +
      "minified, ESM, es2020, gzip -9 as the server's",
  );
  if (consoleEsbuild !== react.esbuild)
    print(`  NOTE: the esbuild versions differ: pin bench/web's to web's`);
  const unzipped = [...js.notGzipped, ...css.notGzipped];
  if (unzipped.length)
    print(`  NOTE: served without gzip to a client accepting it: ${unzipped.join(' ')}`);
  print(`  ${crossCheck(page, sizesJson)}`);
  print(
    target(
      js.gzip <= jsTargetKiB * 1024,
      `console JS gzip <= ${jsTargetKiB} KiB`,
      `${kib(js.gzip)} KiB`,
    ),
  );
  const paths = [...page.js, ...page.css].map((f) => f.path);
  return { js, css, html: { raw: page.html.raw, gzip: page.html.gzip }, react, paths };
}

function reactVersion() {
  return JSON.parse(readFileSync(join(here, 'node_modules/react/package.json'), 'utf8')).version;
}

const loadAverage = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function printSeed(seeded, pick) {
  const total = seeded.total.toLocaleString('en-US');
  print(section(`2. Review screen /empi/matches/${pick.id}, ${total} open potential matches`));
  for (const i of seeded.imports) {
    const took = `${i.rows} rows in ${i.seconds.toFixed(1)} s`;
    print(`  imported ${i.name}: ${took}, then ${i.total} open potential matches`);
  }
  print(`  config ${seeded.configId}: potential ${potential}, auto ${automatic} (thresholds)`);
  print(
    `  potential match ${pick.id}: number ${pick.position + 1} of ${seeded.total} in the ` +
      `queue's order, max probability ${pick.probability.toFixed(4)}, ${pick.persons} persons, ` +
      `${pick.records} records, ${pick.pairs} pairs, from ${pick.dataSources.join(', ')}`,
  );
}

async function main() {
  if (!existsSync(febrlPath))
    throw new Error(`no ${febrlPath}: set CAREHUB_SHARED to the shared data`);
  const started = Date.now();
  const load = loadAverage();
  const server = await startCarehub({
    // Many sign-ins from one address (one per cold context) are the bench, not an attack.
    config: {
      log: { level: 'warn' },
      auth: { login_rate_per_minute: 100000, lockout_failures: 1000 },
    },
  });
  let browser;
  const results = {};
  try {
    const token = await server.token();
    results.sizes = await sizes(server);
    const seeded = await seed(server, token, { febrlPath, wanted, potential, automatic, log });
    const pick = await middleOfQueue(server, token, seeded.total);
    results.seed = { ...seeded, pick };
    printSeed(seeded, pick);
    log(`loading the review of potential match ${pick.id}, then the queue`);
    browser = await launchBrowser();
    const ctx = { browser, server, token: await server.token(), credentials, loads, print };
    results.review = await reviewSection(ctx, pick.id, new Set(results.sizes.paths));
    results.queue = await queueSection({ ...ctx, token: await server.token() });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    out.unshift(
      `web console benchmark (bench/web): ${version()}, SQLite, loopback, ` +
        `Chromium ${browser.version()} headless`,
      `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}); load average ${load} ` +
        `at the start, ${loadAverage()} at the end; ${seconds} s in all`,
    );
  } finally {
    await browser?.close();
    await server.stop();
  }
  process.stdout.write(`${out.join('\n')}\n`);
  if (env.BENCH_JSON) writeFileSync(env.BENCH_JSON, `${JSON.stringify(results, null, 2)}\n`);
  const loadsDone = [results.review, results.queue].flatMap((r) => [...r.warm, ...r.cold]);
  const problems = [...new Set(loadsDone.flatMap((t) => t.problems))];
  if (problems.length > 0) {
    process.stderr.write(
      `bench: the pages had problems during the loads:\n  ${problems.join('\n  ')}\n`,
    );
    process.exit(1);
  }
}

main().catch((e) => {
  process.stdout.write(`${out.join('\n')}\n`);
  process.stderr.write(`bench/web: ${e.stack ?? e}\n`);
  process.exit(1);
});
