// A Splink-style waterfall of one scored pair: the prior weight, then one step per comparison
// (its level and its match weight, the term-frequency adjustment included), then the final match
// weight and probability. A table, so screen readers read the numbers; each row draws its step as
// an SVG bar on one shared scale, so the bars together fall like a waterfall. Sizes are SVG
// attributes (the CSP forbids style attributes); colours come from CSS classes.
import { t, type MessageKey } from '../i18n';
import { DataTable } from '../components/table-box';
import { type Explanation, formatProbability, formatWeight } from './model';

const comparisonKeys: Record<string, MessageKey> = {
  first_name: 'empi.cmp_first_name',
  last_name: 'empi.cmp_last_name',
  birth_date: 'empi.cmp_birth_date',
  household: 'empi.cmp_household',
  social_security_number: 'empi.cmp_ssn',
  ssn: 'empi.cmp_ssn',
  sex: 'empi.cmp_sex',
};

export function comparisonLabel(name: string): string {
  const key = comparisonKeys[name];
  return key ? t(key) : name;
}

// The server names each level in English, as the stored model does (modules/empi/model.cpp);
// the console says it in the reader's language. A level this table does not know (a newer
// server's) is shown as the server wrote it.
const levelKeys: Record<string, MessageKey> = {
  missing: 'empi.lvl_missing',
  exact: 'empi.lvl_exact',
  'swapped with the other name': 'empi.lvl_swapped',
  'one edit': 'empi.lvl_one_edit',
  'jaro-winkler >= 0.92': 'empi.lvl_jw92',
  'same double metaphone': 'empi.lvl_metaphone',
  'jaro-winkler >= 0.80': 'empi.lvl_jw80',
  different: 'empi.lvl_different',
  'day and month swapped': 'empi.lvl_day_month',
  'one component off': 'empi.lvl_one_part',
  'year off': 'empi.lvl_year_off',
  'same address and phone': 'empi.lvl_address_phone',
  'same address': 'empi.lvl_address',
  'same phone': 'empi.lvl_phone',
  'address jaro-winkler >= 0.90': 'empi.lvl_address_jw90',
  'same zip code': 'empi.lvl_zip',
  'same city': 'empi.lvl_city',
  'same state': 'empi.lvl_state',
};

export function levelLabel(label: string): string {
  const key = levelKeys[label];
  return key ? t(key) : label;
}

const width = 1000; // viewBox units; the SVG itself stretches to its cell
const height = 18;

interface Step {
  key: string;
  name: string;
  level: string;
  weight: number; // this step's own weight
  from: number; // where its bar starts (the running total before it)
  to: number;
  kind: 'prior' | 'positive' | 'negative' | 'total';
  note?: string;
}

function stepsOf(explanation: Explanation): Step[] {
  const steps: Step[] = [];
  let total = explanation.prior_match_weight;
  steps.push({
    key: 'prior',
    name: t('empi.wf_prior'),
    level: '',
    weight: total,
    from: 0,
    to: total,
    kind: 'prior',
  });
  for (const c of explanation.comparisons) {
    const weight = c.match_weight + c.term_frequency_weight;
    steps.push({
      key: c.comparison,
      name: comparisonLabel(c.comparison),
      level: levelLabel(c.label),
      weight,
      from: total,
      to: total + weight,
      kind: weight < 0 ? 'negative' : 'positive',
      note:
        c.term_frequency_weight !== 0
          ? t('empi.wf_tf', { weight: formatWeight(c.term_frequency_weight) })
          : undefined,
    });
    total += weight;
  }
  steps.push({
    key: 'total',
    name: t('empi.wf_total'),
    level: formatProbability(explanation.match_probability),
    weight: explanation.match_weight,
    from: 0,
    to: explanation.match_weight,
    kind: 'total',
  });
  return steps;
}

export function Waterfall(props: { explanation: Explanation; caption: string }) {
  const steps = stepsOf(props.explanation);
  const ends = steps.flatMap((s) => [s.from, s.to]);
  const low = Math.min(0, ...ends);
  const high = Math.max(0, ...ends);
  const span = Math.max(high - low, 1e-9);
  const x = (w: number) => ((w - low) / span) * width;
  return (
    <DataTable
      label={props.caption}
      compact
      class="waterfall"
      columns={[
        { label: t('empi.wf_step') },
        { label: t('empi.wf_level') },
        { label: t('empi.wf_weight'), numeric: true },
        { label: <span class="visually-hidden">{t('empi.wf_bar')}</span>, class: 'wf-bar-cell' },
      ]}
    >
      {steps.map((s) => {
        const left = x(Math.min(s.from, s.to));
        const barWidth = Math.max(2, Math.abs(x(s.to) - x(s.from)));
        return (
          <tr key={s.key} class={s.kind === 'total' ? 'wf-total-row' : undefined}>
            <th scope="row">{s.name}</th>
            <td>
              {s.level}
              {s.note && <span class="subtle">{s.note}</span>}
            </td>
            <td class="number mono">{formatWeight(s.weight)}</td>
            <td class="wf-bar-cell">
              <svg
                class="wf-svg"
                viewBox={`0 0 ${width} ${height}`}
                preserveAspectRatio="none"
                width="100%"
                height={height}
                aria-hidden="true"
                focusable="false"
              >
                <line class="wf-zero" x1={x(0)} x2={x(0)} y1={0} y2={height} />
                <rect
                  class={`wf-${s.kind}`}
                  x={Math.min(left, width - barWidth)}
                  y={3}
                  width={barWidth}
                  height={height - 6}
                />
              </svg>
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}
