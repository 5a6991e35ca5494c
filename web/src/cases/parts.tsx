// Pieces the case screens share: the server's literals (case states and group names, which an
// admin may reword), the legal documents, and the message shown when another tab saved first.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { useLanguage, t, type Language, type MessageKey } from '../i18n';
import './messages';

// GET /api/v1/i18n/literals per language, asked once; the console's own words until it answers.
const literals = new Map<Language, Record<string, string>>();
const asked = new Set<Language>();

export function useLiterals(): Record<string, string> {
  const lang = useLanguage();
  const [, setTick] = useState(0);
  useEffect(() => {
    if (asked.has(lang)) return;
    asked.add(lang);
    api<{ literals: Record<string, string> }>('GET', `/api/v1/i18n/literals?lang=${lang}`, {
      auth: false,
    }).then(
      (answer) => {
        literals.set(lang, answer.literals);
        setTick((n) => n + 1);
      },
      () => asked.delete(lang), // asked again on the next screen
    );
  }, [lang]);
  return literals.get(lang) ?? {};
}

export function literal(words: Record<string, string>, key: string, fallback: MessageKey): string {
  return words[key] ?? t(fallback);
}

const statusKeys: Record<string, MessageKey> = {
  private: 'cases.status_private',
  shared: 'cases.status_shared',
  sharing: 'cases.status_sharing',
  pending_shared: 'cases.status_pending_shared',
  stop_shared: 'cases.status_stop_shared',
  deleted: 'cases.status_deleted',
};

export function statusLabel(status: string, words: Record<string, string>): string {
  const key = statusKeys[status];
  return key ? literal(words, `case.status.${status}`, key) : status;
}

// "Another tab saved first": what a 409 on a versioned save means, with the way out.
export function ConflictMessage(props: { onReload(): void }) {
  return (
    <div class="message message-error conflict" role="alert">
      <p>{t('cases.conflict')}</p>
      <button type="button" class="button" onClick={props.onReload}>
        {t('cases.reload')}
      </button>
    </div>
  );
}

// The privacy policy and the terms the API serves (GET /api/v1/i18n/documents/{name}), shown here.
export function LegalLinks() {
  const lang = useLanguage();
  const [open, setOpen] = useState<'privacy' | 'terms' | null>(null);
  const [text, setText] = useState('');
  useEffect(() => {
    if (!open) return undefined;
    let current = true;
    setText(t('common.loading'));
    fetch(`/api/v1/i18n/documents/${open}?lang=${lang}`).then(
      async (r) => current && setText(r.ok ? await r.text() : t('error.http', { status: r.status })),
      () => current && setText(t('error.unreachable')),
    );
    return () => {
      current = false;
    };
  }, [open, lang]);
  return (
    <section class="panel legal" aria-labelledby="cases-legal">
      <h2 id="cases-legal">{t('cases.legal')}</h2>
      <div class="actions">
        <button
          type="button"
          class="link-button"
          aria-expanded={open === 'privacy'}
          onClick={() => setOpen(open === 'privacy' ? null : 'privacy')}
        >
          {t('cases.privacy')}
        </button>
        <button
          type="button"
          class="link-button"
          aria-expanded={open === 'terms'}
          onClick={() => setOpen(open === 'terms' ? null : 'terms')}
        >
          {t('cases.terms')}
        </button>
      </div>
      {open && (
        <div
          class="legal-text"
          tabIndex={0}
          role="region"
          aria-label={t(open === 'privacy' ? 'cases.privacy' : 'cases.terms')}
        >
          {text}
        </div>
      )}
    </section>
  );
}
