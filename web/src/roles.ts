// The roles and API-token scopes the server knows (modules/auth/user.hpp known_roles(); the
// or_scopes(...) rules of the route tables), with their names in the current language.
import type { User } from './api';
import { t, type MessageKey } from './i18n';

export const roles = ['admin', 'member', 'physician', 'medical', 'patient', 'user'] as const;

const roleKeys: Record<string, MessageKey> = {
  admin: 'role.admin',
  member: 'role.member',
  physician: 'role.physician',
  medical: 'role.medical',
  patient: 'role.patient',
  user: 'role.user',
};

export function roleLabel(role: string): string {
  const key = roleKeys[role];
  return key ? t(key) : role;
}

export const scopes = ['empi:read', 'empi:write', 'dicom:read', 'dicom:write', 'metrics:read'] as const;

const scopeKeys: Record<string, MessageKey> = {
  'empi:read': 'scope.empi_read',
  'empi:write': 'scope.empi_write',
  'dicom:read': 'scope.dicom_read',
  'dicom:write': 'scope.dicom_write',
  'metrics:read': 'scope.metrics_read',
};

export function scopeLabel(scope: string): string {
  const key = scopeKeys[scope];
  return key ? t(key) : scope;
}

// The roles the patient index's workspace is for (modules/empi: empi_read_access and
// empi_write_access take these roles, or an API token's empi scopes).
export const empiRoles = ['admin', 'member'] as const;

export function usesEmpi(user: User | null): boolean {
  return !!user && empiRoles.some((r) => user.roles.includes(r));
}

// The roles the imaging screens are for (modules/dicom: dicom_read_access and dicom_write_access
// take these roles, or an API token's dicom scopes).
export const imagingRoles = ['admin', 'physician'] as const;

export function usesImaging(user: User | null): boolean {
  return !!user && imagingRoles.some((r) => user.roles.includes(r));
}

// The roles the medical cases screens are for (modules/cases case_access()).
export const casesRoles = ['patient', 'physician'] as const;

export function usesCases(user: User | null): boolean {
  return !!user && casesRoles.some((r) => user.roles.includes(r));
}
