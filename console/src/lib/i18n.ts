// Messages and formats in English, Russian or German: plural forms by the language's rules, dates, numbers
// and money in its locale.
import { de } from "../locales/de";
import { en, type MessageKey, type Messages } from "../locales/en";
import { ru } from "../locales/ru";

export type Lang = "en" | "ru" | "de";
export const LANGS: readonly Lang[] = ["en", "ru", "de"];
export const LANG_NAMES: Record<Lang, string> = { en: "English", ru: "Русский", de: "Deutsch" };
const LOCALES: Record<Lang, string> = { en: "en-GB", ru: "ru-RU", de: "de-DE" };

type PluralForms = { other: string } & Partial<Record<Intl.LDMLPluralRule, string>>;
type Widen<T> = T extends string
  ? string
  : T extends { other: string }
    ? PluralForms
    : { [K in keyof T]: Widen<T[K]> };
export type Translation = Widen<Messages>;

const TRANSLATIONS: Record<Lang, Translation> = { en, ru, de };

export type Params = Record<string, string | number>;

function fill(text: string, params: Params, locale: string): string {
  return text.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) return `{${name}}`;
    return typeof value === "number" ? new Intl.NumberFormat(locale).format(value) : value;
  });
}

export interface I18n {
  lang: Lang;
  locale: string;
  t(key: MessageKey, params?: Params): string;
  /** A message with plural forms, chosen for `count` by the language's rules. */
  plural(key: MessageKey, count: number): string;
  /** A message in a group (stuckKinds.BACKORDERED), or the raw name when the group has none. */
  named(group: MessageKey, name: string): string;
  money(amount: string | number, currency: string): string;
  number(value: number, digits?: number): string;
  percent(value: number): string;
  date(value: string | Date): string;
  dateTime(value: string | Date): string;
}

export function i18n(lang: Lang): I18n {
  const messages = TRANSLATIONS[lang];
  const locale = LOCALES[lang];
  const rules = new Intl.PluralRules(locale);
  const at = (value: string | Date) => (typeof value === "string" ? new Date(value) : value);
  return {
    lang,
    locale,
    t(key, params = {}) {
      const text = messages[key];
      return typeof text === "string" ? fill(text, params, locale) : key;
    },
    plural(key, count) {
      const forms = messages[key] as PluralForms;
      return fill(forms[rules.select(count)] ?? forms.other, { count }, locale);
    },
    named(group, name) {
      const texts = messages[group] as unknown as Record<string, string>;
      return typeof texts === "object" && texts[name] ? texts[name] : name;
    },
    money: (amount, currency) =>
      new Intl.NumberFormat(locale, { style: "currency", currency }).format(Number(amount)),
    number: (value, digits = 0) =>
      new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(
        value,
      ),
    percent: (value) =>
      new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(value),
    date: (value) => new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(at(value)),
    dateTime: (value) =>
      new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium" }).format(at(value)),
  };
}

const LANG_KEY = "oms-graph.lang";

export function savedLang(
  storage: Pick<Storage, "getItem"> = localStorage,
  browser = navigator.language,
): Lang {
  const saved = storage.getItem(LANG_KEY);
  if (saved && (LANGS as string[]).includes(saved)) return saved as Lang;
  const prefix = browser.slice(0, 2);
  return (LANGS as string[]).includes(prefix) ? (prefix as Lang) : "en";
}

export function saveLang(lang: Lang, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(LANG_KEY, lang);
}
