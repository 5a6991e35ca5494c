// First run: the setup link carehub serve logs while no administrator exists makes its holder the
// first admin, signed in; the session survives a reload through the httpOnly cookie alone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  checkPage,
  launchBrowser,
  openPage,
  startCarehub,
  waitForHeading,
  waitForText,
} from './harness.mjs';

const email = 'first.admin@clinic.example';
const passphrase = 'the first admin passphrase';

let server;
let browser;
let link;

before(async () => {
  server = await startCarehub({ admin: false });
  const [, token] = await server.waitForLog(/\/setup#token=([0-9a-f]{64})/);
  link = `${server.url}/setup#token=${token}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function fillSetupForm(page) {
  await page.getByLabel('Administrator email').fill(email);
  await page.getByLabel('New password', { exact: true }).fill(passphrase);
  await page.getByLabel('Confirm password', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Create administrator' }).click();
}

test('the setup page without its token, or with a wrong one, says what is wrong', async () => {
  const page = await openPage(browser);
  // Before there is an administrator, the sign-in page says where to start.
  await page.goto(`${server.url}/`);
  await waitForHeading(page, 'Sign in');
  await page.getByText('This server has no administrator yet.', { exact: false }).waitFor();
  await checkPage(page, 'signin-setup-needed');

  await page.goto(`${server.url}/setup`);
  await waitForHeading(page, 'Set up carehub');
  await waitForText(page.getByRole('alert'), /needs the setup link that carehub wrote to its log/);
  await checkPage(page, 'setup-no-token');

  // (A new document: from /setup, a link differing only in its #fragment would not reload it.)
  await page.goto('about:blank');
  await page.goto(`${server.url}/setup#token=${'0'.repeat(64)}`);
  await waitForHeading(page, 'Set up carehub');
  await fillSetupForm(page);
  await waitForText(
    page.getByRole('alert'),
    /^the setup link is not valid, used or expired; restart carehub serve/,
  );
  await checkPage(page, 'setup-wrong-token');

  // Passwords that differ are caught before anything is sent.
  await page.getByLabel('Confirm password', { exact: true }).fill('something else entirely');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await waitForText(page.getByRole('alert'), 'The two passwords are not the same.');
  assert.deepEqual(page.problems, []);
});

// Someone who opened /setup without its token is told to open the link; pasting it into the same
// tab changes only the #fragment, which does not load the page again.
test(
  'pasting the setup link into the tab showing /setup opens the form',
  async () => {
    const page = await openPage(browser);
    await page.goto(`${server.url}/setup`);
    await page.getByRole('alert').filter({ hasText: 'needs the setup link' }).waitFor();
    await page.goto(link); // same document: only the fragment differs
    await page.getByLabel('Administrator email').waitFor({ timeout: 3000 });
    assert.equal(new URL(page.url()).hash, '');
    assert.deepEqual(page.problems, []);
  },
);

test('the logged link makes the first admin, signed in, the session in a cookie', async () => {
  const page = await openPage(browser);
  await page.goto(link);
  await waitForHeading(page, 'Set up carehub');
  // The one-time token leaves the address bar (and the history entry) at once.
  assert.equal(new URL(page.url()).hash, '');
  assert.equal(new URL(page.url()).pathname, '/setup');
  await page.getByText('Create the first administrator account.').waitFor();
  await checkPage(page, 'setup-form');

  await fillSetupForm(page);
  await waitForHeading(page, `Welcome, ${email}`);
  assert.equal(new URL(page.url()).pathname, '/');
  await page.getByText('Your roles: Administrator.').waitFor();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Users' }).waitFor();
  await checkPage(page, 'setup-home');

  // A reload: the console has nothing but the refresh cookie, and is still signed in. The access
  // token that refresh hands out must not be kept anywhere a script or a copied URL could read.
  const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
  await page.reload();
  const refresh = await refreshed;
  assert.equal(refresh.status(), 200);
  const accessToken = (await refresh.json()).access_token;
  assert.match(accessToken, /^eyJ/);
  await waitForHeading(page, `Welcome, ${email}`);
  const stored = await page.evaluate(() => ({
    local: Object.entries(localStorage),
    session: Object.entries(sessionStorage),
    cookie: document.cookie,
    url: window.location.href,
  }));
  const tokenLike = /token|refresh|access|bearer|eyJ[\w-]+\.|[0-9a-f]{32}/i;
  for (const [key, value] of [...stored.local, ...stored.session]) {
    assert.doesNotMatch(`${key}=${value}`, tokenLike, 'web storage holds something token-like');
    assert.ok(!value.includes(accessToken), 'web storage holds the access token');
  }
  assert.doesNotMatch(stored.cookie, /carehub_refresh/);
  assert.ok(!stored.cookie.includes(accessToken));
  assert.ok(!stored.url.includes(accessToken));
  // The cookie does exist, out of the page's reach.
  const cookies = await page.context().cookies(`${server.url}/api/v1/auth/refresh`);
  const refreshCookie = cookies.find((c) => c.name === 'carehub_refresh');
  assert.ok(refreshCookie, `no carehub_refresh cookie among ${cookies.map((c) => c.name)}`);
  assert.equal(refreshCookie.httpOnly, true);
  assert.equal(refreshCookie.sameSite, 'Strict');
  assert.equal(refreshCookie.path, '/api/v1/auth');

  // Sign-out ends the session on the server: a reload stays signed out.
  await page.getByRole('button', { name: `Account menu: ${email}` }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitForHeading(page, 'Sign in');
  assert.equal(new URL(page.url()).pathname, '/signin');
  await checkPage(page, 'setup-signed-out');
  await page.reload();
  await waitForHeading(page, 'Sign in');
  await page.goto(server.url);
  await waitForHeading(page, 'Sign in');

  // The link was for one use, and an admin exists now anyway.
  await page.goto(link);
  await waitForHeading(page, 'Set up carehub');
  await page.getByText('This server is already set up.').waitFor();
  await page.getByRole('link', { name: 'Go to sign-in' }).waitFor();
  assert.equal(new URL(page.url()).hash, '');
  await checkPage(page, 'setup-already-done');
  assert.deepEqual(page.problems, []);
});
