// The frame around every signed-in page: the product bar with the notification bell and the
// person's menu, the navigation (by role) and the <main> region a skip link jumps to.
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { asApiError, type ApiError, type User } from '../api';
import { Logo } from './logo';
import { t } from '../i18n';
import { usePlace } from '../router';
import { usesCases, usesEmpi, usesImaging } from '../roles';
import { displayName, hasRole, signOut } from '../session';
import { usesTracingCodes } from '../tracing/access';
import { Bell } from './bell';
import { Messages } from './messages';

export function Shell(props: { user: User; children: ComponentChildren }) {
  const { user } = props;
  const [signOutError, setSignOutError] = useState<ApiError | null>(null);
  const skipToMain = (e: MouseEvent) => {
    e.preventDefault(); // focus, rather than a #main in the address bar
    document.getElementById('main')?.focus();
  };
  return (
    <div class="app">
      <a class="skip-link" href="#main" onClick={skipToMain}>
        {t('shell.skip')}
      </a>
      <header class="topbar">
        <a class="brand" href="/">
          <Logo size={28} />
          <span>carehub</span>
        </a>
        <div class="topbar-tools">
          <Bell key={user.id} />
          <UserMenu user={user} onSignOutError={setSignOutError} />
        </div>
      </header>
      <div class="layout">
        <Navigation user={user} />
        <main id="main" tabIndex={-1}>
          {signOutError && <Messages error={signOutError} />}
          {props.children}
        </main>
      </div>
    </div>
  );
}

function NavLink(props: { href: string; exact?: boolean; children: ComponentChildren }) {
  const { path } = usePlace();
  const current = props.exact
    ? path === props.href
    : path === props.href || path.startsWith(`${props.href}/`);
  return (
    <a href={props.href} aria-current={current ? 'page' : undefined}>
      {props.children}
    </a>
  );
}

function Navigation(props: { user: User }) {
  const adminHeading = useId();
  const empiHeading = useId();
  const imagingHeading = useId();
  const tracingHeading = useId();
  const tracingCodes = usesTracingCodes(props.user);
  const tracingAdmin = hasRole(props.user, 'admin');
  return (
    <nav class="sidebar" aria-label={t('nav.label')}>
      <ul>
        <li>
          <NavLink href="/" exact>
            {t('nav.home')}
          </NavLink>
        </li>
        {usesCases(props.user) && (
          <li>
            <NavLink href="/cases">{t('nav.cases')}</NavLink>
          </li>
        )}
        <li>
          <NavLink href="/profile">{t('nav.profile')}</NavLink>
        </li>
        <li>
          <NavLink href="/notifications">{t('nav.notifications')}</NavLink>
        </li>
      </ul>
      {usesEmpi(props.user) && (
        <>
          <h2 id={empiHeading} class="nav-heading">
            {t('nav.empi')}
          </h2>
          <ul aria-labelledby={empiHeading}>
            <li>
              <NavLink href="/empi/matches">{t('nav.empi_matches')}</NavLink>
            </li>
            <li>
              <NavLink href="/empi/persons">{t('nav.empi_persons')}</NavLink>
            </li>
            <li>
              <NavLink href="/empi/import">{t('nav.empi_import')}</NavLink>
            </li>
            <li>
              <NavLink href="/empi/configs">{t('nav.empi_configs')}</NavLink>
            </li>
          </ul>
        </>
      )}
      {usesImaging(props.user) && (
        <>
          <h2 id={imagingHeading} class="nav-heading">
            {t('nav.imaging')}
          </h2>
          <ul aria-labelledby={imagingHeading}>
            <li>
              <NavLink href="/imaging/studies">{t('nav.imaging_studies')}</NavLink>
            </li>
            <li>
              <NavLink href="/imaging/upload">{t('nav.imaging_upload')}</NavLink>
            </li>
          </ul>
        </>
      )}
      {(tracingCodes || tracingAdmin) && (
        <>
          <h2 id={tracingHeading} class="nav-heading">
            {t('nav.tracing')}
          </h2>
          <ul aria-labelledby={tracingHeading}>
            {tracingCodes && (
              <li>
                <NavLink href="/tracing/codes">{t('nav.tracing_codes')}</NavLink>
              </li>
            )}
            {tracingAdmin && (
              <>
                <li>
                  <NavLink href="/tracing/overview">{t('nav.tracing_overview')}</NavLink>
                </li>
                <li>
                  <NavLink href="/tracing/health-ids">{t('nav.tracing_health_ids')}</NavLink>
                </li>
              </>
            )}
          </ul>
        </>
      )}
      {hasRole(props.user, 'admin') && (
        <>
          <h2 id={adminHeading} class="nav-heading">
            {t('nav.administration')}
          </h2>
          <ul aria-labelledby={adminHeading}>
            <li>
              <NavLink href="/admin/users">{t('nav.users')}</NavLink>
            </li>
            <li>
              <NavLink href="/admin/tokens">{t('nav.tokens')}</NavLink>
            </li>
            <li>
              <NavLink href="/admin/keys">{t('nav.keys')}</NavLink>
            </li>
            <li>
              <NavLink href="/admin/jobs">{t('nav.jobs')}</NavLink>
            </li>
            <li>
              <NavLink href="/admin/audit">{t('nav.audit')}</NavLink>
            </li>
            <li>
              <NavLink href="/admin/status">{t('nav.status')}</NavLink>
            </li>
            <li>
              <NavLink href="/admin/config">{t('nav.config')}</NavLink>
            </li>
          </ul>
        </>
      )}
    </nav>
  );
}

// A disclosure (button + list), not an ARIA menu: plain links and buttons that Tab reaches.
function UserMenu(props: { user: User; onSignOutError(e: ApiError | null): void }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const listId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const { path } = usePlace();

  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return undefined;
    const outside = (e: Event) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    document.addEventListener('focusin', outside);
    return () => {
      document.removeEventListener('pointerdown', outside);
      document.removeEventListener('focusin', outside);
    };
  }, [open]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && open) {
      setOpen(false);
      button.current?.focus();
    }
  };
  const doSignOut = async () => {
    if (busy) return;
    setBusy(true);
    props.onSignOutError(null);
    try {
      await signOut();
    } catch (e) {
      props.onSignOutError(asApiError(e));
      setBusy(false);
    }
  };

  return (
    <div class="user-menu" ref={root} onKeyDown={onKeyDown}>
      <button
        ref={button}
        type="button"
        class="user-menu-button"
        aria-expanded={open}
        aria-controls={listId}
        onClick={() => setOpen(!open)}
      >
        <span class="visually-hidden">{t('shell.account_menu')} </span>
        {displayName(props.user)}
        <span class="caret" aria-hidden="true" />
      </button>
      <ul id={listId} class="user-menu-list" hidden={!open}>
        <li>
          <a href="/profile">{t('nav.profile')}</a>
        </li>
        <li>
          <button type="button" onClick={doSignOut} aria-disabled={busy}>
            {t('shell.sign_out')}
          </button>
        </li>
      </ul>
    </div>
  );
}
