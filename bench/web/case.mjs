// bench/web/case.mjs: the medical case page with a large case, 200 documents and a timeline of
// 1,000 entries (issue 21's target: interactive within 1 s). Run through bench/web/case.sh.
//
// A patient's case is seeded over the API (documents as raw bodies, every resource group filled),
// then /cases/{id} is loaded LOADS times warm and LOADS times cold in Chromium, each timed from
// navigationStart to the `carehub:case-interactive` mark (web/src/cases/ready.ts: the case, its
// document list and all six groups on the screen). Peers from the same run: the calls the page
// makes, fetched directly with a bearer token one after another, and the browser alone (a page
// with no script). Targets print PASS/MISS and never fail the run.
//
// Environment: CAREHUB_BINARY, LOADS (default 10), DOCUMENTS (200), TIMELINE (1000).
import { launchBrowser, startCarehub } from '../../tests/browser/harness.mjs';
import { blankLoads, callsBeforeReady, loadSeries, named } from './loads.mjs';
import { callList, max, median, section, target, timeTable } from './report.mjs';

const env = process.env;
const loads = positive('LOADS', 10);
const documents = positive('DOCUMENTS', 200);
const timeline = positive('TIMELINE', 1000);
const mark = 'carehub:case-interactive';
const targetMs = 1000;
const patient = { email: 'pat@clinic.example', password: 'a long patient passphrase' };

function positive(name, fallback) {
  const v = Number(env[name] ?? fallback);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);
  return v;
}

const log = (text) => process.stderr.write(`bench: ${text}\n`);

async function must(r, what) {
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function seed(server) {
  const admin = await server.token();
  await must(
    await server.api('POST', '/api/v1/users', admin, { ...patient, roles: ['patient'] }),
    'patient',
  );
  const token = await server.token(patient.email, patient.password);
  const made = await must(
    await server.api('POST', '/api/v1/cases', token, {
      patient: { name: 'Lucía Moreno', birth_date: '2010-04-02', gender: 'female' },
    }),
    'case',
  );
  const id = made.id;
  const started = performance.now();
  for (let i = 0; i < documents; i++) {
    const name = `report-${String(i + 1).padStart(3, '0')}.pdf`;
    const r = await fetch(
      `${server.url}/api/v1/cases/${id}/documents?name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/pdf' },
        body: `%PDF-1.4\n% document ${i + 1}\n${'x'.repeat(2048)}\n%%EOF\n`,
      },
    );
    if (r.status !== 201) throw new Error(`document ${i + 1}: HTTP ${r.status} ${await r.text()}`);
  }
  log(`${documents} documents uploaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const day = (i) => new Date(Date.UTC(2020, 0, 1) + i * 86400000).toISOString().slice(0, 10);
  const groups = {
    timeline: Array.from({ length: timeline }, (_, i) => ({
      date: day(i),
      event: `Visit ${i + 1}: follow-up, blood pressure and weight taken`,
    })),
    phenotype: {
      terms: Array.from({ length: 50 }, (_, i) => ({
        id: `HP:${String(1250 + i).padStart(7, '0')}`,
        name: `Term ${i + 1}`,
      })),
    },
    reports: { medical: [{ title: 'Discharge summary' }], genetic: [{ title: 'Exome' }] },
    genotype: [{ gene: 'CFTR', variant: 'c.1521_1523delCTT' }],
    diseases: [{ id: 'ORPHA:586', name: 'Cystic fibrosis' }],
    notes: [{ text: 'Seen with her mother.' }],
  };
  for (const [type, data] of Object.entries(groups)) {
    await must(
      await server.api('PUT', `/api/v1/cases/${id}/groups/${type}`, token, { data, version: 0 }),
      `group ${type}`,
    );
  }
  return { id, token };
}

// The calls the page waits for, fetched directly one after another: its data's floor.
async function directCalls(server, token, paths, n) {
  const once = async () => {
    const started = performance.now();
    let bytes = 0;
    for (const path of paths) {
      const r = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      bytes += (await r.arrayBuffer()).byteLength;
      if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}`);
    }
    return { ms: performance.now() - started, bytes };
  };
  await once();
  const out = [];
  for (let i = 0; i < n; i++) out.push(await once());
  return out;
}

const server = await startCarehub({ config: { log: { level: 'warn' } } });
const browser = await launchBrowser();
try {
  const { id, token } = await seed(server);
  const url = `${server.url}/cases/${id}`;
  const series = (cold) => loadSeries(browser, server, patient, url, { n: loads, cold, mark });
  const warm = await series(false);
  const cold = await series(true);
  const shown = warm[warm.length - 1];
  const calls = callsBeforeReady(shown).map((c) => named(shown, c));
  const dataPaths = callsBeforeReady(shown)
    .map((c) => c.path)
    .filter((p) => p.startsWith(`/api/v1/cases/${id}`));
  const floor = await directCalls(server, token, dataPaths, loads);
  const blank = await blankLoads(browser, server, loads);

  console.log(section(`bench/web/case: /cases/{id} with ${documents} documents and a ${timeline}-entry timeline`));
  console.log(`  Chromium headless, carehub on SQLite on loopback; LOADS=${loads}`);
  console.log(
    timeTable(`warm: ${loads} loads, a new page each`, [
      [`navigationStart -> ${mark}`, warm.map((t) => t.ready)],
      ['  domInteractive', warm.map((t) => t.domInteractive)],
    ]),
  );
  console.log(
    timeTable(`cold: ${loads} loads, a new context each`, [
      [`navigationStart -> ${mark}`, cold.map((t) => t.ready)],
      ['  domInteractive', cold.map((t) => t.domInteractive)],
    ]),
  );
  console.log(
    timeTable(`peer: the case's ${dataPaths.length} data calls, node fetch one after another`, [
      ['request to last byte, all of them', floor.map((f) => f.ms)],
    ]),
  );
  console.log(`  their answers: ${floor[0].bytes.toLocaleString('en-US')} B of JSON`);
  console.log(
    timeTable('peer: the browser alone, a page with no script (GET /healthz)', [
      ['navigationStart -> loadEventEnd', blank],
    ]),
  );
  // Where a load's time goes: each call's start and end, the lazy chunks, against the mark.
  console.log(`  the last warm load, ms from navigationStart (ready at ${shown.ready.toFixed(0)}):`);
  for (const c of shown.api)
    console.log(`    ${c.start.toFixed(0).padStart(5)} -> ${c.end.toFixed(0).padStart(5)}  ${named(shown, c)}`);
  for (const a of shown.assets)
    console.log(`    ${a.start?.toFixed(0).padStart(5)} -> ${a.end.toFixed(0).padStart(5)}  ${a.path}`);
  console.log(`  API calls until interactive (the last warm load): ${calls.length}`);
  console.log(`    ${callList(calls)}`);
  for (const [name, s] of [
    ['warm', warm],
    ['cold', cold],
  ]) {
    const worst = max(s.map((t) => t.ready));
    const mid = median(s.map((t) => t.ready));
    console.log(
      target(worst <= targetMs, `case page interactive <= ${targetMs} ms (${name}, max)`, `${worst.toFixed(0)} ms (median ${mid.toFixed(0)} ms)`),
    );
  }
} finally {
  await browser.close();
  await server.stop();
}
