// Shared helpers for the Sluice extension pages and service worker:
// settings, the console REST client, messages and small DOM builders.

/** Default console address of a local Sluice daemon. */
export const DEFAULT_CONSOLE = 'http://127.0.0.1:8081';

/** Most notices kept in chrome.storage.local; older ones are dropped. */
export const MAX_NOTICES = 200;

/** Notice types the daemon sends over the WebSocket. */
export const NOTICE_TYPES = ['blocked', 'held', 'approved', 'denied', 'expired'];

/** Request statuses in which the requester may still withdraw. */
export const OPEN_STATUSES = ['pending', 'lead_approved'];

/** LANGS are the languages a user can pick instead of following the browser. */
export const LANGS = ['zh_CN', 'en'];

let bundle = null; // messages of the language picked in settings; null = follow the browser
let bundleLang = '';

/**
 * initI18n loads the language picked in settings ("auto" follows the browser through chrome.i18n,
 * which falls back to the default zh_CN). Call it before the first t().
 */
export async function initI18n() {
  const { lang = 'auto' } = await chrome.storage.local.get('lang');
  bundle = null;
  bundleLang = '';
  if (!LANGS.includes(lang)) return;
  try {
    const resp = await fetch(chrome.runtime.getURL(`_locales/${lang}/messages.json`));
    bundle = await resp.json();
    bundleLang = lang;
  } catch (e) {
    console.warn('sluice: cannot load messages for', lang, e);
  }
}

/** format fills a messages.json entry's named placeholders and $1…$9 substitutions. */
function format(entry, subs) {
  const list = subs === undefined ? [] : [].concat(subs);
  const named = {};
  for (const [k, v] of Object.entries(entry.placeholders || {})) named[k.toLowerCase()] = v.content;
  const msg = String(entry.message).replace(/\$([A-Za-z0-9_@]+)\$/g, (m, name) => named[name.toLowerCase()] ?? m);
  return msg.replace(/\$(\d|\$)/g, (_m, n) => (n === '$' ? '$' : String(list[Number(n) - 1] ?? '')));
}

/** tMaybe returns the localized message for key, or '' when there is none. */
export function tMaybe(key, subs) {
  if (bundle) return bundle[key] ? format(bundle[key], subs) : '';
  return chrome.i18n.getMessage(key, subs);
}

/** t returns the localized message for key, or the key itself when missing. */
export function t(key, subs) {
  return tMaybe(key, subs) || key;
}

/** uiLang returns the language the pages are shown in, as an Accept-Language value. */
export function uiLang() {
  if (bundleLang) return bundleLang.replace('_', '-');
  // @@ui_locale is the locale chrome.i18n actually uses for messages (getUILanguage may differ).
  return (chrome.i18n.getMessage('@@ui_locale') || 'zh_CN').replace('_', '-');
}

/** localize fills every [data-i18n] and [data-i18n-placeholder] element under root. */
export function localize(root = document) {
  for (const node of root.querySelectorAll('[data-i18n]')) {
    node.textContent = t(node.dataset.i18n);
  }
  for (const node of root.querySelectorAll('[data-i18n-placeholder]')) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  document.documentElement.lang = uiLang();
}

/** normalizeConsoleURL checks a console address and returns its origin, or throws a readable error. */
export function normalizeConsoleURL(raw) {
  let u;
  try {
    u = new URL(String(raw || '').trim());
  } catch {
    throw new Error(t('errBadURL'));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new Error(t('errBadURL'));
  }
  return u.origin;
}

/** isLoopbackOrigin reports whether origin is covered by the manifest's fixed host permissions. */
export function isLoopbackOrigin(origin) {
  const h = new URL(origin).hostname;
  return origin.startsWith('http:') && (h === '127.0.0.1' || h === 'localhost');
}

/**
 * getManaged returns what the administrator set by policy (chrome.storage.managed, see schema.json):
 * {consoleUrl, pairing}; {} when nothing is set (Firefox rejects the call when no policy names the extension).
 */
export async function getManaged() {
  try {
    const m = (await chrome.storage.managed.get(['consoleUrl', 'pairing'])) || {};
    const out = {};
    if (typeof m.consoleUrl === 'string' && m.consoleUrl) out.consoleUrl = normalizeConsoleURL(m.consoleUrl);
    if (m.pairing === true) out.pairing = true;
    return out;
  } catch {
    return {};
  }
}

/** getSettings returns {consoleUrl, token}: a managed console address wins over the one saved locally. */
export async function getSettings() {
  const s = await chrome.storage.local.get({ consoleUrl: DEFAULT_CONSOLE, token: '' });
  const m = await getManaged();
  return { consoleUrl: m.consoleUrl || s.consoleUrl || DEFAULT_CONSOLE, token: s.token || '' };
}

/**
 * api calls the console REST API with the stored (or given) settings and returns the parsed JSON.
 * It throws an Error whose message is the server's human text when the call fails.
 */
export async function api(path, { method = 'GET', body, settings } = {}) {
  const { consoleUrl, token } = settings || (await getSettings());
  if (!token) throw new Error(t('errNoToken'));
  const headers = { Authorization: `Bearer ${token}`, 'Accept-Language': uiLang() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(consoleUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new Error(t('errUnreachable', [consoleUrl]));
  }
  let data = null;
  const text = await resp.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!resp.ok) {
    const msg = (data && (data.message || data.error)) || `HTTP ${resp.status}`;
    const err = new Error(msg);
    err.status = resp.status;
    throw err;
  }
  return data;
}

/** el builds a DOM element; attrs keys starting with "on" become listeners, children may be strings. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** formatTime renders an RFC 3339 time in the browser's locale, or '' when absent. */
export function formatTime(s) {
  if (!s) return '';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  return d.toLocaleString(uiLang());
}

/** statusLabel returns the localized name of a request status. */
export function statusLabel(status) {
  return tMaybe('status_' + String(status || 'unknown')) || String(status);
}
