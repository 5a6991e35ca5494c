// Sign-in: a deep link comes back after it; the server's refusals (a wrong password, the lockout)
// are shown as the server words them; an unknown address is a page of its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  adminEmail,
  checkPage,
  launchBrowser,
  openPage,
  password,
  signInThroughPage,
  startCarehub,
  waitForHeading,
  waitForText,
} from './harness.mjs';

const nurse = { email: 'nurse@clinic.example', password: 'a long nurse passphrase' };
const badCredentials = 'invalid credentials (or the account is temporarily locked)';

let server;
let browser;

before(async () => {
  // Two wrong passwords in a row, then each further try of that login from here waits.
  server = await startCarehub({ config: { auth: { lockout_failures: 2 } } });
  const admin = await server.token();
  const created = await server.api('POST', '/api/v1/users', admin, {
    email: nurse.email,
    first_name: 'Nina',
    last_name: 'Ortega',
    roles: ['member'],
    password: nurse.password,
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a deep link while signed out leads to sign-in, then to the page asked for', async () => {
  const page = await openPage(browser);
  await page.goto(`${server.url}/admin/users`);
  await waitForHeading(page, 'Sign in');
  const at = new URL(page.url());
  assert.equal(at.pathname, '/signin');
  assert.equal(at.searchParams.get('next'), '/admin/users');
  await checkPage(page, 'signin');

  await signInThroughPage(page, server);
  await waitForHeading(page, 'Users');
  assert.equal(new URL(page.url()).pathname, '/admin/users');
  await page.getByRole('link', { name: adminEmail }).waitFor();

  // The sign-in page is no place for someone signed in: it forwards home.
  await page.goto(`${server.url}/signin`);
  await waitForHeading(page, `Welcome, ${adminEmail}`);
  assert.deepEqual(page.problems, []);
});

test('an address that is no page says so, signed in or not', async () => {
  const page = await openPage(browser);
  await page.goto(`${server.url}/no/such/page`);
  await waitForHeading(page, 'Page not found');
  await page.getByText('There is no page at this address.').waitFor();
  await checkPage(page, 'not-found-signed-out');

  await signInThroughPage(page, server);
  await waitForHeading(page, `Welcome, ${adminEmail}`);
  await page.goto(`${server.url}/admin/nothing-here`);
  await waitForHeading(page, 'Page not found');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await checkPage(page, 'not-found');
  await page.getByRole('link', { name: 'Go to the home page' }).click();
  await waitForHeading(page, `Welcome, ${adminEmail}`);
  assert.deepEqual(page.problems, []);
});

// One try on the sign-in page: the server's answer to it, and what the alert then says.
async function tryToSignIn(page, email, pw) {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(pw);
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const status = (await answered).status();
  // Submitting empties the alert; the answer fills it.
  const alert = await waitForText(page.getByRole('alert'), /\S/);
  return { status, alert: alert.trim() };
}

test('a wrong password, then the lockout, are shown as the server says them', async () => {
  const page = await openPage(browser);
  await page.goto(`${server.url}/signin`);
  await waitForHeading(page, 'Sign in');

  const wrong = await tryToSignIn(page, nurse.email, 'not the nurse passphrase');
  assert.deepEqual(wrong, { status: 401, alert: badCredentials });
  assert.equal(new URL(page.url()).pathname, '/signin');
  await checkPage(page, 'signin-wrong-password');

  // An unknown login gets the very same answer: the page tells no one which accounts exist.
  const unknown = await tryToSignIn(page, 'nobody@clinic.example', 'not anyone passphrase');
  assert.deepEqual(unknown, { status: 401, alert: badCredentials });

  // Each failure past the second holds the login back longer (1 s, 2 s, ...); a try inside the
  // hold is refused with the wait, without checking the password.
  let locked = null;
  for (let attempt = 0; attempt < 8 && !locked; attempt++) {
    const outcome = await tryToSignIn(page, nurse.email, `wrong passphrase number ${attempt}`);
    if (outcome.status === 429) locked = outcome;
    else assert.deepEqual(outcome, { status: 401, alert: badCredentials });
  }
  assert.ok(locked, 'repeated wrong passwords were never held back');
  // carehub's message already says the wait: the console adds nothing to it.
  assert.match(
    locked.alert,
    /^too many failed sign-ins for this login from here; retry in \d+ s$/,
  );
  await checkPage(page, 'signin-locked');

  // The hold is for that login only: another account signs in from the same place at once.
  await page.getByLabel('Email', { exact: true }).fill(adminEmail);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await waitForHeading(page, `Welcome, ${adminEmail}`);
  assert.deepEqual(page.problems, []);
});
