// Contact tracing's screens: a medical user issues a status-change code (shown large, as a QR
// code that decodes to it, with its expiry), a person's phone accepts it through the API and
// their state moves, and the medical user's list shows it used; an admin's batch of
// health-security ids arrives as a CSV download and never on screen, and one of them grants the
// medical role; the admin's overview counts people per state and exposures per day; the codes
// screen in Spanish.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import jsQR from 'jsqr';

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

const doctorEmail = 'dr.ines.molina@clinic.example';
const enfermeraEmail = 'enfermera.rosa@clinic.example';
const appPassword = 'a phone app passphrase';
const codeAlphabet = /^[2345679ACDEFGHJKMNPQRSTUVWXYZ]+$/;

let server;
let browser;
let admin; // access token, for seeding and for checking what the server holds

before(async () => {
  server = await startCarehub({
    config: { auth: { registration_roles: ['user'] }, jobs: { poll_interval_ms: 100 } },
  });
  admin = await server.token();
  for (const [email, language] of [
    [doctorEmail, 'en'],
    [enfermeraEmail, 'es'],
  ]) {
    const r = await server.api('POST', '/api/v1/users', admin, {
      email,
      roles: ['user', 'medical'],
      password,
      language,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// A person with the phone app: self-registered as a user, signed in over the API.
async function phoneUser(username) {
  const reg = await fetch(`${server.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: appPassword, role: 'user' }),
  });
  assert.equal(reg.status, 201, await reg.text());
  const login = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: appPassword }),
  });
  assert.equal(login.status, 200);
  return (await login.json()).access_token;
}

function nav(page, name, label = 'Main') {
  return page.getByRole('navigation', { name: label }).getByRole('link', { name, exact: true });
}

// The QR code as the browser draws it, rasterised on a canvas and decoded by jsQR: what a phone's
// camera would read.
async function decodeQr(page) {
  const image = await page.getByRole('img', { name: /QR/ }).evaluate(async (svg) => {
    const markup = new XMLSerializer().serializeToString(svg);
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(markup)}`;
    await img.decode();
    const side = 400;
    const canvas = document.createElement('canvas');
    canvas.width = side;
    canvas.height = side;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0, side, side);
    return { side, pixels: Array.from(context.getImageData(0, 0, side, side).data) };
  });
  const decoded = jsQR(Uint8ClampedArray.from(image.pixels), image.side, image.side);
  return decoded?.data ?? null;
}

let issuedCode = null; // what the first test's screen showed

test('a medical user issues a code shown large and as a QR code, and it moves a state', async () => {
  const page = await openPage(browser);
  await signInThroughPage(page, server, doctorEmail);
  await waitForHeading(page, `Welcome, ${doctorEmail}`);
  // A medical user sees the codes screen, not the admin's tracing screens.
  assert.equal(await nav(page, 'Tracing overview').count(), 0);
  await nav(page, 'Status-change codes').click();
  await waitForHeading(page, 'Status-change codes');
  const codes = page.getByRole('region', { name: 'Codes you issued' });
  await waitForText(codes.getByText('You have not issued any code yet.'), /not issued/);
  await checkPage(page, 'tracing-codes-empty');

  const form = page.getByRole('form', { name: 'Issue a code' });
  await form.getByLabel('New state').selectOption({ label: 'At risk' });
  await form.getByLabel('Note for the record (optional)').fill('rapid test, desk 3');
  const answer = page.waitForResponse(
    (r) => r.url().endsWith('/api/v1/tracing/status-changes') && r.request().method() === 'POST',
  );
  await form.getByRole('button', { name: 'Issue code' }).click();
  const issued = await (await answer).json();
  await waitForText(form.getByRole('status'), 'Code issued for “At risk”.');

  // The code, large, grouped for reading aloud; the same as the API's answer.
  const card = page.getByRole('region', { name: 'Status-change code' });
  const shown = await waitForText(card.getByTestId('medical-code'), /\S/);
  assert.match(issued.medical_code, codeAlphabet);
  assert.equal(shown.replace(/\s/g, ''), issued.medical_code);
  assert.ok(shown.includes(' '), `grouped for reading: ${shown}`);
  assert.ok(
    (await card.getByTestId('medical-code').evaluate((e) => parseFloat(getComputedStyle(e).fontSize))) >= 32,
    'the code is large',
  );
  await waitForText(card, /Moves the person to: At risk/);
  // The expiry, as the API answered it (24 h by default), in the person's words.
  const expiry = await waitForText(card.getByTestId('code-expiry'), /^Expires /);
  const expires = new Date(issued.expires_at);
  assert.ok(expiry.includes(String(expires.getFullYear())), expiry);
  assert.ok(Math.abs(expires - Date.now() - 24 * 3600e3) < 5 * 60e3, issued.expires_at);
  // The QR code is there, and decodes to exactly the code.
  assert.equal(await decodeQr(page), issued.medical_code);
  issuedCode = issued.medical_code;

  // The list has it, not used yet (and never shows the code itself).
  const row = codes.getByRole('row').nth(1);
  await waitForText(row.getByRole('cell').nth(4), 'Not used yet');
  await waitForText(row.getByRole('cell').nth(1), 'At risk');
  await waitForText(row.getByRole('cell').nth(5), 'rapid test, desk 3');
  assert.equal(await codes.getByText(issued.medical_code).count(), 0);
  await checkPage(page, 'tracing-code-issued');

  // A person's phone accepts the code as it was read aloud (with its spaces): their state moves.
  const phone = await phoneUser('walter.phone');
  const accepted = await server.api('POST', '/api/v1/tracing/status-changes/accept', phone, {
    medical_code: shown.toLowerCase(),
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal((await server.api('GET', '/api/v1/tracing/profile', phone)).body.status_id, 2);

  // After a reload the list says used, and the card is gone: the code is shown only once.
  await page.reload();
  await waitForHeading(page, 'Status-change codes');
  await waitForText(codes.getByRole('row').nth(1).getByRole('cell').nth(4), /^Used /);
  assert.equal(await page.getByRole('region', { name: 'Status-change code' }).count(), 0);
  await checkPage(page, 'tracing-code-used');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('an admin issues a batch of health-security ids as a CSV download, never on screen', async () => {
  const page = await openPage(browser);
  await signInThroughPage(page, server);
  await waitForHeading(page, `Welcome, ${adminEmail}`);
  // The admin is not medical: no codes screen, and its address is refused.
  assert.equal(await nav(page, 'Status-change codes').count(), 0);
  await nav(page, 'Health-security ids').click();
  await waitForHeading(page, 'Health-security ids');
  await checkPage(page, 'tracing-health-ids');

  const form = page.getByRole('form', { name: 'Health-security ids' });
  await form.getByLabel('How many ids').fill('5');
  await form.getByLabel('Characters in each id').fill('10');
  const download = page.waitForEvent('download');
  await form.getByRole('button', { name: 'Issue and download' }).click();
  const file = await download;
  assert.match(file.suggestedFilename(), /^health-security-ids-.*\.csv$/);
  const lines = readFileSync(await file.path(), 'utf8').trim().split(/\r?\n/);
  assert.equal(lines[0], 'health_security_id');
  const ids = lines.slice(1);
  assert.equal(ids.length, 5);
  for (const id of ids) assert.match(id, codeAlphabet);
  assert.equal(new Set(ids).size, 5);
  assert.equal(ids[0].length, 10);
  await waitForText(form.getByRole('status'), /^5 health-security ids were saved as health-security-ids-/);

  // None of them is anywhere on the page, nor in its markup.
  const html = await page.content();
  for (const id of ids) assert.ok(!html.includes(id), `${id} is on the page`);
  await checkPage(page, 'tracing-health-ids-downloaded');

  // The file's ids are real: one grants the medical role, once.
  const phone = await phoneUser('new.doctor');
  const redeemed = await server.api('POST', '/api/v1/tracing/medical/register', phone, {
    health_security_id: ids[2],
  });
  assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
  assert.ok(redeemed.body.roles.includes('medical'));

  await page.goto(`${server.url}/tracing/codes`);
  await waitForHeading(page, 'Not allowed');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the overview shows people per state and exposures per day, as counts only', async () => {
  // An exposure the real way: a person reports Infected with a meeting with another's token.
  const doctor = await server.token(doctorEmail);
  const met = await phoneUser('met.someone');
  const metToken = (await server.api('GET', '/api/v1/tracing/profile', met)).body.broadcast_token;
  const reporter = await phoneUser('reporter');
  const code = await server.api('POST', '/api/v1/tracing/status-changes', doctor, {
    status_id: 3,
    status_changed_on: new Date().toISOString(),
  });
  assert.equal(code.status, 201);
  const metAt = Date.now() - 3600e3;
  const accepted = await server.api('POST', '/api/v1/tracing/status-changes/accept', reporter, {
    medical_code: code.body.medical_code,
    meetings: [{ token: metToken, timestamp: metAt }],
  });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  const until = Date.now() + 20000;
  while ((await server.api('GET', '/api/v1/tracing/profile', met)).body.status_id !== 2) {
    assert.ok(Date.now() < until, 'the exposure job did not move the contact');
    await new Promise((r) => setTimeout(r, 100));
  }
  const expected = (await server.api('GET', '/api/v1/tracing/overview', admin)).body;

  const page = await openPage(browser);
  await signInThroughPage(page, server);
  await waitForHeading(page, `Welcome, ${adminEmail}`);
  await nav(page, 'Tracing overview').click();
  await waitForHeading(page, 'Tracing overview');
  const states = page.getByRole('region', { name: 'People per state' });
  // walter (At risk by code), met.someone (At risk by exposure), reporter (Infected); the
  // medical staff, who never used the app, are in no state.
  const count = (name) => states.getByRole('row', { name: new RegExp(`^${name}\\b`) }).getByRole('cell');
  await waitForText(states.getByRole('columnheader').first(), 'State');
  await waitForText(count('At risk'), '2');
  await waitForText(count('Infected'), '1');
  await waitForText(count('Healthy'), '0');
  await waitForText(count('Recovered'), '0');
  const days = page.getByRole('region', { name: 'Exposures per day' });
  assert.equal(await days.getByRole('row').count(), expected.exposures_per_day.length + 1);
  assert.equal(expected.exposures_per_day.length, 15);
  // Newest day first: the meeting's UTC day is today's row, or yesterday's in the first hour
  // after midnight UTC (CI found that).
  const daysBack = Math.floor(Date.now() / 86400e3) - Math.floor(metAt / 86400e3);
  await waitForText(days.getByRole('row').nth(1 + daysBack).getByRole('cell'), '1');
  await waitForText(page.getByText(/^Exposures in the window:/), 'Exposures in the window: 1');
  // Counts only: no one's name on the page.
  const text = await page.locator('main').innerText();
  for (const name of ['walter', 'met.someone', 'reporter', doctorEmail]) {
    assert.ok(!text.includes(name), `${name} on the overview`);
  }
  await checkPage(page, 'tracing-overview');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('the codes screen in Spanish', async () => {
  // Signed in from an English browser: her profile's language (es) is what the console speaks.
  const page = await openPage(browser);
  await signInThroughPage(page, server, enfermeraEmail);
  await waitForHeading(page, /enfermera\.rosa/);
  await nav(page, 'Códigos de cambio de estado', 'Principal').click();
  await waitForHeading(page, 'Códigos de cambio de estado');
  const form = page.getByRole('form', { name: 'Emitir un código' });
  await form.getByLabel('Nuevo estado').selectOption({ label: 'Recovered' });
  await form.getByRole('button', { name: 'Emitir código' }).click();
  await waitForText(form.getByRole('status'), 'Código emitido para «Recovered».');
  const card = page.getByRole('region', { name: 'Código de cambio de estado' });
  await waitForText(card.getByTestId('code-expiry'), /^Caduca /);
  const codes = page.getByRole('region', { name: 'Códigos que usted emitió' });
  await waitForText(codes.getByRole('row').nth(1).getByRole('cell').nth(4), 'Sin usar');
  const shown = (await card.getByTestId('medical-code').innerText()).replace(/\s/g, '');
  assert.equal(await decodeQr(page), shown);
  assert.notEqual(shown, issuedCode);
  await checkPage(page, 'tracing-codes-es');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
