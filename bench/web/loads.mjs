// Page loads in Chromium, timed by the browser's own clocks: the navigation entry, the console's
// performance marks and the resource entries of its API calls (all on the page's time origin, the
// navigation's start).
import { setTimeout as sleep } from 'node:timers/promises';

export const reviewMark = 'carehub:review-interactive';
export const queueMark = 'carehub:queue-interactive';
// After the screen is ready, this long for the calls that follow it (the bell's inbox, say), so
// they are listed apart from the ones the screen waited for.
const settleMs = 1000;

// A browser context holding a signed-in console session: the refresh cookie that sign-in through
// the API sets with X-Carehub-Session, as the sign-in page would. The console's start-up refresh
// then turns it into an access token in the page's memory.
export async function signedInContext(browser, server, credentials) {
  const context = await browser.newContext({
    locale: 'en-US',
    viewport: { width: 1280, height: 860 },
  });
  context.setDefaultTimeout(30000);
  const r = await context.request.post(`${server.url}/api/v1/auth/login`, {
    headers: { 'X-Carehub-Session': 'cookie', 'Content-Type': 'application/json' },
    data: credentials,
  });
  if (r.status() !== 200)
    throw new Error(`cookie sign-in answered ${r.status()}: ${await r.text()}`);
  const cookies = await context.cookies(`${server.url}/api/v1/auth/refresh`);
  if (!cookies.some((c) => c.httpOnly)) throw new Error('cookie sign-in set no httpOnly cookie');
  return context;
}

// What the page's clocks say (run in the page).
function readTimings({ mark, rowSelector }) {
  const nav = performance.getEntriesByType('navigation')[0];
  const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('carehub:'));
  const api = performance
    .getEntriesByType('resource')
    .filter((e) => new URL(e.name).pathname.startsWith('/api/'))
    .map((e) => ({
      path: new URL(e.name).pathname + new URL(e.name).search,
      start: e.startTime,
      end: e.responseEnd,
      duration: e.duration,
      encoded: e.encodedBodySize,
      decoded: e.decodedBodySize,
    }));
  const assets = performance
    .getEntriesByType('resource')
    .filter((e) => /\.(js|css)$/.test(new URL(e.name).pathname))
    .map((e) => ({
      path: new URL(e.name).pathname,
      start: e.startTime,
      end: e.responseEnd,
      transfer: e.transferSize,
      encoded: e.encodedBodySize,
      decoded: e.decodedBodySize,
    }));
  return {
    domInteractive: nav.domInteractive,
    domContentLoaded: nav.domContentLoadedEventEnd,
    load: nav.loadEventEnd,
    mark: marks.find((m) => m.name === mark)?.startTime ?? null,
    marks: marks.map((m) => ({ name: m.name, at: m.startTime })),
    api,
    assets,
    rows: rowSelector ? document.querySelectorAll(rowSelector).length : null,
  };
}

// Loads url in a new page of context and waits until the screen is ready: the performance mark
// `mark`, or, when the console sets none, the first frame in which the CSS selector `fallback`
// matches. Returns the page's timings (rows: how many elements match rowSelector then), every
// /api/ request it sent (requests), and the problems (uncaught errors, 5xx answers) on the way.
export async function timedLoad(
  context,
  url,
  { mark, fallback = null, rowSelector = null, timeoutMs = 60000 },
) {
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/'))
      requests.push({ method: r.method(), path: u.pathname + u.search });
  });
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  try {
    await page.goto(url, { waitUntil: 'commit' });
    const waitOptions = { timeout: timeoutMs, polling: 'raf' };
    // The mark's time, or the first frame where the fallback selector matches (performance.now()).
    const readyAt = await (
      await page.waitForFunction(
        ({ name, selector }) =>
          performance.getEntriesByName(name, 'mark')[0]?.startTime ??
          (selector && document.querySelector(selector) ? performance.now() : false),
        { name: mark, selector: fallback },
        waitOptions,
      )
    ).jsonValue();
    await sleep(settleMs);
    const t = await page.evaluate(readTimings, { mark, rowSelector });
    t.ready = t.mark ?? readyAt;
    t.readyBy = t.mark !== null ? 'mark' : 'fallback';
    t.requests = requests;
    t.problems = problems;
    return t;
  } catch (e) {
    const where = await page
      .evaluate(() => `${location.pathname}: ${document.body?.innerText.slice(0, 300)}`)
      .catch(() => '?');
    throw new Error(
      `${url}: ${e.message}\npage at ${where}\nproblems: ${problems.join('; ') || 'none'}`,
    );
  } finally {
    await page.close();
  }
}

// The calls the screen made to become ready: those whose request started before it was.
export function callsBeforeReady(t) {
  return t.api.filter((c) => c.start < t.ready);
}

// "METHOD /path?query" of a resource entry (resource timing has no method; the request events do).
export function named(t, entry) {
  const method = t.requests.find((r) => r.path === entry.path)?.method ?? '?';
  return `${method} ${entry.path}`;
}

// n loads of url, each in a new page. cold: each in a new browser context (empty HTTP cache,
// a session of its own); warm: pages of one context that loaded the console once before (its
// assets come from the HTTP cache, as on a clinic workstation), that load not counted.
export async function loadSeries(browser, server, credentials, url, { n, cold, ...options }) {
  const out = [];
  if (cold) {
    for (let i = 0; i < n; i++) {
      const context = await signedInContext(browser, server, credentials);
      try {
        out.push(await timedLoad(context, url, options));
      } finally {
        await context.close();
      }
    }
    return out;
  }
  const context = await signedInContext(browser, server, credentials);
  try {
    await timedLoad(context, url, options);
    for (let i = 0; i < n; i++) out.push(await timedLoad(context, url, options));
  } finally {
    await context.close();
  }
  return out;
}

// n direct GETs of path with a bearer token (after one not counted): the floor a screen showing
// that answer is measured against. Wall time until the whole body is read.
export async function directFetches(server, token, path, n) {
  const get = async () => {
    const started = performance.now();
    const r = await fetch(`${server.url}${path}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}`);
    return { ms: performance.now() - started, bytes: body.byteLength };
  };
  await get();
  const out = [];
  for (let i = 0; i < n; i++) out.push(await get());
  return out;
}

// n loads of a page with no script (the server's /healthz), each in a new page of one context:
// what opening a page costs this browser on this machine before any console code runs. A loaded
// machine shows here first.
export async function blankLoads(browser, server, n) {
  const context = await browser.newContext();
  try {
    const once = async () => {
      const page = await context.newPage();
      try {
        await page.goto(`${server.url}/healthz`, { waitUntil: 'load' });
        return await page.evaluate(
          () => performance.getEntriesByType('navigation')[0].loadEventEnd,
        );
      } finally {
        await page.close();
      }
    };
    await once();
    const out = [];
    for (let i = 0; i < n; i++) out.push(await once());
    return out;
  } finally {
    await context.close();
  }
}
