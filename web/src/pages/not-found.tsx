import { Page } from '../components/page';
import { t } from '../i18n';

export function NotFound() {
  return (
    <Page title={t('not_found.title')}>
      <p>{t('not_found.text')}</p>
      <p>
        <a href="/">{t('not_found.home')}</a>
      </p>
    </Page>
  );
}
