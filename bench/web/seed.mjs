// Seeds the EMPI index through the API until at least `wanted` potential matches are open:
// febrl_clean.csv first, then, while short, files of new people made in the bench (each a pair of
// near-identical records whose fields come from different FEBRL people, so they tie to each other
// and to no one already indexed).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

// Answers JSON, or throws with the status and body.
export async function call(server, token, method, path, body) {
  const r = await server.api(method, path, token, body);
  if (r.status < 200 || r.status > 299) {
    throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.body)}`);
  }
  return r.body;
}

async function importCsv(server, token, configId, name, bytes) {
  const form = new FormData();
  form.append('config_id', configId);
  form.append('file', new Blob([bytes], { type: 'text/csv' }), name);
  const r = await fetch(`${server.url}/api/v1/person-records/import`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`import of ${name} answered ${r.status}: ${text}`);
  const jobId = JSON.parse(text).job_id;
  const started = Date.now();
  for (;;) {
    const job = await call(server, token, 'GET', `/api/v1/jobs/${jobId}`);
    if (job.state === 'succeeded') return { job, seconds: (Date.now() - started) / 1000 };
    if (['dead', 'cancelled'].includes(job.state)) {
      throw new Error(`import job ${jobId} of ${name} ended ${job.state}: ${JSON.stringify(job)}`);
    }
    if (Date.now() - started > 30 * 60 * 1000)
      throw new Error(`import job ${jobId} still ${job.state} after 30 min`);
    await sleep(250);
  }
}

// The number of open potential matches: `total` of the queue's answer.
export async function openPotentialMatches(server, token) {
  const page = await call(server, token, 'GET', '/api/v1/potential-matches?limit=1');
  if (typeof page.total !== 'number') {
    throw new Error(
      `GET /api/v1/potential-matches has no 'total' (a binary without the workspace API?)`,
    );
  }
  return page.total;
}

function parseCsv(text) {
  // FEBRL's export has no quoted fields; refuse one rather than split it wrongly.
  if (text.includes('"'))
    throw new Error('the FEBRL file has quoted fields: bench/web/seed.mjs cannot read it');
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  return { header, rows: lines.slice(1).map((l) => l.split(',')) };
}

// A small deterministic generator, so a run's extra people are the next run's too.
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s / 2 ** 32;
  };
}

// One edit: a letter swapped with its neighbour, or one digit changed.
function oneEdit(value, random) {
  if (value.length < 2) return `${value}a`;
  const i = Math.floor(random() * (value.length - 1));
  if (/\d/.test(value[i]))
    return value.slice(0, i) + ((Number(value[i]) + 1) % 10) + value.slice(i + 1);
  return value.slice(0, i) + value[i + 1] + value[i] + value.slice(i + 2);
}

// `pairs` new people, two records each, from rows of the FEBRL file. Round r draws other rows.
function extraPeople(febrl, pairs, round) {
  const { header, rows } = febrl;
  const col = Object.fromEntries(header.map((h, i) => [h, i]));
  const random = prng(0x5eed + round);
  const pick = () => rows[Math.floor(random() * rows.length)];
  const out = [header.join(',')];
  for (let k = 0; k < pairs; k++) {
    const a = pick(),
      b = pick(),
      c = pick(),
      d = pick(),
      e = pick();
    const person = [...a];
    person[col.data_source] = 'bench';
    person[col.last_name] = b[col.last_name];
    person[col.birth_date] = c[col.birth_date];
    for (const f of ['address', 'city', 'state', 'zip_code', 'county']) person[col[f]] = d[col[f]];
    person[col.phone] = e[col.phone];
    person[col.social_security_number] = '';
    const twin = [...person];
    person[col.source_person_id] = `bench-${round}-${k}-0`;
    twin[col.source_person_id] = `bench-${round}-${k}-1`;
    twin[col.first_name] = oneEdit(person[col.first_name], random);
    twin[col.phone] = oneEdit(person[col.phone], random);
    out.push(person.join(','), twin.join(','));
  }
  return `${out.join('\n')}\n`;
}

// Returns { configId, total, imports: [{name, rows, seconds, total}] }.
export async function seed(server, token, { febrlPath, wanted, potential, automatic, log }) {
  const { config_id: configId } = await call(server, token, 'POST', '/api/v1/config', {
    potential_match_threshold: potential,
    auto_match_threshold: automatic,
  });
  const imports = [];
  const febrlBytes = readFileSync(febrlPath);
  log(`importing ${febrlPath} (config ${configId}: potential ${potential}, auto ${automatic})`);
  const first = await importCsv(server, token, configId, 'febrl_clean.csv', febrlBytes);
  let total = await openPotentialMatches(server, token);
  imports.push({
    name: 'febrl_clean.csv',
    rows: first.job.result?.rows,
    seconds: first.seconds,
    total,
  });
  const took = (job) => `${job.job.result?.rows} rows in ${job.seconds.toFixed(1)} s`;
  log(`febrl_clean.csv: ${took(first)}; ${total} open potential matches`);
  const febrl = parseCsv(febrlBytes.toString('utf8'));
  for (let round = 1; total < wanted; round++) {
    if (round > 4)
      throw new Error(`still ${total} open potential matches after ${round - 1} extra imports`);
    const pairs = Math.ceil((wanted - total) * 1.2) + 100;
    const name = `bench-extra-${round}.csv`;
    log(`${total} < ${wanted}: importing ${name}, ${pairs} new people of two records each`);
    const done = await importCsv(
      server,
      token,
      configId,
      name,
      Buffer.from(extraPeople(febrl, pairs, round)),
    );
    const before = total;
    total = await openPotentialMatches(server, token);
    imports.push({ name, rows: done.job.result?.rows, seconds: done.seconds, total });
    log(`${name}: ${took(done)}; ${total - before} more, ${total} open`);
  }
  return { configId, total, imports };
}

// The potential match in the middle of the queue (its default order), with its size.
export async function middleOfQueue(server, token, total) {
  const position = Math.floor(total / 2);
  const page = await call(
    server,
    token,
    'GET',
    `/api/v1/potential-matches?limit=1&offset=${position}`,
  );
  const row = page.potential_matches[0];
  const { potential_match: match } = await call(
    server,
    token,
    'GET',
    `/api/v1/potential-matches/${row.id}`,
  );
  return {
    id: row.id,
    position,
    probability: row.max_match_probability,
    dataSources: row.data_sources,
    persons: match.persons.length,
    records: match.persons.reduce((n, p) => n + p.records.length, 0),
    pairs: match.results.length,
  };
}
