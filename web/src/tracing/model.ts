// What the tracing API answers (modules/tracing/routes.cpp), and the small pure pieces the
// screens share: a state's name, the QR code's modules as one SVG path.
import qrcode from 'qrcode-generator';
import { t } from '../i18n';

export interface TracingState {
  id: number;
  name: string;
  severity: number;
  contact_discovery: boolean;
}


// POST /api/v1/tracing/status-changes
export interface IssuedAnswer {
  medical_code: string;
  expires_at: string;
}

// GET /api/v1/tracing/status-changes: the caller's codes, newest first (never the code itself).
export interface IssuedCode {
  status_id: number;
  status_changed_on: string;
  comment: string;
  created_at: string;
  expires_at: string;
  used: boolean;
  used_at: string | null;
  state: 'unused' | 'used' | 'expired';
}

export interface IssuedCodes {
  items: IssuedCode[];
  statuses: TracingState[]; // the configured states
}

// GET /api/v1/tracing/overview: counts only.
export interface Overview {
  users_per_state: Array<{ status_id: number; status: string; users: number }>;
  users_in_unknown_state: number;
  exposures_per_day: Array<{ day: string; exposures: number }>;
  retention_days: number;
}

export function stateName(states: TracingState[] | undefined, id: number): string {
  return states?.find((s) => s.id === id)?.name ?? t('tracing.unknown_state', { id });
}

export interface QrModules {
  size: number; // modules per side, without the quiet zone
  path: string; // one 1x1 square per dark module, in module units
}

// The code as QR modules (error correction M; the code's alphabet is QR's alphanumeric mode).
// One <path> rather than a <rect> per module: a few hundred bytes, and no style attribute for the
// CSP to refuse.
export function qrModules(text: string): QrModules {
  const qr = qrcode(0, 'M');
  qr.addData(text, /^[0-9A-Z $%*+\-./:]*$/.test(text) ? 'Alphanumeric' : 'Byte');
  qr.make();
  const size = qr.getModuleCount();
  const squares: string[] = [];
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.isDark(row, col)) squares.push(`M${col} ${row}h1v1h-1z`);
    }
  }
  return { size, path: squares.join('') };
}

// today in the person's own time zone, as an <input type=date> value.
export function todayIso(): string {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}
