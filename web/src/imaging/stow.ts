// Uploading DICOM files by STOW-RS, a batch at a time, and reading each file's result from the
// answer: stored, already stored (the same bytes were there before: the instance was found by a
// QIDO-RS search before the batch went), or refused with the server's reason.
import { api, ApiError, uploadBody } from '../api';
import type { DicomJson } from './model';
import { text } from './model';

export type Outcome = 'stored' | 'already' | 'refused';
export interface FileResult {
  name: string;
  outcome: Outcome;
  reason: string;
  study: string; // the study it went into ('' when refused)
}

export const batchFiles = 20;
const batchBytes = 64 * 1024 * 1024;

// The files in batches of at most batchFiles files and about batchBytes (a larger file alone).
export function batches(files: File[]): File[][] {
  const out: File[][] = [];
  let current: File[] = [];
  let bytes = 0;
  for (const f of files) {
    if (current.length > 0 && (current.length >= batchFiles || bytes + f.size > batchBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

// The SOP Instance UID a Part 10 file names in its meta information (0002,0003), or '' when it
// is not one. The meta group is always Explicit VR Little Endian.
export async function sopUidOf(file: File): Promise<string> {
  const head = new DataView(await file.slice(0, 65536).arrayBuffer());
  if (head.byteLength < 140 || String.fromCharCode(...new Uint8Array(head.buffer, 128, 4)) !== 'DICM') return '';
  const longForms = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
  let at = 132;
  while (at + 8 <= head.byteLength) {
    const group = head.getUint16(at, true);
    const element = head.getUint16(at + 2, true);
    if (group !== 0x0002) return '';
    const vr = String.fromCharCode(head.getUint8(at + 4), head.getUint8(at + 5));
    let length: number;
    if (longForms.has(vr)) {
      if (at + 12 > head.byteLength) return '';
      length = head.getUint32(at + 8, true);
      at += 12;
    } else {
      length = head.getUint16(at + 6, true);
      at += 8;
    }
    if (at + length > head.byteLength) return '';
    if (element === 0x0003) {
      const bytes = new Uint8Array(head.buffer, at, length);
      return String.fromCharCode(...bytes).replace(/[\0 ]+$/, '');
    }
    at += length;
  }
  return '';
}

async function alreadyStored(uids: string[]): Promise<Set<string>> {
  const valid = uids.filter((u) => /^[0-9.]{1,64}$/.test(u));
  if (valid.length === 0) return new Set();
  const path = `/dicom-web/instances?SOPInstanceUID=${valid.join(',')}&limit=${valid.length}`;
  const found = (await api<DicomJson[] | undefined>('GET', path)) ?? [];
  return new Set(found.map((ds) => text(ds, '00080018')));
}

function studyOf(retrieveUrl: string): string {
  return /\/studies\/([^/]+)/.exec(retrieveUrl)?.[1] ?? '';
}

// Sends one batch; onProgress(sent bytes of this batch). The results in the batch's order.
export async function sendBatch(
  files: File[],
  onProgress: (sent: number) => void,
): Promise<FileResult[]> {
  const names = files.map((f) => f.webkitRelativePath || f.name);
  const uids = await Promise.all(files.map(sopUidOf));
  const known = await alreadyStored(uids);
  const boundary = `carehub-${crypto.getRandomValues(new Uint32Array(2)).join('')}`;
  const parts: BlobPart[] = [];
  for (const f of files) {
    parts.push(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, f, '\r\n');
  }
  parts.push(`--${boundary}--\r\n`);
  let answer: DicomJson;
  try {
    const sent = await uploadBody<DicomJson>(
      '/dicom-web/studies',
      new Blob(parts),
      {
        contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: 'application/dicom+json',
        answered: [409],
      },
      (n) => onProgress(n),
    );
    answer = sent.data;
  } catch (e) {
    // The whole request was refused (too large, malformed): every file with the same reason.
    if (!(e instanceof ApiError)) throw e;
    return names.map((name) => ({ name, outcome: 'refused', reason: e.message, study: '' }));
  }
  const results: FileResult[] = names.map((name) => ({ name, outcome: 'refused', reason: '', study: '' }));
  const bySop = new Map<string, number>();
  uids.forEach((u, i) => u && !bySop.has(u) && bySop.set(u, i));
  for (const item of (answer['00081199']?.Value ?? []) as DicomJson[]) {
    const sop = text(item, '00081155');
    const i = bySop.get(sop);
    if (i === undefined) continue;
    const outcome: Outcome = known.has(sop) ? 'already' : 'stored';
    results[i] = { name: names[i], outcome, reason: '', study: studyOf(text(item, '00081190')) };
  }
  for (const item of (answer['00081198']?.Value ?? []) as DicomJson[]) {
    const comment = text(item, '00000902');
    const part = /^part (\d+): /.exec(comment);
    const i = part ? Number(part[1]) - 1 : bySop.get(text(item, '00081155'));
    if (i === undefined || i < 0 || i >= results.length) continue;
    results[i] = { name: names[i], outcome: 'refused', reason: part ? comment.slice(part[0].length) : comment, study: '' };
  }
  return results;
}

// Every file under the dropped items, folders walked (a drop of a folder gives its entry only).
export async function droppedFiles(transfer: DataTransfer): Promise<File[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.() ?? null);
  if (entries.length === 0 || entries.some((e) => e === null)) return [...transfer.files];
  const out: File[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      // Kept with its folder path, as a folder chosen with the picker names it.
      out.push(prefix ? new File([file], `${prefix}${file.name}`, { type: file.type }) : file);
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
    }
  };
  for (const entry of entries) if (entry) await walk(entry, '');
  return out;
}
