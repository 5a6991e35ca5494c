// A person's history (GET /api/v1/persons/{id}/history): every event that moved records into or
// out of them, who and when, the comments, whether it was undone; and Undo for each event still
// standing. A 409 (a record moved since, or already undone) is shown as the server wrote it.
import { api, ApiError } from '../api';
import { Messages } from '../components/messages';
import { DataTable } from '../components/table-box';
import { useAction } from '../hooks';
import { formatDateTime, t, type MessageKey } from '../i18n';
import { Who } from './common';
import type { HistoryEvent } from './model';

const typeKeys: Record<string, MessageKey> = {
  'auto-match': 'empi.event_auto_match',
  'manual-match': 'empi.event_manual_match',
  merge: 'empi.event_merge',
  split: 'empi.event_split',
  'do-not-link': 'empi.event_do_not_link',
  undo: 'empi.event_undo',
};

export function eventLabel(type: string): string {
  const key = typeKeys[type];
  return key ? t(key) : type;
}

function PersonLink(props: { id: string | null; self: string }) {
  if (!props.id) return <>{t('empi.nobody')}</>;
  if (props.id === props.self) return <>{t('empi.this_person')}</>;
  return (
    <a class="mono" href={`/empi/persons/${encodeURIComponent(props.id)}`}>
      {props.id}
    </a>
  );
}

export function History(props: {
  personId: string;
  events: HistoryEvent[];
  onChanged(): void; // an undo changed the person: read them and their history again
}) {
  const action = useAction();
  const undo = (event: HistoryEvent) =>
    action.run(async () => {
      try {
        await api<unknown>('POST', `/api/v1/match-events/${encodeURIComponent(event.id)}/undo`);
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) props.onChanged();
        throw e;
      }
      props.onChanged();
      return t('empi.undone', { id: event.id, type: eventLabel(event.type) });
    });
  const events = [...props.events].sort((a, b) => Number(b.id) - Number(a.id));
  return (
    <section aria-labelledby="person-history">
      <h2 id="person-history">{t('empi.history')}</h2>
      <Messages error={action.error} status={action.status} />
      {events.length === 0 ? (
        <p class="empty">{t('empi.history_none')}</p>
      ) : (
        <DataTable
          label={t('empi.history')}
          compact
          columns={[
            { label: t('empi.event') },
            { label: t('empi.when') },
            { label: t('empi.who') },
            { label: t('empi.moves') },
            { label: t('empi.comments') },
            { label: t('empi.event_state') },
            { label: <span class="visually-hidden">{t('common.actions')}</span> },
          ]}
        >
          {events.map((e) => {
            const comments = [...new Set(e.comments.map((c) => c.comment))];
            const undoable = e.type !== 'undo' && !e.undone_by_event_id;
            return (
              <tr key={e.id}>
                <th scope="row">
                  {eventLabel(e.type)}
                  <span class="subtle">{t('empi.event_n', { id: e.id })}</span>
                </th>
                <td>
                  <time dateTime={e.created}>{formatDateTime(e.created)}</time>
                </td>
                <td>
                  <Who subject={e.actor} name={e.actor_name} />
                </td>
                <td>
                  {e.actions.length === 0 ? (
                    <span class="subtle-inline">{t('empi.no_moves')}</span>
                  ) : (
                    <ul class="plain-list">
                      {e.actions.map((a) => (
                        <li key={a.person_record_id}>
                          {t('empi.record_n', { id: a.person_record_id })}:{' '}
                          <PersonLink id={a.from_person_id} self={props.personId} /> →{' '}
                          <PersonLink id={a.to_person_id} self={props.personId} />
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>
                  {comments.map((c) => (
                    <p key={c} class="comment">
                      {c}
                    </p>
                  ))}
                </td>
                <td>
                  {e.undone_by_event_id ? (
                    <span class="badge badge-off">
                      {t('empi.undone_by', { id: e.undone_by_event_id })}
                    </span>
                  ) : e.undoes_event_id ? (
                    <span class="badge badge-info">
                      {t('empi.undoes', { id: e.undoes_event_id })}
                    </span>
                  ) : (
                    <span class="badge badge-ok">{t('empi.standing')}</span>
                  )}
                </td>
                <td>
                  {undoable && (
                    <button
                      type="button"
                      class="button button-small"
                      aria-label={t('empi.undo_named', { id: e.id, type: eventLabel(e.type) })}
                      aria-disabled={action.busy}
                      onClick={() => void undo(e)}
                    >
                      {t('empi.undo')}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </section>
  );
}
