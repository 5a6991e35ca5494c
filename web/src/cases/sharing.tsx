// Sharing a case (its owner only): invite a physician by email, see each share's state, revoke a
// share, approve a re-share a recipient asked for.
import { useState } from 'preact/hooks';
import { api } from '../api';
import { useConfirm } from '../components/confirm';
import { Field } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { DataTable } from '../components/table-box';
import { type Action, useAction, useApi } from '../hooks';
import { formatDateTime, t, type MessageKey } from '../i18n';
import { casePath, type Share } from './model';
import './messages';

const shareKeys: Record<string, MessageKey> = {
  invited: 'cases.share_invited',
  pending: 'cases.share_pending',
  accepted: 'cases.share_accepted',
  awaiting_owner: 'cases.share_awaiting_owner',
  revoked: 'cases.share_revoked',
};

export function shareLabel(status: string): string {
  const key = shareKeys[status];
  return key ? t(key) : status;
}

export function Sharing(props: { caseId: string }) {
  const base = `${casePath(props.caseId)}/shares`;
  const list = useApi<{ shares: Share[] }>(base);
  const action = useAction();
  const [dialog, ask] = useConfirm();
  const shares = list.data?.shares ?? [];
  const who = (s: Share) => s.recipient_email || t('cases.share_recipient', { id: s.id });

  const approve = (s: Share) =>
    action.run(async () => {
      await api('POST', `${base}/${encodeURIComponent(s.id)}/approve`, { body: {} });
      list.reload();
      return t('cases.approved');
    });
  const revoke = async (s: Share) => {
    if (
      !(await ask({ message: t('cases.revoke_question', { who: who(s) }), confirmLabel: t('cases.revoke') }))
    )
      return;
    await action.run(async () => {
      await api('DELETE', `${base}/${encodeURIComponent(s.id)}`);
      list.reload();
      return t('cases.revoked');
    });
  };

  return (
    <section class="panel" aria-labelledby="case-sharing">
      <h2 id="case-sharing">{t('cases.sharing')}</h2>
      <p>{t('cases.sharing_intro')}</p>
      <EmailShareForm
        caseId={props.caseId}
        action={action}
        label={t('cases.invite')}
        primary
        done={(sent) => {
          list.reload();
          return t('cases.invited', { email: sent });
        }}
      />
      <Messages error={action.error} status={action.status} />
      {list.error && <Messages error={list.error} />}
      {list.loading && !list.data && <Loading />}
      {list.data && shares.length === 0 && <p>{t('cases.shares_none')}</p>}
      {shares.length > 0 && (
        <DataTable
          label={t('cases.shares')}
          compact
          columns={[
            { label: t('cases.col_recipient') },
            { label: t('cases.col_state') },
            { label: t('cases.col_updated') },
            { label: t('common.actions') },
          ]}
        >
          {shares.map((s) => (
            <tr key={s.id}>
              <th scope="row">{who(s)}</th>
              <td data-testid="share-state">{shareLabel(s.status)}</td>
              <td>{formatDateTime(s.updated_at)}</td>
              <td class="row-actions">
                {s.status === 'awaiting_owner' && (
                  <button type="button" class="link-button" onClick={() => void approve(s)}>
                    {t('cases.approve')}
                  </button>
                )}
                {s.status !== 'revoked' && (
                  <button
                    type="button"
                    class="link-button"
                    aria-label={t('cases.revoke_named', { who: who(s) })}
                    onClick={() => void revoke(s)}
                  >
                    {t('cases.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {dialog}
    </section>
  );
}

// A recipient may propose the case to another physician: the owner approves it before that
// physician is invited (Dx29's rule; the share waits as awaiting_owner).
export function ShareOn(props: { caseId: string }) {
  const action = useAction();
  return (
    <section class="panel" aria-labelledby="case-share-on">
      <h2 id="case-share-on">{t('cases.share_on')}</h2>
      <p>{t('cases.share_on_intro')}</p>
      <EmailShareForm
        caseId={props.caseId}
        action={action}
        label={t('cases.propose')}
        done={(sent) => t('cases.proposed', { email: sent })}
      />
      <Messages error={action.error} status={action.status} />
    </section>
  );
}

// An address and a button: shares the case with that address (the owner's invitation, or a
// recipient's proposal the owner approves first); done's text is the status shown after.
function EmailShareForm(props: {
  caseId: string;
  action: Action;
  label: string;
  primary?: boolean;
  done(sent: string): string;
}) {
  const [email, setEmail] = useState('');
  const { action } = props;
  const submit = (e: Event) => {
    e.preventDefault();
    if (!email.includes('@')) {
      action.fail(t('cases.email_invalid'));
      return;
    }
    void action.run(async () => {
      const sent = email.trim();
      await api('POST', `${casePath(props.caseId)}/shares`, { body: { email: sent } });
      setEmail('');
      return props.done(sent);
    });
  };
  return (
    <form class="inline-form" onSubmit={submit}>
      <Field
        label={t('cases.share_email')}
        type="email"
        value={email}
        onInput={setEmail}
        autocomplete="off"
      />
      <div class="actions">
        <button
          type="submit"
          class={props.primary ? 'button button-primary' : 'button'}
          aria-disabled={action.busy}
        >
          {props.label}
        </button>
      </div>
    </form>
  );
}
