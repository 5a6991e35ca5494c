// A secret shown once (a new API token, a set-password link): read-only, with a Copy button.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';

export function SecretField(props: { label: string; value: string; warning: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState('');
  // It replaces the button that asked for it: focus moves to it rather than falling to <body>.
  useEffect(() => input.current?.focus(), []);
  const copy = async () => {
    try {
      // The Clipboard API exists only in secure contexts (https, or http on loopback).
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(props.value);
      setCopied(t('secret.copied'));
    } catch {
      input.current?.select(); // the person can still copy it by hand
      setCopied(t('secret.copy_failed'));
    }
  };
  return (
    <div class="secret">
      <p id={`${id}-warning`} class="secret-warning">
        {props.warning}
      </p>
      <label for={id}>{props.label}</label>
      <div class="secret-row">
        <input
          ref={input}
          id={id}
          type="text"
          readOnly
          value={props.value}
          spellcheck={false}
          autocomplete="off"
          onFocus={(e) => e.currentTarget.select()}
          aria-describedby={`${id}-warning`}
          data-testid="secret"
        />
        <button type="button" class="button" onClick={copy}>
          {t('secret.copy')}
        </button>
      </div>
      <p role="status" class="hint">
        {copied}
      </p>
    </div>
  );
}
