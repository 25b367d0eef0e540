// The customer page's languages: its messages (i18n/LANG.json, one file per
// language, English the reference), the language chosen (the switcher's
// ?lang= or remembered choice, else the server's from Accept-Language, in
// <html lang>), and dates and numbers written the chosen locale's way.
// Messages hold {name} placeholders, filled by t(); a missing message falls
// back to English. tests/i18n_keys_check.py checks the files against each
// other and against every key the page uses (t, tn, tk calls; data-i18n).

// The page's languages, each named in itself (services/page_language.h lists the same codes).
export const LANGUAGES = [
  { code: 'en', name: 'English' }, { code: 'fr', name: 'Français' }, { code: 'de', name: 'Deutsch' },
  { code: 'it', name: 'Italiano' }, { code: 'es', name: 'Español' }, { code: 'ja', name: '日本語' },
  { code: 'zh-Hans', name: '简体中文' }];
// Dates in English keep the British order the page always used ("5 December 2026").
const LOCALES = { en: 'en-GB' };
const STORAGE_KEY = 'touchstone-language';

let english = {};
let messages = {};
let language = 'en';

const supported = (code) => LANGUAGES.find((l) => l.code.toLowerCase() === String(code || '').toLowerCase())?.code;

// The language to show: ?lang= in the URL, else the choice this browser remembers, else the
// server's (<html lang>, negotiated from Accept-Language), else English.
export function chosenLanguage() {
  let remembered = null;
  try { remembered = localStorage.getItem(STORAGE_KEY); } catch { /* storage blocked: no memory */ }
  return supported(new URLSearchParams(location.search).get('lang')) || supported(remembered) ||
    supported(document.documentElement.lang) || 'en';
}

async function fetchMessages(code) {
  const response = await fetch(`/static/i18n/${code}.json`);
  if (!response.ok) throw new Error(`no messages for ${code}: ${response.status}`);
  return response.json();
}

// Loads `code`'s messages (and English's, the fallback) and makes it the page's language; if
// `code`'s cannot be loaded, English.
export async function useLanguage(code) {
  code = supported(code) || 'en';
  const [en, m] = await Promise.all([english['page.title'] ? english : fetchMessages('en'),
    code === 'en' ? null : fetchMessages(code).catch((e) => { console.warn(e); return null; })]);
  english = en;
  messages = m || en;
  language = m ? code : 'en';
  document.documentElement.lang = language;
}

// Remembers a choice made with the switcher, in this browser and in the address (?lang=).
export function rememberLanguage(code) {
  try { localStorage.setItem(STORAGE_KEY, code); } catch { /* storage blocked */ }
  const url = new URL(location.href);
  url.searchParams.set('lang', code);
  history.replaceState(null, '', url);
}

export const currentLanguage = () => language;
const locale = () => LOCALES[language] || language;

// The message `key` with its {placeholders} filled from params (missing: English, then the key).
export function t(key, params = {}) {
  const text = messages[key] ?? english[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}
// The message `key` for a count: `key.one` or `key.other`, as the language's plural rules say.
export function tn(key, count, params = {}) {
  const form = new Intl.PluralRules(locale()).select(Number(count)) === 'one' ? 'one' : 'other';
  return t(`${key}.${form}`, { count: formatInteger(count), ...params });
}
// A key named where it is not yet looked up (tables of words): marks it for the keys check.
export const tk = (key) => key;

// The message `key` as nodes: {name} placeholders whose params are DOM nodes become those
// nodes, the rest text (never parsed as HTML).
export function tNodes(key, params = {}) {
  const text = messages[key] ?? english[key] ?? key;
  const out = [];
  let last = 0;
  for (const match of text.matchAll(/\{(\w+)\}/g)) {
    out.push(text.slice(last, match.index));
    const value = params[match[1]];
    out.push(value === undefined ? match[0] : value instanceof Node ? value : String(value));
    last = match.index + match[0].length;
  }
  out.push(text.slice(last));
  return out.filter((x) => x !== '');
}

// Translates the page's fixed text: each [data-i18n] element gets its message, its
// [data-slot] children (links, code) kept in the places the message's {slot}s give; each
// [data-i18n-alt] its alt text.
export function translateStatic(root = document) {
  const known = (key) => key in messages || key in english;  // else the HTML's English stays
  for (const node of root.querySelectorAll('[data-i18n]')) {
    if (!known(node.dataset.i18n)) continue;
    const slots = {};
    for (const child of node.querySelectorAll(':scope > [data-slot]')) slots[child.dataset.slot] = child;
    node.replaceChildren(...tNodes(node.dataset.i18n, slots));
  }
  for (const node of root.querySelectorAll('[data-i18n-alt]')) {
    if (known(node.dataset.i18nAlt)) node.alt = t(node.dataset.i18nAlt);
  }
}

// ---------------------------------------------------------------- dates and numbers

// A date in the page's language, as the UTC day: "5 December 2026", "5 décembre 2026", "2026年12月5日".
export function formatDate(micros) {
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })
    .format(new Date(Number(micros) / 1000));
}

export const formatInteger = (n) => new Intl.NumberFormat(locale()).format(BigInt(n));

// The decimals in a quantity trade.js wrote ("1,000.000 g (32.151 ozt, 643.015 dwt)", "1.250 ct",
// "62.5%") in the locale's way ("1 000,000 g (32,151 ozt, 643,015 dwt)"): the same digits,
// formatted exactly from their decimal string, so no value is rounded again; units stay g, ozt,
// dwt and ct.
export function localNumbers(text) {
  return String(text).replace(/\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+/g, (n) => {
    const plain = n.replaceAll(',', '');
    const decimals = plain.includes('.') ? plain.length - plain.indexOf('.') - 1 : 0;
    return new Intl.NumberFormat(locale(), { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
      .format(plain);
  });
}
