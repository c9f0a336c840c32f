// Options page: the console address and the user's API token, with a connection test.
import { api, getManaged, getSettings, initI18n, isLoopbackOrigin, localize, normalizeConsoleURL, t, uiLang } from './common.js';
import { connLine } from './conn.js';

const form = document.getElementById('settings');
const urlInput = document.getElementById('consoleUrl');
const tokenInput = document.getElementById('token');
const result = document.getElementById('result');
const conn = document.getElementById('conn');

const pairForm = document.getElementById('pairForm');
const pairInput = document.getElementById('pairCode');
let managed = {};

function show(kind, text) {
  result.className = kind;
  result.textContent = text;
}

/** consoleOrigin is the managed console address, or the one typed on the page. */
function consoleOrigin() {
  return managed.consoleUrl || normalizeConsoleURL(urlInput.value);
}

/** readForm validates the fields and returns {consoleUrl, token}, or throws a readable error. */
function readForm() {
  const consoleUrl = consoleOrigin();
  const token = tokenInput.value.trim();
  if (!token) throw new Error(t('errNoToken'));
  if (token.length > 512 || /\s/.test(token)) throw new Error(t('errBadToken'));
  return { consoleUrl, token };
}

/** ensureAccess asks for host access to a non-loopback console; it must run inside the click. */
function ensureAccess(origin) {
  if (isLoopbackOrigin(origin)) return Promise.resolve(true);
  return chrome.permissions.request({ origins: [origin + '/*'] });
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  let s;
  try {
    s = readForm();
  } catch (e) {
    show('error', e.message);
    return;
  }
  const granted = await ensureAccess(s.consoleUrl).catch(() => false);
  if (!granted) {
    show('error', t('errNoPermission', [s.consoleUrl]));
    return;
  }
  await chrome.storage.local.set(s);
  chrome.runtime.sendMessage({ type: 'reconnect' }).catch(() => {});
  urlInput.value = s.consoleUrl;
  show('ok', t('saved'));
});

/** redeem trades a one-time pairing code for this user's API token at the console (POST /api/pair). */
async function redeem(consoleUrl, code) {
  let resp;
  try {
    resp = await fetch(consoleUrl + '/api/pair', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept-Language': uiLang() },
      body: JSON.stringify({ code }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new Error(t('errUnreachable', [consoleUrl]));
  }
  const data = await resp.json().catch(() => null);
  if (!resp.ok || !data || !data.token) throw new Error((data && data.message) || `HTTP ${resp.status}`);
  return data;
}

pairForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const code = pairInput.value.replace(/[\s-]/g, '').toUpperCase();
  let consoleUrl;
  try {
    consoleUrl = consoleOrigin();
    if (!/^[A-Z0-9]{8}$/.test(code)) throw new Error(t('errPairCode'));
  } catch (e) {
    show('error', e.message);
    return;
  }
  const granted = await ensureAccess(consoleUrl).catch(() => false);
  if (!granted) {
    show('error', t('errNoPermission', [consoleUrl]));
    return;
  }
  show('', t('pairing'));
  try {
    const me = await redeem(consoleUrl, code);
    await chrome.storage.local.set({ consoleUrl, token: me.token });
    chrome.runtime.sendMessage({ type: 'reconnect' }).catch(() => {});
    pairInput.value = '';
    tokenInput.value = me.token;
    const who = me.display_name ? `${me.display_name} (${me.user})` : me.user;
    show('ok', t('pairOK', [who, me.staff_id || '-']));
  } catch (e) {
    show('error', t('errPair', [e.message]));
  }
});

document.getElementById('test').addEventListener('click', async () => {
  let s;
  try {
    s = readForm();
  } catch (e) {
    show('error', e.message);
    return;
  }
  const granted = await ensureAccess(s.consoleUrl).catch(() => false);
  if (!granted) {
    show('error', t('errNoPermission', [s.consoleUrl]));
    return;
  }
  show('', t('testing'));
  try {
    const me = await api('/api/me', { settings: s });
    const who = me.display_name ? `${me.display_name} (${me.name})` : me.name;
    show('ok', t('testOK', [who, me.staff_id || '-']));
  } catch (e) {
    show('error', t('testFailed', [e.message]));
  }
});

async function showConn() {
  const { conn: c } = await chrome.storage.local.get('conn');
  conn.textContent = connLine(c);
  conn.dataset.state = (c && c.state) || 'unknown';
}

const langSelect = document.getElementById('lang');
langSelect.addEventListener('change', () => chrome.storage.local.set({ lang: langSelect.value }));

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== 'local') return;
  if (changes.conn) showConn();
  if (changes.lang) start();
});
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'managed') start();
});

/** start (re)draws the page in the chosen language. */
async function start() {
  await initI18n();
  localize();
  document.title = t('optionsTitle');
  const { lang = 'auto' } = await chrome.storage.local.get('lang');
  langSelect.value = lang;
  managed = await getManaged();
  // A console address set by policy is shown but cannot be edited; with pairing, the token form folds away.
  urlInput.readOnly = Boolean(managed.consoleUrl);
  if (managed.consoleUrl) urlInput.value = managed.consoleUrl;
  document.getElementById('managedHint').hidden = !managed.consoleUrl;
  document.getElementById('tokenSection').open = !managed.pairing;
  if (managed.pairing) document.getElementById('intro').textContent = t('optionsIntroManaged');
  if (result.textContent === '') result.className = '';
  showConn();
}

getSettings().then((s) => {
  urlInput.value = s.consoleUrl;
  tokenInput.value = s.token;
});
start();
