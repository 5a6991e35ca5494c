// The console's words in English and Spanish. t('key', {name}) looks a key up in the current
// language; `{name}` in the text is replaced by the parameter. The language is the signed-in
// person's profile language, else the browser's first of ours, else English. Messages the server
// writes (errors) are shown as the server wrote them, untranslated.
import { createStore, useStore } from '../store';
import { en, type MessageKey as CoreMessageKey } from './en';
import { es } from './es';
import { tracingEn } from './tracing-en';
import { tracingEs } from './tracing-es';

// The tracing screens' words are few and the navigation names them: they come with every page.
export type MessageKey = CoreMessageKey | keyof typeof tracingEn;
export type Language = 'en' | 'es';

export const languages: readonly Language[] = ['en', 'es'];
const dictionaries: Record<Language, Record<string, string>> = {
  en: { ...en, ...tracingEn },
  es: { ...es, ...tracingEs },
};

// A lazily loaded workspace brings its own words (its chunk calls this when it loads, before
// any of its screens renders), so the first page carries only the words every page needs.
export function addMessages(more: Record<Language, Record<string, string>>): void {
  for (const lang of languages) Object.assign(dictionaries[lang], more[lang]);
}

export function isLanguage(value: string): value is Language {
  return (languages as readonly string[]).includes(value);
}

export function browserLanguage(): Language {
  const tags = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of tags) {
    const base = (tag ?? '').toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

export const language = createStore<Language>(browserLanguage());

export function setLanguage(next: Language): void {
  document.documentElement.lang = next;
  language.set(next);
}

// Components that call t() render through this so a language change re-renders them.
export function useLanguage(): Language {
  return useStore(language);
}

export type Params = Record<string, string | number>;

export function t(key: MessageKey, params?: Params): string {
  const text: string = dictionaries[language.get()][key] ?? dictionaries.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

// One formatter per language and kind: building one costs far more than using it (a list of
// 200 documents built 400 of them, a tenth of a second, before this cache).
const numberFormats = new Map<string, Intl.NumberFormat>();
const formats = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function cached<T extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  const k = `${language.get()} ${key}`;
  let f = formats.get(k);
  if (!f) {
    f = make();
    formats.set(k, f);
  }
  return f as T;
}

export function formatDateTime(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return cached(
    'datetime',
    () => new Intl.DateTimeFormat(language.get(), { dateStyle: 'medium', timeStyle: 'short' }),
  ).format(date);
}

export function formatNumber(n: number): string {
  const lang = language.get();
  let format = numberFormats.get(lang);
  if (!format) {
    format = new Intl.NumberFormat(lang);
    numberFormats.set(lang, format);
  }
  return format.format(n);
}

// A file's size in the units a file browser shows (decimal: 1 kB = 1,000 bytes).
export function formatBytes(n: number): string {
  const units: Array<[number, string]> = [
    [1e9, 'gigabyte'],
    [1e6, 'megabyte'],
    [1e3, 'kilobyte'],
  ];
  for (const [size, unit] of units) {
    if (n >= size) {
      return cached(
        unit,
        () => new Intl.NumberFormat(language.get(), { style: 'unit', unit, maximumFractionDigits: 1 }),
      ).format(n / size);
    }
  }
  return t('common.bytes', { n: formatNumber(n) }); // Intl's "byte" unit is singular in English
}
