// The patient index's workspace, as a reviewer uses it: match settings made and refused; the
// FEBRL file (40,000 records) imported by drag and drop, with its upload and job progress, its
// result and its row in the history; a small file with a bad row through the file input; the
// queue filtered (the filters survive a reload); a potential match reviewed (agreement colours
// and markers, the waterfall) and merged; the next one kept apart; two reviewers on one potential
// match (the second gets the 409 and the fresh state); a person found, split, and the split
// undone from the history; a merge across a keep-apart refused (409), another merged and undone;
// the crosswalk downloaded.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
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
const shared = process.env.CAREHUB_SHARED || resolve(repo, '../shared');
const febrlPath = join(shared, 'data/empi/febrl_clean.csv');
const memberEmail = 'reviewer@clinic.example';
const interactive = 'carehub:review-interactive';

let server;
let browser;
let page;
let admin; // an access token, for seeding and for checking what the server holds
let configId; // the settings the import uses: review from 0.5, automatic from 0.99
const state = {}; // what one test leaves for the next: the merged person, its name

before(async () => {
  server = await startCarehub();
  admin = await server.token();
  const config = await server.api('POST', '/api/v1/config', admin, {
    potential_match_threshold: 0.5,
    auto_match_threshold: 0.99,
  });
  assert.equal(config.status, 200, JSON.stringify(config.body));
  configId = config.body.config_id;
  const member = await server.api('POST', '/api/v1/users', admin, {
    email: memberEmail,
    roles: ['member'],
    password,
  });
  assert.equal(member.status, 201, JSON.stringify(member.body));
  browser = await launchBrowser();
  page = await openPage(browser);
  trackApiCalls(page);
  await signInThroughPage(page, server);
  await waitForHeading(page, `Welcome, ${adminEmail}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Every API request the page makes, as "GET /api/v1/...?...", to count calls per screen.
function trackApiCalls(p) {
  p.apiCalls = [];
  p.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) p.apiCalls.push(`${request.method()} ${url.pathname}${url.search}`);
  });
}

function nav(p, name) {
  return p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

function rowOf(scope, header) {
  return scope.getByRole('row').filter({
    has: scope.page().getByRole('rowheader', { name: header, exact: typeof header === 'string' }),
  });
}

// The <dd> a <dt> of exactly this text describes.
function definitionOf(scope, term) {
  return scope
    .getByRole('term')
    .filter({ hasText: new RegExp(`^${term}$`) })
    .locator('xpath=following-sibling::dd[1]');
}

// The review screen marks each visit once; a page that navigates within itself keeps the marks of
// the visits before, so they are cleared before each visit is waited for.
async function clearInteractive(p) {
  await p.evaluate((name) => performance.clearMarks(name), interactive);
}

async function waitForInteractive(p) {
  await p.waitForFunction(
    (name) => performance.getEntriesByName(name).length === 1,
    interactive,
  );
}

test('match settings: a wrong pair of thresholds is refused, a right one is listed', async () => {
  await nav(page, 'Match settings').click();
  await waitForHeading(page, 'Match settings');
  const list = page.getByRole('table', { name: 'All match settings' });
  const seeded = rowOf(list, configId);
  await waitForText(seeded.getByRole('cell').nth(0), '50.0%');
  await waitForText(seeded.getByRole('cell').nth(1), '99.0%');
  await waitForText(seeded.getByRole('cell').nth(2), 'Not learnt yet');
  const form = page.getByRole('region', { name: 'New match settings' });
  await form.getByLabel('Review threshold').fill('0.9');
  await form.getByLabel('Automatic threshold').fill('0.5');
  await form.getByRole('button', { name: 'Create settings' }).click();
  await waitForText(
    form.getByRole('alert'),
    'The review threshold must not be above the automatic threshold.',
  );
  await form.getByLabel('Automatic threshold').fill('1.5');
  await form.getByRole('button', { name: 'Create settings' }).click();
  await waitForText(form.getByRole('alert'), 'Automatic threshold must be a number from 0 to 1.');
  await form.getByLabel('Review threshold').fill('0.6');
  await form.getByLabel('Automatic threshold').fill('0.95');
  await form.getByRole('button', { name: 'Create settings' }).click();
  const created = await waitForText(form.getByRole('status'), /^Settings \d+ were created\.$/);
  const newId = created.match(/\d+/)[0];
  await waitForText(rowOf(list, newId).getByRole('cell').nth(0), '60.0%');
  assert.equal(await list.getByRole('rowheader').count(), 2);
  await checkPage(page, 'empi-configs');
  assert.deepEqual(page.problems, []);
});

test('import: the FEBRL file dropped on the drop zone, its progress, result and history row', async () => {
  await nav(page, 'Import records').click();
  await waitForHeading(page, 'Import records');
  const form = page.getByRole('region', { name: 'New import' });
  await form.getByLabel('Match settings').selectOption(configId);
  await checkPage(page, 'empi-import');

  // A real drop: a DataTransfer holding the file, built in the page from the bytes.
  const bytes = await readFile(febrlPath);
  const dataTransfer = await page.evaluateHandle((base64) => {
    const text = atob(base64);
    const data = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) data[i] = text.charCodeAt(i);
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], 'febrl_clean.csv', { type: 'text/csv' }));
    return transfer;
  }, bytes.toString('base64'));
  const zone = form.getByRole('group', { name: 'CSV file' });
  await zone.dispatchEvent('dragenter', { dataTransfer });
  await zone.dispatchEvent('dragover', { dataTransfer });
  await zone.dispatchEvent('drop', { dataTransfer });
  await form.getByText(/^Chosen: febrl_clean\.csv \(3\.9 MB\)$/).waitFor();

  // Whatever shows for a moment (the upload's bar, the job's readings) is recorded as it shows.
  await page.evaluate(() => {
    const seen = { upload: false, job: [] };
    window.importSeen = seen;
    new MutationObserver(() => {
      if (document.querySelector('progress[aria-label="Upload progress"]')) seen.upload = true;
      const bar = document.querySelector('progress[aria-label="Import progress"]');
      if (bar && seen.job.at(-1) !== bar.value) seen.job.push(bar.value);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await form.getByRole('button', { name: 'Import', exact: true }).click();
  const status = await waitForText(
    form.getByRole('status'),
    /^febrl_clean\.csv was uploaded; import \d+ is under way\.$/,
    60000,
  );
  const jobId = status.match(/import (\d+)/)[1];
  assert.equal(new URL(page.url()).searchParams.get('job'), jobId);
  const job = page.getByRole('region', { name: `Import ${jobId}`, exact: true });
  await job.getByRole('progressbar', { name: 'Import progress' }).waitFor();
  await waitForText(definitionOf(job, 'Rows'), '40,000', 180000);
  await waitForText(definitionOf(job, 'Records stored'), '40,000');
  await waitForText(definitionOf(job, 'Already stored'), '0');
  await waitForText(definitionOf(job, 'Bad rows'), '0');
  await waitForText(job.getByText(/^Succeeded$/), 'Succeeded');
  const seen = await page.evaluate(() => window.importSeen);
  assert.ok(seen.upload, 'the upload progress bar never showed');
  assert.equal(seen.job.at(-1), 100, `the job's bar ended at ${seen.job.at(-1)}`);
  const polls = page.apiCalls.filter((c) => c === `GET /api/v1/jobs/${jobId}`).length;
  assert.ok(polls >= 1, 'the job was never read');

  const history = page.getByRole('table', { name: 'Imports' });
  const row = rowOf(history, `Show import ${jobId}`);
  await waitForText(row.getByRole('cell').nth(0), 'Succeeded');
  // Who: the account's email, with the subject the audit log records under it.
  await waitForText(row.getByRole('cell').nth(1), 'admin@clinic.example\nuser:1');
  await waitForText(row.getByRole('cell').nth(3), /^3\.9\sMB$/);
  await waitForText(row.getByRole('cell').nth(4), '40,000');
  await waitForText(row.getByRole('cell').nth(5), '40,000');
  await checkPage(page, 'empi-import-done');
  state.febrlJob = jobId;
  assert.deepEqual(page.problems, []);
});

test('import: a small file through the file input, with a bad row listed by line', async () => {
  assert.ok(state.febrlJob, 'the FEBRL import ran first');
  const febrl = (await readFile(febrlPath, 'utf8')).split('\n');
  const csv = `${febrl[0]}\n${febrl[1]}\nfebrl,rec-bad-1,only,three\n`;
  const form = page.getByRole('region', { name: 'New import' });
  await form.getByLabel('Or choose a file').setInputFiles({
    name: 'two-rows.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(csv),
  });
  await form.getByText(/^Chosen: two-rows\.csv/).waitFor();
  await form.getByRole('button', { name: 'Import', exact: true }).click();
  const status = await waitForText(form.getByRole('status'), /^two-rows\.csv was uploaded/);
  const jobId = status.match(/import (\d+)/)[1];
  const job = page.getByRole('region', { name: `Import ${jobId}`, exact: true });
  await waitForText(definitionOf(job, 'Rows'), '2', 60000);
  await waitForText(definitionOf(job, 'Records stored'), '0');
  await waitForText(definitionOf(job, 'Already stored'), '1');
  await waitForText(definitionOf(job, 'Bad rows'), '1');
  const bad = job.getByRole('table', { name: 'Bad rows' });
  await waitForText(rowOf(bad, '3').getByRole('cell'), 'expected 15 fields, found 4');
  const history = page.getByRole('table', { name: 'Imports' });
  const small = rowOf(history, `Show import ${jobId}`);
  await waitForText(small.getByRole('cell').nth(4), '2');
  await waitForText(small.getByRole('cell').nth(3), `${Buffer.byteLength(csv)} bytes`);
  // Newest first: the small file above the big one.
  const headers = await history.getByRole('rowheader').allInnerTexts();
  assert.deepEqual(headers.slice(0, 2), [`Import ${jobId}`, `Import ${state.febrlJob}`]);
  await checkPage(page, 'empi-import-bad-row');
  assert.deepEqual(page.problems, []);
});

test('queue: filtered, kept over a reload, one call per change; a match reviewed and merged', async () => {
  assert.ok(state.febrlJob, 'the FEBRL import ran first');
  // A potential match whose first person has a name, and a last name few others share (its
  // row is then on the first page of the filtered queue).
  const open = await server.api('GET', '/api/v1/potential-matches?limit=100', admin);
  assert.equal(open.status, 200);
  let target;
  for (const m of open.body.potential_matches.filter((x) => x.last_name && x.first_name)) {
    const query = new URLSearchParams({ last_name: m.last_name, limit: '1' });
    const same = await server.api('GET', `/api/v1/potential-matches?${query}`, admin);
    if (same.body.total <= 10) {
      target = m;
      break;
    }
  }
  assert.ok(target, 'no potential match with a rare enough name');

  await nav(page, 'Match queue').click();
  await waitForHeading(page, 'Match queue');
  const list = page.getByRole('table', { name: 'Potential matches' });
  const pager = page.getByRole('navigation', { name: 'Pages' });
  const firstPage = Math.min(25, open.body.total);
  await waitForText(pager.getByRole('status'), `1–${firstPage} of ${open.body.total.toLocaleString('en-US')}`);
  await checkPage(page, 'empi-queue');

  const filters = page.getByRole('search', { name: 'Filter the match queue' });
  await filters.getByLabel('Last name').fill(target.last_name);
  await filters.getByLabel('Probability at least').fill('0.9');
  await filters.getByLabel('Probability at most').fill('0.5');
  await filters.getByRole('button', { name: 'Filter', exact: true }).click();
  await waitForText(
    filters.getByRole('alert'),
    'The lowest probability must not be above the highest.',
  );
  await filters.getByLabel('Probability at least').fill('0.5');
  await filters.getByLabel('Probability at most').fill('1');
  await filters.getByLabel('Order').selectOption({ label: 'Least probable first' });
  const callsBefore = page.apiCalls.length;
  await filters.getByRole('button', { name: 'Filter', exact: true }).click();
  const link = list.getByRole('link', { name: `Review ${target.first_name} ${target.last_name} (potential match ${target.id})` });
  await link.waitFor();
  const calls = page.apiCalls.slice(callsBefore);
  assert.deepEqual(
    calls.map((c) => c.split('?')[0]),
    ['GET /api/v1/potential-matches'],
    `one call per filter change: ${calls.join(', ')}`,
  );
  const address = new URL(page.url()).searchParams;
  assert.equal(address.get('last_name'), target.last_name);
  assert.equal(address.get('sort'), 'probability_asc');
  const probabilities = async () =>
    (await list.getByRole('row').locator('td:last-child').allInnerTexts()).map((p) =>
      Number.parseFloat(p),
    );
  const shown = await probabilities();
  assert.ok(shown.length >= 1);
  assert.deepEqual(shown, [...shown].sort((a, b) => a - b), 'not least probable first');
  assert.ok(shown.every((p) => p >= 50), `below the minimum: ${shown}`);

  await page.reload();
  await waitForHeading(page, 'Match queue');
  assert.equal(await filters.getByLabel('Last name').inputValue(), target.last_name);
  assert.equal(await filters.getByLabel('Order').inputValue(), 'probability_asc');
  await link.waitFor();
  await checkPage(page, 'empi-queue-filtered');

  // The review: one call, then the interactive mark with the decision buttons working.
  const reviewCalls = page.apiCalls.length;
  await clearInteractive(page);
  await link.click();
  await waitForHeading(page, `Potential match ${target.id}`);
  await waitForInteractive(page);
  const merge = page.getByRole('button', { name: 'Merge into one person' });
  assert.equal(await merge.getAttribute('aria-disabled'), 'false');
  assert.deepEqual(
    page.apiCalls.slice(reviewCalls).filter((c) => c.includes('/potential-matches')),
    [`GET /api/v1/potential-matches/${target.id}`],
  );
  const detail = (await server.api('GET', `/api/v1/potential-matches/${target.id}`, admin)).body
    .potential_match;
  const records = detail.persons.flatMap((p) => p.records);
  const table = page.getByRole('table', { name: 'Records of the potential match' });
  await page.getByRole('heading', { name: 'How the fields compare with the first record' }).waitFor();
  // Values as imported, the first record the reference, the others marked as the explanation of
  // the pair (first, other) says.
  const firstNames = rowOf(table, 'First name').getByRole('cell');
  assert.equal(await firstNames.count(), records.length);
  await waitForText(firstNames.nth(0), records[0].first_name || '(empty)');
  const scored = detail.results.find(
    (r) => r.explanation && [r.person_record_l_id, r.person_record_r_id].includes(records[0].id),
  );
  assert.ok(scored, 'no explained pair with the first record');
  const otherId =
    scored.person_record_l_id === records[0].id ? scored.person_record_r_id : scored.person_record_l_id;
  const other = records.findIndex((r) => r.id === otherId);
  const firstName = scored.explanation.comparisons.find((c) => c.comparison === 'first_name');
  const word = { same: 'Same', similar: 'Similar', different: 'Different', missing: 'Missing' };
  await waitForText(firstNames.nth(other), new RegExp(`^. ${word[firstName.agreement]}\\s`));
  assert.match(await firstNames.nth(other).getAttribute('class'), new RegExp(`agree-${firstName.agreement}`));
  // The household's five fields, each marked as it agrees on its own: the model weighs them as
  // one comparison, so a shared address and phone must not paint another city as the same.
  const household = scored.explanation.comparisons.find((c) => c.comparison === 'household');
  for (const [label, column] of [
    ['Address', 'address'],
    ['City', 'city'],
    ['State', 'state'],
    ['ZIP code', 'zip_code'],
    ['Phone', 'phone'],
  ]) {
    const agreement = household.column_agreements[column];
    assert.ok(word[agreement], `${column}: ${agreement}`);
    const cell = rowOf(table, label).getByRole('cell').nth(other);
    await waitForText(cell, new RegExp(`^. ${word[agreement]}\\s`));
    assert.match(await cell.getAttribute('class'), new RegExp(`agree-${agreement}`), column);
  }
  // Each marker sits on its own colour, and the colours differ.
  const colours = await table.evaluate((t) => {
    const out = {};
    for (const cell of t.querySelectorAll('td')) {
      const kind = [...cell.classList].find((c) => c.startsWith('agree-'));
      const marker = cell.querySelector('.agree-marker');
      if (kind && marker) {
        if (!marker.className.includes(kind.replace('agree-', 'agree-marker-'))) {
          out.mismatch = `${kind} marked ${marker.className}`;
        }
        out[kind] = getComputedStyle(cell).backgroundColor;
      }
    }
    return out;
  });
  assert.equal(colours.mismatch, undefined, colours.mismatch);
  const painted = Object.entries(colours);
  assert.ok(painted.length >= 2, `too few kinds of agreement: ${JSON.stringify(colours)}`);
  assert.equal(new Set(painted.map(([, c]) => c)).size, painted.length, JSON.stringify(colours));

  // The legend: a sample of each kind of cell (its colour, its mark) with what it means; samples
  // as wide as their words, so none reads as a checkbox.
  const legend = page.getByRole('list', { name: 'How the fields compare with the first record' });
  const samples = await legend.locator('.legend-sample').evaluateAll((all) =>
    all.map((e) => {
      const box = e.getBoundingClientRect();
      const kind = [...e.classList].find((c) => c.startsWith('agree-'));
      return { text: e.innerText.trim(), kind, w: box.width, h: box.height, bg: getComputedStyle(e).backgroundColor };
    }),
  );
  assert.deepEqual(
    samples.map((x) => x.text.replace(/\s+/g, ' ')),
    ['First record', '✓ Same', '≈ Similar', '✗ Different', '? Missing', 'No mark'],
  );
  for (const x of samples) {
    assert.ok(x.w >= 3 * x.h, `a legend sample ${x.w}x${x.h} px: ${x.text}`);
    if (colours[x.kind]) assert.equal(x.bg, colours[x.kind], `${x.kind}: legend and cells differ`);
  }
  const meanings = await legend.getByRole('listitem').allInnerTexts();
  assert.match(meanings[2], /Similar\s+close \(a typo, a swap, a similar spelling\)/);

  // The waterfall of that pair: the prior, a step per comparison, the final weight.
  const [l, r] = [scored.person_record_l_id, scored.person_record_r_id];
  const waterfall = page.getByRole('table', { name: `Match weight of records ${l} and ${r}, step by step` });
  const steps = await waterfall.getByRole('rowheader').allInnerTexts();
  assert.equal(steps.length, scored.explanation.comparisons.length + 2);
  assert.equal(steps[0], 'Prior (before any comparison)');
  assert.equal(steps.at(-1), 'Final match weight');
  assert.ok(steps.includes('First name'), steps.join(', '));
  const bars = await waterfall.locator('rect').evaluateAll((rects) =>
    rects.map((b) => ({ kind: b.getAttribute('class'), width: Number(b.getAttribute('width')) })),
  );
  scored.explanation.comparisons.forEach((c, i) => {
    const w = c.match_weight + c.term_frequency_weight;
    assert.equal(bars[i + 1].kind, w < 0 ? 'wf-negative' : 'wf-positive', `${c.comparison}: ${w}`);
    assert.ok(bars[i + 1].width > 0);
  });
  const total = rowOf(waterfall, 'Final match weight').getByRole('cell');
  const percent = `${(scored.explanation.match_probability * 100).toFixed(1)}%`;
  await waitForText(total.nth(0), percent);
  await page.getByRole('heading', { name: `Records ${l} and ${r}: ${(scored.match_probability * 100).toFixed(1)}%` }).waitFor();
  await checkPage(page, 'empi-review');

  // Merge: one person holds every record.
  await page.getByLabel('Comment (optional)').fill('Same patient: typo in the first name.');
  await merge.click();
  await waitForText(page.getByRole('status').first(), 'Merged: the records are one person now.');
  await page.getByText(/^This potential match is no longer open \(Decided\)/).waitFor();
  await page.getByRole('button', { name: 'Next in queue' }).waitFor();
  // The review as it is now: one person holding every record.
  await waitForText(table.getByRole('link', { name: /^Person \d+$/ }), 'Person 1');
  assert.equal(await table.getByRole('link', { name: /^Person \d+$/ }).count(), 1);
  assert.equal(await rowOf(table, 'First name').getByRole('cell').count(), records.length);
  await checkPage(page, 'empi-review-merged');
  const personId = (await table.getByRole('link', { name: 'Person 1' }).getAttribute('href'))
    .split('/')
    .pop();
  const held = await server.api('GET', `/api/v1/persons/${personId}`, admin);
  assert.deepEqual(
    held.body.person.records.map((x) => x.id).sort(),
    records.map((x) => x.id).sort(),
  )
  state.person = { id: personId, records: records.length, match: target.id };
  assert.deepEqual(page.problems, []);
});

test('review: another match from the queue is kept apart; then the next in the queue', async () => {
  assert.ok(state.person, 'the merge ran first');
  await nav(page, 'Match queue').click();
  await waitForHeading(page, 'Match queue');
  const list = page.getByRole('table', { name: 'Potential matches' });
  const link = list.getByRole('link').first();
  const id = (await link.getAttribute('href')).match(/\/empi\/matches\/(\d+)/)[1];
  assert.notEqual(id, state.person.match, 'a decided match is still in the queue');
  await clearInteractive(page);
  await link.click();
  await waitForHeading(page, `Potential match ${id}`);
  await waitForInteractive(page);
  const before = (await server.api('GET', `/api/v1/potential-matches/${id}`, admin)).body
    .potential_match;
  state.apart = before.persons.filter((p) => p.records.length > 0).map((p) => p.id);
  await page.getByRole('button', { name: 'Keep apart' }).click();
  await waitForText(page.getByRole('status').first(), 'Kept apart: the persons stay separate.');
  await page.getByText(/^This potential match is no longer open \(Decided\)/).waitFor();
  const after = (await server.api('GET', `/api/v1/potential-matches/${id}`, admin)).body
    .potential_match;
  assert.equal(after.status, 'resolved');
  for (const p of before.persons) {
    const now = after.persons.find((x) => x.id === p.id);
    assert.deepEqual(now.records.map((x) => x.id), p.records.map((x) => x.id), 'a record moved');
  }
  // The table still shows every person apart.
  const table = page.getByRole('table', { name: 'Records of the potential match' });
  const people = before.persons.filter((p) => p.records.length > 0).length;
  assert.equal(await table.getByRole('link', { name: /^Person \d+$/ }).count(), people);

  await clearInteractive(page);
  await page.getByRole('button', { name: 'Next in queue' }).click();
  await page.waitForURL((u) => /^\/empi\/matches\/\d+$/.test(u.pathname) && !u.pathname.endsWith(`/${id}`));
  const nextId = new URL(page.url()).pathname.split('/').pop();
  await waitForHeading(page, `Potential match ${nextId}`);
  await waitForInteractive(page);
  assert.deepEqual(page.problems, []);
});

test('two reviewers on one potential match: the second to decide sees the 409 and the new state', async () => {
  const open = await server.api('GET', '/api/v1/potential-matches?limit=1&sort=probability_asc', admin);
  const target = open.body.potential_matches[0];
  assert.ok(target, 'no open potential match left');
  const first = page;
  const second = await openPage(browser);
  try {
    await first.goto(`${server.url}/empi/matches/${target.id}`);
    await waitForHeading(first, `Potential match ${target.id}`);
    await waitForInteractive(first);
    // The member signs in on the deep link and lands on it.
    await second.goto(`${server.url}/empi/matches/${target.id}`);
    await waitForHeading(second, 'Sign in');
    await signInThroughPage(second, server, memberEmail, password);
    await waitForHeading(second, `Potential match ${target.id}`);
    await waitForInteractive(second);
    await nav(second, 'Match queue').waitFor();

    await second.getByRole('button', { name: 'Keep apart' }).click();
    await waitForText(second.getByRole('status').first(), 'Kept apart: the persons stay separate.');

    await first.getByRole('button', { name: 'Merge into one person' }).click();
    await waitForText(
      first.locator('main').getByRole('alert').first(),
      /^the potential match changed \(version \d+, resolved\); reload it and decide again$/,
    );
    // Read again: decided, so nothing to decide any more.
    await first.getByText(/^This potential match is no longer open \(Decided\)/).waitFor();
    assert.equal(await first.getByRole('button', { name: 'Merge into one person' }).count(), 0);
    await checkPage(first, 'empi-review-conflict');
    const after = (await server.api('GET', `/api/v1/potential-matches/${target.id}`, admin)).body
      .potential_match;
    assert.equal(after.status, 'resolved');
    assert.deepEqual(second.problems, []);
  } finally {
    await second.context().close();
  }
  assert.deepEqual(first.problems, []);
});

test('persons: found by name, a record split out, the split undone from the history', async () => {
  assert.ok(state.person, 'the merge ran first');
  const { id, records } = state.person;
  await nav(page, 'Persons').click();
  await waitForHeading(page, 'Persons');
  const search = page.getByRole('search', { name: 'Search persons' });
  await search.getByLabel('Person id', { exact: true }).fill(id);
  await search.getByRole('button', { name: 'Search', exact: true }).click();
  const found = page.getByRole('table', { name: 'Persons found' });
  const row = found.getByRole('row').filter({ hasText: id });
  await waitForText(row.getByRole('cell').nth(2), String(records));
  assert.equal(new URL(page.url()).searchParams.get('person_id'), id);
  await checkPage(page, 'empi-persons');
  await row.getByRole('link').click();
  await waitForHeading(page, /^Person: /);
  const main = page.locator('main');
  await waitForText(definitionOf(main, 'Records'), String(records));

  const history = page.getByRole('table', { name: 'History' });
  const decision = history.getByRole('row').filter({ hasText: 'Review decision' });
  await waitForText(decision.getByRole('cell').nth(1), 'admin@clinic.example\nuser:1');
  await waitForText(decision.getByRole('cell').nth(3), 'Same patient: typo in the first name.');
  await waitForText(decision.getByRole('cell').nth(4), 'In effect');
  await checkPage(page, 'empi-person');

  const recordTable = page.getByRole('table', { name: 'Records' });
  // Twelve fields in seven columns: the table fits the page's width, with no sideways scrolling.
  assert.deepEqual(await recordTable.getByRole('columnheader').allInnerTexts(), [
    'Select',
    'Record',
    'Name',
    'Sex',
    'Birth date',
    'SSN',
    'Address',
    'Phone',
    'Source',
  ]);
  const overflow = await recordTable.evaluate((t) => t.scrollWidth - t.parentElement.clientWidth);
  assert.ok(overflow <= 0, `the records table is ${overflow}px wider than its box`);
  const firstRow = recordTable.getByRole('row').nth(1);
  assert.match(await firstRow.getByRole('cell').nth(7).innerText(), /^febrl\nrec-\d+-(org|dup-\d+)$/);
  const moving = (await recordTable.getByRole('rowheader').allInnerTexts()).at(-1);
  await page.getByLabel(`Select record ${moving}`).check();
  await page.getByRole('button', { name: 'Split the selected records out (1)' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'moved' }), '1 record(s) moved to a new person.');
  await waitForText(definitionOf(main, 'Records'), String(records - 1));
  await page.getByRole('link', { name: 'Open the new person' }).waitFor();
  const split = history.getByRole('row').filter({ hasText: /^Split/ });
  await waitForText(split.getByRole('cell').nth(4), 'In effect');
  const splitId = (await split.getByRole('rowheader').innerText()).match(/event (\d+)/)[1];

  await history.getByRole('button', { name: `Undo event ${splitId} (Split)` }).click();
  await waitForText(
    page.getByRole('status').filter({ hasText: 'undone' }),
    `Event ${splitId} (Split) was undone.`,
  );
  await waitForText(definitionOf(main, 'Records'), String(records));
  await waitForText(split.getByRole('cell').nth(4), /^Undone by event \d+$/);
  // The split's own message went with it.
  assert.equal(await page.getByText('1 record(s) moved to a new person.').count(), 0);
  const undo = history.getByRole('row').filter({ hasText: `Undoes event ${splitId}` });
  await waitForText(undo.getByRole('rowheader'), /^Undo/);
  // Undoing it again: the server's 409, shown as it wrote it.
  assert.equal(await history.getByRole('button', { name: `Undo event ${splitId} (Split)` }).count(), 0);
  await checkPage(page, 'empi-person-undone');
  assert.deepEqual(page.problems, []);
});

test('persons: a merge across a keep-apart is refused (409); another merge is made and undone', async () => {
  assert.ok(state.apart?.length >= 2, 'the keep-apart ran first');
  const [kept, apart] = state.apart;
  const held = async (id) =>
    (await server.api('GET', `/api/v1/persons/${id}`, admin)).body.person.records.length;
  const records = await held(kept);
  await page.goto(`${server.url}/empi/persons/${kept}`);
  await waitForHeading(page, /^Person: /);
  const main = page.locator('main');
  await waitForText(definitionOf(main, 'Records'), String(records));
  const region = page.getByRole('region', { name: 'Merge another person into this one' });
  const merge = region.getByRole('form', { name: 'Merge another person into this one' });
  await merge.getByLabel('Person id to merge in').fill(apart);
  await merge.getByRole('button', { name: 'Merge into this person' }).click();
  await waitForText(
    merge.getByRole('alert'),
    /^records \d+ and \d+ are kept apart \(do-not-link\); undo that first$/,
  );
  await waitForText(definitionOf(main, 'Records'), String(records));

  // Someone no decision has touched: merged in, then the merge undone.
  // Found by last name through the form's finder: someone with a last name nobody else has.
  const touched = new Set([...state.apart, state.person.id]);
  const list = await server.api('GET', '/api/v1/persons?limit=100', admin);
  let other;
  for (const p of list.body.persons) {
    if (touched.has(p.id) || p.record_count !== 1 || !p.last_name) continue;
    const query = new URLSearchParams({ last_name: p.last_name, limit: '2' });
    const namesakes = await server.api('GET', `/api/v1/persons?${query}`, admin);
    if (namesakes.body.total === 1) {
      other = p;
      break;
    }
  }
  assert.ok(other, 'no untouched person with one record and a last name of their own');
  const finder = region.getByRole('search', { name: 'Find a person' });
  await finder.getByLabel('Last name of the person to merge in').fill(other.last_name);
  await finder.getByRole('button', { name: 'Find a person' }).click();
  const candidates = finder.getByRole('list', { name: 'People found' });
  await candidates.getByRole('button', { name: `Choose ${`${other.first_name} ${other.last_name}`.trim()}` }).click();
  assert.equal(await merge.getByLabel('Person id to merge in').inputValue(), other.id);
  await merge.getByLabel('Comment on the merge (optional)').fill('Same household, same person.');
  await merge.getByRole('button', { name: 'Merge into this person' }).click();
  await waitForText(merge.getByRole('status'), 'Merged: 1 record(s) joined this person.');
  await waitForText(definitionOf(main, 'Records'), String(records + 1));
  assert.equal(await held(kept), records + 1);
  const history = page.getByRole('table', { name: 'History' });
  const merged = history.getByRole('row').filter({ hasText: /^Merge/ });
  await waitForText(merged.getByRole('cell').nth(3), 'Same household, same person.');
  await checkPage(page, 'empi-person-merged');
  const eventId = (await merged.getByRole('rowheader').innerText()).match(/event (\d+)/)[1];
  await history.getByRole('button', { name: `Undo event ${eventId} (Merge)` }).click();
  await waitForText(definitionOf(main, 'Records'), String(records));
  assert.equal(await held(other.id), 1);
  assert.deepEqual(page.problems, []);
});

test('crosswalk: downloaded as crosswalk.csv through a blob, every record with its person', async () => {
  await nav(page, 'Persons').click();
  await waitForHeading(page, 'Persons');
  const downloaded = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download the crosswalk (CSV)' }).click();
  const download = await downloaded;
  assert.equal(download.suggestedFilename(), 'crosswalk.csv');
  assert.match(download.url(), /^blob:/);
  await waitForText(
    page.getByRole('status').filter({ hasText: 'crosswalk' }),
    'The crosswalk was saved as crosswalk.csv.',
  );
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.split('\n').filter((line) => line !== '');
  assert.equal(
    lines[0],
    'person_id,id,data_source,source_person_id,first_name,last_name,sex,race,birth_date,' +
      'death_date,social_security_number,address,city,state,zip_code,county,phone',
  );
  assert.equal(lines.length, 40001);
  assert.deepEqual(page.problems, []);
});

// What a Spanish reader sees for each level the model names (modules/empi/model.cpp).
const spanishLevels = {
  missing: 'Falta un valor',
  exact: 'Exacto',
  'swapped with the other name': 'Intercambiado con el otro nombre',
  'one edit': 'A una edición',
  'jaro-winkler >= 0.92': 'Muy parecido (Jaro-Winkler ≥ 0,92)',
  'same double metaphone': 'Suenan igual (Double Metaphone)',
  'jaro-winkler >= 0.80': 'Parecido (Jaro-Winkler ≥ 0,80)',
  different: 'Distinto',
  'day and month swapped': 'Día y mes intercambiados',
  'one component off': 'Una parte distinta',
  'year off': 'Año distinto',
  'same address and phone': 'Misma dirección y teléfono',
  'same address': 'Misma dirección',
  'same phone': 'Mismo teléfono',
  'address jaro-winkler >= 0.90': 'Dirección parecida (Jaro-Winkler ≥ 0,90)',
  'same zip code': 'Mismo código postal',
  'same city': 'Misma ciudad',
  'same state': 'Mismo estado',
};

test('the workspace in Spanish: queue, review, persons, a person, import and match settings', async () => {
  assert.ok(state.person, 'the merge ran first');
  const reviewer = 'revisora@clinic.example';
  const made = await server.api('POST', '/api/v1/users', admin, {
    email: reviewer,
    roles: ['member'],
    password,
    language: 'es',
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const es = await openPage(browser);
  await signInThroughPage(es, server, reviewer);
  await waitForHeading(es, /^Bienvenido\/a, /); // the profile's language, once signed in
  assert.equal(await es.evaluate(() => document.documentElement.lang), 'es');
  const menu = es.getByRole('navigation', { name: 'Principal' });

  await menu.getByRole('link', { name: 'Cola de revisión', exact: true }).click();
  await waitForHeading(es, 'Cola de revisión');
  const list = es.getByRole('table', { name: 'Posibles coincidencias' });
  await list.getByRole('link').first().waitFor();
  await es.getByLabel('Probabilidad mínima').waitFor();
  await checkPage(es, 'empi-queue-es');

  const link = list.getByRole('link').first();
  const id = (await link.getAttribute('href')).match(/\/empi\/matches\/(\d+)/)[1];
  await link.click();
  await waitForHeading(es, `Posible coincidencia ${id}`);
  await es.getByRole('heading', { name: 'Cómo se comparan los campos con el primer registro' }).waitFor();
  await es.getByRole('heading', { name: 'Por qué estas probabilidades' }).waitFor();
  await es.getByRole('button', { name: 'Unir en una sola persona' }).waitFor();
  await es.getByRole('button', { name: 'Mantener separadas' }).waitFor();
  await es.getByRole('rowheader', { name: 'Previo (antes de comparar)' }).first().waitFor();
  // Each step's level in Spanish, though the server names levels in English.
  const shown = (await server.api('GET', `/api/v1/potential-matches/${id}`, admin)).body.potential_match;
  const pair = shown.results.find((r) => r.explanation);
  const waterfall = es.getByRole('table', {
    name: `Peso de coincidencia de los registros ${pair.person_record_l_id} y ${pair.person_record_r_id}, paso a paso`,
  });
  const levels = await waterfall.getByRole('row').evaluateAll((rows) =>
    rows.slice(2, -1).map((row) => row.querySelectorAll('td')[0].firstChild?.textContent ?? ''),
  );
  assert.deepEqual(
    levels,
    pair.explanation.comparisons.map((c) => spanishLevels[c.label] ?? `untranslated: ${c.label}`),
  );
  await checkPage(es, 'empi-review-es');

  await menu.getByRole('link', { name: 'Personas', exact: true }).click();
  await waitForHeading(es, 'Personas');
  await es.getByRole('button', { name: 'Descargar la tabla de correspondencias (CSV)' }).waitFor();
  await checkPage(es, 'empi-persons-es');
  await es.goto(`${server.url}/empi/persons/${state.person.id}`);
  await waitForHeading(es, /^Persona: /);
  await es.getByRole('table', { name: 'Historial' }).waitFor();
  await es.getByRole('search', { name: 'Buscar una persona' }).waitFor();
  await checkPage(es, 'empi-person-es');

  await menu.getByRole('link', { name: 'Importar registros', exact: true }).click();
  await waitForHeading(es, 'Importar registros');
  await es.getByRole('table', { name: 'Importaciones' }).getByRole('row').nth(1).waitFor();
  await checkPage(es, 'empi-import-es');
  await menu.getByRole('link', { name: 'Ajustes de emparejamiento', exact: true }).click();
  await waitForHeading(es, 'Ajustes de emparejamiento');
  await checkPage(es, 'empi-configs-es');
  assert.deepEqual(es.problems, []);
  await es.context().close();
});
