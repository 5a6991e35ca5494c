// The notification centre: the person's whole inbox (the bell shows the newest few), unread
// only or all, a page at a time; marking read, all read, deleting; per type of notification the
// channels it comes by (in the console, pushed to their phones, a note by email); and the phones
// registered for pushes, each removable. New notifications appear while the page is open: it
// shares the shell's stream (notifications.ts) and reads the inbox again when one arrives.
import { useEffect, useId, useState } from 'preact/hooks';
import { api } from '../api';
import { ActionButton, useActionButtons } from '../components/action-button';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { DataTable } from '../components/table-box';
import { useAction, useApi } from '../hooks';
import { formatDateTime, t, type MessageKey } from '../i18n';
import { arrivals, resyncBell } from '../notifications';
import { useStore } from '../store';

interface Item {
  id: string;
  type: string;
  title: string;
  body: string;
  created_at: string;
  read_at: string | null;
}

interface Inbox {
  notifications: Item[];
  unread_count: number;
}

interface Channels {
  in_app: boolean;
  push: boolean;
  email: boolean;
}

interface Preferences {
  preferences: Array<Channels & { type: string }>;
  default: Channels;
}

interface Device {
  id: string;
  platform: string;
  app: string;
  token_ending: string;
  created_at: string;
}

const pageSize = 20;

// The types the modules publish (cases/service.cpp, tracing/jobs.cpp, auth/service.cpp), named
// for people; a type the server has that is not here is shown as it is.
const typeKeys: Record<string, MessageKey> = {
  'cases.invitation': 'centre.type.cases_invitation',
  'cases.approval': 'centre.type.cases_approval',
  'cases.accepted': 'centre.type.cases_accepted',
  'cases.revoked': 'centre.type.cases_revoked',
  'cases.document': 'centre.type.cases_document',
  'tracing.exposure': 'centre.type.tracing_exposure',
  'auth.login_ceiling': 'centre.type.auth_login_ceiling',
};

function typeLabel(type: string): string {
  const key = typeKeys[type];
  return key ? t(key) : type;
}

export function NotificationCentre() {
  return (
    <Page title={t('centre.title')}>
      <InboxSection />
      <PreferencesSection />
      <DevicesSection />
    </Page>
  );
}

function InboxSection() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [offset, setOffset] = useState(0);
  const arrived = useStore(arrivals);
  const query = `/api/v1/notifications?limit=${pageSize}&offset=${offset}${unreadOnly ? '&unread=true' : ''}`;
  const inbox = useApi<Inbox>(query);
  const buttons = useActionButtons();
  const headingId = useId();
  const filterId = useId();

  // Something new came over the stream: read the page again (the first page shows it).
  useEffect(() => {
    if (arrived > 0) inbox.reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [arrived]);

  const changed = (status: string) => {
    inbox.reload();
    resyncBell();
    return status;
  };
  const items = inbox.data?.notifications ?? [];
  return (
    <section class="centre-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('centre.inbox')}</h2>
      <Messages error={buttons.action.error ?? inbox.error} status={buttons.action.status} />
      <div class="filters">
        <label for={filterId} class="checkbox">
          <input
            id={filterId}
            type="checkbox"
            checked={unreadOnly}
            onChange={(e) => {
              setUnreadOnly(e.currentTarget.checked);
              setOffset(0);
            }}
          />
          {t('centre.unread_only')}
        </label>
        {inbox.data && inbox.data.unread_count > 0 && (
          <ActionButton
            buttons={buttons}
            label={t('centre.mark_all')}
            work={async () => {
              await api<unknown>('POST', '/api/v1/notifications/read-all');
              return changed(t('centre.all_marked'));
            }}
          />
        )}
        {inbox.data && (
          <span class="hint" data-testid="unread-count">
            {t('centre.unread_count', { count: String(inbox.data.unread_count) })}
          </span>
        )}
      </div>
      {inbox.loading && !inbox.data && <Loading />}
      {inbox.data && items.length === 0 && (
        <p class="empty">{unreadOnly ? t('centre.none_unread') : t('centre.none')}</p>
      )}
      {items.length > 0 && (
        <ul class="centre-list" aria-labelledby={headingId}>
          {items.map((n) => (
            <li key={n.id} class={n.read_at ? 'notice' : 'notice notice-unread'}>
              <p class="notice-title">
                {!n.read_at && <span class="badge">{t('centre.new')}</span>} {n.title}
              </p>
              {n.body && <p class="notice-body">{n.body}</p>}
              <p class="notice-meta">
                <span>{typeLabel(n.type)}</span>
                <time dateTime={n.created_at}>{formatDateTime(n.created_at)}</time>
              </p>
              <div class="actions">
                {!n.read_at && (
                  <ActionButton
                    buttons={buttons}
                    small
                    label={t('centre.mark_read')}
                    name={t('centre.mark_read_named', { title: n.title })}
                    work={async () => {
                      await api<unknown>('POST', `/api/v1/notifications/${n.id}/read`);
                      return changed(t('centre.marked'));
                    }}
                  />
                )}
                <ActionButton
                  buttons={buttons}
                  small
                  danger
                  label={t('centre.delete')}
                  name={t('centre.delete_named', { title: n.title })}
                  confirm={t('centre.delete_confirm', { title: n.title })}
                  work={async () => {
                    await api<unknown>('DELETE', `/api/v1/notifications/${n.id}`);
                    return changed(t('centre.deleted'));
                  }}
                />
              </div>
            </li>
          ))}
        </ul>
      )}
      {(offset > 0 || items.length === pageSize) && (
        <div class="pager">
          <button
            type="button"
            class="button"
            aria-disabled={offset === 0}
            onClick={() => offset > 0 && setOffset(Math.max(0, offset - pageSize))}
          >
            {t('centre.newer')}
          </button>
          <button
            type="button"
            class="button"
            aria-disabled={items.length < pageSize}
            onClick={() => items.length === pageSize && setOffset(offset + pageSize)}
          >
            {t('centre.older')}
          </button>
        </div>
      )}
      {buttons.dialog}
    </section>
  );
}

function PreferencesSection() {
  const prefs = useApi<Preferences>('/api/v1/notifications/preferences');
  const action = useAction();
  const headingId = useId();
  if (!prefs.data) {
    return (
      <section class="centre-section" aria-labelledby={headingId}>
        <h2 id={headingId}>{t('centre.preferences')}</h2>
        {prefs.error ? <Messages error={prefs.error} /> : <Loading />}
      </section>
    );
  }
  const stored = new Map(prefs.data.preferences.map((p) => [p.type, p]));
  const types = [...new Set([...Object.keys(typeKeys), ...stored.keys()])];
  const channelsOf = (type: string): Channels => stored.get(type) ?? prefs.data!.default;
  // The box shows the choice at once (a controlled checkbox would otherwise spring back until the
  // server answered); a refusal puts it back and says why.
  const set = (type: string, channel: keyof Channels, on: boolean) => {
    const before = prefs.data!;
    const next = { ...channelsOf(type), [channel]: on };
    prefs.replace({
      ...before,
      preferences: [...before.preferences.filter((p) => p.type !== type), { type, ...next }],
    });
    void action.run(async () => {
      try {
        await api<unknown>(
          'PUT',
          `/api/v1/notifications/preferences/${encodeURIComponent(type)}`,
          { body: next },
        );
      } catch (e) {
        prefs.replace(before);
        throw e;
      }
      return t('centre.saved', { type: typeLabel(type) });
    });
  };
  const channels: Array<[keyof Channels, MessageKey]> = [
    ['in_app', 'centre.in_app'],
    ['push', 'centre.push'],
    ['email', 'centre.email'],
  ];
  return (
    <section class="centre-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('centre.preferences')}</h2>
      <p class="hint">{t('centre.preferences_hint')}</p>
      <Messages error={action.error} status={action.status} />
      <DataTable
        label={t('centre.preferences')}
        columns={[
          { label: t('centre.type') },
          ...channels.map(([c, key]) => ({ key: c, label: t(key) })),
        ]}
      >
        {types.map((type) => (
          <tr key={type}>
            <th scope="row">{typeLabel(type)}</th>
            {channels.map(([c, key]) => (
              <td key={c}>
                <input
                  type="checkbox"
                  class="cell-checkbox"
                  checked={channelsOf(type)[c]}
                  aria-label={t('centre.channel_for', { channel: t(key), type: typeLabel(type) })}
                  onChange={(e) => set(type, c, e.currentTarget.checked)}
                />
              </td>
            ))}
          </tr>
        ))}
      </DataTable>
    </section>
  );
}

function DevicesSection() {
  const devices = useApi<{ devices: Device[] }>('/api/v1/notifications/devices');
  const buttons = useActionButtons();
  const headingId = useId();
  const list = devices.data?.devices ?? [];
  return (
    <section class="centre-section" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('centre.devices')}</h2>
      <Messages error={buttons.action.error ?? devices.error} status={buttons.action.status} />
      {devices.loading && !devices.data && <Loading />}
      {devices.data && list.length === 0 && <p class="empty">{t('centre.no_devices')}</p>}
      {list.length > 0 && (
        <DataTable
          label={t('centre.devices')}
          columns={[
            { label: t('centre.platform') },
            { label: t('centre.app') },
            { label: t('centre.token_ending') },
            { label: t('centre.added') },
            { label: t('common.actions') },
          ]}
        >
          {list.map((d) => (
            <tr key={d.id}>
              <td>{d.platform}</td>
              <td>{d.app}</td>
              <td>…{d.token_ending}</td>
              <td>{formatDateTime(d.created_at)}</td>
              <td>
                <ActionButton
                  buttons={buttons}
                  small
                  danger
                  label={t('centre.remove')}
                  name={t('centre.remove_named', { app: d.app, ending: d.token_ending })}
                  confirm={t('centre.remove_confirm')}
                  work={async () => {
                    await api<unknown>('DELETE', `/api/v1/notifications/devices/${d.id}`);
                    devices.reload();
                    return t('centre.removed');
                  }}
                />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {buttons.dialog}
    </section>
  );
}
