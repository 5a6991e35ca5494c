// Asking before something that cannot be undone, in a modal <dialog>: the browser traps focus in
// it, Escape cancels, and focus goes back to the button that opened it.
import type { ComponentChild } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { t } from '../i18n';

export interface Question {
  message: string;
  confirmLabel: string;
}

// [the dialog to render, ask(question) that resolves true when the person confirmed].
export function useConfirm(): [ComponentChild, (q: Question) => Promise<boolean>] {
  const [open, setOpen] = useState<(Question & { answer(yes: boolean): void }) | null>(null);
  const ask = (q: Question) =>
    new Promise<boolean>((resolve) => {
      setOpen({
        ...q,
        answer(yes) {
          setOpen(null);
          resolve(yes);
        },
      });
    });
  const dialog = open && (
    <ConfirmDialog message={open.message} confirmLabel={open.confirmLabel} onAnswer={open.answer} />
  );
  return [dialog, ask];
}

function ConfirmDialog(props: Question & { onAnswer(yes: boolean): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const messageId = useId();
  useEffect(() => {
    dialog.current?.showModal();
    cancel.current?.focus(); // the safe choice first
  }, []);
  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby={messageId}
      onClose={() => props.onAnswer(dialog.current?.returnValue === 'confirm')}
    >
      <p id={messageId}>{props.message}</p>
      <div class="actions">
        <button ref={cancel} type="button" class="button" onClick={() => dialog.current?.close('cancel')}>
          {t('common.cancel')}
        </button>
        <button
          type="button"
          class="button button-danger"
          onClick={() => dialog.current?.close('confirm')}
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
