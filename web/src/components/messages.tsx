// Where a form or a screen tells the person what happened. Both regions are always in the page,
// empty until needed: screen readers announce changes to a live region that already exists more
// reliably than a region that appears with its text.
import { ApiError } from '../api';
import { t } from '../i18n';

export function ErrorText(props: { error: ApiError | string }) {
  const { error } = props;
  if (typeof error === 'string') return <>{error}</>;
  return (
    <>
      {error.message}
      {error.retryAfterSeconds !== null && !error.message.includes(`${error.retryAfterSeconds} s`) && (
        // carehub's own 429s already say how long to wait; a proxy's may not.
        <> {t('error.retry_after', { seconds: error.retryAfterSeconds })}</>
      )}
      {error.requestId && error.status >= 500 && (
        <span class="reference"> {t('error.reference', { id: error.requestId })}</span>
      )}
    </>
  );
}

export function Messages(props: { error?: ApiError | string | null; status?: string }) {
  return (
    <>
      <div role="alert" class="message message-error" data-testid="error">
        {props.error && <ErrorText error={props.error} />}
      </div>
      <div role="status" class="message message-status" data-testid="status">
        {props.status}
      </div>
    </>
  );
}

export function Loading() {
  return (
    <p role="status" class="loading">
      {t('common.loading')}
    </p>
  );
}
