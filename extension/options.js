// Options page: the console address and the user's API token, with a connection test.
import { api, getSettings, initI18n, isLoopbackOrigin, localize, normalizeConsoleURL, t } from './common.js';
import { connLine } from './conn.js';

const form = document.getElementById('settings');
const urlInput = document.getElementById('consoleUrl');
const tokenInput = document.getElementById('token');
const result = document.getElementById('result');
const conn = document.getElementById('conn');

function show(kind, text) {
  result.className = kind;
  result.textContent = text;
}

/** readForm validates the fields and returns {consoleUrl, token}, or throws a readable error. */
function readForm() {
  const consoleUrl = normalizeConsoleURL(urlInput.value);
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

/** start (re)draws the page in the chosen language. */
async function start() {
  await initI18n();
  localize();
  document.title = t('optionsTitle');
  const { lang = 'auto' } = await chrome.storage.local.get('lang');
  langSelect.value = lang;
  if (result.textContent === '') result.className = '';
  showConn();
}

getSettings().then((s) => {
  urlInput.value = s.consoleUrl;
  tokenInput.value = s.token;
});
start();
