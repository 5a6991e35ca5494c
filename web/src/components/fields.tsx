// Form controls, each with its <label> (and a hint tied to it by aria-describedby).
import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useId } from 'preact/hooks';
import type { Action } from '../hooks';
import { t } from '../i18n';

export interface FieldProps {
  label: string;
  value: string;
  onInput(value: string): void;
  type?: 'text' | 'email' | 'password' | 'search' | 'date' | 'datetime-local' | 'number';
  name?: string;
  autocomplete?: string;
  required?: boolean;
  hint?: string;
  min?: string;
  max?: string;
  step?: string;
  minLength?: number;
  maxLength?: number;
  disabled?: boolean;
}

export function Field(props: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  // Preact types each input type's allowed roles separately; a type chosen at run time is cast.
  const typed = { type: props.type ?? 'text' } as InputHTMLAttributes<HTMLInputElement>;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        {...typed}
        id={id}
        name={props.name}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        autocomplete={props.autocomplete}
        required={props.required}
        min={props.min}
        max={props.max}
        step={props.step}
        minLength={props.minLength}
        maxLength={props.maxLength}
        disabled={props.disabled}
        aria-describedby={props.hint ? hintId : undefined}
      />
      {props.hint && (
        <p id={hintId} class="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

// A few lines of free text (a comment), labelled like Field.
export function TextArea(props: {
  label: string;
  value: string;
  onInput(value: string): void;
  hint?: string;
  maxLength?: number;
  rows?: number;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        value={props.value}
        rows={props.rows ?? 2}
        maxLength={props.maxLength}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        aria-describedby={props.hint ? hintId : undefined}
      />
      {props.hint && (
        <p id={hintId} class="hint">
          {props.hint}
        </p>
      )}
    </div>
  );
}

export interface Choice {
  value: string;
  label: string;
}

export function Select(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  choices: Choice[];
  name?: string;
}) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select
        id={id}
        name={props.name}
        value={props.value}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
    </div>
  );
}

// The languages the console speaks, each named in itself.
export function LanguageSelect(props: { value: string; onChange(value: string): void }) {
  return (
    <Select
      label={t('common.language')}
      value={props.value}
      onChange={props.onChange}
      choices={[
        { value: 'en', label: 'English' },
        { value: 'es', label: 'Español' },
      ]}
    />
  );
}

// A group of checkboxes in a <fieldset>: its <legend> names the group for screen readers.
export function Checkboxes(props: {
  legend: string;
  choices: Choice[];
  selected: string[];
  onChange(selected: string[]): void;
  hint?: string;
}) {
  const toggle = (value: string, on: boolean) => {
    const rest = props.selected.filter((v) => v !== value);
    props.onChange(on ? [...rest, value] : rest);
  };
  return (
    <fieldset class="field checkboxes">
      <legend>{props.legend}</legend>
      {props.hint && <p class="hint">{props.hint}</p>}
      {props.choices.map((c) => (
        <label key={c.value} class="checkbox">
          <input
            type="checkbox"
            value={c.value}
            checked={props.selected.includes(c.value)}
            onChange={(e) => toggle(c.value, e.currentTarget.checked)}
          />
          <span>{c.label}</span>
        </label>
      ))}
    </fieldset>
  );
}

export function Actions(props: { children: ComponentChildren }) {
  return <div class="actions">{props.children}</div>;
}

// A form's row with its one submit button, marked busy while action runs (see useAction).
export function SubmitActions(props: { action: Action; label: string }) {
  return (
    <Actions>
      <button type="submit" class="button button-primary" aria-disabled={props.action.busy}>
        {props.label}
      </button>
    </Actions>
  );
}
