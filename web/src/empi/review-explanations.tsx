// Why each pair of the potential match scored what it did: one waterfall per scored pair, most
// probable first; the pairs with the first record (the ones that colour the table) shown, the
// others folded.
import { t } from '../i18n';
import { formatProbability, type PairResult, type PotentialMatch } from './model';
import { Waterfall } from './waterfall';

export function Explanations(props: { match: PotentialMatch }) {
  // The pairs with the first record first (they colour the table), then the rest; each group
  // most probable first.
  const first = props.match.persons.find((p) => p.records.length > 0)?.records[0]?.id;
  const withFirst = (r: PairResult) =>
    r.person_record_l_id === first || r.person_record_r_id === first ? 0 : 1;
  const pairs = [...props.match.results].sort(
    (a, b) => withFirst(a) - withFirst(b) || b.match_probability - a.match_probability,
  );
  const withTheFirst = pairs.filter((p) => withFirst(p) === 0);
  const others = pairs.filter((p) => withFirst(p) === 1);
  return (
    <section aria-labelledby="review-why">
      <h2 id="review-why">{t('empi.why')}</h2>
      <p class="hint">{t('empi.why_hint')}</p>
      <ul class="legend-list wf-legend" aria-label={t('empi.wf_legend')}>
        <li>
          <span class="legend-swatch wf-positive" aria-hidden="true" />
          {t('empi.wf_legend_positive')}
        </li>
        <li>
          <span class="legend-swatch wf-negative" aria-hidden="true" />
          {t('empi.wf_legend_negative')}
        </li>
        <li>
          <span class="legend-swatch wf-total" aria-hidden="true" />
          {t('empi.wf_legend_total')}
        </li>
      </ul>
      {pairs.length === 0 && <p class="empty">{t('empi.no_pairs')}</p>}
      {withTheFirst.map((pair) => (
        <PairExplanation key={pair.id} pair={pair} />
      ))}
      {others.length > 0 && (
        // The pairs that do not colour the table: there, one click away, so a large cluster's
        // page stays readable (n records have up to n(n-1)/2 pairs).
        <details class="other-pairs">
          <summary>{t('empi.other_pairs', { n: others.length })}</summary>
          {others.map((pair) => (
            <PairExplanation key={pair.id} pair={pair} />
          ))}
        </details>
      )}
    </section>
  );
}

function PairExplanation(props: { pair: PairResult }) {
  const { pair } = props;
  const title = t('empi.pair_title', {
    l: pair.person_record_l_id,
    r: pair.person_record_r_id,
    p: formatProbability(pair.match_probability),
  });
  return (
    <section class="pair" aria-label={title}>
      <h3>{title}</h3>
      {pair.explanation ? (
        <Waterfall
          explanation={pair.explanation}
          caption={t('empi.wf_caption', {
            l: pair.person_record_l_id,
            r: pair.person_record_r_id,
          })}
        />
      ) : (
        <p class="empty">{t('empi.no_explanation')}</p>
      )}
    </section>
  );
}
