// The screens' series: the review screen and the match queue, each loaded warm and cold, then
// their peers (the same API answers fetched directly) and targets. Each prints its part of the
// report through ctx.print and returns its figures.
//
// ctx: { browser, server, token, credentials, loads, print }
import {
  blankLoads,
  callsBeforeReady,
  directFetches,
  loadSeries,
  named,
  queueMark,
  reviewMark,
} from './loads.mjs';
import { callList, max, median, routeOf, section, target, timeTable } from './report.mjs';

const interactiveTargetMs = 1000;

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
    [
      '  review call: its duration (PerformanceResourceTiming)',
      series.map((t) => review(t)?.duration),
    ],
    ['  review call: its answer in (responseEnd)', series.map((t) => review(t)?.end)],
    [
      '  from the answer in to the mark (parse and render)',
      series.map((t) => after(t, review(t)?.end)),
    ],
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

function printCalls(print, what, warm, cold) {
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

// What BENCH_JSON keeps of each load.
function keep(series) {
  const fields = 'ready readyBy domInteractive marks api assets rows problems'.split(' ');
  return series.map((t) => Object.fromEntries(fields.map((f) => [f, t[f]])));
}

// The review screen of potential match id; firstPage: the paths of the first page's files.
export async function reviewSection(ctx, id, firstPage) {
  const { browser, server, token, credentials, loads, print } = ctx;
  const reviewPath = `/api/v1/potential-matches/${id}`;
  const url = `${server.url}/empi/matches/${id}`;
  const series = (cold) =>
    loadSeries(browser, server, credentials, url, { n: loads, cold, mark: reviewMark });
  const warm = await series(false);
  const cold = await series(true);
  const floor = await directFetches(server, token, reviewPath, loads);
  const blank = await blankLoads(browser, server, loads);
  print('  ms from navigationStart (the time origin), except durations and the last row');
  print(
    timeTable(`warm: ${loads} loads, a new page each`, reviewRows(warm, reviewPath, firstPage)),
  );
  print(
    timeTable(`cold: ${loads} loads, a new context each`, reviewRows(cold, reviewPath, firstPage)),
  );
  const assets = cold[0].assets;
  print(
    `  JS+CSS a cold load fetched (first page and lazy chunks): ${assets.length} files, ` +
      `${sum(assets, 'encoded')} B encoded, ${sum(assets, 'decoded')} B decoded`,
  );
  print(timeTable('peer: the same JSON, node fetch with a bearer token', floorRow(floor)));
  print(`  its answer: ${floor[0].bytes.toLocaleString('en-US')} B of JSON`);
  print(
    timeTable('peer: the browser alone, a page with no script (GET /healthz)', [
      ['navigationStart -> loadEventEnd', blank],
    ]),
  );
  const calls = printCalls(print, 'interactive (the cookie refresh included)', warm, cold);
  const limit = `review interactive <= ${interactiveTargetMs} ms`;
  for (const [name, series] of [
    ['warm', warm],
    ['cold', cold],
  ]) {
    const ms = worst(series);
    print(target(ms <= interactiveTargetMs, `${limit} (${name}, max)`, `${ms.toFixed(0)} ms`));
  }
  const floorMs = floor.map((f) => f.ms);
  return { warm: keep(warm), cold: keep(cold), floorMs, blankMs: blank, calls };
}

export async function queueSection(ctx) {
  const { browser, server, token, credentials, loads, print } = ctx;
  const url = `${server.url}/empi/matches`;
  const rowSelector = 'table tbody tr';
  const options = { mark: queueMark, fallback: rowSelector, rowSelector };
  const series = (cold) =>
    loadSeries(browser, server, credentials, url, { n: loads, cold, ...options });
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
    print(
      timeTable("peer: the queue's list call, node fetch with a bearer token", floorRow(floor)),
    );
    print(`  the list call: GET ${listCall}`);
  }
  print(`  rows shown: ${rows}`);
  printCalls(print, 'the first rows', warm, cold);
  const perRoute = new Map();
  for (const p of before) perRoute.set(routeOf(p), (perRoute.get(routeOf(p)) ?? 0) + 1);
  const most = Math.max(0, ...perRoute.values());
  const ok = rows > 1 && before.length < rows && most <= 2;
  print(
    target(
      ok,
      'no API call per row',
      `${before.length} calls for ${rows} rows, <= ${most} per route`,
    ),
  );
  return { warm: keep(warm), cold: keep(cold), floorMs: floor?.map((f) => f.ms) ?? null, rows };
}
