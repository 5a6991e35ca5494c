// Home: a greeting and the way to what the person's roles let them do.
import type { User } from '../api';
import { Page } from '../components/page';
import { t, type MessageKey } from '../i18n';
import { displayName, hasRole } from '../session';
import { roleLabel, usesEmpi } from '../roles';

interface Destination {
  href: string;
  title: MessageKey;
  text: MessageKey;
}

const everyone: Destination[] = [{ href: '/profile', title: 'nav.profile', text: 'home.profile' }];
const reviewers: Destination[] = [
  { href: '/empi/matches', title: 'nav.empi_matches', text: 'home.empi_matches' },
  { href: '/empi/persons', title: 'nav.empi_persons', text: 'home.empi_persons' },
  { href: '/empi/import', title: 'nav.empi_import', text: 'home.empi_import' },
  { href: '/empi/configs', title: 'nav.empi_configs', text: 'home.empi_configs' },
];
const admins: Destination[] = [
  { href: '/admin/users', title: 'nav.users', text: 'home.users' },
  { href: '/admin/tokens', title: 'nav.tokens', text: 'home.tokens' },
  { href: '/admin/keys', title: 'nav.keys', text: 'home.keys' },
  { href: '/admin/jobs', title: 'nav.jobs', text: 'home.jobs' },
  { href: '/admin/audit', title: 'nav.audit', text: 'home.audit' },
  { href: '/admin/status', title: 'nav.status', text: 'home.status' },
  { href: '/admin/config', title: 'nav.config', text: 'home.config' },
];

export function Home(props: { user: User }) {
  const { user } = props;
  const destinations = [
    ...(usesEmpi(user) ? reviewers : []),
    ...(hasRole(user, 'admin') ? admins : []),
    ...everyone,
  ];
  return (
    <Page title={t('home.title', { name: displayName(user) })}>
      <p class="lead">
        {user.roles.length > 0
          ? t('home.roles', { roles: user.roles.map(roleLabel).join(', ') })
          : t('home.no_roles')}
      </p>
      <ul class="cards">
        {destinations.map((d) => (
          <li key={d.href} class="card">
            <h2>
              <a href={d.href}>{t(d.title)}</a>
            </h2>
            <p>{t(d.text)}</p>
          </li>
        ))}
      </ul>
    </Page>
  );
}
