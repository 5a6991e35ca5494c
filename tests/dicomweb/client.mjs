// A real DICOMweb client (the npm package dicomweb-client, the one OHIF uses) against carehub's
// DICOMweb API: every request and every parse of an answer is the library's own.
//
//   node client.mjs BASE_URL TOKEN FILE.dcm...
//
// BASE_URL is the DICOMweb root (http://127.0.0.1:PORT/dicom-web), TOKEN an API token with the
// scopes dicom:write and dicom:read (sent as "Authorization: Bearer TOKEN"). The server should hold
// nothing from these files' studies yet (a fresh server is simplest). The files are Part 10 with a
// little-endian dataset (implicit or explicit VR); the script reads their UIDs, patient and pixel
// attributes itself and then:
//   STOW-RS  storeInstances of all files in one request; every SOP Instance UID must be referenced
//            in the answer and none failed
//   QIDO-RS  searchForStudies without a filter (every study listed), with PatientID (exactly that
//            patient's studies), a PatientName wildcard, StudyDate ranges, limit/offset and
//            includefield; searchForSeries and searchForInstances of each study and series, and
//            at the top level (/series by Modality, /instances by SOPInstanceUID)
//   WADO-RS  retrieveInstance (byte-identical to the file), retrieveSeries and retrieveStudy
//            (every instance, byte-identical), retrieveStudyMetadata / retrieveSeriesMetadata /
//            retrieveInstanceMetadata (the UIDs in the DICOM JSON), and retrieveInstanceFrames of
//            frame 1 of every natively encoded image (its length and bytes as in the file)
// With DICOMWEB_CLIENT_VIEWER=1, also what a viewer (OHIF) asks for, with the library's own
// Accept headers:
//   QIDO-RS  includefield of an attribute the index has no column for (Manufacturer), by tag and
//            as includefield=all
//   WADO-RS  retrieveInstanceRendered as image/jpeg and image/png (the PNG as large as the image),
//            retrieveInstanceFramesRendered with a viewport, retrieveInstanceThumbnail, and
//            retrieveInstanceFrames of compressed images asked for as Explicit VR Little Endian
//            (transcoded: frame 1 as long as rows x columns x samples x bytes)
// It prints one line per step and a summary, and exits 1 at the first failure with what was asked
// and what came back, 2 on bad arguments. It gives up after DICOMWEB_CLIENT_TIMEOUT_S seconds
// (default 120).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

import XMLHttpRequest from 'xhr2';
import dicomweb from 'dicomweb-client';

// dicomweb-client is written for browsers: it creates `new XMLHttpRequest()` from the global scope.
globalThis.XMLHttpRequest = XMLHttpRequest;

const [baseUrl, token, ...files] = process.argv.slice(2);
if (!baseUrl || !token || files.length === 0) {
  console.error('usage: node client.mjs BASE_URL TOKEN FILE.dcm...');
  process.exit(2);
}

const timeoutS = Number(process.env.DICOMWEB_CLIENT_TIMEOUT_S ?? 120);
setTimeout(() => {
  console.error(`dicomweb-client: FAILED: gave up after ${timeoutS} s (the server did not answer?)`);
  process.exit(1);
}, timeoutS * 1000).unref();

class Failure extends Error {}

function fail(message) {
  throw new Failure(message);
}

function check(condition, message) {
  if (!condition) fail(message);
}

// ---------------------------------------------------------------------------------------------
// The expected values, read from the files themselves (not from the server).

const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const tag = (group, element) => ((group << 16) | element) >>> 0;
const ITEM = tag(0xfffe, 0xe000);
const ITEM_END = tag(0xfffe, 0xe00d);
const SEQUENCE_END = tag(0xfffe, 0xe0dd);
const PIXEL_DATA = tag(0x7fe0, 0x0010);
const WANTED = {
  [tag(0x0002, 0x0010)]: ['transferSyntax', 'str'],
  [tag(0x0008, 0x0018)]: ['sop', 'str'],
  [tag(0x0008, 0x0020)]: ['studyDate', 'str'],
  [tag(0x0008, 0x0060)]: ['modality', 'str'],
  [tag(0x0008, 0x0070)]: ['manufacturer', 'str'],
  [tag(0x0010, 0x0010)]: ['patientName', 'str'],
  [tag(0x0010, 0x0020)]: ['patientId', 'str'],
  [tag(0x0020, 0x000d)]: ['study', 'str'],
  [tag(0x0020, 0x000e)]: ['series', 'str'],
  [tag(0x0028, 0x0002)]: ['samplesPerPixel', 'us'],
  [tag(0x0028, 0x0008)]: ['numberOfFrames', 'str'],
  [tag(0x0028, 0x0010)]: ['rows', 'us'],
  [tag(0x0028, 0x0011)]: ['columns', 'us'],
  [tag(0x0028, 0x0100)]: ['bitsAllocated', 'us'],
};

// The top-level attributes of a Part 10 file that the checks need; nested data is skipped.
function readDicomFile(path) {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  check(bytes.length > 132 && bytes.toString('latin1', 128, 132) === 'DICM',
    `${path}: not a DICOM Part 10 file (no DICM after the preamble)`);
  const info = { path, name: basename(path), bytes };

  // Elements from offset to end (or to the item/sequence delimiter when `nested`); returns the
  // offset after them. Top-level wanted values go into info.
  function walk(offset, end, explicit, topLevel) {
    while (offset + 8 <= end) {
      const t = tag(view.getUint16(offset, true), view.getUint16(offset + 2, true));
      if (t === ITEM_END || t === SEQUENCE_END) return offset + 8;
      let vr = null;
      let length;
      let header;
      if (t === ITEM) {
        length = view.getUint32(offset + 4, true);
        header = 8;
      } else if (explicit && (t >>> 16) !== 0xfffe) {
        vr = bytes.toString('latin1', offset + 4, offset + 6);
        if (LONG_VRS.has(vr)) {
          length = view.getUint32(offset + 8, true);
          header = 12;
        } else {
          length = view.getUint16(offset + 6, true);
          header = 8;
        }
      } else {
        length = view.getUint32(offset + 4, true);
        header = 8;
      }
      const valueStart = offset + header;
      if (length === UNDEFINED) {
        // A sequence, an item, encapsulated pixel data or UN: items up to the delimiter. The
        // content of UN with undefined length is implicit VR.
        const nestedExplicit = vr === 'UN' ? false : explicit;
        if (topLevel && t === PIXEL_DATA) info.encapsulated = true;
        offset = walk(valueStart, end, nestedExplicit, false);
        continue;
      }
      check(valueStart + length <= end, `${path}: element ${t.toString(16)} runs past the end`);
      if (topLevel && WANTED[t]) {
        const [key, kind] = WANTED[t];
        info[key] = kind === 'us' ? view.getUint16(valueStart, true)
          : bytes.toString('latin1', valueStart, valueStart + length).replace(/[\0 ]+$/, '').trim();
      }
      if (topLevel && t === PIXEL_DATA) info.pixelData = bytes.subarray(valueStart, valueStart + length);
      offset = valueStart + length;
    }
    return offset;
  }

  // File meta information: explicit VR little endian, group 0002.
  const metaLengthEnd = walk(132, 132 + 12, true, true);
  check(view.getUint16(132, true) === 0x0002 && view.getUint16(134, true) === 0x0000,
    `${path}: the file meta information does not start with its group length`);
  const metaEnd = metaLengthEnd + view.getUint32(132 + 8, true);
  walk(metaLengthEnd, metaEnd, true, true);
  const ts = info.transferSyntax;
  check(ts, `${path}: no Transfer Syntax UID in the file meta information`);
  check(ts !== DEFLATED_LE && ts !== EXPLICIT_BE,
    `${path}: transfer syntax ${ts} is not supported by this script (use little-endian files)`);
  walk(metaEnd, bytes.length, ts !== IMPLICIT_LE, true);
  for (const key of ['sop', 'study', 'series'])
    check(info[key], `${path}: no ${key} instance UID in the file`);
  info.nativePixels = (ts === IMPLICIT_LE || ts === EXPLICIT_LE) && info.pixelData !== undefined &&
    !info.encapsulated && info.rows && info.columns && info.bitsAllocated % 8 === 0;
  if (info.nativePixels) {
    info.frameLength = info.rows * info.columns * (info.samplesPerPixel ?? 1) * (info.bitsAllocated / 8);
  }
  return info;
}

// ---------------------------------------------------------------------------------------------
// The client, and how a failed request is reported.

let lastRequest = null; // what dicomweb-client sent last (from its request hook)

const client = new dicomweb.api.DICOMwebClient({
  url: baseUrl,
  headers: { Authorization: `Bearer ${token}` },
  verbose: false, // failures are reported below, not by the library's console.error
  requestHooks: [
    (request, metadata) => {
      lastRequest = metadata;
      return request;
    },
  ],
});

function describeRequest() {
  if (!lastRequest) return '(no request sent)';
  const headers = Object.entries(lastRequest.headers)
    .map(([k, v]) => `${k}: ${k.toLowerCase() === 'authorization' ? 'Bearer <token>' : v}`)
    .join('; ');
  return `${lastRequest.method.toUpperCase()} ${lastRequest.url} [${headers}]`;
}

function describeBody(body) {
  if (body === null || body === undefined) return '(no body)';
  if (body instanceof ArrayBuffer) body = Buffer.from(body).toString('latin1');
  if (typeof body !== 'string') body = JSON.stringify(body);
  return body.length > 600 ? `${body.slice(0, 600)}...` : body;
}

// Runs one library call; a rejection becomes a Failure that says what was sent and what came back.
async function call(what, fn) {
  lastRequest = null;
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Failure) throw error;
    const request = error.request;
    if (request && request.status === 0)
      fail(`${what}: no HTTP answer (connection refused or reset?)\n  sent: ${describeRequest()}`);
    if (request && typeof request.status === 'number') {
      const contentType = request.getResponseHeader?.('Content-Type') ?? '(none)';
      fail(`${what}: the request failed with HTTP ${request.status}\n  sent: ${describeRequest()}\n` +
        `  got: Content-Type ${contentType}; body ${describeBody(error.response)}`);
    }
    fail(`${what}: ${error.stack ?? error}\n  sent: ${describeRequest()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// DICOM JSON helpers.

function first(dataset, tagHex) {
  const element = dataset?.[tagHex];
  const value = element?.Value?.[0];
  if (value && typeof value === 'object' && 'Alphabetic' in value) return value.Alphabetic;
  return value;
}

function values(datasets, tagHex, what) {
  check(Array.isArray(datasets), `${what}: expected an array of DICOM JSON datasets, got ${describeBody(datasets)}`);
  return datasets.map((d) => first(d, tagHex));
}

function sameSet(actual, expected) {
  const a = [...new Set(actual)].sort();
  const e = [...new Set(expected)].sort();
  return a.length === actual.length && a.length === e.length && a.every((v, i) => v === e[i]);
}

function show(list) {
  return `[${[...list].join(', ')}]`;
}

function sameBytes(buffer, expected) {
  const got = Buffer.from(buffer);
  return got.length === expected.length && got.equals(expected);
}

function firstDifference(buffer, expected) {
  const got = Buffer.from(buffer);
  const n = Math.min(got.length, expected.length);
  let i = 0;
  while (i < n && got[i] === expected[i]) i += 1;
  return `${got.length} bytes back for ${expected.length} sent, first difference at byte ${i}`;
}

// ---------------------------------------------------------------------------------------------

const STUDY_UID = '0020000D';
const SERIES_UID = '0020000E';
const SOP_UID = '00080018';
const PATIENT_ID = '00100020';
const PATIENT_NAME = '00100010';
const MODALITY = '00080060';
const REFERENCED_SOP_SEQUENCE = '00081199';
const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_INSTANCE = '00081155';

const steps = [];
function passed(line) {
  steps.push(line);
  console.log(`ok  ${line}`);
}

async function main() {
  const instances = files.map(readDicomFile);
  const bySop = new Map();
  for (const i of instances) {
    check(!bySop.has(i.sop), `${i.path}: same SOP Instance UID as ${bySop.get(i.sop)?.path}; give each instance once`);
    bySop.set(i.sop, i);
  }
  const studies = new Map(); // study UID -> instances
  for (const i of instances) studies.set(i.study, [...(studies.get(i.study) ?? []), i]);

  // STOW-RS: all files in one multipart/related request.
  const stored = await call('storeInstances', () => client.storeInstances({
    datasets: instances.map((i) => i.bytes.buffer.slice(i.bytes.byteOffset, i.bytes.byteOffset + i.bytes.length)),
  }));
  let answer;
  try {
    answer = typeof stored === 'string' ? JSON.parse(stored) : stored;
  } catch (error) {
    fail(`storeInstances: the answer is not JSON: ${describeBody(stored)}`);
  }
  check(answer && typeof answer === 'object' && !Array.isArray(answer),
    `storeInstances: expected a DICOM JSON dataset, got ${describeBody(stored)}`);
  const failed = answer[FAILED_SOP_SEQUENCE]?.Value ?? [];
  check(failed.length === 0, `storeInstances: failed instances in the answer: ${describeBody(failed)}`);
  const referenced = (answer[REFERENCED_SOP_SEQUENCE]?.Value ?? []).map((item) => first(item, REFERENCED_SOP_INSTANCE));
  check(sameSet(referenced, [...bySop.keys()]),
    `storeInstances: referenced ${show(referenced)}, expected ${show(bySop.keys())}`);
  passed(`STOW-RS storeInstances: ${instances.length} instances in ${studies.size} studies stored`);

  // QIDO-RS: studies.
  const all = await call('searchForStudies', () => client.searchForStudies());
  const listed = values(all, STUDY_UID, 'searchForStudies');
  for (const study of studies.keys())
    check(listed.includes(study), `searchForStudies: study ${study} not listed; got ${show(listed)}`);
  passed(`QIDO-RS searchForStudies: ${listed.length} studies, all ${studies.size} stored among them`);

  for (const patientId of new Set(instances.map((i) => i.patientId).filter(Boolean))) {
    const expected = [...studies.keys()].filter((s) => studies.get(s).some((i) => i.patientId === patientId));
    const found = await call(`searchForStudies PatientID=${patientId}`,
      () => client.searchForStudies({ queryParams: { PatientID: patientId } }));
    const got = values(found, STUDY_UID, `searchForStudies PatientID=${patientId}`);
    check(sameSet(got, expected), `searchForStudies PatientID=${patientId}: got ${show(got)}, expected ${show(expected)}`);
    for (const d of found)
      check(first(d, PATIENT_ID) === patientId, `searchForStudies PatientID=${patientId}: a study of patient ${first(d, PATIENT_ID)}`);
    passed(`QIDO-RS searchForStudies PatientID=${patientId}: ${show(got)}`);
  }

  const named = instances.find((i) => i.patientName && i.patientName.length > 3);
  if (named) {
    const prefix = named.patientName.slice(0, named.patientName.length - 2);
    const found = await call(`searchForStudies PatientName=${prefix}*`,
      () => client.searchForStudies({ queryParams: { PatientName: `${prefix}*` } }));
    const got = values(found, STUDY_UID, `searchForStudies PatientName=${prefix}*`);
    check(got.includes(named.study), `searchForStudies PatientName=${prefix}*: study ${named.study} missing; got ${show(got)}`);
    for (const d of found) {
      const name = String(first(d, PATIENT_NAME) ?? '');
      check(name.toLowerCase().startsWith(prefix.toLowerCase()), // matching is case-insensitive
        `searchForStudies PatientName=${prefix}*: a study of ${name || '(no name)'}`);
    }
    passed(`QIDO-RS searchForStudies PatientName=${prefix}*: ${got.length} studies`);
  }

  if (listed.length >= 2) {
    const page1 = await call('searchForStudies limit=1', () => client.searchForStudies({ queryParams: { limit: 1 } }));
    const page2 = await call('searchForStudies limit=1 offset=1',
      () => client.searchForStudies({ queryParams: { limit: 1, offset: 1 } }));
    const a = values(page1, STUDY_UID, 'searchForStudies limit=1');
    const b = values(page2, STUDY_UID, 'searchForStudies limit=1 offset=1');
    check(a.length === 1 && b.length === 1 && a[0] !== b[0],
      `searchForStudies limit=1 / offset=1: got ${show(a)} and ${show(b)}, expected two different studies`);
    passed('QIDO-RS searchForStudies limit=1, offset=1: one study each, different');
  }

  const dated = instances.find((i) => /^\d{8}$/.test(i.studyDate ?? ''));
  if (dated) {
    const d = dated.studyDate;
    const before = `${Number(d.slice(0, 4)) - 1}${d.slice(4)}`;
    for (const [range, included] of [[`${d}-${d}`, true], [`${d}-`, true], [`-${d}`, true],
      [`19000101-${before}`, false]]) {
      const found = await call(`searchForStudies StudyDate=${range}`,
        () => client.searchForStudies({ queryParams: { StudyDate: range } }));
      const got = values(found, STUDY_UID, `searchForStudies StudyDate=${range}`);
      check(got.includes(dated.study) === included,
        `searchForStudies StudyDate=${range}: study ${dated.study} (StudyDate ${d}) ${included ? 'missing' : 'listed'}; got ${show(got)}`);
    }
    passed(`QIDO-RS searchForStudies StudyDate ranges around ${d}`);
  }

  {
    const i = instances[0];
    const found = await call('searchForStudies includefield=00100020',
      () => client.searchForStudies({ queryParams: { StudyInstanceUID: i.study, includefield: '00100020' } }));
    const got = values(found, STUDY_UID, 'searchForStudies StudyInstanceUID includefield');
    check(sameSet(got, [i.study]), `searchForStudies StudyInstanceUID=${i.study}: got ${show(got)}`);
    if (i.patientId)
      check(first(found[0], PATIENT_ID) === i.patientId, `searchForStudies includefield=00100020: PatientID ${first(found[0], PATIENT_ID)}, expected ${i.patientId}`);
    passed(`QIDO-RS searchForStudies StudyInstanceUID=${i.study} includefield=00100020`);
  }

  // QIDO-RS: series and instances of each study.
  for (const [study, members] of studies) {
    const series = await call(`searchForSeries ${study}`, () => client.searchForSeries({ studyInstanceUID: study }));
    const gotSeries = values(series, SERIES_UID, `searchForSeries ${study}`);
    const expectedSeries = [...new Set(members.map((i) => i.series))];
    check(sameSet(gotSeries, expectedSeries), `searchForSeries ${study}: got ${show(gotSeries)}, expected ${show(expectedSeries)}`);
    for (const seriesUid of expectedSeries) {
      const found = await call(`searchForInstances ${study}/${seriesUid}`,
        () => client.searchForInstances({ studyInstanceUID: study, seriesInstanceUID: seriesUid }));
      const got = values(found, SOP_UID, `searchForInstances ${seriesUid}`);
      const expected = members.filter((i) => i.series === seriesUid).map((i) => i.sop);
      check(sameSet(got, expected), `searchForInstances ${study}/${seriesUid}: got ${show(got)}, expected ${show(expected)}`);
    }
    const inStudy = await call(`searchForInstances ${study}`, () => client.searchForInstances({ studyInstanceUID: study }));
    const got = values(inStudy, SOP_UID, `searchForInstances ${study}`);
    check(sameSet(got, members.map((i) => i.sop)), `searchForInstances ${study}: got ${show(got)}`);
  }
  passed(`QIDO-RS searchForSeries / searchForInstances: every study's series and instances`);

  // QIDO-RS at the top level (/series, /instances) with a matching key.
  for (const modality of new Set(instances.map((i) => i.modality).filter(Boolean))) {
    const found = await call(`searchForSeries Modality=${modality}`,
      () => client.searchForSeries({ queryParams: { Modality: modality } }));
    const got = values(found, SERIES_UID, `searchForSeries Modality=${modality}`);
    for (const i of instances.filter((x) => x.modality === modality))
      check(got.includes(i.series), `searchForSeries Modality=${modality}: series ${i.series} missing; got ${show(got)}`);
    for (const d of found)
      check(first(d, MODALITY) === modality, `searchForSeries Modality=${modality}: a series of modality ${first(d, MODALITY)}`);
  }
  for (const i of instances) {
    const found = await call(`searchForInstances SOPInstanceUID=${i.sop}`,
      () => client.searchForInstances({ queryParams: { SOPInstanceUID: i.sop } }));
    const got = values(found, SOP_UID, `searchForInstances SOPInstanceUID=${i.sop}`);
    check(sameSet(got, [i.sop]), `searchForInstances SOPInstanceUID=${i.sop}: got ${show(got)}`);
    check(first(found[0], STUDY_UID) === i.study && first(found[0], SERIES_UID) === i.series,
      `searchForInstances SOPInstanceUID=${i.sop}: study/series ${first(found[0], STUDY_UID)}/${first(found[0], SERIES_UID)}`);
  }
  passed('QIDO-RS searchForSeries Modality=..., searchForInstances SOPInstanceUID=... (top level)');

  // WADO-RS: instances, byte-identical; series and studies.
  for (const i of instances) {
    const ids = { studyInstanceUID: i.study, seriesInstanceUID: i.series, sopInstanceUID: i.sop };
    const got = await call(`retrieveInstance ${i.sop}`, () => client.retrieveInstance(ids));
    check(got instanceof ArrayBuffer, `retrieveInstance ${i.name}: expected an ArrayBuffer, got ${describeBody(got)}`);
    check(sameBytes(got, i.bytes), `retrieveInstance ${i.name}: not the bytes stored: ${firstDifference(got, i.bytes)}`);
  }
  passed(`WADO-RS retrieveInstance: ${instances.length} instances byte-identical to the files`);

  for (const [study, members] of studies) {
    const parts = await call(`retrieveStudy ${study}`, () => client.retrieveStudy({ studyInstanceUID: study }));
    check(Array.isArray(parts) && parts.length === members.length,
      `retrieveStudy ${study}: ${Array.isArray(parts) ? parts.length : describeBody(parts)} parts, expected ${members.length}`);
    for (const i of members)
      check(parts.some((p) => sameBytes(p, i.bytes)), `retrieveStudy ${study}: ${i.name} not among the parts byte-identical`);
    for (const seriesUid of new Set(members.map((i) => i.series))) {
      const inSeries = members.filter((i) => i.series === seriesUid);
      const sparts = await call(`retrieveSeries ${seriesUid}`,
        () => client.retrieveSeries({ studyInstanceUID: study, seriesInstanceUID: seriesUid }));
      check(Array.isArray(sparts) && sparts.length === inSeries.length,
        `retrieveSeries ${seriesUid}: ${Array.isArray(sparts) ? sparts.length : describeBody(sparts)} parts, expected ${inSeries.length}`);
      for (const i of inSeries)
        check(sparts.some((p) => sameBytes(p, i.bytes)), `retrieveSeries ${seriesUid}: ${i.name} not among the parts byte-identical`);
    }
  }
  passed(`WADO-RS retrieveStudy / retrieveSeries: every instance, byte-identical`);

  // WADO-RS: metadata.
  for (const [study, members] of studies) {
    const meta = await call(`retrieveStudyMetadata ${study}`, () => client.retrieveStudyMetadata({ studyInstanceUID: study }));
    const sops = values(meta, SOP_UID, `retrieveStudyMetadata ${study}`);
    check(sameSet(sops, members.map((i) => i.sop)), `retrieveStudyMetadata ${study}: SOP Instance UIDs ${show(sops)}`);
    for (const d of meta)
      check(first(d, STUDY_UID) === study, `retrieveStudyMetadata ${study}: an instance of study ${first(d, STUDY_UID)}`);
    for (const seriesUid of new Set(members.map((i) => i.series))) {
      const smeta = await call(`retrieveSeriesMetadata ${seriesUid}`,
        () => client.retrieveSeriesMetadata({ studyInstanceUID: study, seriesInstanceUID: seriesUid }));
      const ssops = values(smeta, SOP_UID, `retrieveSeriesMetadata ${seriesUid}`);
      check(sameSet(ssops, members.filter((i) => i.series === seriesUid).map((i) => i.sop)),
        `retrieveSeriesMetadata ${seriesUid}: SOP Instance UIDs ${show(ssops)}`);
    }
  }
  for (const i of instances) {
    const ids = { studyInstanceUID: i.study, seriesInstanceUID: i.series, sopInstanceUID: i.sop };
    const meta = await call(`retrieveInstanceMetadata ${i.sop}`, () => client.retrieveInstanceMetadata(ids));
    check(Array.isArray(meta) && meta.length === 1, `retrieveInstanceMetadata ${i.name}: expected one dataset, got ${describeBody(meta)}`);
    check(first(meta[0], SOP_UID) === i.sop, `retrieveInstanceMetadata ${i.name}: SOPInstanceUID ${first(meta[0], SOP_UID)}`);
    check(first(meta[0], SERIES_UID) === i.series, `retrieveInstanceMetadata ${i.name}: SeriesInstanceUID ${first(meta[0], SERIES_UID)}`);
    if (i.patientId)
      check(first(meta[0], PATIENT_ID) === i.patientId, `retrieveInstanceMetadata ${i.name}: PatientID ${first(meta[0], PATIENT_ID)}`);
  }
  passed('WADO-RS retrieveStudyMetadata / retrieveSeriesMetadata / retrieveInstanceMetadata: the UIDs in the DICOM JSON');

  // WADO-RS: frame 1 of each natively encoded image.
  const framed = instances.filter((i) => i.nativePixels);
  for (const i of framed) {
    const ids = { studyInstanceUID: i.study, seriesInstanceUID: i.series, sopInstanceUID: i.sop };
    const frames = await call(`retrieveInstanceFrames ${i.sop} frame 1`,
      () => client.retrieveInstanceFrames({ ...ids, frameNumbers: [1] }));
    check(Array.isArray(frames) && frames.length === 1,
      `retrieveInstanceFrames ${i.name}: expected one frame, got ${Array.isArray(frames) ? frames.length : describeBody(frames)}`);
    const frame = frames[0];
    check(frame.byteLength === i.frameLength,
      `retrieveInstanceFrames ${i.name}: frame 1 has ${frame.byteLength} bytes, expected ${i.frameLength} ` +
      `(${i.rows}x${i.columns}, ${i.samplesPerPixel ?? 1} samples of ${i.bitsAllocated} bits)`);
    check(sameBytes(frame, i.pixelData.subarray(0, i.frameLength)), `retrieveInstanceFrames ${i.name}: frame 1 is not the file's pixel data`);
    passed(`WADO-RS retrieveInstanceFrames ${i.name} frame 1: ${frame.byteLength} bytes (${i.rows}x${i.columns}x${i.bitsAllocated} bits), as in the file`);
  }

  if (process.env.DICOMWEB_CLIENT_VIEWER === '1') await viewerSteps(instances);

  const { version } = JSON.parse(readFileSync(new URL('./node_modules/dicomweb-client/package.json', import.meta.url)));
  console.log(`dicomweb-client ${version}: all ${steps.length} steps passed ` +
    `(${instances.length} instances, ${studies.size} studies, ${framed.length} frames)`);
}

const MANUFACTURER = '00080070';
const JPEG_MAGIC = [0xff, 0xd8, 0xff];
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(buffer, magic) {
  const bytes = new Uint8Array(buffer instanceof ArrayBuffer ? buffer : buffer.buffer ?? buffer);
  return bytes.length > magic.length && magic.every((b, k) => bytes[k] === b);
}

// A PNG's width and height, from its IHDR chunk.
function pngSize(buffer) {
  const view = new DataView(buffer instanceof ArrayBuffer ? buffer : buffer.buffer);
  return [view.getUint32(16), view.getUint32(20)];
}

// dicomweb-client answers a single-part image as an array of its one ArrayBuffer.
function onlyPart(answer, what) {
  check(Array.isArray(answer) && answer.length === 1 && answer[0] instanceof ArrayBuffer,
    `${what}: expected one image, got ${describeBody(answer)}`);
  return answer[0];
}

async function viewerSteps(instances) {
  const ids = (i) => ({ studyInstanceUID: i.study, seriesInstanceUID: i.series, sopInstanceUID: i.sop });

  const made = instances.filter((i) => i.manufacturer);
  check(made.length > 0, 'viewer steps: no file names its Manufacturer');
  for (const i of made) {
    const found = await call(`searchForInstances SOPInstanceUID=${i.sop} includefield=${MANUFACTURER}`,
      () => client.searchForInstances({ queryParams: { SOPInstanceUID: i.sop, includefield: MANUFACTURER } }));
    check(found.length === 1 && first(found[0], MANUFACTURER) === i.manufacturer,
      `searchForInstances includefield=${MANUFACTURER}: Manufacturer ${first(found[0] ?? {}, MANUFACTURER)}, expected ${i.manufacturer}`);
    const all = await call(`searchForSeries SeriesInstanceUID=${i.series} includefield=all`,
      () => client.searchForSeries({ queryParams: { SeriesInstanceUID: i.series, includefield: 'all' } }));
    check(all.length === 1 && first(all[0], MANUFACTURER) === i.manufacturer,
      `searchForSeries includefield=all: Manufacturer ${first(all[0] ?? {}, MANUFACTURER)}, expected ${i.manufacturer}`);
  }
  passed(`QIDO-RS includefield=${MANUFACTURER} and includefield=all: the Manufacturer of ${made.length} instances`);

  const images = instances.filter((i) => i.pixelData !== undefined || i.encapsulated);
  for (const i of images) {
    const jpeg = onlyPart(await call(`retrieveInstanceRendered ${i.name} image/jpeg`,
      () => client.retrieveInstanceRendered({ ...ids(i), mediaTypes: [{ mediaType: 'image/jpeg' }] })), i.name);
    check(startsWith(jpeg, JPEG_MAGIC), `retrieveInstanceRendered ${i.name}: not a JPEG: ${describeBody(jpeg)}`);
    const png = onlyPart(await call(`retrieveInstanceRendered ${i.name} image/png`,
      () => client.retrieveInstanceRendered({ ...ids(i), mediaTypes: [{ mediaType: 'image/png' }] })), i.name);
    check(startsWith(png, PNG_MAGIC), `retrieveInstanceRendered ${i.name}: not a PNG: ${describeBody(png)}`);
    const [w, h] = pngSize(png);
    check(w === i.columns && h === i.rows, `retrieveInstanceRendered ${i.name}: PNG ${w}x${h}, the image is ${i.columns}x${i.rows}`);
    const small = onlyPart(await call(`retrieveInstanceFramesRendered ${i.name} frame 1 viewport=32,32`,
      () => client.retrieveInstanceFramesRendered({ ...ids(i), frameNumbers: [1],
        mediaTypes: [{ mediaType: 'image/png' }], queryParams: { viewport: '32,32' } })), i.name);
    check(startsWith(small, PNG_MAGIC), `retrieveInstanceFramesRendered ${i.name}: not a PNG: ${describeBody(small)}`);
    const [sw, sh] = pngSize(small);
    check(Math.max(sw, sh) <= 32 && Math.min(sw, sh) >= 1,
      `retrieveInstanceFramesRendered ${i.name} viewport=32,32: ${sw}x${sh}`);
    const thumb = onlyPart(await call(`retrieveInstanceThumbnail ${i.name}`,
      () => client.retrieveInstanceThumbnail({ ...ids(i), mediaTypes: [{ mediaType: 'image/jpeg' }] })), i.name);
    check(startsWith(thumb, JPEG_MAGIC), `retrieveInstanceThumbnail ${i.name}: not a JPEG: ${describeBody(thumb)}`);
  }
  passed(`WADO-RS retrieveInstanceRendered (JPEG, PNG), retrieveInstanceFramesRendered, retrieveInstanceThumbnail: ${images.length} images`);

  const compressed = instances.filter((i) => i.encapsulated && i.rows && i.columns && i.bitsAllocated);
  for (const i of compressed) {
    const frames = await call(`retrieveInstanceFrames ${i.name} frame 1 as Explicit VR Little Endian`,
      () => client.retrieveInstanceFrames({ ...ids(i), frameNumbers: [1],
        mediaTypes: [{ mediaType: 'application/octet-stream', transferSyntaxUID: EXPLICIT_LE }] }));
    check(Array.isArray(frames) && frames.length === 1,
      `retrieveInstanceFrames ${i.name} transcoded: ${Array.isArray(frames) ? frames.length : describeBody(frames)} frames`);
    const expected = i.rows * i.columns * (i.samplesPerPixel ?? 1) * (i.bitsAllocated / 8);
    check(frames[0].byteLength === expected,
      `retrieveInstanceFrames ${i.name} transcoded: ${frames[0].byteLength} bytes, expected ${expected}`);
    passed(`WADO-RS retrieveInstanceFrames ${i.name} frame 1 transcoded to Explicit VR Little Endian: ${expected} bytes`);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`dicomweb-client: FAILED: ${error instanceof Failure ? error.message : error.stack ?? error}`);
    process.exit(1);
  },
);
