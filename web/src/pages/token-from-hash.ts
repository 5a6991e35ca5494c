// One-time links carry their token in the fragment (#token=...): browsers never send a fragment to
// a server or in a Referer. Read once, then taken out of the address bar and the history entry, so
// it is not left where the next person at the computer could find it. Kept here (per path) so a
// page that mounts again still has it.
let taken: { path: string; token: string } | null = null;

export function tokenFromHash(): string | null {
  const path = window.location.pathname;
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (window.location.hash) {
    window.history.replaceState(null, '', path + window.location.search);
  }
  if (token) taken = { path, token };
  return taken && taken.path === path ? taken.token : null;
}
