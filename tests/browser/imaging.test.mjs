// The imaging screens as a physician and an admin use them: DICOM files (made from pydicom's
// CT_small.dcm, a two-frame RLE picture and a file that is not DICOM) dropped as a real drop
// event and sent by STOW-RS, with each file's result; the study list searched; a study's page with
// its series thumbnails; the viewer scrolled (wheel, keys, slider), its window changed by CT
// presets and by dragging, with the canvas's pixels read back each time; frames played; the tag
// browser; the study's ZIP, unzipped and compared byte for byte with the uploaded files; an
// admin's delete behind a confirmation; a user without the role sees none of it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

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

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dicomTool = join(repo, 'tests/e2e/dicom/dicom_tool.py');
const pydicomFiles = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const physicianEmail = 'doc@clinic.example';
const patientEmail = 'pat@clinic.example';

let server;
let browser;
let page; // the physician's
let made; // the generated files: { dir, files: [{ name, bytes }] }
const studyUid = '1.2.826.0.1.3680043.9.7433.1.1';
const seriesA = '1.2.826.0.1.3680043.9.7433.1.2';
const seriesB = '1.2.826.0.1.3680043.9.7433.1.3';

function python(args, input) {
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', input });
  if (run.status !== 0) throw new Error(`python3 ${args.join(' ')}: ${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

// Three CT instances in series A, one in series B (one study), one CT of another patient.
function makeFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'carehub-imaging-'));
  const common = { patient_name: 'Imaging^Ivy', patient_id: 'IMG-1', study_uid: studyUid,
    study_date: '20240315', modality: 'CT', accession: 'ACC-77' };
  const spec = [
    { file: 'a1.dcm', ...common, series_uid: seriesA },
    { file: 'a2.dcm', ...common, series_uid: seriesA },
    { file: 'a3.dcm', ...common, series_uid: seriesA },
    { file: 'b1.dcm', ...common, series_uid: seriesB },
    { file: 'other.dcm', patient_name: 'Other^Olga', patient_id: 'IMG-2', study_date: '20230101',
      modality: 'CT', accession: 'ACC-88' },
  ];
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  python([dicomTool, 'make', join(dir, 'out'), join(dir, 'spec.json')]);
  const files = readdirSync(join(dir, 'out'))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, 'out', name)) }));
  files.push({ name: 'rle_2frame.dcm', bytes: readFileSync(join(pydicomFiles, 'SC_rgb_rle_2frame.dcm')) });
  files.push({ name: 'notes.txt', bytes: Buffer.from('not a DICOM file\n'.repeat(20)) });
  return { dir, files };
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

before(async () => {
  made = makeFiles();
  server = await startCarehub();
  const admin = await server.token();
  for (const [email, roles] of [[physicianEmail, ['physician']], [patientEmail, ['patient']]]) {
    const r = await server.api('POST', '/api/v1/users', admin, { email, roles, password });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  browser = await launchBrowser();
  page = await openPage(browser);
  await signInThroughPage(page, server, physicianEmail);
  await waitForHeading(page, `Welcome, ${physicianEmail}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (made) rmSync(made.dir, { recursive: true, force: true });
});

function nav(p, name) {
  return p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

// The mean of the canvas's red channel and a few of its pixels, read back from the page.
async function canvasPixels(p) {
  return p.evaluate(() => {
    const c = document.querySelector('canvas.viewer-canvas');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) sum += data[i];
    return { mean: sum / (data.length / 4), drawn: c.dataset.drawn };
  });
}

// A range input is set as a person sets it: its value, then the input event.
async function setSlider(p, label, value) {
  await p.getByLabel(label, { exact: true }).evaluate((input, v) => {
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

async function waitForDrawn(p, pattern) {
  await p.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('canvas.viewer-canvas')?.dataset.drawn ?? ''),
    pattern.source,
  );
  return canvasPixels(p);
}

test('upload: dropped files go by STOW-RS, each with its result', async () => {
  await nav(page, 'Upload DICOM').click();
  await waitForHeading(page, 'Upload DICOM files');
  await checkPage(page, 'imaging-upload');
  const payload = made.files.map((f) => ({ name: f.name, base64: f.bytes.toString('base64') }));
  const dataTransfer = await page.evaluateHandle((files) => {
    const transfer = new DataTransfer();
    for (const f of files) {
      const text = atob(f.base64);
      const data = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) data[i] = text.charCodeAt(i);
      transfer.items.add(new File([data], f.name, { type: 'application/dicom' }));
    }
    return transfer;
  }, payload);
  const zone = page.getByRole('group', { name: 'DICOM files' });
  await zone.dispatchEvent('dragenter', { dataTransfer });
  await zone.dispatchEvent('dragover', { dataTransfer });
  await zone.dispatchEvent('drop', { dataTransfer });
  await page.getByText(/^7 files chosen \(.+\)\.$/).waitFor();

  await page.evaluate(() => {
    window.uploadSeen = false;
    new MutationObserver(() => {
      if (document.querySelector('progress[aria-label="Upload progress"]')) window.uploadSeen = true;
    }).observe(document.body, { subtree: true, childList: true });
  });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await waitForText(page.getByRole('status').filter({ hasText: /^Done/ }),
    'Done: 6 stored, 0 already stored, 1 refused.');
  assert.equal(await page.evaluate(() => window.uploadSeen), true, 'the progress bar showed');
  const results = page.getByRole('table', { name: 'Results by file' });
  const row = (name) => results.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
  await waitForText(row('a1.dcm').getByRole('cell').nth(0), 'Stored');
  await waitForText(row('notes.txt').getByRole('cell').nth(0), 'Refused');
  assert.notEqual((await row('notes.txt').getByRole('cell').nth(1).innerText()).trim(), '', 'the server said why');
  await checkPage(page, 'imaging-upload-results');

  // The same files again: already stored, through the file picker this time.
  await page.getByLabel('Choose files').setInputFiles(
    made.files.filter((f) => f.name === 'a1.dcm').map((f) => ({ name: f.name, mimeType: 'application/dicom', buffer: f.bytes })),
  );
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await waitForText(page.getByRole('status').filter({ hasText: /^Done/ }), 'Done: 0 stored, 1 already stored, 0 refused.');
});

// Waits until the table has n rows (its header row included): a search's answer replaces the
// rows some time after its URL changes, and the old first row may already match.
async function waitForRowCount(table, n, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  let count = await table.getByRole('row').count();
  while (count !== n && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    count = await table.getByRole('row').count();
  }
  assert.equal(count, n, `rows of ${table}`);
}

test('study list: searched by patient, date, modality and accession, a page at a time', async () => {
  await nav(page, 'Studies').click();
  await waitForHeading(page, 'Imaging studies');
  const list = page.getByRole('table', { name: 'Studies found' });
  // Three studies: Ivy's, Olga's and the two-frame picture's.
  await waitForRowCount(list, 4);
  await page.getByLabel('Patient name').fill('imag*');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL(/patient_name=imag/);
  await waitForRowCount(list, 2);
  await waitForText(list.getByRole('rowheader').first(), 'Imaging, Ivy');
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await page.getByLabel('Accession number').fill('ACC-88');
  await page.getByLabel('Study date from').fill('2022-12-31');
  await page.getByLabel('Study date to').fill('2023-01-02');
  await page.getByLabel('Modality').selectOption('CT');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL(/accession_number=ACC-88/);
  await waitForText(list.getByRole('rowheader').first(), 'Other, Olga');
  await waitForRowCount(list, 2);
  // A date range that excludes it: none.
  await page.getByLabel('Study date from').fill('2023-01-02');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText('No study matches.').waitFor();
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await page.getByLabel('Patient ID').fill('IMG-1');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL(/patient_id=IMG-1/);
  await waitForText(list.getByRole('rowheader').first(), 'Imaging, Ivy');
  await checkPage(page, 'imaging-studies');
});

test('study page: attributes, series thumbnails, the patient index for physicians', async () => {
  await page.goto(`${server.url}/imaging/studies/${studyUid}`);
  await waitForHeading(page, 'Study: Imaging, Ivy');
  await page.getByText('ACC-77').waitFor();
  const thumbs = page.locator('img.thumbnail');
  await thumbs.nth(1).waitFor();
  assert.equal(await thumbs.count(), 2, 'one thumbnail per series');
  await page.waitForFunction(() => [...document.querySelectorAll('img.thumbnail')].every((i) => i.complete && i.naturalWidth > 0));
  await page.getByText('The patient index is for admins and members; ask one of them to look up patient ID IMG-1.').waitFor();
  await checkPage(page, 'imaging-study');
});

test('viewer: scrolling, windows by preset and by dragging, zoom, tags', async () => {
  await page.getByRole('link', { name: /View series/ }).first().click();
  await waitForHeading(page, /^Viewer: series/);
  const canvas = page.locator('canvas.viewer-canvas');
  const first = await waitForDrawn(page, /\/rendered$/);
  assert.ok(first.mean > 5, `the first image is drawn (mean ${first.mean})`);
  const sops = [];
  sops.push(first.drawn.match(/instances\/([^/]+)\//)[1]);

  // The wheel, the keys and the slider each move to another instance.
  await canvas.hover();
  await page.mouse.wheel(0, 120);
  await page.getByText('2 of 3', { exact: true }).waitFor();
  sops.push((await waitForDrawn(page, new RegExp(`instances/(?!${sops[0]})`))).drawn.match(/instances\/([^/]+)\//)[1]);
  await canvas.focus();
  await page.keyboard.press('ArrowDown');
  await page.getByText('3 of 3', { exact: true }).waitFor();
  await page.keyboard.press('Home');
  await page.getByText('1 of 3', { exact: true }).waitFor();
  await setSlider(page, 'Instance', 3);
  await page.getByText('3 of 3', { exact: true }).waitFor();
  const third = await waitForDrawn(page, new RegExp(`instances/(?!${sops[0]}|${sops[1]})`));
  assert.notEqual(third.drawn, first.drawn);

  // CT presets: the lung window shows soft tissue brighter than the bone window does.
  await page.getByLabel('CT preset').selectOption('lung');
  const lung = await waitForDrawn(page, /window=-600,1500,linear$/);
  await waitForText(page.getByTestId('window'), 'Window: Level -600, width 1500');
  await page.getByLabel('CT preset').selectOption('bone');
  const bone = await waitForDrawn(page, /window=400,1800,linear$/);
  assert.ok(lung.mean > bone.mean + 20, `lung ${lung.mean} vs bone ${bone.mean}`);
  await checkPage(page, 'imaging-viewer');

  // Dragging right widens the window: less contrast, and the canvas changes.
  const box = await canvas.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const dragged = await waitForDrawn(page, /window=400,(?!1800,)\d+,linear$/);
  const width = Number(dragged.drawn.match(/window=400,(\d+)/)[1]);
  assert.ok(width > 1800, `the drag widened the window to ${width}`);
  assert.notEqual(dragged.mean, bone.mean);

  // Zoom draws the same picture larger: the black border shrinks, the mean changes.
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByText('Zoom 125%').waitFor();
  await page.waitForFunction((m) => {
    const c = document.querySelector('canvas.viewer-canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += d[i];
    return Math.abs(s / (d.length / 4) - m) > 0.5;
  }, dragged.mean);

  // The tag browser: the instance's patient name and ID as stored.
  await page.getByLabel('Find a tag').fill('PatientName');
  const tags = page.getByRole('table', { name: 'Tags of the instance shown' });
  const nameRow = tags.getByRole('row').filter({ has: page.getByRole('rowheader', { name: '(0010,0010)' }) });
  await waitForText(nameRow.getByRole('cell').nth(2), 'Imaging^Ivy');
  await page.getByLabel('Find a tag').fill('0010,0020');
  await waitForText(tags.getByRole('row').nth(1).getByRole('cell').nth(2), 'IMG-1');
  await checkPage(page, 'imaging-viewer-tags');
});

test('viewer: a multi-frame instance plays its frames', async () => {
  await nav(page, 'Studies').click();
  await waitForHeading(page, 'Imaging studies');
  const list = page.getByRole('table', { name: 'Studies found' });
  await list.getByRole('row').nth(3).waitFor();
  // The two-frame picture's study is the one whose modality is OT.
  const row = list.getByRole('row').filter({ has: page.getByRole('cell', { name: 'OT', exact: true }) });
  await row.getByRole('link').click();
  await page.getByRole('link', { name: /View series/ }).first().click();
  await waitForHeading(page, /^Viewer: series/);
  const frame1 = await waitForDrawn(page, /frames\/1\/rendered$/);
  await page.getByRole('button', { name: 'Play frames' }).click();
  const frame2 = await waitForDrawn(page, /frames\/2\/rendered$/);
  await waitForDrawn(page, /frames\/1\/rendered$/); // and round again
  await page.getByRole('button', { name: 'Pause' }).click();
  assert.notEqual(frame1.mean, frame2.mean, 'the two frames differ');
  await checkPage(page, 'imaging-viewer-frames');
});

test('downloads: the study ZIP holds every stored file byte for byte; an instance as .dcm', async () => {
  await page.goto(`${server.url}/imaging/studies/${studyUid}`);
  await waitForHeading(page, 'Study: Imaging, Ivy');
  const downloaded = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download the study (ZIP)' }).click();
  const download = await downloaded;
  assert.equal(download.suggestedFilename(), `${studyUid}.zip`);
  // Followed as a link with a single-use ticket: the browser streams it to disk.
  assert.match(download.url(), /\/archive\?ticket=[0-9a-f]+$/);
  const zipPath = await download.path();
  const listing = JSON.parse(
    python(['-c', `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))
`, zipPath]),
  );
  const tested = spawnSync('unzip', ['-t', zipPath], { encoding: 'utf8' });
  assert.equal(tested.status, 0, tested.stdout + tested.stderr);
  const names = Object.keys(listing).sort();
  assert.equal(names.length, 4);
  for (const name of names) assert.match(name, /^[0-9.]+\/[0-9.]+\.dcm$/);
  assert.deepEqual(names.filter((n) => n.startsWith(`${seriesA}/`)).length, 3);
  assert.deepEqual(names.filter((n) => n.startsWith(`${seriesB}/`)).length, 1);
  const uploaded = made.files.filter((f) => /^[ab]\d\.dcm$/.test(f.name)).map((f) => sha256(f.bytes)).sort();
  assert.deepEqual(Object.values(listing).sort(), uploaded);

  // One instance from the viewer, as the stored file.
  await page.getByRole('link', { name: /View series/ }).first().click();
  await waitForHeading(page, /^Viewer: series/);
  await waitForDrawn(page, /rendered$/);
  const one = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download this instance (.dcm)' }).click();
  const instance = await one;
  const bytes = readFileSync(await instance.path());
  assert.ok(uploaded.includes(sha256(bytes)), 'the instance is one of the uploaded files, unchanged');
  assert.deepEqual(page.problems, []);
});

test('a user without the role sees no imaging; an admin deletes a study after confirming', async () => {
  const other = await openPage(browser);
  await signInThroughPage(other, server, patientEmail);
  await waitForHeading(other, `Welcome, ${patientEmail}`);
  assert.equal(await nav(other, 'Studies').count(), 0);
  await other.goto(`${server.url}/imaging/studies`);
  await waitForHeading(other, 'Not allowed');
  await checkPage(other, 'imaging-forbidden');
  await other.context().close();

  const admin = await openPage(browser);
  await signInThroughPage(admin, server);
  await waitForHeading(admin, `Welcome, ${adminEmail}`);
  await admin.goto(`${server.url}/imaging/studies?patient_id=IMG-2`);
  await waitForHeading(admin, 'Imaging studies');
  await admin.getByRole('link', { name: 'Other, Olga' }).click();
  await waitForHeading(admin, 'Study: Other, Olga');
  // The patient index knows the patient (the dicom module handed it over).
  await admin.getByRole('link', { name: 'Search the patient index for patient ID IMG-2' }).waitFor();
  await admin.getByRole('button', { name: 'Delete study' }).click();
  const dialog = admin.getByRole('dialog');
  await dialog.getByText(/^Delete the study of Other, Olga \(1 instance\)\?/).waitFor();
  await checkPage(admin, 'imaging-delete-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await admin.getByRole('button', { name: 'Delete study' }).click();
  await admin.getByRole('dialog').getByRole('button', { name: 'Delete study' }).click();
  await waitForHeading(admin, 'Imaging studies');
  await admin.getByText('The study was deleted (1 instance).').waitFor();
  const token = await server.token();
  const left = await server.api('GET', '/api/v1/dicom/studies?patient_id=IMG-2', token);
  assert.deepEqual(left.body.studies, []);
  assert.deepEqual(admin.problems, []);
  await admin.context().close();
});
