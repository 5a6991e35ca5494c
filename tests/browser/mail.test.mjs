// What carehub mails, followed in the browser. Messages are delivered by the real binary to a real
// SMTP server on loopback (python3-aiosmtpd over STARTTLS, its certificate made here).
// - "Forgot your password?" from the sign-in page to a new password: an unknown address is told
//   exactly what a known one is told, and gets no message; the link works once.
// - A self-registered patient cannot sign in until the emailed confirmation link is opened.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  adminEmail,
  checkPage,
  freePort,
  launchBrowser,
  openPage,
  signInThroughPage,
  startCarehub,
  waitForHeading,
  waitForText,
} from './harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const newPassword = 'a brand new admin passphrase';

let smtpDir;
let smtp;
let server;
let browser;

// The messages the SMTP server accepted, their bodies decoded.
function received() {
  return readdirSync(smtpDir)
    .filter((name) => name.endsWith('.eml'))
    .sort()
    .map((name) => {
      const raw = readFileSync(join(smtpDir, name), 'latin1');
      const split = raw.indexOf('\r\n\r\n');
      return {
        headers: raw.slice(0, split),
        body: Buffer.from(raw.slice(split + 4).replace(/\s+/g, ''), 'base64').toString('utf8'),
      };
    });
}

async function waitForMessages(n, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  while (received().length < n) {
    if (Date.now() > until) throw new Error(`${received().length} messages, not ${n}`);
    await sleep(100);
  }
  return received();
}

before(async () => {
  smtpDir = mkdtempSync(join(tmpdir(), 'carehub-smtp-'));
  const cert = join(smtpDir, 'localhost.pem');
  const key = join(smtpDir, 'localhost.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  const smtpPort = await freePort();
  smtp = spawn('/usr/bin/python3', [
    join(here, '../support/smtp_server.py'), '--dir', smtpDir, '--port', String(smtpPort),
    '--cert', cert, '--key', key,
  ], { stdio: 'inherit' });
  for (let i = 0; i < 200 && !existsSync(join(smtpDir, 'ready')); i += 1) await sleep(50);
  assert.ok(existsSync(join(smtpDir, 'ready')), 'the SMTP server did not start');

  const port = await freePort();
  server = await startCarehub({
    port,
    config: {
      jobs: { poll_interval_ms: 50 },
      auth: { registration_roles: ['patient'], verify_email: true },
      mail: {
        provider: 'smtp',
        smtp_url: `smtp://localhost:${smtpPort}`,
        ca_file: cert,
        from: 'Clinic <no-reply@clinic.example>',
        public_url: `http://127.0.0.1:${port}`,
      },
    },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  smtp?.kill('SIGTERM');
  if (smtpDir) rmSync(smtpDir, { recursive: true, force: true });
});

test('a forgotten password is replaced through the emailed link', async () => {
  const page = await openPage(browser);
  await page.goto(`${server.url}/signin`);
  await waitForHeading(page, 'Sign in');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await waitForHeading(page, 'Forgot your password?');
  await checkPage(page, 'forgot-password');

  // An address with no account: the same words, and nothing is sent.
  await page.getByLabel('Email', { exact: true }).fill('nobody@clinic.example');
  await page.getByRole('button', { name: 'Send the link' }).click();
  const told = await waitForText(page.getByRole('status'), /^If that address has an account/);
  await checkPage(page, 'forgot-password-sent');

  await page.goto(`${server.url}/forgot-password`);
  await waitForHeading(page, 'Forgot your password?');
  await page.getByLabel('Email', { exact: true }).fill(adminEmail);
  await page.getByRole('button', { name: 'Send the link' }).click();
  assert.equal(await waitForText(page.getByRole('status'), /^If that address has an account/), told);

  const [message] = await waitForMessages(1);
  assert.match(message.headers, /^Subject: Reset your carehub password$/m);
  assert.match(message.headers, /^To: admin@clinic\.example$/m);
  assert.ok(!message.body.includes(adminEmail), 'the body does not repeat the address');
  const link = message.body.match(/http:\/\/127\.0\.0\.1:\d+\/reset-password#token=[0-9a-f]+/);
  assert.ok(link, message.body);
  await sleep(1000);
  assert.equal(received().length, 1, 'the unknown address got no message');

  await page.goto(link[0]);
  await waitForHeading(page, 'Set your password');
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
  await page.getByLabel('New password', { exact: true }).fill(newPassword);
  await page.getByLabel('Confirm password', { exact: true }).fill(newPassword);
  await page.getByRole('button', { name: 'Set password' }).click();
  await waitForText(page.getByRole('status'), 'Your password is set.');
  await page.getByRole('link', { name: 'Sign in with it' }).click();
  await signInThroughPage(page, server, adminEmail, newPassword);
  await waitForHeading(page, /^Welcome/);

  // The link worked once.
  const again = await openPage(browser);
  await again.goto(link[0]);
  await waitForHeading(again, 'Set your password');
  await again.getByLabel('New password', { exact: true }).fill('another new passphrase');
  await again.getByLabel('Confirm password', { exact: true }).fill('another new passphrase');
  await again.getByRole('button', { name: 'Set password' }).click();
  await waitForText(again.getByRole('alert'), /not valid, used or expired/);
});

const patient = { email: 'pat@clinic.example', password: 'a long patient passphrase' };

test('a self-registered patient confirms their address through the emailed link', async () => {
  const before = received().length;
  const page = await openPage(browser);
  await page.goto(`${server.url}/signin`);
  await waitForHeading(page, 'Sign in');
  await page.getByRole('link', { name: 'New here? Create an account' }).click();
  await waitForHeading(page, 'Create an account');
  await checkPage(page, 'register');
  await page.getByLabel('Email', { exact: true }).fill(patient.email);
  await page.getByLabel('First name', { exact: true }).fill('Pat');
  await page.getByLabel('New password', { exact: true }).fill(patient.password);
  await page.getByLabel('Confirm password', { exact: true }).fill(patient.password);
  await page.getByRole('button', { name: 'Create the account' }).click();
  await waitForText(page.getByRole('status'), /^Your account is made\. We sent a link/);

  await signInThroughPage(page, server, patient.email, patient.password);
  await waitForText(page.getByRole('alert'), /^confirm your email address first/);

  const messages = await waitForMessages(before + 1);
  const message = messages[before];
  assert.match(message.headers, /^Subject: Confirm your email address for carehub$/m);
  const link = message.body.match(/http:\/\/127\.0\.0\.1:\d+\/verify-email#token=[0-9a-f]+/);
  assert.ok(link, message.body);
  await page.goto(link[0]);
  await waitForHeading(page, 'Confirm your email address');
  await page.getByText('Your address is confirmed. You can sign in now.', { exact: true }).waitFor();
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
  await checkPage(page, 'verify-email');
  await page.getByRole('link', { name: 'Go to sign-in' }).click();
  await signInThroughPage(page, server, patient.email, patient.password);
  await waitForHeading(page, /^Welcome/);

  // Used: the link now says so.
  const again = await openPage(browser);
  await again.goto(link[0]);
  await waitForHeading(again, 'Confirm your email address');
  await waitForText(again.getByRole('alert'), /not valid, used or expired/);
});

// A patient shares a case with a physician who has no account: the physician is mailed an
// invitation (no patient data in it), opens it in a Spanish browser, creates the account without
// typing an address or choosing a role, signs in at once and finds the invitation waiting.
test('an invited physician creates their account from the emailed link', async () => {
  const before = received().length;
  const api = async (method, path, token, body) => {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    return { status: r.status, json: text ? JSON.parse(text) : null, text };
  };
  const token = async (email, password) =>
    (await api('POST', '/api/v1/auth/login', null, { email, password })).json.access_token;
  const pat = await token(patient.email, patient.password);
  assert.ok(pat, 'the patient of the previous test signs in');
  const made = await api('POST', '/api/v1/cases', pat, { patient: { name: 'Lucía Moreno' } });
  assert.equal(made.status, 201, made.text);
  const shared = await api('POST', `/api/v1/cases/${made.json.id}/shares`, pat, {
    email: 'dra.nueva@clinic.example',
  });
  assert.equal(shared.status, 201, shared.text);
  assert.equal(shared.json.status, 'invited');

  const message = (await waitForMessages(before + 1))[before];
  assert.match(message.headers, /^To: dra\.nueva@clinic\.example$/m);
  assert.ok(!message.body.includes('Lucía') && !message.body.includes('Moreno'), message.body);
  const link = message.body.match(/http:\/\/127\.0\.0\.1:\d+\/register#token=[0-9a-f]+/);
  assert.ok(link, message.body);

  const page = await openPage(browser, { locale: 'es-ES' });
  await page.goto(link[0]);
  await waitForHeading(page, 'Cree su cuenta de médico');
  assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
  assert.equal(await page.getByLabel('Correo electrónico', { exact: true }).count(), 0);
  await checkPage(page, 'register-invited-es');
  await page.getByLabel('Nombre', { exact: true }).fill('Nueva');
  await page.getByLabel('Contraseña nueva', { exact: true }).fill('a long physician passphrase');
  await page.getByLabel('Confirme la contraseña', { exact: true }).fill('otra cosa distinta');
  await page.getByRole('button', { name: 'Crear la cuenta' }).click();
  await waitForText(page.getByRole('alert'), /.+/);  // the two passwords differ: nothing sent
  await page.getByLabel('Confirme la contraseña', { exact: true }).fill('a long physician passphrase');
  await page.getByRole('button', { name: 'Crear la cuenta' }).click();
  await waitForText(page.getByRole('status'), 'Su cuenta está lista. Ya puede iniciar sesión.');

  const doc = await token('dra.nueva@clinic.example', 'a long physician passphrase');
  assert.ok(doc, 'the physician signs in without confirming anything else');
  const me = await api('GET', '/api/v1/auth/me', doc);
  assert.deepEqual(me.json.roles, ['physician']);
  const invitations = await api('GET', '/api/v1/cases/shares', doc);
  assert.equal(invitations.json.shares.length, 1, invitations.text);
  assert.equal(invitations.json.shares[0].status, 'pending');
  assert.equal(invitations.json.shares[0].case_id, made.json.id);

  // In the console (in the account's language, Spanish, chosen on the registration page): the
  // invitation accepted, the case read and nothing in it to change.
  const ui = await openPage(browser);
  await signInThroughPage(ui, server, 'dra.nueva@clinic.example', 'a long physician passphrase');
  await ui.getByRole('navigation').getByRole('link', { name: 'Mis casos' }).click();
  const region = (name) => ui.getByRole('region', { name, exact: true });
  await region('Invitaciones').getByRole('button', { name: 'Aceptar' }).click();
  await region('Compartidos conmigo').getByRole('link', { name: 'Lucía Moreno' }).click();
  await waitForHeading(ui, 'Lucía Moreno');
  await waitForText(ui.getByTestId('read-only'), /puede leerlo, pero no modificarlo/);
  assert.equal(await ui.getByRole('button', { name: 'Guardar paciente', exact: true }).count(), 0);
  await checkPage(ui, 'invited-physician-case-es');

  // The link is spent.
  const again = await openPage(browser);
  await again.goto(link[0]);
  await waitForHeading(again, 'Create your physician account');
  await again.getByLabel('New password', { exact: true }).fill('a long physician passphrase');
  await again.getByLabel('Confirm password', { exact: true }).fill('a long physician passphrase');
  await again.getByRole('button', { name: 'Create the account' }).click();
  await waitForText(again.getByRole('alert'), /not valid, used or expired/);
});
