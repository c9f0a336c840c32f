// Notice page and popup: lists the stored notices, files approval requests for held
// uploads and keeps their status fresh (polling while open, and on approved/denied notices).
import { OPEN_STATUSES, api, getSettings, initI18n, localize, t } from './common.js';
import { connLine } from './conn.js';
import { eventDetails, noticeCard } from './cards.js';

const POLL_MS = 5000;
const POPUP_LIMIT = 5;
const isPopup = document.body.classList.contains('popup');

const list = document.getElementById('list');
const empty = document.getElementById('empty');
const setup = document.getElementById('setup');
const connBox = document.getElementById('conn');

const drafts = new Map(); // event id → typed form values, kept across re-renders
const details = new Map(); // event id → loaded GET /api/events/{id} answer, kept across re-renders
let state = { notices: [], requests: {}, conn: null, token: '' };

/** normRequest maps a server request object onto the fields the cards show. */
function normRequest(r, fallback = {}) {
  return {
    request_id: String(r.request_id || r.id || fallback.request_id || ''),
    event_id: Number(r.event_id || fallback.event_id || 0),
    status: String(r.status || fallback.status || 'pending'),
    receiver: r.receiver ?? fallback.receiver ?? '',
    purpose: r.purpose ?? fallback.purpose ?? '',
    days: r.days ?? fallback.days ?? 0,
    comment: lastComment(r) || '',
    waiting_for: String(r.waiting_for || ''),
    waiting_for_name: String(r.waiting_for_name || ''),
    stage: String(r.stage || ''),
    usage: r.usage && typeof r.usage === 'object' ? r.usage : fallback.usage || null,
  };
}

/** live says whether a request may still change by itself: undecided, or approved with sends left. */
function live(r) {
  return OPEN_STATUSES.includes(r.status) || (r.status === 'approved' && (!r.usage || (r.usage.uses_left > 0 && !r.usage.expired)));
}

/** lastComment returns the latest reviewer comment from a request's history, if any. */
function lastComment(r) {
  const h = Array.isArray(r.history) ? r.history : [];
  for (let i = h.length - 1; i >= 0; i--) {
    if (h[i] && h[i].comment) return String(h[i].comment);
  }
  return '';
}

async function saveRequest(req) {
  const { requests = {} } = await chrome.storage.local.get('requests');
  requests[req.event_id] = req;
  await chrome.storage.local.set({ requests });
}

async function load() {
  const s = await chrome.storage.local.get({ notices: [], requests: {}, conn: null });
  const { token } = await getSettings();
  state = { ...s, token };
  render();
}

function render() {
  const focused = document.activeElement && document.activeElement.id;
  setup.hidden = Boolean(state.token);
  connBox.textContent = connLine(state.conn);
  connBox.dataset.state = (state.conn && state.conn.state) || 'unknown';
  const shown = isPopup ? state.notices.slice(0, POPUP_LIMIT) : state.notices;
  empty.hidden = shown.length > 0;
  const ctx = {
    request: (n) => state.requests[n.event_id],
    draft: (n) => {
      if (!drafts.has(n.event_id)) drafts.set(n.event_id, {});
      return drafts.get(n.event_id);
    },
    submit: submitRequest,
    again: requestAgain,
    withdraw: withdrawRequest,
    details: showDetails,
    detailsOf: (n) => details.get(n.event_id),
  };
  list.replaceChildren(...shown.map((n) => noticeCard(n, ctx)));
  if (focused) document.getElementById(focused)?.focus();
}

/** submitRequest files an approval request for a held notice (POST /api/requests). */
async function submitRequest(n, form) {
  const draft = drafts.get(n.event_id) || {};
  try {
    const res = await api('/api/requests', {
      method: 'POST',
      body: { event_id: n.event_id, receiver: form.receiver, purpose: form.purpose, days: form.days, max_uses: 1 },
    });
    drafts.delete(n.event_id);
    await saveRequest(normRequest(res || {}, { ...form, event_id: n.event_id }));
    refreshAll();
  } catch (e) {
    draft.error = t('errSubmit', [e.message]);
    drafts.set(n.event_id, draft);
    render();
    // 409: a request already exists for this event (filed in the console): show it instead.
    if (e.status === 409) refreshMine();
  }
}

/**
 * requestAgain files a new request for a held notice whose earlier approval is used up or expired, with
 * the earlier request's receiver, purpose and validity (POST /api/requests with "again").
 */
async function requestAgain(n) {
  const draft = drafts.get(n.event_id) || {};
  try {
    const res = await api('/api/requests', { method: 'POST', body: { event_id: n.event_id, again: n.approval.request_id } });
    drafts.delete(n.event_id);
    await saveRequest(normRequest(res || {}, { event_id: n.event_id }));
    refreshAll();
  } catch (e) {
    draft.againError = t('errAgain', [e.message]);
    drafts.set(n.event_id, draft);
    render();
    if (e.status === 409) refreshMine();
  }
}

/** withdrawRequest withdraws the caller's own request (POST /api/requests/{id}/withdraw). */
async function withdrawRequest(id) {
  const req = Object.values(state.requests).find((r) => r.request_id === id);
  try {
    const res = await api(`/api/requests/${encodeURIComponent(id)}/withdraw`, { method: 'POST', body: { comment: '' } });
    if (req) await saveRequest(normRequest(res || {}, { ...req, status: 'withdrawn' }));
  } catch (e) {
    if (req) await saveRequest({ ...req, error: t('errWithdraw', [e.message]) });
  }
}

async function showDetails(n, box) {
  box.textContent = t('loading');
  try {
    const ev = await api(`/api/events/${n.event_id}`);
    details.set(n.event_id, ev);
    eventDetails(ev, box);
  } catch (e) {
    box.textContent = t('errDetails', [e.message]);
  }
}

/** refreshOne fetches a request's current state; returns true if it changed. */
async function refreshOne(req) {
  try {
    const r = await api(`/api/requests/${encodeURIComponent(req.request_id)}`);
    const next = normRequest(r || {}, req);
    if (next.status !== req.status || next.comment !== req.comment || req.error || next.waiting_for !== req.waiting_for ||
      JSON.stringify(next.usage) !== JSON.stringify(req.usage)) {
      await saveRequest(next);
      return true;
    }
  } catch (e) {
    console.warn('sluice: cannot refresh request', req.request_id, e);
  }
  return false;
}

/** refreshMine learns about requests filed elsewhere (e.g. in the console) for shown held notices. */
async function refreshMine() {
  let res;
  try {
    res = await api('/api/requests?mine=1');
  } catch {
    return;
  }
  const held = new Set(state.notices.filter((n) => n.type === 'held').map((n) => n.event_id));
  const { requests = {} } = await chrome.storage.local.get('requests');
  let changed = false;
  for (const r of (res && res.requests) || []) {
    const req = normRequest(r);
    if (!req.event_id || !held.has(req.event_id)) continue;
    const old = requests[req.event_id];
    // The newest request for an event wins (a withdrawn one may have been re-filed).
    if (!old || old.request_id === req.request_id || OPEN_STATUSES.includes(req.status)) {
      if (!old || old.status !== req.status || old.request_id !== req.request_id) {
        requests[req.event_id] = req;
        changed = true;
      }
    }
  }
  if (changed) await chrome.storage.local.set({ requests });
}

let polling = false;
async function refreshAll() {
  if (polling || !state.token) return;
  polling = true;
  try {
    const open = Object.values(state.requests).filter((r) => live(r) || r.error);
    for (const r of open) await refreshOne(r);
  } finally {
    polling = false;
  }
}

chrome.storage.onChanged.addListener((changes, area) => {
  if (area !== 'local') return;
  if (changes.lang) {
    location.reload();
    return;
  }
  if (changes.notices || changes.requests || changes.conn || changes.token) {
    const fresh = changes.notices && changes.notices.newValue && changes.notices.newValue[0];
    load().then(() => {
      // A status notice for one of our requests: fetch it now instead of waiting for the poll.
      if (fresh && fresh.request_id && fresh.type !== 'held') refreshAll();
      if (fresh && fresh.type === 'held') refreshMine();
    });
  }
});

document.getElementById('clear').addEventListener('click', async () => {
  await chrome.storage.local.set({ notices: [], requests: {}, unread: 0 });
  chrome.runtime.sendMessage({ type: 'markRead' }).catch(() => {});
});
document.getElementById('openPage').hidden = !isPopup;

await initI18n();
localize();
document.title = t('noticesTitle');
chrome.runtime.sendMessage({ type: 'markRead' }).catch(() => {});
load().then(async () => {
  await refreshMine();
  await refreshAll();
});
setInterval(() => {
  if (document.visibilityState === 'visible') refreshAll();
}, POLL_MS);
