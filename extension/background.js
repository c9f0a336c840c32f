// Sluice service worker: keeps one WebSocket to the daemon's /ws, stores the notices it
// receives, raises a system notification and a badge count, and reconnects with backoff.
import { MAX_NOTICES, NOTICE_TYPES, getSettings, initI18n, t } from './common.js';

const KEEPALIVE_MS = 20_000; // a client message every 20 s keeps an MV3 worker alive
const MAX_BACKOFF_MS = 60_000;
const ALARM = 'sluice-watchdog';

let ws = null;
let keepalive = null;
let retryTimer = null;
let backoff = 1000;
let generation = 0; // bumps on every (re)connect so stale sockets ignore their own events

/** setConn records the connection state for the pages to show. */
async function setConn(state, extra = {}) {
  await chrome.storage.local.set({ conn: { state, time: new Date().toISOString(), ...extra } });
}

/** wsURL turns the console origin into its WebSocket endpoint. */
function wsURL(consoleUrl) {
  const u = new URL('/ws', consoleUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}

function stopSocket() {
  generation++;
  clearInterval(keepalive);
  clearTimeout(retryTimer);
  keepalive = null;
  retryTimer = null;
  if (ws) {
    try {
      ws.close(1000, 'reconnect');
    } catch {
      // already closed
    }
  }
  ws = null;
}

function scheduleRetry(gen) {
  if (gen !== generation) return;
  const delay = backoff + Math.floor(Math.random() * 500);
  backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  retryTimer = setTimeout(() => connect(), delay);
}

/** connect opens the WebSocket with the stored settings, replacing any previous one. */
async function connect() {
  stopSocket();
  const gen = generation;
  const { consoleUrl, token } = await getSettings();
  if (!token) {
    await setConn('unconfigured');
    return;
  }
  const { lastId = 0 } = await chrome.storage.local.get('lastId');
  if (gen !== generation) return; // a newer connect() started while we were reading settings
  await setConn('connecting', { url: consoleUrl });
  if (gen !== generation) return;
  let sock;
  try {
    sock = new WebSocket(wsURL(consoleUrl));
  } catch (e) {
    await setConn('error', { error: String(e.message || e) });
    return;
  }
  ws = sock;
  // Handlers are attached before anything else is awaited: an open event that fired while
  // we waited would be lost, the hello never sent, and the socket would hang in "connecting".
  sock.onopen = () => {
    if (gen !== generation) {
      sock.close(1000, 'superseded');
      return;
    }
    sock.send(JSON.stringify({ type: 'hello', token, since: lastId }));
    keepalive = setInterval(() => {
      if (sock.readyState === WebSocket.OPEN) sock.send(JSON.stringify({ type: 'ping' }));
    }, KEEPALIVE_MS);
  };
  sock.onmessage = (ev) => {
    if (gen !== generation) return;
    handleMessage(ev.data).catch((e) => console.warn('sluice: bad message from daemon', e));
  };
  sock.onclose = (ev) => {
    if (gen !== generation) return;
    clearInterval(keepalive);
    keepalive = null;
    ws = null;
    if (ev.code === 4401) {
      // Bad token: retrying cannot help until the settings change.
      setConn('unauthorized');
      return;
    }
    setConn('disconnected', { code: ev.code }).then(() => scheduleRetry(gen));
  };
}

/** handleMessage processes one text frame from the daemon. */
async function handleMessage(data) {
  if (typeof data !== 'string' || data.length > 256 * 1024) return;
  const msg = JSON.parse(data);
  if (!msg || typeof msg !== 'object') return;
  if (msg.type === 'welcome') {
    backoff = 1000;
    await setConn('connected', {
      user: String(msg.user || ''),
      display_name: String(msg.display_name || ''),
    });
    return;
  }
  if (NOTICE_TYPES.includes(msg.type)) await addNotice(cleanNotice(msg));
}

const str = (v, max = 500) => (v === undefined || v === null ? '' : String(v).slice(0, max));
const strList = (v) => (Array.isArray(v) ? v.slice(0, 50).map((x) => str(x)) : []);

/** cleanNotice keeps only the documented fields, bounded in size. */
function cleanNotice(m) {
  return {
    type: m.type,
    id: Number.isSafeInteger(m.id) ? m.id : 0,
    event_id: Number.isSafeInteger(m.event_id) ? m.event_id : 0,
    request_id: str(m.request_id, 100),
    destination: str(m.destination, 300),
    files: strList(m.files),
    reasons: strList(m.reasons),
    form_url: str(m.form_url, 1000),
    time: str(m.time, 64),
    findings: strList(m.findings),
    reviewers: Array.isArray(m.reviewers)
      ? m.reviewers.slice(0, 4).map((r) => ({ name: str(r && r.name, 100), display_name: str(r && r.display_name, 100), stage: str(r && r.stage, 10) }))
      : [],
    approval: cleanApproval(m.approval),
    again_url: str(m.again_url, 1000),
    texts: cleanTexts(m.texts),
  };
}

/** cleanApproval keeps an earlier approval's documented fields ("申请 R-… 已使用 1/1 次"). */
function cleanApproval(a) {
  if (!a || typeof a !== 'object' || !a.request_id) return null;
  const num = (v) => (Number.isSafeInteger(v) ? v : 0);
  return { request_id: str(a.request_id, 100), state: a.state === 'expired' ? 'expired' : 'used_up',
    uses: num(a.uses), max_uses: num(a.max_uses), expires: str(a.expires, 64) };
}

/** cleanTexts keeps the notice's human texts per language (zh-CN, en). */
function cleanTexts(x) {
  const out = {};
  for (const lang of ['zh-CN', 'en']) {
    const v = x && typeof x === 'object' ? x[lang] : null;
    if (v && typeof v === 'object') {
      out[lang] = { message: str(v.message, 2000), reasons: strList(v.reasons), findings: strList(v.findings) };
    }
  }
  return out;
}

/** noticeText returns the notification title and body for a notice. */
function noticeText(n) {
  const files = n.files.join('、') || t('unnamedFiles');
  switch (n.type) {
    case 'blocked':
      return [t('notifBlockedTitle'), t('notifBlockedBody', [files, n.destination])];
    case 'held':
      return [t('notifHeldTitle'), t('notifHeldBody', [files, n.destination])];
    case 'approved':
      return [t('notifApprovedTitle'), t('notifApprovedBody', [n.request_id, files])];
    case 'denied':
      return [t('notifDeniedTitle'), t('notifDeniedBody', [n.request_id, files])];
    default:
      return [t('notifExpiredTitle'), t('notifExpiredBody', [n.request_id, files])];
  }
}

/** addNotice stores a notice (once per id), bumps the badge and shows a notification. */
async function addNotice(n) {
  const { notices = [], lastId = 0, unread = 0 } = await chrome.storage.local.get([
    'notices',
    'lastId',
    'unread',
  ]);
  // Same id and time: a replay of a notice we have. (Ids alone restart when the daemon restarts.)
  if (notices.some((x) => x.id === n.id && x.time === n.time && x.type === n.type)) return;
  notices.unshift(n);
  notices.length = Math.min(notices.length, MAX_NOTICES);
  const count = unread + 1;
  await chrome.storage.local.set({ notices, lastId: Math.max(lastId, n.id), unread: count });
  await updateBadge(count);
  const [title, message] = noticeText(n);
  try {
    await chrome.notifications.create(`sluice-${n.id}-${Date.now()}`, {
      type: 'basic',
      iconUrl: chrome.runtime.getURL('icons/128.png'),
      title,
      message,
      priority: n.type === 'held' || n.type === 'blocked' ? 2 : 0,
    });
  } catch (e) {
    console.warn('sluice: cannot show notification', e);
  }
}

async function updateBadge(count) {
  await chrome.action.setBadgeBackgroundColor({ color: '#c0392b' });
  await chrome.action.setBadgeText({ text: count > 0 ? String(Math.min(count, 99)) : '' });
}

/** openNotices focuses an open notice page or opens a new one. */
async function openNotices() {
  const url = chrome.runtime.getURL('notices.html');
  const tabs = await chrome.tabs.query({ url }).catch(() => []);
  if (tabs.length) {
    await chrome.tabs.update(tabs[0].id, { active: true });
    if (tabs[0].windowId !== undefined) await chrome.windows.update(tabs[0].windowId, { focused: true });
  } else {
    await chrome.tabs.create({ url });
  }
}

chrome.notifications.onClicked.addListener((id) => {
  chrome.notifications.clear(id);
  openNotices();
});

chrome.storage.onChanged.addListener((changes, area) => {
  if (area === 'local' && changes.lang) initI18n();
  if ((area === 'local' && (changes.consoleUrl || changes.token)) || area === 'managed') {
    backoff = 1000;
    connect();
  }
});

chrome.runtime.onMessage.addListener((msg, _sender, reply) => {
  if (msg && msg.type === 'markRead') {
    chrome.storage.local.set({ unread: 0 }).then(() => updateBadge(0)).then(() => reply({ ok: true }));
    return true;
  }
  if (msg && msg.type === 'reconnect') {
    backoff = 1000;
    connect().then(() => reply({ ok: true }));
    return true;
  }
  return false;
});

// The watchdog alarm restarts the socket if the worker was stopped anyway (browser sleep, crash).
chrome.alarms.onAlarm.addListener((a) => {
  if (a.name === ALARM && !ws && !retryTimer) connect();
});

chrome.runtime.onInstalled.addListener(async (details) => {
  chrome.alarms.create(ALARM, { periodInMinutes: 0.5 });
  if (details.reason === 'install') {
    const { token } = await getSettings();
    if (!token) chrome.runtime.openOptionsPage();
  }
});

chrome.runtime.onStartup.addListener(() => chrome.alarms.create(ALARM, { periodInMinutes: 0.5 }));

initI18n().finally(connect);
