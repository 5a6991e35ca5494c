// The medical cases screens as a patient and a physician use them: a patient creates a case,
// edits the patient, uploads a large PDF (the progress bar reaches 100 %) and a picture,
// downloads them, opens the PDF in a tab and previews the picture in a sandboxed frame, fills a
// resource group (an HPO id checked as the API checks it), meets a save refused because another
// session saved first, and shares the case; the physician accepts the invitation, reads the case
// with no control that writes and proposes it to a second physician, which the owner approves;
// an address without an account is invited; the patient revokes, and the physician's page loses
// access; the case is deleted behind a confirmation; the screens in Spanish.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  checkPage,
  launchBrowser,
  openPage,
  password,
  signInThroughPage,
  startCarehub,
  waitForHeading,
  waitForText,
} from './harness.mjs';

const patientEmail = 'pat@clinic.example';
const physicianEmail = 'doc@clinic.example';
const secondEmail = 'second@clinic.example'; // a physician the first proposes
const newcomerEmail = 'newcomer@clinic.example'; // has no account
const pngBytes = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);
const pdfSize = 50 * 1024 * 1024; // issue 21: a 50 MB PDF

let server;
let browser;
let patient; // the patient's page
let doctor; // the physician's page
let dir;
let pdfPath;
let pngPath;
let caseId;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'carehub-cases-'));
  pdfPath = join(dir, 'report.pdf');
  const pdf = Buffer.alloc(pdfSize, 0x20);
  pdf.write('%PDF-1.4\n', 0);
  for (let i = 4096; i < pdfSize; i += 4099) pdf[i] = i & 0xff; // not all one byte
  writeFileSync(pdfPath, pdf);
  pngPath = join(dir, 'scan.png');
  writeFileSync(pngPath, pngBytes);
  server = await startCarehub();
  const admin = await server.token();
  for (const [email, roles] of [
    [patientEmail, ['patient']],
    [physicianEmail, ['physician']],
    [secondEmail, ['physician']],
  ]) {
    const r = await server.api('POST', '/api/v1/users', admin, { email, roles, password });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  browser = await launchBrowser();
  patient = await openPage(browser);
  await signInThroughPage(patient, server, patientEmail);
  await waitForHeading(patient, `Welcome, ${patientEmail}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let patientTokenValue;
async function patientToken() {
  patientTokenValue ??= await server.token(patientEmail, password);
  return patientTokenValue;
}

function nav(p, name) {
  return p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

// Waits until a field holds value (after a reload the page fills it in again).
async function waitForValue(locator, value, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  let last;
  while ((last = await locator.inputValue()) !== value) {
    if (Date.now() > until)
      throw new Error(`expected ${JSON.stringify(value)} in ${locator}, found ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function section(p, name) {
  return p.getByRole('region', { name, exact: true });
}

test('a patient creates a case and edits the patient', async () => {
  await nav(patient, 'My cases').click();
  await waitForHeading(patient, 'My cases');
  await waitForText(patient.getByText('You have no case yet. Create one above.'), /no case yet/);
  await checkPage(patient, 'cases-list-empty');
  await patient.getByRole('button', { name: 'Create case' }).click();
  await waitForText(patient.getByRole('alert').filter({ hasText: /\S/ }), "Enter the patient's name.");
  await patient.getByLabel("Patient's name").fill('Ada Lovelace');
  await patient.getByRole('button', { name: 'Create case' }).click();
  await waitForHeading(patient, 'Ada Lovelace');
  caseId = new URL(patient.url()).pathname.split('/').pop();
  assert.match(caseId, /^\d+$/);
  await patient.getByLabel("Patient's name").fill('Ada King');
  await patient.getByLabel('Date of birth').fill('2015-12-10');
  await patient.getByLabel('Gender').selectOption('female');
  await patient.getByRole('button', { name: 'Save patient' }).click();
  await waitForHeading(patient, 'Ada King');
  await waitForText(patient.getByRole('form', { name: 'Patient' }).getByRole('status'), 'Saved.');
  const stored = await server.api('GET', `/api/v1/cases/${caseId}`, await patientToken());
  assert.deepEqual(stored.body.patient, { name: 'Ada King', birth_date: '2015-12-10', gender: 'female' });
  await checkPage(patient, 'case-new');
});

test('documents: a large PDF uploads with a progress bar, is listed, downloads and opens; a picture previews', async () => {
  const docs = section(patient, 'Documents');
  await docs.getByLabel('Document to upload').setInputFiles(pdfPath);
  await docs.getByRole('button', { name: 'Upload', exact: true }).click();
  await waitForText(docs.getByTestId('upload-percent'), '100%', 60000);
  const bar = docs.getByRole('progressbar', { name: 'Upload progress' });
  assert.equal(await bar.evaluate((p) => p.value === p.max), true);
  await waitForText(docs.getByRole('status').filter({ hasText: /\S/ }), 'Uploaded report.pdf.', 60000);
  await waitForText(docs.getByRole('rowheader', { name: 'report.pdf' }), 'report.pdf');

  const downloaded = patient.waitForEvent('download');
  await docs.getByRole('button', { name: 'Download report.pdf' }).click();
  const file = await downloaded;
  assert.equal(file.suggestedFilename(), 'report.pdf');
  const saved = readFileSync(await file.path());
  assert.equal(saved.length, pdfSize);
  assert.equal(Buffer.compare(saved, readFileSync(pdfPath)), 0);

  // A PDF opens in a tab of its own (Chromium shows no PDF in a sandboxed frame), shown inline.
  const popup = patient.waitForEvent('popup');
  await docs.getByRole('button', { name: 'Open report.pdf in a new tab' }).click();
  const tab = await popup;
  await tab.waitForURL(/\/api\/v1\/cases\/\d+\/documents\/\d+\/content\?.*signature=.*&disposition=inline$/, {
    waitUntil: 'commit',
  });
  await tab.close();

  await docs.getByLabel('Document to upload').setInputFiles(pngPath);
  await docs.getByRole('button', { name: 'Upload', exact: true }).click();
  await waitForText(docs.getByRole('rowheader', { name: 'scan.png' }), 'scan.png');
  await docs.getByRole('button', { name: 'Preview of scan.png' }).click();
  const frame = docs.locator('iframe.case-preview-frame');
  await frame.waitFor();
  assert.equal(await frame.getAttribute('sandbox'), '');
  const content = await (await frame.elementHandle()).contentFrame();
  await content.waitForSelector('img');
  await content.waitForFunction(() => document.querySelector('img')?.naturalWidth === 1);
  // The frame's address is a signed link asking for inline display: shown, framed by the console
  // only, still running nothing; without the ask (or for other types) it stays a download.
  const src = await frame.getAttribute('src');
  assert.match(src, /^\/api\/v1\/cases\/\d+\/documents\/\d+\/content\?.*signature=.*&disposition=inline$/);
  const shown = await fetch(`${server.url}${src}`);
  assert.equal(shown.status, 200);
  assert.match(shown.headers.get('content-disposition'), /^inline; filename="scan.png"/);
  assert.equal(shown.headers.get('x-frame-options'), 'SAMEORIGIN');
  assert.match(shown.headers.get('content-security-policy'), /default-src 'none'.*frame-ancestors 'self'/);
  assert.equal(Buffer.compare(Buffer.from(await shown.arrayBuffer()), pngBytes), 0);
  const saved2 = await fetch(`${server.url}${src.replace('&disposition=inline', '')}`);
  assert.match(saved2.headers.get('content-disposition'), /^attachment;/);
  assert.equal(saved2.headers.get('x-frame-options'), 'DENY');
  await saved2.arrayBuffer();
  await checkPage(patient, 'case-documents');
});

test('a resource group: the HPO id is checked, and a stale save shows the conflict', async () => {
  const symptoms = section(patient, 'Symptoms');
  await symptoms.getByRole('button', { name: 'Add entry' }).click();
  await symptoms.getByLabel('HPO id 1').fill('HP:12345');
  await symptoms.getByLabel('Term 1').fill('Seizure');
  await symptoms.getByRole('button', { name: 'Save Symptoms' }).click();
  await waitForText(
    symptoms.getByRole('alert').filter({ hasText: /\S/ }),
    /Term 1: "HP:12345" is not an HPO id/,
  );
  await symptoms.getByLabel('HPO id 1').fill('HP:0001250');
  await symptoms.getByRole('button', { name: 'Save Symptoms' }).click();
  await waitForText(symptoms.getByRole('status').filter({ hasText: /\S/ }), 'Symptoms saved.');
  const token = await patientToken();
  const group = await server.api('GET', `/api/v1/cases/${caseId}/groups/phenotype`, token);
  assert.deepEqual(group.body.data, { terms: [{ id: 'HP:0001250', name: 'Seizure' }] });
  assert.equal(group.body.version, 1);

  // Another session (another tab) saves the notes first; this page still holds version 0.
  const notes = section(patient, 'Notes');
  await notes.getByRole('button', { name: 'Add entry' }).click();
  await notes.getByLabel('Note 1').fill('Mine, written in this tab');
  const first = await server.api('PUT', `/api/v1/cases/${caseId}/groups/notes`, token, {
    data: [{ text: 'Saved first, in another tab' }],
    version: 0,
  });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  await notes.getByRole('button', { name: 'Save Notes' }).click();
  await waitForText(notes.locator('.conflict'), /changed in another tab or window after you opened it/);
  await checkPage(patient, 'case-conflict');
  await notes.getByRole('button', { name: 'Reload' }).click();
  await waitForValue(notes.getByLabel('Note 1'), 'Saved first, in another tab');
  assert.equal(await notes.locator('.conflict').count(), 0);
  await notes.getByLabel('Note 1').fill('Both: saved first, then mine');
  await notes.getByRole('button', { name: 'Save Notes' }).click();
  await waitForText(notes.getByRole('status').filter({ hasText: /\S/ }), 'Notes saved.');
  const after2 = await server.api('GET', `/api/v1/cases/${caseId}/groups/notes`, token);
  assert.deepEqual(after2.body.data, [{ text: 'Both: saved first, then mine' }]);
});

test('sharing: the physician accepts and reads the case without controls that write', async () => {
  const sharing = section(patient, 'Sharing');
  await sharing.getByLabel("Physician's email").fill(physicianEmail);
  await sharing.getByRole('button', { name: 'Invite' }).click();
  await waitForText(
    sharing.getByRole('status').filter({ hasText: /\S/ }),
    `Invitation sent to ${physicianEmail}.`,
  );
  await waitForText(sharing.getByTestId('share-state'), 'Waiting for acceptance');

  doctor = await openPage(browser);
  await signInThroughPage(doctor, server, physicianEmail);
  await waitForHeading(doctor, `Welcome, ${physicianEmail}`);
  await nav(doctor, 'My cases').click();
  await waitForHeading(doctor, 'My cases');
  const invitations = section(doctor, 'Invitations');
  await waitForText(invitations.getByText(/A case was shared with you on/), /shared with you/);
  await checkPage(doctor, 'cases-invitation');
  await invitations.getByRole('button', { name: 'Accept' }).click();
  const shared = section(doctor, 'Shared with me');
  await shared.getByRole('link', { name: 'Ada King' }).click();
  await waitForHeading(doctor, 'Ada King');
  await waitForText(doctor.getByTestId('read-only'), /you can read it but not change it/);
  await waitForText(
    section(doctor, 'Documents').getByRole('rowheader', { name: 'report.pdf' }),
    'report.pdf',
  );
  await waitForText(section(doctor, 'Symptoms').getByRole('cell', { name: 'HP:0001250' }), 'HP:0001250');
  for (const name of ['Save patient', 'Delete', 'Upload', 'Save Symptoms', 'Add entry', 'Invite', 'Revoke']) {
    assert.equal(await doctor.getByRole('button', { name, exact: true }).count(), 0, `no ${name} button`);
  }
  // The one field: the email of a physician to propose to the owner.
  const shareOn = section(doctor, 'Share with another physician');
  assert.equal(await doctor.getByRole('textbox').count(), 1, 'no text field but the proposal');
  assert.equal(await section(doctor, 'Sharing').count(), 0);
  await checkPage(doctor, 'case-read-only');
  await shareOn.getByLabel("Physician's email").fill(secondEmail);
  await shareOn.getByRole('button', { name: 'Ask the owner' }).click();
  await waitForText(
    shareOn.getByRole('status'),
    `The owner was asked to share the case with ${secondEmail}.`,
  );

  // The owner sees both shares, approves the proposal, and invites an address with no account.
  await patient.reload();
  await waitForHeading(patient, 'Ada King');
  const row = (email) => section(patient, 'Sharing').getByRole('row').filter({ hasText: email });
  await waitForText(row(physicianEmail).getByTestId('share-state'), 'Accepted');
  await waitForText(row(secondEmail).getByTestId('share-state'), 'Waiting for your approval');
  await checkPage(patient, 'case-sharing-approval');
  await row(secondEmail).getByRole('button', { name: 'Approve' }).click();
  await waitForText(section(patient, 'Sharing').getByRole('status'), 'Sharing approved.');
  await waitForText(row(secondEmail).getByTestId('share-state'), 'Waiting for acceptance');
  await section(patient, 'Sharing').getByLabel("Physician's email").fill(newcomerEmail);
  await section(patient, 'Sharing').getByRole('button', { name: 'Invite' }).click();
  await waitForText(row(newcomerEmail).getByTestId('share-state'), 'Invited (no account yet)');
});

test('the patient revokes and the physician loses access; the case is deleted after a confirmation', async () => {
  const sharing = section(patient, 'Sharing');
  await sharing.getByRole('button', { name: `Revoke access of ${physicianEmail}` }).click();
  const dialog = patient.getByRole('dialog');
  await waitForText(dialog, /End the access of .* to this case\?/);
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await waitForText(sharing.getByRole('status').filter({ hasText: /\S/ }), 'Access revoked.');
  await waitForText(
    sharing.getByRole('row').filter({ hasText: physicianEmail }).getByTestId('share-state'),
    'Revoked',
  );

  // The physician's open page loses the case at once (the revocation's notification has it
  // read the case again), no reload.
  await waitForText(doctor.getByRole('alert').filter({ hasText: /\S/ }), /./);
  assert.equal(await doctor.getByRole('heading', { name: 'Ada King' }).count(), 0);
  await nav(doctor, 'My cases').click();
  await waitForText(section(doctor, 'Shared with me').getByText('No case is shared with you.'), /No case/);

  await patient.getByRole('button', { name: 'Delete', exact: true }).click();
  await waitForText(dialog, /Delete the case of Ada King/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await waitForHeading(patient, 'Ada King');
  await patient.getByRole('button', { name: 'Delete', exact: true }).click();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await waitForHeading(patient, 'My cases');
  await waitForText(patient.getByText('The case was deleted.'), 'The case was deleted.');
  await waitForText(patient.getByText('You have no case yet. Create one above.'), /no case yet/);
  await checkPage(patient, 'cases-after-delete');
  for (const p of [patient, doctor]) assert.deepEqual(p.problems, []);
});

test('the Spanish screens', async () => {
  // The profile's language is the console's: set it, then sign in.
  const token = await server.token(physicianEmail, password);
  const r = await server.api('PATCH', '/api/v1/auth/me', token, { language: 'es' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const es = await openPage(browser);
  await signInThroughPage(es, server, physicianEmail);
  await waitForHeading(es, `Bienvenido/a, ${physicianEmail}`);
  await es
    .getByRole('navigation', { name: 'Principal' })
    .getByRole('link', { name: 'Mis casos', exact: true })
    .click();
  await waitForHeading(es, 'Mis casos');
  await waitForText(
    section(es, 'Compartidos conmigo').getByText('No hay casos compartidos con usted.'),
    /No hay/,
  );
  await waitForText(es.getByRole('heading', { name: 'Nuevo caso' }), 'Nuevo caso');
  await checkPage(es, 'cases-es');
  assert.deepEqual(es.problems, []);
});
