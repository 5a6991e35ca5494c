// The cases API as the screens use it (modules/cases): shapes of its answers and the calls.
import { api, ApiError } from '../api';

export interface Patient {
  name?: string;
  birth_date?: string | null;
  gender?: string | null;
}

export interface Case {
  id: string;
  status: string; // private, pending_shared, sharing, shared, stop_shared, deleted
  role: 'owner' | 'recipient';
  version: number;
  patient: Patient;
  created_at: string;
  updated_at: string;
}

export interface CaseDocument {
  id: string;
  case_id: string;
  name: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: string;
}

export type ShareStatus = 'invited' | 'pending' | 'accepted' | 'awaiting_owner' | 'revoked';

export interface Share {
  id: string;
  case_id: string;
  status: ShareStatus;
  created_at: string;
  updated_at: string;
  requested_by?: 'owner' | 'recipient';
  recipient_email?: string | null; // given to the owner (invitations by email)
}

export const groupTypes = ['phenotype', 'reports', 'genotype', 'diseases', 'notes', 'timeline'] as const;
export type GroupType = (typeof groupTypes)[number];

export interface Group<T = unknown> {
  type: GroupType;
  data: T;
  version: number;
  updated_at: string | null;
}

export const genders = ['female', 'male', 'other', 'unknown'] as const;

// The id check the API makes (routes_cases.cpp check_group: ^HP:[0-9]{7}$).
export const hpoPattern = /^HP:[0-9]{7}$/;

export function casePath(id: string): string {
  return `/api/v1/cases/${encodeURIComponent(id)}`;
}

export function createCase(patient: Patient): Promise<Case> {
  return api<Case>('POST', '/api/v1/cases', { body: { patient } });
}

export function updatePatient(c: Case, patient: Patient): Promise<Case> {
  return api<Case>('PATCH', casePath(c.id), { body: { patient, version: c.version } });
}

export function deleteCase(id: string): Promise<void> {
  return api<void>('DELETE', casePath(id));
}

export function saveGroup<T>(caseId: string, type: GroupType, data: T, version: number): Promise<Group<T>> {
  return api<Group<T>>('PUT', `${casePath(caseId)}/groups/${type}`, { body: { data, version } });
}

// 409 (the API's answer to a stale version) or 412: someone saved first.
export function isConflict(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 409 || e.status === 412);
}

export function documentPath(caseId: string, docId: string): string {
  return `${casePath(caseId)}/documents/${encodeURIComponent(docId)}`;
}

export function documentLink(caseId: string, docId: string): Promise<{ url: string; expires_at: string }> {
  return api('POST', `${documentPath(caseId, docId)}/link`, { body: {} });
}
