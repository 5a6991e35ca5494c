// The review of one potential match, from one call (GET /api/v1/potential-matches/{id}): the
// records side by side, coloured by agreement with the first; each scored pair's explanation as
// a waterfall; and the decision (POST /api/v1/matches): merge into one person, keep apart, or
// move one record out to a new person, with an optional comment. The potential match's version
// goes with the decision, so of two reviewers the second gets a 409: its message is shown as the
// server wrote it and the potential match is read again.
//
// The address's query is the queue's filters (the queue links here with them), so "Back to the
// queue" and "Next in queue" keep the reviewer's place.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Actions, TextArea } from '../components/fields';
import { Loading, Messages } from '../components/messages';
import { Page } from '../components/page';
import { useAction, useApi } from '../hooks';
import { formatNumber, t } from '../i18n';
import { reviewCallPath } from '../prefetch';
import { navigate, usePlace } from '../router';
import { AgreementLegend } from './common';
import { formatProbability, type PotentialMatch, type PotentialMatchRow } from './model';
import { queueApiQuery } from './queue-query';
import { recordsOf, type RecordMove, ReviewTable } from './review-table';
import { Explanations } from './review-explanations';
import './messages'; // this workspace's words, before any screen renders

interface PersonUpdate {
  id?: string;
  version?: number;
  new_person_record_ids: string[];
}

const interactiveMark = 'carehub:review-interactive';

export default function Review(props: { id: string }) {
  const { search } = usePlace();
  const path = reviewCallPath(props.id); // the same path main.tsx may have started (prefetch.ts)
  const loaded = useApi<{ potential_match: PotentialMatch }>(path);
  const match = loaded.data?.potential_match ?? null;
  const decision = useAction();
  const [comment, setComment] = useState('');
  const [decided, setDecided] = useState(false);
  const marked = useRef(false);

  // For the benchmark: the data is on the screen and the decision buttons work (once per visit).
  useEffect(() => {
    if (!match || marked.current) return;
    marked.current = true;
    performance.mark(interactiveMark);
  }, [match]);

  const canDecide = match?.status === 'open';
  const send = (updates: PersonUpdate[], commentOn: string[], done: string) =>
    decision.run(async () => {
      if (!match) return undefined;
      const text = comment.trim();
      try {
        await api<unknown>('POST', '/api/v1/matches', {
          body: {
            potential_match_id: match.id,
            potential_match_version: match.version,
            person_updates: updates,
            ...(text
              ? { comments: commentOn.map((id) => ({ person_record_id: id, comment: text })) }
              : {}),
          },
        });
      } catch (e) {
        // Someone decided first: show what the server says, and the potential match as it is now.
        if (e instanceof ApiError && e.status === 409) loaded.reload();
        throw e;
      }
      setComment('');
      setDecided(true);
      loaded.reload();
      return done;
    });

  const merge = () => {
    if (!match) return;
    const [keeper] = match.persons.filter((p) => p.records.length > 0);
    if (!keeper) return;
    const all = recordsOf(match).map((r) => r.id);
    void send(
      [{ id: keeper.id, version: keeper.version, new_person_record_ids: all }],
      all,
      t('empi.merged'),
    );
  };
  const keepApart = () => {
    if (!match) return;
    const persons = match.persons.filter((p) => p.records.length > 0);
    void send(
      persons.map((p) => ({
        id: p.id,
        version: p.version,
        new_person_record_ids: p.records.map((r) => r.id),
      })),
      recordsOf(match).map((r) => r.id),
      t('empi.kept_apart'),
    );
  };
  const move = ({ record, person }: RecordMove) => {
    const rest = person.records.filter((r) => r.id !== record.id).map((r) => r.id);
    void send(
      [
        { new_person_record_ids: [record.id] },
        { id: person.id, version: person.version, new_person_record_ids: rest },
      ],
      [record.id],
      t('empi.moved', { id: record.id }),
    );
  };

  const personCount = match ? match.persons.filter((p) => p.records.length > 0).length : 0;
  return (
    <Page title={t('empi.review_title', { id: props.id })}>
      <p>
        <a href={`/empi/matches${search}`}>{t('empi.back_to_queue')}</a>
      </p>
      <Messages error={decision.error ?? loaded.error} status={decision.status} />
      {decided && !decision.busy && <NextInQueue current={props.id} search={search} />}
      {loaded.loading && !match && <Loading />}
      {match && (
        <>
          <Summary match={match} persons={personCount} />
          <section aria-labelledby="review-records">
            <h2 id="review-records">{t('empi.review_records')}</h2>
            <AgreementLegend />
            <ReviewTable match={match} canDecide={canDecide} busy={decision.busy} onMove={move} />
          </section>
          <section class="panel" aria-labelledby="review-decision">
            <h2 id="review-decision">{t('empi.decision')}</h2>
            {canDecide ? (
              <>
                <TextArea
                  label={t('empi.comment')}
                  hint={t('empi.comment_hint')}
                  value={comment}
                  onInput={setComment}
                  maxLength={4000}
                />
                <Actions>
                  <button
                    type="button"
                    class="button button-primary"
                    aria-disabled={decision.busy}
                    onClick={merge}
                  >
                    {t('empi.merge')}
                  </button>
                  <button
                    type="button"
                    class="button"
                    aria-disabled={decision.busy || personCount < 2}
                    onClick={personCount < 2 ? undefined : keepApart}
                  >
                    {t('empi.keep_apart')}
                  </button>
                </Actions>
                <p class="hint">{t('empi.decision_hint')}</p>
              </>
            ) : (
              <p>{t('empi.already_decided', { status: statusLabel(match.status) })}</p>
            )}
          </section>
          <Explanations match={match} />
        </>
      )}
    </Page>
  );
}

export function statusLabel(status: string): string {
  if (status === 'open') return t('empi.status_open');
  if (status === 'resolved') return t('empi.status_resolved');
  return status;
}

function Summary(props: { match: PotentialMatch; persons: number }) {
  const { match } = props;
  return (
    <dl class="details">
      <div>
        <dt>{t('empi.status')}</dt>
        <dd>
          <span class={`badge ${match.status === 'open' ? 'badge-info' : 'badge-ok'}`}>
            {statusLabel(match.status)}
          </span>
        </dd>
      </div>
      <div>
        <dt>{t('empi.max_probability')}</dt>
        <dd>{formatProbability(match.max_match_probability)}</dd>
      </div>
      <div>
        <dt>{t('empi.persons_count')}</dt>
        <dd>{formatNumber(props.persons)}</dd>
      </div>
      <div>
        <dt>{t('empi.records_count')}</dt>
        <dd>{formatNumber(recordsOf(match).length)}</dd>
      </div>
      <div>
        <dt>{t('empi.data_sources')}</dt>
        <dd>{match.data_sources.join(', ')}</dd>
      </div>
    </dl>
  );
}

// The first open potential match of the same queue (filters and order), other than this one.
function NextInQueue(props: { current: string; search: string }) {
  const action = useAction();
  const next = () =>
    action.run(async () => {
      const query = queueApiQuery(new URLSearchParams(props.search), 0, 2);
      const answer = await api<{ potential_matches: PotentialMatchRow[] }>(
        'GET',
        `/api/v1/potential-matches?${query}`,
      );
      const found = answer.potential_matches.find((m) => m.id !== props.current);
      if (!found) return t('empi.queue_empty');
      navigate(`/empi/matches/${encodeURIComponent(found.id)}${props.search}`);
      return undefined;
    });
  return (
    <div class="next-in-queue">
      <Actions>
        <button
          type="button"
          class="button button-primary"
          onClick={() => void next()}
          aria-disabled={action.busy}
        >
          {t('empi.next_in_queue')}
        </button>
      </Actions>
      <Messages error={action.error} status={action.status} />
    </div>
  );
}
