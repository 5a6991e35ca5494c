// "Sign in with <provider>": the console's OpenID Connect sign-in (authorization code with PKCE)
// against a real provider on loopback (tests/oidc: the npm oidc-provider, its development login
// page), the way instaNDT's Entra ID users and Tuva's Keycloak users sign in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import {
  checkPage,
  freePort,
  launchBrowser,
  openPage,
  startCarehub,
  waitForHeading,
  waitForText,
} from './harness.mjs';

const root = resolve(import.meta.dirname, '../..');
const providerScript = join(root, 'scripts/oidc-test-provider.sh');
const providerDir = mkdtempSync(join(tmpdir(), 'carehub-oidc-'));

let server;
let browser;
let issuer;

function provider(action, env = {}) {
  const run = spawnSync('bash', [providerScript, action, providerDir], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (run.status !== 0) throw new Error(`oidc provider ${action} failed:\n${run.stdout}\n${run.stderr}`);
}

before(async () => {
  const port = await freePort();
  provider('start', { OIDC_CONSOLE_REDIRECT: `http://127.0.0.1:${port}/api/v1/auth/oidc/callback` });
  issuer = readFileSync(join(providerDir, 'url'), 'utf8').trim();
  server = await startCarehub({
    admin: false,
    port,
    config: {
      auth: {
        oidc: { issuer, audience: 'carehub-test', client_id: 'console', display_name: 'Clinic ID' },
      },
    },
  });
  // With a provider the accounts have no local password: the admin is the provider's "alice".
  server.cli('bootstrap', '--admin-email', 'alice@clinic.example');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  try {
    provider('stop');
  } catch {
    // already gone
  }
});

// The provider's development login page (not carehub's): any name, any password, then consent.
async function signInAtProvider(page, name) {
  await page.locator('input[name="login"]').fill(name);
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const consent = page.getByRole('button', { name: 'Continue' });
  if (await consent.isVisible({ timeout: 5000 }).catch(() => false)) await consent.click();
}

test('a known account signs in through the provider and lands where it was headed', async () => {
  const page = await openPage(browser);
  await page.goto(`${server.url}/profile`);
  await waitForHeading(page, 'Sign in');
  // No password form: this server's accounts sign in at the provider.
  assert.equal(await page.getByLabel('Password', { exact: true }).count(), 0);
  await checkPage(page, 'oidc-signin');
  await page.getByRole('button', { name: 'Sign in with Clinic ID' }).click();

  await page.waitForURL((url) => url.href.startsWith(issuer));
  await signInAtProvider(page, 'alice');

  await waitForHeading(page, 'Profile');
  assert.equal(new URL(page.url()).pathname, '/profile');
  // The session is carehub's own, in the httpOnly cookie: a reload keeps it.
  await page.reload();
  await waitForHeading(page, 'Profile');
  // (Each cookie is sent only under its path: ask for the URLs they are for.)
  const cookies = await page
    .context()
    .cookies([`${server.url}/api/v1/auth/refresh`, `${server.url}/api/v1/auth/oidc/callback`]);
  const refresh = cookies.find((c) => c.name === 'carehub_refresh');
  assert.ok(refresh?.httpOnly, 'the refresh cookie is httpOnly');
  assert.equal(refresh.sameSite, 'Strict');
  // The login's state cookie was used up by the callback.
  assert.equal(cookies.find((c) => c.name === 'carehub_oidc_state')?.value ?? '', '');
  await checkPage(page, 'oidc-profile');

  // The sign-in is in the audit trail as an OIDC login of alice.
  const token = await page.evaluate(async () => {
    const r = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'X-Carehub-Session': 'cookie', 'Content-Type': 'application/json' },
      body: '{}',
    });
    return (await r.json()).access_token;
  });
  const audit = await server.api('GET', '/api/v1/audit?action=auth.login', token);
  assert.equal(audit.status, 200);
  assert.ok(audit.body.events.some((e) => e.detail.method === 'oidc' && e.outcome === 'success'));
  assert.deepEqual(page.problems, []);
});

test('someone the provider knows but carehub does not is told so on the sign-in page', async () => {
  const page = await openPage(browser);
  await page.goto(`${server.url}/`);
  await page.getByRole('button', { name: 'Sign in with Clinic ID' }).click();
  await page.waitForURL((url) => url.href.startsWith(issuer));
  await signInAtProvider(page, 'mallory');
  await waitForHeading(page, 'Sign in');
  await waitForText(page.getByRole('alert'), /no active carehub account for the email address/);
  assert.equal(new URL(page.url()).search, '');
  await checkPage(page, 'oidc-unknown-account');
  assert.deepEqual(page.problems, []);
});

test('a callback this browser did not start is refused (login CSRF)', async () => {
  const page = await openPage(browser);
  await page.goto(`${server.url}/api/v1/auth/oidc/callback?state=${'a'.repeat(64)}&code=stolen`);
  await waitForHeading(page, 'Sign in');
  await waitForText(page.getByRole('alert'), /started in another browser/);
  assert.deepEqual(page.problems, []);
});
