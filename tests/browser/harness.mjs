// The browser tests' harness: the real carehub binary on SQLite in a temp directory on a free
// loopback port, and Debian's chromium driven by playwright-core (never a browser download).
//
// Environment (CTest sets the first two):
//   CAREHUB_BINARY          the carehub binary under test
//   CAREHUB_SCREENSHOT_DIR  where every page's screenshot goes (default: <tmp>/carehub-screens)
//   CHROMIUM                the browser (default /usr/bin/chromium)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { chromium } from 'playwright-core';

export const adminEmail = 'admin@clinic.example';
export const password = 'a long admin passphrase';

const binary = process.env.CAREHUB_BINARY;
if (!binary) throw new Error('CAREHUB_BINARY must name the carehub binary under test');
const screenshotDir = process.env.CAREHUB_SCREENSHOT_DIR ?? join(tmpdir(), 'carehub-screens');

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function merge(base, extra) {
  for (const [key, value] of Object.entries(extra)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && base[key]) {
      merge(base[key], value);
    } else {
      base[key] = value;
    }
  }
  return base;
}

// Starts `carehub serve` after `migrate` (and, with admin, `bootstrap` of adminEmail/password).
// config is merged over the defaults. Returns { url, port, dir, log(), waitForLog(), stop() }.
export async function startCarehub({ admin = true, config = {}, port: wantedPort } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'carehub-browser-'));
  const port = wantedPort ?? (await freePort());
  const configPath = join(dir, 'carehub.json');
  const settings = merge(
    {
      server: { host: '127.0.0.1', port },
      database: { url: `sqlite://${dir}/carehub.db` },
      blob: { path: `${dir}/blobs` },
      log: { level: 'info' },
      jobs: { poll_interval_ms: 200 },
      // Cheap password hashing: the tests sign in many times.
      auth: { password_memory_kib: 8192, password_iterations: 1, keys_dir: `${dir}/keys` },
    },
    config,
  );
  writeFileSync(configPath, JSON.stringify(settings, null, 2));
  const cli = (...args) => {
    const run = spawnSync(binary, ['--config', configPath, ...args], { cwd: dir, encoding: 'utf8' });
    if (run.status !== 0) {
      throw new Error(`carehub ${args.join(' ')} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    }
    return run.stdout;
  };
  cli('migrate');
  if (admin) {
    writeFileSync(join(dir, 'pw'), `${password}\n`);
    cli('bootstrap', '--admin-email', adminEmail, '--password-file', join(dir, 'pw'));
  }
  let output = '';
  const serve = spawn(binary, ['--config', configPath, 'serve'], { cwd: dir });
  serve.stdout.on('data', (chunk) => (output += chunk));
  serve.stderr.on('data', (chunk) => (output += chunk));
  // 'close': the process has ended and its output (a sanitizer's report, say) is all read.
  const exited = new Promise((resolve) => {
    serve.on('close', (code, signal) => resolve({ code, signal }));
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (serve.exitCode !== null) throw new Error(`carehub serve exited:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      serve.kill('SIGKILL');
      throw new Error(`carehub serve did not become healthy:\n${output}`);
    }
    await sleep(100);
  }
  return {
    url,
    port,
    dir,
    cli,
    log: () => output,
    async waitForLog(pattern, timeoutMs = 10000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const m = output.match(pattern);
        if (m) return m;
        if (Date.now() > until) throw new Error(`no ${pattern} in the server's log:\n${output}`);
        await sleep(50);
      }
    },
    // Signs in over the API (for seeding): an access token.
    async token(email = adminEmail, pw = password) {
      const r = await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password: pw }),
      });
      if (r.status !== 200) throw new Error(`sign-in of ${email} failed: ${r.status} ${await r.text()}`);
      return (await r.json()).access_token;
    },
    async api(method, path, token, body) {
      const r = await fetch(`${url}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    // Stops the server and removes its directory. A server that had stopped by itself, did not
    // shut down cleanly on SIGTERM, or wrote a sanitizer report fails the test.
    async stop() {
      const stoppedEarly = serve.exitCode !== null || serve.signalCode !== null;
      if (!stoppedEarly) {
        serve.kill('SIGTERM');
        const timer = setTimeout(() => serve.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      const { code, signal } = await exited;
      rmSync(dir, { recursive: true, force: true });
      const report = output.match(/^.*(ERROR: (Address|Leak)Sanitizer|runtime error:).*$/m);
      const tail = output.slice(-4000);
      if (report) throw new Error(`carehub reported: ${report[0]}\n${tail}`);
      const how = code ?? signal;
      if (stoppedEarly) throw new Error(`carehub serve stopped during the test (${how}):\n${tail}`);
      if (code !== 0) throw new Error(`carehub serve ended with ${how} on SIGTERM:\n${tail}`);
    },
  };
}

// Debian's chromium, headless, with nothing reaching beyond loopback.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

// A page (in a context of its own: its own cookies) whose Content-Security-Policy violations,
// uncaught errors and 5xx answers fail the test that reads page.problems at its end.
// permissions: e.g. ['clipboard-read', 'clipboard-write'].
export async function openPage(browser, { locale = 'en-US', permissions = [] } = {}) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 860 } });
  if (permissions.length > 0) await context.grantPermissions(permissions);
  // The ASan build answers slower than a release build.
  context.setDefaultTimeout(20000);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content.Security.Policy|Refused to/i.test(msg.text())) {
      page.problems.push(`CSP: ${msg.text()}`);
    }
  });
  page.on('pageerror', (error) => page.problems.push(`uncaught: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) {
      const request = response.request();
      page.problems.push(`HTTP ${response.status()}: ${request.method()} ${response.url()}`);
    }
  });
  return page;
}

// Waits until the visible text of the locator (its first match) is expected: a string it must
// equal after trimming, or a RegExp. The failure names what was there instead.
export async function waitForText(locator, expected, timeoutMs = 20000) {
  const matches = (text) =>
    expected instanceof RegExp ? expected.test(text) : text.trim() === expected;
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    last = (await locator.count()) > 0 ? await locator.first().innerText() : '<absent>';
    if (matches(last)) return last;
    if (Date.now() > until) {
      throw new Error(`expected ${expected} in ${locator}, found ${JSON.stringify(last)}`);
    }
    await sleep(100);
  }
}

// The page's <h1>, once it reads title (string or RegExp).
export async function waitForHeading(page, title) {
  const heading = page.getByRole('heading', { level: 1 });
  await waitForText(heading, title);
  return heading;
}

// Signs in through the sign-in page the console is showing (or opens it).
export async function signInThroughPage(page, server, email = adminEmail, pw = password) {
  if (!new URL(page.url(), server.url).pathname.startsWith('/signin')) {
    await page.goto(`${server.url}/signin`);
  }
  await waitForHeading(page, 'Sign in');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(pw);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// axe-core on the page as it is now: the serious and critical violations (none expected).
// It is evaluated through the DevTools protocol, which the page's CSP does not govern.
export async function seriousViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ['violations'] }),
  );
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

// A screenshot of the whole page under the build folder, for people to look at.
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

// What every test does on every page it visits: axe finds nothing serious, and a screenshot.
export async function checkPage(page, name) {
  assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`);
  await screenshot(page, name);
}
