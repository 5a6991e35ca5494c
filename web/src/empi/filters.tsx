// The record filters the match queue and the persons search share: the four fields both show and
// the buttons (their values come from components/filter-values.tsx). Each screen adds its own
// fields around them.
import type { ComponentChildren } from 'preact';
import { Actions, Select } from '../components/fields';
import { FilterField, type FilterValues } from '../components/filter-values';
import { t } from '../i18n';
import { navigate } from '../router';
import { useDataSourceChoices } from './common';
import type { RecordFilterKey } from './filter-query';

export function RecordFilterFields(props: { filter: FilterValues<RecordFilterKey> }) {
  const { filter } = props;
  const sources = useDataSourceChoices(t('empi.any_source'));
  return (
    <>
      <FilterField filter={filter} name="first_name" label={t('empi.col_first_name')} />
      <FilterField filter={filter} name="last_name" label={t('empi.col_last_name')} />
      <FilterField
        filter={filter}
        name="birth_date"
        label={t('empi.col_birth_date')}
        hint={t('empi.birth_date_hint')}
      />
      <Select
        label={t('empi.col_data_source')}
        value={filter.values.data_source}
        onChange={filter.set('data_source')}
        choices={sources}
      />
    </>
  );
}

// The form's last row: its messages, then submit and a Clear that returns to the bare list.
export function FilterActions(props: {
  submit: string;
  clearTo: string;
  children?: ComponentChildren;
}) {
  return (
    <div class="form-wide">
      {props.children}
      <Actions>
        <button type="submit" class="button button-primary">
          {props.submit}
        </button>
        <button type="button" class="button" onClick={() => navigate(props.clearTo)}>
          {t('empi.clear')}
        </button>
      </Actions>
    </div>
  );
}
