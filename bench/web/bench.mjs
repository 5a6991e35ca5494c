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
import { callsBeforeReady, directFetches, loadSeries, named, queueMark, reviewMark } from './loads.mjs';
import { callList, kib, max, median, routeOf, section, sizeTable, target, timeTable } from './report.mjs';
import { call, seed } from './seed.mjs';
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
const interactiveTargetMs = 1000;
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
  print(section('1. First page: the JS and CSS index.html loads (and their static imports), as served'));
  print(
    sizeTable([
      ['console JS (entry and its static imports)', js.files, js.raw, js.gzip],
      ['console CSS', css.files, css.raw, css.gzip],
      ['console JS + CSS', js.files + css.files, js.raw + css.raw, js.gzip + css.gzip],
      ['index.html', 1, page.html.raw, page.html.gzip],
      [`peer: React ${reactVersion()} + react-dom hello world, production`, 1, react.raw, react.gzip],
    ]),
  );
  print(`  console JS gzip / React hello world gzip: ${(js.gzip / react.gzip).toFixed(2)}`);
  print('  files (raw B / gzip B as served):');
  for (const f of [...page.js, ...page.css]) print(`    ${f.path} ${f.raw} / ${f.gzip}`);
  print(
    `  peer built by esbuild ${react.esbuild} (web/ has ${consoleEsbuild ?? '?'}), minified, ESM, es2020, gzip -9 as the server's`,
  );
  if (consoleEsbuild !== react.esbuild)
    print(`  NOTE: the esbuild versions differ: pin bench/web's to web's`);
  const unzipped = [...js.notGzipped, ...css.notGzipped];
  if (unzipped.length) print(`  NOTE: served without gzip to a client accepting it: ${unzipped.join(' ')}`);
  print(`  ${crossCheck(page, sizesJson)}`);
  print(
    target(js.gzip <= jsTargetKiB * 1024, `console JS gzip <= ${jsTargetKiB} KiB`, `${kib(js.gzip)} KiB`),
  );
  const paths = [...page.js, ...page.css].map((f) => f.path);
  return { js, css, html: { raw: page.html.raw, gzip: page.html.gzip }, react, paths };
}

function reactVersion() {
  return JSON.parse(readFileSync(join(here, 'node_modules/react/package.json'), 'utf8')).version;
}

// When the last of the JS and CSS files that test picks arrived (responseEnd), before ready.
function assetsLoaded(t, test) {
  return max(t.assets.filter((a) => test(a.path) && a.end < t.ready).map((a) => a.end));
}

// The rows for one series of review loads: the chain from the document to the mark.
function reviewRows(series, reviewPath, firstPage) {
  const apiCall = (t, test) => t.api.find((c) => test(c.path));
  const review = (t) => apiCall(t, (p) => p.split('?')[0] === reviewPath);
  const refresh = (t) => apiCall(t, (p) => p.startsWith('/api/v1/auth/refresh'));
  const firstPageIn = (t) => assetsLoaded(t, (p) => firstPage.has(p));
  const lazyIn = (t) => assetsLoaded(t, (p) => !firstPage.has(p));
  const after = (t, at) => (typeof at === 'number' ? t.ready - at : null);
  return [
    [`navigationStart -> ${reviewMark}`, series.map((t) => t.ready)],
    ['  domInteractive', series.map((t) => t.domInteractive)],
    ["  first page's JS and CSS in (the last responseEnd)", series.map(firstPageIn)],
    ['  cookie refresh POST /api/v1/auth/refresh starts', series.map((t) => refresh(t)?.start)],
    ['  cookie refresh: its duration', series.map((t) => refresh(t)?.duration)],
    ['  lazy JS chunks in (the last responseEnd before the mark)', series.map(lazyIn)],
    [`  review call GET ${reviewPath} starts`, series.map((t) => review(t)?.start)],
    ['  review call: its duration (PerformanceResourceTiming)', series.map((t) => review(t)?.duration)],
    ['  review call: its answer in (responseEnd)', series.map((t) => review(t)?.end)],
    ['  from the answer in to the mark (parse and render)', series.map((t) => after(t, review(t)?.end))],
  ];
}

// The API calls of a series: how many started before the screen was ready (per load), and the
// first load's list of them and of those in the second after.
function describeCalls(series) {
  const before = series.map((t) => callsBeforeReady(t).map((c) => named(t, c)));
  const first = series[0];
  const after = first.api.filter((c) => c.start >= first.ready).map((c) => named(first, c));
  return { counts: before.map((b) => b.length), first: before[0], after };
}

const sum = (items, key) => items.reduce((n, item) => n + item[key], 0).toLocaleString('en-US');
const floorRow = (floor) => [['request to last byte', floor.map((f) => f.ms)]];
const worst = (series) => max(series.map((t) => t.ready));

function printCalls(what, warm, cold) {
  const calls = describeCalls(warm);
  const coldCounts = describeCalls(cold).counts;
  print(
    `  API calls until ${what}: median ${median(calls.counts)}, max ${max(calls.counts)} (warm); ` +
      `median ${median(coldCounts)}, max ${max(coldCounts)} (cold)`,
  );
  print(`    ${callList(calls.first)}`);
  print(`  API calls in the second after: ${callList(calls.after)}`);
  return calls.first;
}

function keep(series) {
  return series.map(({ ready, readyBy, domInteractive, api, rows, marks, problems }) => ({
    ready,
    readyBy,
    domInteractive,
    api,
    rows,
    marks,
    problems,
  }));
}

async function review(browser, server, token, id, firstPage) {
  const reviewPath = `/api/v1/potential-matches/${id}`;
  const url = `${server.url}/empi/matches/${id}`;
  const series = (cold) =>
    loadSeries(browser, server, credentials, url, { n: loads, cold, mark: reviewMark });
  const warm = await series(false);
  const cold = await series(true);
  const floor = await directFetches(server, token, reviewPath, loads);
  print('  times in ms from navigationStart (the time origin), except the durations and the last row');
  print(timeTable(`warm: ${loads} loads, a new page each`, reviewRows(warm, reviewPath, firstPage)));
  print(timeTable(`cold: ${loads} loads, a new context each`, reviewRows(cold, reviewPath, firstPage)));
  const assets = cold[0].assets;
  print(
    `  JS+CSS a cold load fetched (first page and lazy chunks): ${assets.length} files, ` +
      `${sum(assets, 'encoded')} B encoded, ${sum(assets, 'decoded')} B decoded`,
  );
  print(timeTable('peer: the same JSON, node fetch with a bearer token', floorRow(floor)));
  print(`  its answer: ${floor[0].bytes.toLocaleString('en-US')} B of JSON`);
  const calls = printCalls('interactive (the cookie refresh included)', warm, cold);
  const limit = `review interactive <= ${interactiveTargetMs} ms`;
  print(target(worst(warm) <= interactiveTargetMs, `${limit} (warm, max)`, `${worst(warm).toFixed(0)} ms`));
  print(target(worst(cold) <= interactiveTargetMs, `${limit} (cold, max)`, `${worst(cold).toFixed(0)} ms`));
  return { warm: keep(warm), cold: keep(cold), floorMs: floor.map((f) => f.ms), calls };
}

async function queue(browser, server, token) {
  const url = `${server.url}/empi/matches`;
  const rowSelector = 'table tbody tr';
  const options = { mark: queueMark, fallback: rowSelector, rowSelector };
  const series = (cold) => loadSeries(browser, server, credentials, url, { n: loads, cold, ...options });
  const warm = await series(false);
  const cold = await series(true);
  const rows = warm[0].rows;
  const before = callsBeforeReady(warm[0]).map((c) => c.path);
  const listCall = before.find((p) => p.startsWith('/api/v1/potential-matches?'));
  const by = warm[0].readyBy === 'mark' ? queueMark : 'first table row drawn (no queue mark)';
  print(section('3. Match queue /empi/matches'));
  print(
    timeTable(`${loads} loads each`, [
      [`warm: navigationStart -> ${by}`, warm.map((t) => t.ready)],
      ['warm: navigationStart -> domInteractive', warm.map((t) => t.domInteractive)],
      [`cold: navigationStart -> ${by}`, cold.map((t) => t.ready)],
    ]),
  );
  const floor = listCall ? await directFetches(server, token, listCall, loads) : null;
  if (floor) {
    print(timeTable("peer: the queue's list call, node fetch with a bearer token", floorRow(floor)));
    print(`  the list call: GET ${listCall}`);
  }
  print(`  rows shown: ${rows}`);
  printCalls('the first rows', warm, cold);
  const perRoute = new Map();
  for (const p of before) perRoute.set(routeOf(p), (perRoute.get(routeOf(p)) ?? 0) + 1);
  const most = Math.max(0, ...perRoute.values());
  const ok = rows > 1 && before.length < rows && most <= 2;
  print(target(ok, 'no API call per row', `${before.length} calls for ${rows} rows, <= ${most} per route`));
  return { warm: keep(warm), cold: keep(cold), floorMs: floor?.map((f) => f.ms) ?? null, rows };
}

// The potential match in the middle of the queue (its default order), with its size.
async function middleOfQueue(server, token, total) {
  const position = Math.floor(total / 2);
  const page = await call(server, token, 'GET', `/api/v1/potential-matches?limit=1&offset=${position}`);
  const row = page.potential_matches[0];
  const { potential_match: match } = await call(server, token, 'GET', `/api/v1/potential-matches/${row.id}`);
  return {
    id: row.id,
    position,
    probability: row.max_match_probability,
    dataSources: row.data_sources,
    persons: match.persons.length,
    records: match.persons.reduce((n, p) => n + p.records.length, 0),
    pairs: match.results.length,
  };
}

function printSeed(seeded, pick) {
  print(
    section(
      `2. Review screen /empi/matches/${pick.id}, ${seeded.total.toLocaleString('en-US')} open potential matches`,
    ),
  );
  for (const i of seeded.imports) {
    print(
      `  imported ${i.name}: ${i.rows} rows in ${i.seconds.toFixed(1)} s, then ${i.total} open potential matches`,
    );
  }
  print(
    `  config ${seeded.configId}: potential_match_threshold ${potential}, auto_match_threshold ${automatic}`,
  );
  print(
    `  potential match ${pick.id}: number ${pick.position + 1} of ${seeded.total} in the queue's order, ` +
      `max probability ${pick.probability.toFixed(4)}, ${pick.persons} persons, ${pick.records} records, ${pick.pairs} pairs, ` +
      `from ${pick.dataSources.join(', ')}`,
  );
}

async function main() {
  if (!existsSync(febrlPath)) throw new Error(`no ${febrlPath}: set CAREHUB_SHARED to the shared data`);
  const started = Date.now();
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const server = await startCarehub({
    // Many sign-ins from one address (one per cold context) are the bench, not an attack.
    config: { log: { level: 'warn' }, auth: { login_rate_per_minute: 100000, lockout_failures: 1000 } },
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
    const firstPage = new Set(results.sizes.paths);
    results.review = await review(browser, server, await server.token(), pick.id, firstPage);
    results.queue = await queue(browser, server, await server.token());
    out.unshift(
      `web console benchmark (bench/web): ${version()}, SQLite, loopback, Chromium ${browser.version()} headless`,
      `machine: ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}); load average at the start ${load}; ` +
        `${((Date.now() - started) / 1000).toFixed(0)} s in all`,
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
    process.stderr.write(`bench: the pages had problems during the loads:\n  ${problems.join('\n  ')}\n`);
    process.exit(1);
  }
}

main().catch((e) => {
  process.stdout.write(`${out.join('\n')}\n`);
  process.stderr.write(`bench/web: ${e.stack ?? e}\n`);
  process.exit(1);
});
