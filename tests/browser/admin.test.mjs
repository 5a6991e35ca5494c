// Administration: an admin creates, finds and disables a user and gives her a set-password link;
// creates an API token (its secret shown once, copied, working against the API) and revokes it;
// rotates the signing key.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  adminEmail,
  checkPage,
  launchBrowser,
  openPage,
  signInThroughPage,
  startCarehub,
  waitForHeading,
  waitForText,
} from './harness.mjs';

const member = {
  email: 'nora.quintana@clinic.example',
  password: 'a long member passphrase',
  newPassword: 'her own chosen passphrase',
};

let server;
let browser;
let page;

before(async () => {
  // /metrics answers loopback clients without credentials by default: here it must ask for them,
  // so that an API token with metrics:read is what lets the test's requests in.
  server = await startCarehub({ config: { server: { metrics_from_loopback: false } } });
  browser = await launchBrowser();
  page = await openPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
  await signInThroughPage(page, server);
  await waitForHeading(page, `Welcome, ${adminEmail}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function nav(name) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

test('an admin creates a member, finds her, sends a set-password link, disables her', async () => {
  await nav('Users').click();
  await waitForHeading(page, 'Users');
  await page.getByRole('link', { name: adminEmail }).waitFor();
  await checkPage(page, 'admin-users');

  const form = page.getByRole('region', { name: 'New user', exact: true });
  await form.getByLabel('Email', { exact: true }).fill(member.email);
  await form.getByLabel('First name').fill('Nora');
  await form.getByLabel('Last name').fill('Quintana');
  // New accounts are members unless the admin chooses otherwise.
  const checkbox = (name) => form.getByRole('checkbox', { name });
  assert.equal(await checkbox('Member (record review)').isChecked(), true);
  assert.equal(await checkbox('Administrator').isChecked(), false);
  await form.getByLabel('Initial password (optional)').fill(member.password);
  await form.getByRole('button', { name: 'Create user' }).click();
  await waitForText(form.getByRole('status'), 'Nora Quintana was created.');
  const users = page.getByRole('region', { name: 'Users', exact: true });
  await users.getByRole('link', { name: 'Nora Quintana' }).waitFor();
  assert.equal(await users.getByRole('rowheader').count(), 2);

  // The search narrows the list to her, and lives in the address.
  await page.getByRole('searchbox', { name: 'Search users' }).fill('quintana');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const pager = page.getByRole('navigation', { name: 'Pages' });
  await waitForText(pager.getByRole('status'), '1–1 of 1');
  assert.equal(new URL(page.url()).searchParams.get('q'), 'quintana');
  assert.deepEqual(await users.getByRole('rowheader').allInnerTexts(), ['Nora Quintana']);
  const row = users.getByRole('row', { name: /Nora Quintana/ });
  await waitForText(row.getByRole('cell').nth(1), 'Member (record review)');
  await waitForText(row.getByRole('cell').nth(2), 'Active');
  await checkPage(page, 'admin-users-search');

  // The initial password works.
  await server.token(member.email, member.password);
  await users.getByRole('link', { name: 'Nora Quintana' }).click();
  await waitForHeading(page, 'Nora Quintana');
  await page.getByText('This account is active: its owner can sign in.').waitFor();
  await checkPage(page, 'admin-user');

  // A set-password link, shown once, for her to choose her own password with.
  const reset = page.getByRole('region', { name: 'Set-password link', exact: true });
  await reset.getByRole('button', { name: 'Make a set-password link' }).click();
  const resetLink = await reset.getByLabel('Set-password link').inputValue();
  assert.match(resetLink, new RegExp(`^${server.url}/reset-password#token=\\S+$`));
  await reset.getByText(/It works once, for 24 h, and is not shown again\.$/).waitFor();
  await checkPage(page, 'admin-user-reset-link');

  const hers = await openPage(browser);
  await hers.goto(resetLink);
  await waitForHeading(hers, 'Set your password');
  assert.equal(new URL(hers.url()).hash, '');
  await checkPage(hers, 'reset-password');
  await hers.getByLabel('New password', { exact: true }).fill(member.newPassword);
  await hers.getByLabel('Confirm password', { exact: true }).fill(member.newPassword);
  await hers.getByRole('button', { name: 'Set password' }).click();
  await waitForText(hers.getByRole('status'), 'Your password is set.');
  await hers.getByRole('link', { name: 'Sign in with it' }).click();
  await signInThroughPage(hers, server, member.email, member.newPassword);
  await waitForHeading(hers, 'Welcome, Nora Quintana');
  await hers.getByText('Your roles: Member (record review).').waitFor();
  // A member's console has no administration, and its addresses say so.
  assert.equal(await hers.getByRole('heading', { name: 'Administration' }).count(), 0);
  await hers.goto(`${server.url}/admin/users`);
  await waitForHeading(hers, 'Not allowed');
  await hers.getByText('Your account does not have access to this page.').waitFor();
  await checkPage(hers, 'forbidden');

  const account = page.getByRole('region', { name: 'Account', exact: true });
  await account.getByRole('button', { name: 'Disable account' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText(/^Disable the account of Nora Quintana\?/).waitFor();
  await checkPage(page, 'admin-user-disable-confirm');
  await dialog.getByRole('button', { name: 'Disable account' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await waitForText(account.getByRole('status'), 'The account was disabled.');
  await page.getByText('This account is disabled: its owner cannot sign in.').waitFor();
  const status = page.getByRole('definition').filter({ hasText: /^(Disabled|Active)$/ });
  await waitForText(status, 'Disabled');
  await account.getByRole('button', { name: 'Enable account' }).waitFor();
  await checkPage(page, 'admin-user-disabled');

  // Her session ended with it, and she cannot start another.
  await hers.reload();
  await waitForHeading(hers, 'Sign in');
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: member.email, password: member.newPassword }),
  });
  assert.equal(login.status, 401);
  assert.deepEqual(hers.problems, []);

  // The list shows it too.
  await page.getByRole('link', { name: 'Back to users' }).click();
  await waitForHeading(page, 'Users');
  const listed = users.getByRole('row', { name: /Nora Quintana/ });
  await waitForText(listed.getByRole('cell').nth(2), 'Disabled');
  assert.deepEqual(page.problems, []);
});

// <input type="date"> value `days` from today (local time, as the page reads it).
function dayFromNow(days) {
  const d = new Date();
  d.setDate(d.getDate() + days);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function metrics(secret) {
  return fetch(`${server.url}/metrics`, {
    headers: secret ? { Authorization: `Bearer ${secret}` } : {},
  });
}

test('an API token: made with a scope and an expiry, its secret shown once, revoked', async () => {
  await nav('API tokens').click();
  await waitForHeading(page, 'API tokens');
  await page.getByText('There are no API tokens yet.').waitFor();
  await checkPage(page, 'admin-tokens');

  const form = page.getByRole('region', { name: 'New token', exact: true });
  await form.getByLabel('Name', { exact: true }).fill('prometheus');
  await form.getByRole('checkbox', { name: /^metrics:read/ }).check();
  const expiry = dayFromNow(30);
  await form.getByLabel('Valid until (optional)').fill(expiry);
  await form.getByRole('button', { name: 'Create token' }).click();
  await waitForText(form.getByRole('status').first(), 'The token prometheus was created.');

  const secretField = page.getByLabel('Secret of prometheus');
  const secret = await secretField.inputValue();
  assert.match(secret, /\S{20,}/);
  await page.getByText(/^Copy the secret now and keep it somewhere safe/).waitFor();
  await checkPage(page, 'admin-tokens-secret');
  await form.getByRole('button', { name: 'Copy' }).click();
  await page.getByText('Copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);

  // The list's section (the table's scrolling box inside it has the same name).
  const tokens = page.getByRole('region', { name: 'Tokens', exact: true }).first();
  const row = tokens.getByRole('row', { name: /prometheus/ });
  await waitForText(row.getByRole('cell').nth(0), 'metrics:read');
  assert.notEqual((await row.getByRole('cell').nth(2).innerText()).trim(), 'Never');
  await waitForText(row.getByRole('cell').nth(4), 'Active');

  // The expiry is the end of the chosen day, as the server keeps it.
  const admin = await server.token();
  const [stored] = (await server.api('GET', '/api/v1/tokens', admin)).body.tokens;
  const [year, month, day] = expiry.split('-').map(Number);
  const endOfDay = new Date(year, month - 1, day + 1).getTime();
  assert.ok(Math.abs(Date.parse(stored.expires_at) - endOfDay) < 120_000, stored.expires_at);
  assert.deepEqual(stored.scopes, ['metrics:read']);

  // The secret works where its scope reaches (and nothing else lets a loopback client in here).
  assert.equal((await metrics(secret)).status, 200);
  assert.equal((await metrics(null)).status, 401);

  // Shown once: away and back, it is gone from the page.
  await nav('Home').click();
  await waitForHeading(page, `Welcome, ${adminEmail}`);
  await nav('API tokens').click();
  await waitForHeading(page, 'API tokens');
  await tokens.getByRole('row', { name: /prometheus/ }).waitFor();
  assert.equal(await page.getByLabel('Secret of prometheus').count(), 0);
  assert.ok(!(await page.content()).includes(secret), 'the secret is in the page again');

  await tokens.getByRole('button', { name: 'Revoke prometheus' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText(/^Revoke the token prometheus\?/).waitFor();
  await checkPage(page, 'admin-tokens-revoke-confirm');
  await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  await waitForText(tokens.getByRole('status').first(), 'The token prometheus was revoked.');
  await waitForText(row.getByRole('cell').nth(4), 'Revoked');
  assert.equal(await tokens.getByRole('button', { name: 'Revoke prometheus' }).count(), 0);
  await checkPage(page, 'admin-tokens-revoked');
  assert.equal((await metrics(secret)).status, 401);
  assert.deepEqual(page.problems, []);
});

test('rotating the signing key lists a new key that signs; the old one only verifies', async () => {
  await nav('Signing keys').click();
  await waitForHeading(page, 'Signing keys');
  const keys = page.getByRole('region', { name: 'Signing keys', exact: true });
  await keys.getByRole('rowheader').first().waitFor();
  const before = await keys.getByRole('rowheader').allInnerTexts();
  assert.equal(before.length, 1);
  await checkPage(page, 'admin-keys');

  await page.getByRole('button', { name: 'Rotate: make a new signing key' }).click();
  const rotated = /^The new key (\S+) signs from now on\.$/;
  const said = await waitForText(page.getByRole('status').first(), rotated);
  const kid = said.match(rotated)[1];
  assert.ok(!before.includes(kid));
  await keys.getByRole('rowheader', { name: kid }).waitFor();
  assert.deepEqual(await keys.getByRole('rowheader').allInnerTexts(), [kid, ...before]);
  const signing = keys.getByRole('row', { name: new RegExp(kid) });
  await waitForText(signing.getByRole('cell').nth(1), 'Signs new tokens');
  const old = keys.getByRole('row', { name: new RegExp(before[0]) });
  await waitForText(old.getByRole('cell').nth(1), 'Verifies only');
  await old.getByRole('button', { name: `Retire key ${before[0]}` }).waitFor();
  await checkPage(page, 'admin-keys-rotated');

  // The console keeps working on the token the old key signed, and a new sign-in uses the new key.
  await nav('Users').click();
  await waitForHeading(page, 'Users');
  const token = await server.token();
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
  assert.equal(header.kid, kid);
  assert.deepEqual(page.problems, []);
});
