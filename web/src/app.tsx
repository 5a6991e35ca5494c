// The console: which page the path names, inside the signed-in shell or the plain frame of the
// open pages (sign-in, first-run setup, set-password).
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import type { User } from './api';
import { lazy } from './components/lazy';
import { Loading } from './components/messages';
import { Page } from './components/page';
import { Shell } from './components/shell';
import { Logo } from './components/logo';
import { language, languages, setLanguage, t, useLanguage } from './i18n';
import { Home } from './pages/home';
import { NotFound } from './pages/not-found';
import { Profile } from './pages/profile';
import { NotificationCentre } from './pages/notifications';
import { ForgotPassword } from './pages/forgot-password';
import { Register } from './pages/register';
import { ResetPassword } from './pages/reset-password';
import { VerifyEmail } from './pages/verify-email';
import { Setup } from './pages/setup';
import { SignIn } from './pages/signin';
import {
  matchRoute,
  navigate,
  openRoutes,
  type Route,
  type RouteName,
  safeNext,
  signInPath,
  useQuery,
  usePlace,
} from './router';
import { usesCases, usesEmpi, usesImaging } from './roles';
import { hasRole, startSession, useSession } from './session';
import { tracingRefused } from './tracing/access';

// Administration is for few people: its code loads when one of its pages is opened.
const AdminUsers = lazy(() => import('./admin/users'));
const AdminUser = lazy(() => import('./admin/user'));
const AdminTokens = lazy(() => import('./admin/tokens'));
const AdminKeys = lazy(() => import('./admin/keys'));
const AdminJobs = lazy(() => import('./admin/jobs'));
const AdminAudit = lazy(() => import('./admin/audit'));
const AdminStatus = lazy(() => import('./admin/status'));
const AdminConfig = lazy(() => import('./admin/config'));
// The patient index's workspace (admins and members): each screen a chunk of its own too.
const EmpiQueue = lazy(() => import('./empi/queue'));
const EmpiReview = lazy(() => import('./empi/review'));
const EmpiPersons = lazy(() => import('./empi/persons'));
const EmpiPerson = lazy(() => import('./empi/person'));
const EmpiImport = lazy(() => import('./empi/import'));
const EmpiConfigs = lazy(() => import('./empi/configs'));
// The imaging screens (physicians and admins): the viewer is the largest.
const ImagingStudies = lazy(() => import('./imaging/studies'));
const ImagingStudy = lazy(() => import('./imaging/study'));
const ImagingViewer = lazy(() => import('./imaging/viewer'));
const ImagingUpload = lazy(() => import('./imaging/upload'));
// Contact tracing: a medical user's codes, the admin's health-security ids and overview.
const TracingCodes = lazy(() => import('./tracing/codes'));
const TracingHealthIds = lazy(() => import('./tracing/health-ids'));
const TracingOverview = lazy(() => import('./tracing/overview'));
// Medical cases (patients and physicians).
const CaseList = lazy(() => import('./cases/list'));
const CasePage = lazy(() => import('./cases/case'));

const lazyScreens: Partial<Record<RouteName, { preload(): Promise<unknown> }>> = {
  'admin-users': AdminUsers,
  'admin-user': AdminUser,
  'admin-tokens': AdminTokens,
  'admin-keys': AdminKeys,
  'admin-jobs': AdminJobs,
  'admin-audit': AdminAudit,
  'admin-status': AdminStatus,
  'admin-config': AdminConfig,
  'empi-matches': EmpiQueue,
  'empi-match': EmpiReview,
  'empi-persons': EmpiPersons,
  'empi-person': EmpiPerson,
  'empi-import': EmpiImport,
  'empi-configs': EmpiConfigs,
  'imaging-studies': ImagingStudies,
  'imaging-study': ImagingStudy,
  'imaging-viewer': ImagingViewer,
  'imaging-upload': ImagingUpload,
  'tracing-codes': TracingCodes,
  'tracing-health-ids': TracingHealthIds,
  'tracing-overview': TracingOverview,
  cases: CaseList,
  case: CasePage,
};

// At start-up, the opened page's code is fetched while the session is checked rather than after:
// a deep link (a bookmark, a reload) does not wait for the refresh and then for its chunks. A
// failure is left for the screen itself to show and retry.
export function preloadScreen(route: Route): void {
  lazyScreens[route.name]?.preload().catch(() => undefined);
}

export function App() {
  useLanguage(); // every string below follows a language change
  const state = useSession();
  const place = usePlace();
  const query = useQuery();
  const route = matchRoute(place.path);

  if (state.status === 'starting') {
    return (
      <OpenFrame>
        <Loading />
      </OpenFrame>
    );
  }
  if (state.status === 'unreachable') return <Unreachable />;
  if (state.status === 'signed-in' && route.name === 'signin') {
    return <Redirect to={safeNext(query.get('next'))} />;
  }
  if (openRoutes.has(route.name)) {
    return <OpenFrame key={place.path}>{openPage(route)}</OpenFrame>;
  }
  if (state.status === 'signed-out') {
    if (route.name === 'not-found') {
      return (
        <OpenFrame>
          <NotFound />
        </OpenFrame>
      );
    }
    return <Redirect to={signInPath(place)} />;
  }
  return (
    <Shell user={state.user}>
      <SignedInPage key={place.path} route={route} user={state.user} />
    </Shell>
  );
}

function openPage(route: Route) {
  switch (route.name) {
    case 'setup':
      return <Setup />;
    case 'reset-password':
      return <ResetPassword />;
    case 'forgot-password':
      return <ForgotPassword />;
    case 'register':
      return <Register />;
    case 'verify-email':
      return <VerifyEmail />;
    default:
      return <SignIn />;
  }
}

function SignedInPage(props: { route: Route; user: User }) {
  const { route, user } = props;
  const refused =
    tracingRefused(route.name, user) ||
    (route.name.startsWith('admin-') && !hasRole(user, 'admin')) ||
    (route.name.startsWith('empi') && !usesEmpi(user)) ||
    (route.name.startsWith('imaging') && !usesImaging(user)) ||
    ((route.name === 'cases' || route.name === 'case') && !usesCases(user));
  if (refused) {
    return (
      <Page title={t('forbidden.title')}>
        <p>{t('forbidden.text')}</p>
      </Page>
    );
  }
  switch (route.name) {
    case 'home':
      return <Home user={user} />;
    case 'profile':
      return <Profile user={user} />;
    case 'notifications':
      return <NotificationCentre />;
    case 'admin-users':
      return <AdminUsers />;
    case 'admin-user':
      return <AdminUser id={route.params.id} />;
    case 'admin-tokens':
      return <AdminTokens />;
    case 'admin-keys':
      return <AdminKeys />;
    case 'admin-jobs':
      return <AdminJobs />;
    case 'admin-audit':
      return <AdminAudit />;
    case 'admin-status':
      return <AdminStatus />;
    case 'admin-config':
      return <AdminConfig />;
    case 'empi':
      return <Redirect to="/empi/matches" />;
    case 'empi-matches':
      return <EmpiQueue />;
    case 'empi-match':
      return <EmpiReview id={route.params.id} />;
    case 'empi-persons':
      return <EmpiPersons />;
    case 'empi-person':
      return <EmpiPerson id={route.params.id} />;
    case 'empi-import':
      return <EmpiImport />;
    case 'empi-configs':
      return <EmpiConfigs />;
    case 'imaging':
      return <Redirect to="/imaging/studies" />;
    case 'imaging-studies':
      return <ImagingStudies />;
    case 'imaging-study':
      return <ImagingStudy study={route.params.study} user={user} />;
    case 'imaging-viewer':
      return <ImagingViewer study={route.params.study} series={route.params.series} />;
    case 'imaging-upload':
      return <ImagingUpload />;
    case 'tracing-codes':
      return <TracingCodes />;
    case 'tracing-health-ids':
      return <TracingHealthIds />;
    case 'tracing-overview':
      return <TracingOverview />;
    case 'cases':
      return <CaseList />;
    case 'case':
      return <CasePage id={route.params.id} />;
    default:
      return <NotFound />;
  }
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, { replace: true }), [props.to]);
  return null;
}

// The frame of the pages a person sees before signing in.
function OpenFrame(props: { children: ComponentChildren }) {
  const current = language.get();
  return (
    <div class="open-frame">
      <header class="open-header">
        <Logo size={32} />
        <span class="brand-name">carehub</span>
      </header>
      <main id="main" tabIndex={-1} class="open-main">
        {props.children}
      </main>
      <footer class="open-footer">
        <ul class="language-switch" aria-label={t('common.language')}>
          {languages.map((lang) => (
            <li key={lang}>
              <button
                type="button"
                class="link-button"
                lang={lang}
                aria-pressed={lang === current}
                onClick={() => setLanguage(lang)}
              >
                {lang === 'en' ? 'English' : 'Español'}
              </button>
            </li>
          ))}
        </ul>
      </footer>
    </div>
  );
}

function Unreachable() {
  return (
    <OpenFrame>
      <Page title={t('unreachable.title')} narrow>
        <p role="alert">{t('unreachable.text')}</p>
        <button type="button" class="button button-primary" onClick={() => void startSession()}>
          {t('unreachable.retry')}
        </button>
      </Page>
    </OpenFrame>
  );
}
