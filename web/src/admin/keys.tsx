// Administration: the keys that sign access tokens. Rotating makes a new key sign from now on while
// the older ones keep verifying; retiring an old key ends every token it signed.
import { api } from '../api';
import { ActionButton, useActionButtons } from '../components/action-button';
import { Actions } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useApi } from '../hooks';
import { t } from '../i18n';

interface SigningKey {
  kid: string;
  alg: string;
  active: boolean;
}

interface KeyList {
  keys: SigningKey[]; // oldest first; the active key signs
  active_kid?: string;
}

export default function Keys() {
  const list = useApi<KeyList>('/api/v1/auth/keys');
  const buttons = useActionButtons();
  const { action } = buttons;
  const rotate = () =>
    action.run(async () => {
      const answer = await api<KeyList>('POST', '/api/v1/auth/keys/rotate');
      list.replace(answer);
      return t('keys.rotated', { kid: answer.active_kid ?? '' });
    });
  const retire = async (key: SigningKey) => {
    await api<void>('DELETE', `/api/v1/auth/keys/${encodeURIComponent(key.kid)}`);
    list.reload();
    return t('keys.retired', { kid: key.kid });
  };
  return (
    <Page title={t('keys.title')}>
      <p class="lead">{t('keys.intro')}</p>
      <Messages error={action.error ?? list.error} status={action.status} />
      <Actions>
        <button type="button" class="button button-primary" onClick={rotate} aria-disabled={action.busy}>
          {t('keys.rotate')}
        </button>
      </Actions>
      {list.loading && !list.data && <Loading />}
      {list.data && (
        <DataTable
          label={t('keys.title')}
          columns={[
            { label: t('keys.kid') },
            { label: t('keys.alg') },
            { label: t('keys.state') },
            { label: <span class="visually-hidden">{t('common.actions')}</span> },
          ]}
        >
          {[...list.data.keys].reverse().map((key) => (
            <tr key={key.kid}>
              <th scope="row" class="mono">
                {key.kid}
              </th>
              <td>{key.alg}</td>
              <td>
                <span class={`badge badge-${key.active ? 'ok' : 'info'}`}>
                  {key.active ? t('keys.signing') : t('keys.verifying')}
                </span>
              </td>
              <td>
                {!key.active && (
                  <ActionButton
                    buttons={buttons}
                    label={t('keys.retire')}
                    name={t('keys.retire_named', { kid: key.kid })}
                    small
                    danger
                    confirm={t('keys.retire_confirm', { kid: key.kid })}
                    work={() => retire(key)}
                  />
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {buttons.dialog}
    </Page>
  );
}
