// Who sees the tracing screens: a medical user their codes (the API's status-change routes take
// the medical role), an admin the health-security ids and the overview (admin routes).
import type { User } from '../api';
import type { RouteName } from '../router';
import { hasRole } from '../session';

export function usesTracingCodes(user: User | null): boolean {
  return hasRole(user, 'medical');
}

export function tracingRefused(route: RouteName, user: User): boolean {
  if (route === 'tracing-codes') return !usesTracingCodes(user);
  if (route === 'tracing-health-ids' || route === 'tracing-overview') return !hasRole(user, 'admin');
  return false;
}
