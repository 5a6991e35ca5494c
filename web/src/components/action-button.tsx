// A button that runs an action on one thing (cancel a job, revoke a token, retire a key, disable
// an account), asking first when it cannot be undone. The buttons of a table or panel share one
// useActionButtons(): one action, so its result shows in the one pair of message regions the
// screen renders, and a second click anywhere is ignored while one runs; and one dialog.
import type { ComponentChild } from 'preact';
import { type Action, useAction } from '../hooks';
import { type Question, useConfirm } from './confirm';

export interface ActionButtons {
  action: Action;
  ask(q: Question): Promise<boolean>;
  dialog: ComponentChild; // rendered once by the screen, where any confirmation is needed
}

export function useActionButtons(): ActionButtons {
  const action = useAction();
  const [dialog, ask] = useConfirm();
  return { action, ask, dialog };
}

export function ActionButton(props: {
  buttons: ActionButtons;
  label: string;
  name?: string; // the accessible name when label alone does not say which row it acts on
  danger?: boolean;
  small?: boolean; // in a table row
  confirm?: string; // the question asked first; the dialog's confirm button repeats label
  work(): Promise<string | void>; // as useAction's run: the text it returns is the status
}) {
  const { action, ask } = props.buttons;
  const click = async () => {
    const question = props.confirm && { message: props.confirm, confirmLabel: props.label };
    if (question && !(await ask(question))) return;
    await action.run(props.work);
  };
  const variants = `${props.small ? ' button-small' : ''}${props.danger ? ' button-danger' : ''}`;
  return (
    <button
      type="button"
      class={`button${variants}`}
      aria-label={props.name}
      onClick={() => void click()}
      aria-disabled={action.busy}
    >
      {props.label}
    </button>
  );
}
