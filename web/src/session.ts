// Who is signed in, and the calls that start and end a session. The token itself stays in api.ts.
import {
  adoptSession,
  api,
  ApiError,
  forgetSession,
  refreshSession,
  setSessionHandlers,
  type SessionAnswer,
  type User,
} from './api';
import { browserLanguage, isLanguage, setLanguage } from './i18n';
import { navigate, place, signInPath } from './router';
import { createStore, useStore } from './store';

export type SessionState =
  | { status: 'starting' }
  | { status: 'unreachable' } // the start-up refresh could not reach the server
  | { status: 'signed-out' }
  | { status: 'signed-in'; user: User };

export const session = createStore<SessionState>({ status: 'starting' });

export function useSession(): SessionState {
  return useStore(session);
}

export function useUser(): User | null {
  const state = useSession();
  return state.status === 'signed-in' ? state.user : null;
}

// The profile's language while signed in, the browser's otherwise.
function signedIn(user: User): void {
  session.set({ status: 'signed-in', user });
  setLanguage(isLanguage(user.language) ? user.language : browserLanguage());
}

function signedOut(): void {
  session.set({ status: 'signed-out' });
  setLanguage(browserLanguage());
}

setSessionHandlers({
  renewed: signedIn,
  // The server refused the refresh cookie: back to sign-in, then to where the person was.
  ended() {
    signedOut();
    navigate(signInPath(place.get()), { replace: true });
  },
});

// At start-up: a valid refresh cookie means the person is still signed in (a reload keeps the
// session); a refusal means the sign-in page.
export async function startSession(): Promise<void> {
  session.set({ status: 'starting' });
  const outcome = await refreshSession();
  if (outcome === 'rejected') signedOut();
  if (outcome === 'unreachable') session.set({ status: 'unreachable' });
}

export async function signIn(email: string, password: string): Promise<void> {
  const answer = await api<SessionAnswer>('POST', '/api/v1/auth/login', {
    body: { email, password },
    auth: false,
  });
  adoptSession(answer);
}

// First-run setup: creates the first admin and signs them in.
export async function setUpFirstAdmin(token: string, email: string, password: string): Promise<void> {
  const answer = await api<SessionAnswer>('POST', '/api/v1/setup', {
    body: { token, email, password },
    auth: false,
  });
  adoptSession(answer);
}

export async function signOut(): Promise<void> {
  try {
    // Open route, cookie only: an expired access token must not stand in the way of signing out.
    await api<void>('POST', '/api/v1/auth/logout', { body: {}, auth: false });
  } catch (e) {
    // Unreachable or failing: the cookie may still be good, so a reload would sign the person
    // back in. Say so (the caller shows it) rather than pretend. Any other answer means the
    // server holds no session for this cookie any more.
    if (!(e instanceof ApiError) || e.status === 0 || e.status >= 500) throw e;
  }
  forgetSession();
  signedOut();
  navigate('/signin');
}

// After the person changed their own profile.
export function updateUser(user: User): void {
  signedIn(user);
}

export function displayName(user: User): string {
  const name = `${user.first_name} ${user.last_name}`.trim();
  return name || user.email || user.username || `#${user.id}`;
}

export function hasRole(user: User | null, role: string): boolean {
  return !!user && user.roles.includes(role);
}
