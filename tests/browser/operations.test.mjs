// Operations: an admin watches a job's progress bar move live, cancels it, retries a dead job and
// filters the list; finds her own cancel in the audit log and exports it as CSV; reads the system
// status and the redacted configuration; and a notification reaches the bell over the WebSocket.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

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

let server;
let browser;
let page;
let adminId;
const jobs = {}; // the ids of the jobs enqueued by the first test: slow, dead, quick

before(async () => {
  // One attempt: a failing job is dead at once, and a retry runs it once more.
  server = await startCarehub({
    config: { jobs: { enabled: true, max_attempts: 1 }, diag: { enabled: true } },
  });
  const me = await server.api('GET', '/api/v1/auth/me', await server.token());
  assert.equal(me.status, 200, JSON.stringify(me.body));
  adminId = Number(me.body.id);
  browser = await launchBrowser();
  page = await openPage(browser);
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

// A diag.sleep job (open route, enabled by diag.enabled): its id.
async function enqueue(body) {
  const r = await fetch(`${server.url}/api/v1/diag/jobs`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 202, await r.clone().text());
  return Number((await r.json()).id);
}

// The row of a table whose row header reads exactly `header`.
function rowOf(scope, header) {
  return scope
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: String(header), exact: true }) });
}

// The <dd> a <dt> of exactly this text describes, as a screen reader pairs them.
function definitionOf(scope, term) {
  return scope
    .getByRole('term')
    .filter({ hasText: new RegExp(`^${term}$`) })
    .locator('xpath=following-sibling::dd[1]');
}

async function progressOf(id) {
  const bar = page.getByRole('progressbar', { name: `Progress of job ${id}`, exact: true });
  return bar.evaluate((el) => el.value);
}

test('jobs: a bar moves live; cancel; a dead job shows its error and is retried', async () => {
  jobs.slow = await enqueue({ ms: 15000 });
  jobs.dead = await enqueue({ ms: 10, fail_times: 5 });
  jobs.quick = await enqueue({ ms: 10 });

  await nav('Jobs').click();
  await waitForHeading(page, 'Jobs');
  const list = page.getByRole('region', { name: 'Jobs', exact: true });
  const slow = rowOf(list, jobs.slow);
  await waitForText(slow.getByRole('cell').nth(1), 'Running');
  await page
    .getByText('Updating every second while a job in this list is queued or running.')
    .waitFor();
  // A mark on this document: a reload or a navigation away would lose it.
  await page.evaluate(() => {
    window.operationsMark = true;
  });

  // The bar moves while the page only sits there: two readings a few seconds apart.
  const first = await progressOf(jobs.slow);
  await sleep(3000);
  const second = await progressOf(jobs.slow);
  assert.ok(second > first, `the progress bar stayed at ${first} → ${second}`);
  await waitForText(slow.getByRole('cell').nth(2), /^\d+\s?%/);
  assert.equal(await page.evaluate(() => window.operationsMark), true, 'the page was reloaded');
  await checkPage(page, 'admin-jobs');

  await slow.getByRole('button', { name: `Cancel job ${jobs.slow}`, exact: true }).click();
  await waitForText(
    page.getByRole('status').first(),
    new RegExp(`^Job ${jobs.slow} (was cancelled\\.|was asked to stop;)`),
  );
  await waitForText(slow.getByRole('cell').nth(1), 'Cancelled');
  assert.equal(await slow.getByRole('button', { name: `Cancel job ${jobs.slow}` }).count(), 0);
  const stoppedAt = await progressOf(jobs.slow);
  assert.ok(stoppedAt < 100, `a cancelled job's bar is full: ${stoppedAt}`);
  // The bar says it stopped there, and a cancel is not reported as an error.
  await waitForText(slow.getByRole('cell').nth(2), /^stopped at \d+\s?%/);
  assert.doesNotMatch(await slow.getByRole('cell').nth(2).innerText(), /Last error/);

  const quick = rowOf(list, jobs.quick);
  await waitForText(quick.getByRole('cell').nth(1), 'Succeeded');
  const dead = rowOf(list, jobs.dead);
  await waitForText(dead.getByRole('cell').nth(1), 'Dead');
  await waitForText(
    dead.getByRole('cell').nth(2),
    /^stopped at \d+\s?%[\s\S]*Last error:\s*diag\.sleep planned failure on attempt 1/,
  );
  await waitForText(dead.getByRole('cell').nth(3), '1 of 1');
  // The list holds nothing live any more, and says it stopped reading.
  await page
    .getByText('No job in this list is queued or running: the list is not updating.')
    .waitFor();

  const admin = await server.token();
  const before = (await server.api('GET', `/api/v1/jobs?state=dead`, admin)).body.jobs[0];
  assert.equal(Number(before.id), jobs.dead);
  await dead.getByRole('button', { name: `Retry job ${jobs.dead}`, exact: true }).click();
  await waitForText(page.getByRole('status').first(), `Job ${jobs.dead} is queued again.`);
  // It ran again (the server says so) and died again (the page says so).
  for (let i = 0; ; i++) {
    const now = (await server.api('GET', `/api/v1/jobs?state=dead`, admin)).body.jobs[0];
    if (now && now.finished_at !== before.finished_at) break;
    assert.ok(i < 100, 'the retried job never finished again');
    await sleep(100);
  }
  await waitForText(dead.getByRole('cell').nth(1), 'Dead');
  await waitForText(dead.getByRole('cell').nth(2), /planned failure on attempt 1/);
  await dead.getByRole('button', { name: `Retry job ${jobs.dead}`, exact: true }).waitFor();
  await checkPage(page, 'admin-jobs-dead');

  // Filtered by state: only the dead job, and the filter lives in the address.
  const filters = page.getByRole('search', { name: 'Filter jobs' });
  await filters.getByLabel('State', { exact: true }).selectOption({ label: 'Dead' });
  await filters.getByRole('button', { name: 'Filter', exact: true }).click();
  const pager = page.getByRole('navigation', { name: 'Pages' });
  await waitForText(pager.getByRole('status'), '1–1 of 1');
  assert.equal(new URL(page.url()).searchParams.get('state'), 'dead');
  assert.deepEqual(await list.getByRole('rowheader').allInnerTexts(), [String(jobs.dead)]);
  await waitForText(rowOf(list, jobs.dead).getByRole('cell').nth(1), 'Dead');
  await checkPage(page, 'admin-jobs-filtered-dead');
  assert.deepEqual(page.problems, []);
});

test('audit log: the admin finds her own cancel, pages, and exports it as CSV', async () => {
  assert.ok(jobs.slow, 'the jobs test runs first');
  await nav('Audit log').click();
  await waitForHeading(page, 'Audit log');
  const search = page.getByRole('search', { name: 'Search the audit log' });
  await search.getByRole('button', { name: 'Me', exact: true }).click();
  const actor = search.getByLabel('Actor', { exact: true });
  assert.equal(await actor.inputValue(), `user:${adminId}`);
  await search.getByLabel('Action', { exact: true }).fill('job.cancel');
  await search.getByRole('button', { name: 'Search', exact: true }).click();
  const pager = page.getByRole('navigation', { name: 'Pages' });
  await waitForText(pager.getByRole('status'), '1–1 of 1');
  const address = new URL(page.url()).searchParams;
  assert.equal(address.get('actor'), `user:${adminId}`);
  assert.equal(address.get('action'), 'job.cancel');

  const events = page.getByRole('region', { name: 'Events', exact: true });
  assert.equal(await events.getByRole('rowheader').count(), 1);
  const row = events.getByRole('row').nth(1);
  const cells = row.getByRole('cell');
  await waitForText(cells.nth(0), `user:${adminId}`);
  await waitForText(cells.nth(1), 'job.cancel');
  await waitForText(cells.nth(2), `job ${jobs.slow}`);
  await waitForText(cells.nth(3), 'Success');
  await waitForText(cells.nth(4), /^127\.0\.0\.1/);
  await checkPage(page, 'admin-audit-results');

  const downloaded = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV', exact: true }).click();
  const download = await downloaded;
  assert.equal(download.suggestedFilename(), 'carehub-audit.csv');
  await waitForText(page.getByRole('status').first(), 'The export was saved as carehub-audit.csv.');
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.split('\r\n').filter((l) => l !== '');
  assert.equal(
    lines[0],
    'id,at,actor,action,resource_type,resource_id,outcome,request_id,client_address,detail',
  );
  assert.equal(lines.length, 2, csv);
  const fields = lines[1].split(',');
  assert.deepEqual(fields.slice(2, 7), [
    `user:${adminId}`,
    'job.cancel',
    'job',
    String(jobs.slow),
    'success',
  ]);

  // Without the action filter, her searches and the export are there too: reading is audited.
  await search.getByLabel('Action', { exact: true }).fill('audit.export');
  await search.getByRole('button', { name: 'Search', exact: true }).click();
  await waitForText(pager.getByRole('status'), /^1–\d+ of \d+$/);
  await waitForText(events.getByRole('row').nth(1).getByRole('cell').nth(1), 'audit.export');
  assert.deepEqual(page.problems, []);
});

test('system status: database, schema, uptime, then the request rates', async () => {
  await nav('System status').click();
  await waitForHeading(page, 'System status');
  const serverFacts = page.getByRole('region', { name: 'Server', exact: true });
  await waitForText(definitionOf(serverFacts, 'Health'), 'OK');
  await waitForText(definitionOf(serverFacts, 'Readiness'), 'Ready');
  await waitForText(definitionOf(serverFacts, 'Database'), 'SQLite');
  await waitForText(definitionOf(serverFacts, 'Schema version'), /^\d+ \(up to date\)$/);
  await waitForText(definitionOf(serverFacts, 'Uptime'), /^\d+ (seconds?|minutes?)\b/);

  // One reading gives no rate; the next (5 s later) does.
  const requests = page.getByRole('region', { name: 'Requests', exact: true });
  const all = rowOf(requests, 'All requests');
  const hint = requests.getByText(/^(Measuring the rates|Rates measured)/);
  await waitForText(hint, 'Measuring the rates: they need a second reading, 5 s after the first.');
  await waitForText(all.getByRole('cell').nth(0), 'Measuring…');
  await waitForText(hint, /^Rates measured over the last \d+ s\.$/, 12000);
  await waitForText(all.getByRole('cell').nth(0), /^[\d.,]+ per minute$/);
  await waitForText(all.getByRole('cell').nth(1), /^[\d,]+$/);
  const jobCounts = page.getByRole('region', { name: 'Jobs', exact: true });
  const cancelled = '1: list the jobs in state “Cancelled”';
  await jobCounts.getByRole('link', { name: cancelled, exact: true }).waitFor();
  await checkPage(page, 'admin-status');
  assert.deepEqual(page.problems, []);
});

test('configuration: the server port, and the database address redacted', async () => {
  await nav('Configuration').click();
  await waitForHeading(page, 'Configuration');
  const serverSection = page.getByRole('region', { name: 'server', exact: true });
  await waitForText(rowOf(serverSection, 'port').getByRole('cell'), String(server.port));
  await waitForText(rowOf(serverSection, 'host').getByRole('cell'), '127.0.0.1');
  const database = page.getByRole('region', { name: 'database', exact: true });
  await waitForText(rowOf(database, 'url').getByRole('cell'), 'Secret: redacted');
  await page.getByText(/^Redacted secrets: [1-9]\d*\.$/).waitFor();
  // Not a trace of it, in the text or the markup (the blob and key folders are no secret).
  const text = await page.locator('body').innerText();
  assert.ok(!text.includes('sqlite://'), 'a database address is on the page');
  const html = await page.content();
  assert.ok(!html.includes(`${server.dir}/carehub.db`), 'the database path is on the page');
  const blob = page.getByRole('region', { name: 'blob', exact: true });
  await waitForText(rowOf(blob, 'path').getByRole('cell'), `${server.dir}/blobs`);
  await checkPage(page, 'admin-config');

  // Finding a setting narrows the tables to it.
  await page.getByRole('searchbox', { name: 'Find a setting' }).fill('port');
  await waitForText(rowOf(serverSection, 'port').getByRole('cell'), String(server.port));
  assert.equal(await database.count(), 0);
  assert.deepEqual(page.problems, []);
});

test('the bell: a notification arrives live, is listed, and is marked read', async () => {
  // Its accessible name says the count (the badge beside the icon is hidden from it).
  const bell = (name) => page.getByRole('button', { name, exact: true });
  await bell('Notifications: none unread').waitFor();
  await page.evaluate(() => {
    window.bellMark = true;
  });
  const title = 'Nightly backup finished';
  const r = await fetch(`${server.url}/api/v1/diag/notify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      user_id: adminId,
      type: 'backup.done',
      title,
      body: 'All 3 databases were copied.',
    }),
  });
  assert.equal(r.status, 201, await r.text());
  await bell('Notifications: 1 unread').waitFor();
  assert.equal(await page.evaluate(() => window.bellMark), true, 'the page was reloaded');

  await bell('Notifications: 1 unread').click();
  assert.equal(await bell('Notifications: 1 unread').getAttribute('aria-expanded'), 'true');
  const panel = page.getByRole('region', { name: 'Notifications', exact: true });
  const notices = panel.getByRole('list', { name: 'Notifications' }).getByRole('listitem');
  const shown = new RegExp(`^Unread:\\s*${title}\\s*All 3 databases were copied\\.`);
  await waitForText(notices.first(), shown);
  assert.equal(await notices.count(), 1);
  await checkPage(page, 'bell-open');

  await panel.getByRole('button', { name: `Mark as read: ${title}`, exact: true }).click();
  await bell('Notifications: none unread').waitFor();
  await waitForText(notices.first(), new RegExp(`^${title}`));
  assert.equal(await panel.getByRole('button', { name: /^Mark as read/ }).count(), 0);
  await checkPage(page, 'bell-read');
  assert.deepEqual(page.problems, []);
});
