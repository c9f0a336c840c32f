// Card builders for the notice list: one card per notice, with the approval request form
// for held uploads and the request status once it has been filed.
import { OPEN_STATUSES, el, formatTime, statusLabel, t, uiLang } from './common.js';

/** MAX_DAYS is the longest validity the form offers; the daemon may enforce a shorter one. */
export const MAX_DAYS = 90;

/** safeLink returns url when it is http(s), so a notice cannot smuggle a javascript: link. */
function safeLink(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
  } catch {
    return '';
  }
}

/** texts returns the notice's human texts in the pages' language (the daemon sends both). */
export function texts(n) {
  const all = n.texts || {};
  const mine = uiLang().toLowerCase().startsWith('en') ? all.en : all['zh-CN'];
  return {
    message: (mine && mine.message) || '',
    reasons: (mine && mine.reasons && mine.reasons.length ? mine.reasons : n.reasons) || [],
    findings: (mine && mine.findings && mine.findings.length ? mine.findings : n.findings) || [],
  };
}

function facts(n) {
  const words = texts(n);
  const rows = [
    [t('fieldDestination'), n.destination || '-'],
    [t('fieldFiles'), n.files.length ? n.files.join('、') : t('unnamedFiles')],
  ];
  if (words.findings.length) rows.push([t('fieldFindings'), words.findings.join('；')]);
  if (words.reasons.length) rows.push([t('fieldReasons'), words.reasons.join('；')]);
  if (n.event_id) rows.push([t('fieldEvent'), '#' + n.event_id]);
  if (n.request_id) rows.push([t('fieldRequest'), n.request_id]);
  if (n.time) rows.push([t('fieldTime'), formatTime(n.time)]);
  return el('dl', { className: 'facts' }, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

/** requestForm builds the approval request form for a held notice; draft keeps typed values. */
function requestForm(n, draft, onSubmit) {
  const id = (name) => `${name}-${n.event_id}`;
  const input = (name, attrs) => {
    const node = el('input', { id: id(name), name, ...attrs });
    node.value = draft[name] ?? attrs.value ?? '';
    node.addEventListener('input', () => {
      draft[name] = node.value;
      clearError();
    });
    return node;
  };
  const purpose = el('textarea', { id: id('purpose'), name: 'purpose', rows: 2, maxlength: 160, required: true });
  purpose.value = draft.purpose ?? '';
  purpose.addEventListener('input', () => {
    draft.purpose = purpose.value;
    clearError();
  });
  const err = el('p', { className: 'error', role: 'alert' }, draft.error || '');
  const clearError = () => {
    err.textContent = '';
    delete draft.error;
  };
  const form = el(
    'form',
    { className: 'request-form', 'data-event': n.event_id, novalidate: true },
    el('h3', {}, t('formTitle')),
    el('label', { for: id('receiver') }, t('labelReceiver')),
    input('receiver', { type: 'text', maxlength: 160, required: true, placeholder: t('placeholderReceiver') }),
    el('label', { for: id('purpose') }, t('labelPurpose')),
    purpose,
    el('label', { for: id('days') }, t('labelDays')),
    input('days', { type: 'number', min: 1, max: MAX_DAYS, step: 1, value: '7', required: true }),
    err,
    el('div', { className: 'buttons' }, el('button', { type: 'submit', className: 'primary' }, t('buttonSubmit'))),
  );
  purpose.placeholder = t('placeholderPurpose');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const receiver = form.receiver.value.trim();
    const purposeText = form.purpose.value.trim();
    const days = Number(form.days.value);
    if (!receiver || !purposeText) {
      err.textContent = t('errFormMissing');
      return;
    }
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      err.textContent = t('errFormDays', [String(MAX_DAYS)]);
      return;
    }
    err.textContent = '';
    form.querySelector('button[type=submit]').disabled = true;
    onSubmit({ receiver, purpose: purposeText, days });
  });
  return form;
}

/** pastText says why an earlier approval does not cover this send ("申请 R-… 已使用 1/1 次"). */
function pastText(p) {
  if (p.state === 'expired') return t('pastExpired', [p.request_id, formatTime(p.expires)]);
  return t('pastUsedUp', [p.request_id, String(p.uses), String(p.max_uses)]);
}

/** heldNext names who decides, in order, and says what to do once approved. */
function heldNext(n) {
  const rv = n.reviewers || [];
  const who = (r) => r.display_name || r.name;
  if (rv.length >= 2) return t('heldNextTwo', [who(rv[0]), who(rv[1])]);
  if (rv.length === 1) return t('heldNextOne', [who(rv[0])]);
  return t('heldNextNone');
}

/** usageText says how many sends an approved request has left and until when. */
export function usageText(u) {
  if (!u) return '';
  if (u.uses_left <= 0) return t('usageGone', [String(u.uses), String(u.max_uses)]);
  if (u.expired) return t('usageExpired', [formatTime(u.expires)]);
  return t('usageLeft', [String(u.uses_left), String(u.max_uses), formatTime(u.expires)]);
}

/** requestStatus shows a filed request, with a two-step withdraw button while it is open. */
function requestStatus(req, onWithdraw) {
  const status = req.status || 'unknown';
  const box = el(
    'div',
    { className: 'request-status', 'data-status': status, 'data-request': req.request_id },
    el('div', { className: 'status-line' }, t('fieldRequest') + ' ', el('code', {}, req.request_id), ' ',
      el('span', { className: `pill ${status}` }, statusLabel(status))),
  );
  if (OPEN_STATUSES.includes(status) && req.waiting_for) {
    const who = req.waiting_for_name || req.waiting_for;
    box.append(el('p', { className: 'next' }, t('waitingFor', [who, t('stage_' + (req.stage || 'lead'))])));
  }
  const rows = [];
  if (status === 'approved' && req.usage) rows.push([t('fieldUsage'), usageText(req.usage)]);
  if (req.receiver) rows.push([t('labelReceiver'), req.receiver]);
  if (req.purpose) rows.push([t('labelPurpose'), req.purpose]);
  if (req.days) rows.push([t('labelDays'), String(req.days)]);
  if (req.comment) rows.push([t('fieldComment'), req.comment]);
  if (rows.length) box.append(el('dl', { className: 'facts' }, rows.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])));
  if (req.error) box.append(el('p', { className: 'error', role: 'alert' }, req.error));
  if (OPEN_STATUSES.includes(status)) {
    const btn = el('button', { type: 'button', className: 'withdraw' }, t('buttonWithdraw'));
    let armed = false;
    btn.addEventListener('click', () => {
      if (!armed) {
        armed = true;
        btn.textContent = t('buttonWithdrawConfirm');
        setTimeout(() => {
          armed = false;
          btn.textContent = t('buttonWithdraw');
        }, 5000);
        return;
      }
      btn.disabled = true;
      onWithdraw(req.request_id);
    });
    box.append(el('div', { className: 'buttons' }, btn));
  }
  return box;
}

/**
 * noticeCard builds the card for one notice.
 * ctx: {request(n) → filed request or undefined, draft(n) → draft object, submit(n, form), withdraw(id),
 * details(n, box) loads the event, detailsOf(n) → event already loaded or undefined}.
 */
export function noticeCard(n, ctx) {
  const card = el('article', { className: `card ${n.type}`, 'data-type': n.type, 'data-id': n.id });
  card.append(el('h2', {}, t('cardTitle_' + n.type)));
  if (n.approval && n.approval.request_id) {
    card.append(el('p', { className: 'past' }, pastText(n.approval)));
  }
  card.append(facts(n));
  if (n.type === 'approved') {
    const req = ctx.request(n);
    const usage = req && req.request_id === n.request_id ? usageText(req.usage) : '';
    if (usage) card.append(el('p', { className: 'usage' }, usage));
    card.append(el('p', { className: 'hint' }, t('approvedHint')));
  }
  if (n.type === 'held') {
    const req = ctx.request(n);
    if (req) card.append(requestStatus(req, ctx.withdraw));
    else {
      if (n.approval && n.approval.request_id) {
        const again = el('button', { type: 'button', className: 'primary again' }, t('buttonAgain'));
        again.addEventListener('click', () => {
          again.disabled = true;
          ctx.again(n);
        });
        const draft = ctx.draft(n);
        card.append(el('p', { className: 'next' }, t('pastHint')), el('div', { className: 'buttons' }, again),
          el('p', { className: 'error', role: 'alert' }, draft.againError || ''), el('p', { className: 'hint' }, t('orFillIn')));
      } else {
        card.append(el('p', { className: 'next' }, heldNext(n)));
      }
      card.append(requestForm(n, ctx.draft(n), (form) => ctx.submit(n, form)));
    }
  }
  // Every notice may link to the console (the form for held ones, the request page for decisions).
  const links = el('div', { className: 'links' });
  const details = el('div', { className: 'details' });
  if ((n.type === 'blocked' || n.type === 'held') && n.event_id) {
    const known = ctx.detailsOf(n);
    if (known) eventDetails(known, details);
    links.append(el('button', { type: 'button', className: 'link', onclick: () => ctx.details(n, details) },
      t('buttonDetails')));
  }
  const link = safeLink(n.form_url);
  if (link) links.append(el('a', { href: link, target: '_blank', rel: 'noopener noreferrer' }, t('linkConsole')));
  if (links.childElementCount) card.append(links, details);
  return card;
}

/** eventDetails renders the files of an audit event (GET /api/events/{id} → {event, ...}) into box. */
export function eventDetails(resp, box) {
  box.replaceChildren();
  // The daemon sends the files with their findings in words (resp.files); the event's own records keep codes.
  const files = Array.isArray(resp && resp.files) ? resp.files : [];
  if (!files.length) {
    box.append(el('p', { className: 'hint' }, t('noFileDetails')));
    return;
  }
  box.append(
    el('ul', { className: 'files' },
      files.slice(0, 50).map((f) =>
        el('li', {},
          el('strong', {}, String(f.name || t('unnamedFiles'))),
          f.type ? ` · ${f.type}` : '',
          Number.isFinite(f.size) ? ` · ${f.size} B` : '',
          Array.isArray(f.findings) && f.findings.length ? ` · ${f.findings.join(uiLang().startsWith('en') ? ', ' : '、')}` : '',
        ),
      ),
    ),
  );
}
