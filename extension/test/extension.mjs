// Drives the real Sluice extension in Debian Chromium (new headless mode) against the
// console the Go test started. Run by extension/ext_test.go; see extension/README.md.
//
// Env: SLUICE_CONSOLE_URL, SLUICE_TOKEN (rep), SLUICE_LEAD_TOKEN, SLUICE_HEAD_TOKEN,
// SLUICE_EXT_DIR, SLUICE_EXT_ID, SLUICE_CHROMIUM, SLUICE_OUT (screenshots + result.json).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`extension.mjs: ${k} is not set; run it through go test ./extension/`);
  return v;
};
const CONSOLE = env('SLUICE_CONSOLE_URL');
const TOKEN = env('SLUICE_TOKEN');
const EXT_DIR = env('SLUICE_EXT_DIR');
const WANT_ID = env('SLUICE_EXT_ID');
const OUT = env('SLUICE_OUT');
const CHROMIUM = process.env.SLUICE_CHROMIUM || '/usr/bin/chromium';

const checks = [];
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  checks.push(what);
  console.log('ok -', what);
}

async function launch(lang) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'sluice-ext-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false, // the real switch is --headless=new below: MV3 extensions need it
    locale: lang,
    viewport: { width: 900, height: 1000 },
    args: [
      '--headless=new',
      `--disable-extensions-except=${EXT_DIR}`,
      `--load-extension=${EXT_DIR}`,
      `--lang=${lang}`,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    env: { ...process.env, LANGUAGE: lang.replace('-', '_'), LANG: lang.replace('-', '_') + '.UTF-8' },
  });
  context.setDefaultTimeout(60000); // a loaded 2-core CI machine starts Chromium slowly
  let [sw] = context.serviceWorkers();
  if (!sw) sw = await context.waitForEvent('serviceworker', { timeout: 60000 });
  const id = new URL(sw.url()).host;
  return { context, sw, id, cleanup: () => rmSync(userDataDir, { recursive: true, force: true }) };
}

async function api(path, token, body) {
  const r = await fetch(CONSOLE + path, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const notify = async (kind, event, extra = '') => {
  const r = await fetch(`${CONSOLE}/_test/notify?kind=${kind}&event=${event}${extra}`, { method: 'POST' });
  if (!r.ok) throw new Error(`trigger ${kind}/${event}: HTTP ${r.status}`);
};
async function waitFor(cond, what, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting: ${what}`);
}
const shot = (page, name) => page.screenshot({ path: join(OUT, name), fullPage: true });

// installedOptions returns the settings tab the extension opens by itself on first install
// (no token yet). Navigating a second tab there at the same time races it, so the test uses
// that tab, and checks that it appeared.
async function installedOptions(context, base) {
  const url = `${base}/options.html`;
  let page;
  // The tab's URL is about:blank when its "page" event fires, so poll for it instead.
  await waitFor(async () => (page = context.pages().find((p) => p.url().startsWith(url))) !== undefined,
    'the settings tab opened on install', 30000);
  await page.waitForLoadState('load');
  check(true, 'first install opens the settings page by itself');
  return page;
}

async function mainFlow() {
  const { context, sw, id, cleanup } = await launch('zh-CN');
  const result = { extension_id: id, checks };
  try {
    check(id === WANT_ID, `extension id is the pinned ${WANT_ID} (got ${id})`);
    const base = `chrome-extension://${id}`;

    // 1. Options: console URL + token, test connection, save.
    const opts = await installedOptions(context, base);
    await opts.waitForFunction(() => document.querySelector('h1').textContent !== '');
    const browserLang = await opts.evaluate(() => chrome.i18n.getMessage('@@ui_locale'));
    const title = await opts.textContent('h1');
    if (browserLang.startsWith('zh')) {
      check(title === 'Sluice 设置', `Chinese browser (${browserLang}) gets Chinese pages (${title})`);
    } else {
      // Debian's chromium without chromium-l10n only has the en-US UI locale.
      check(title === 'Sluice settings', `browser UI is ${browserLang} (no zh-CN locale installed): pages follow it (${title})`);
    }
    await opts.selectOption('#lang', 'zh_CN');
    await opts.waitForFunction(() => document.querySelector('h1').textContent === 'Sluice 设置');
    check(true, 'choosing 简体中文 in settings switches the pages to Chinese');
    await opts.fill('#consoleUrl', CONSOLE + '/');
    await opts.fill('#token', 'wrong-token');
    await opts.click('#test');
    await opts.waitForSelector('#result.error');
    check((await opts.textContent('#result')).startsWith('连接失败'), 'a wrong token fails the connection test');
    await opts.fill('#token', TOKEN);
    await opts.click('#test');
    await opts.waitForSelector('#result.ok');
    const ok = await opts.textContent('#result');
    check(ok.includes('张三 (zhangsan)') && ok.includes('A1024'), `connection test shows the user: ${ok}`);
    await opts.click('#save');
    await opts.waitForFunction(() => document.querySelector('#conn').dataset.state === 'connected', null, { timeout: 15000 });
    check((await opts.inputValue('#consoleUrl')) === CONSOLE, 'saved console URL is normalized to its origin');
    check((await opts.textContent('#conn')).includes('已连接'), 'options page shows the WebSocket connected');
    const status = (await opts.textContent('#result')).trim();
    check(status === '已保存' && !status.includes('正在连接'), `the status line no longer says it is connecting once connected: "${status}"`);
    await shot(opts, '1-options.png');
    await opts.close();

    // 2. Notice page: the notice sent before connecting arrives by replay (since=0).
    const page = await context.newPage();
    await page.goto(`${base}/notices.html`);
    await page.waitForSelector('article.card.blocked', { timeout: 15000 });
    const blocked = await page.textContent('article.card.blocked');
    check(blocked.includes('已拦截') && blocked.includes('pan.baidu.com') && blocked.includes('华东客户名单.xlsx'),
      `replayed blocked notice shows destination and file: ${blocked}`);
    await page.click('article.card.blocked button.link');
    await page.waitForSelector('article.card.blocked .files li');
    const detailsText = await page.textContent('article.card.blocked .files');
    check(detailsText.includes('手机号 120 个') && !detailsText.includes('phone×'),
      `details button loads the audit event with its findings in words: ${detailsText}`);

    // 3. A live held notice: notification, badge, the request form.
    await notify('held', 'held1');
    const held = page.locator('article.card.held').first();
    await held.locator('form.request-form').waitFor({ timeout: 15000 });
    const heldText = await held.textContent();
    check(heldText.includes('mail.qq.com'), 'live held notice shows its destination');
    check(heldText.includes('先由直属上级 李四 审批，再由部门负责人 王五 审批') && heldText.includes('批准后重新发送即可'),
      `the held card names the reviewers in order and says to send again once approved: ${heldText}`);
    check(heldText.includes('手机号 8 个') && heldText.includes('命中客户名单 3 条') && !/phone×|customer_match/.test(heldText),
      'the held card says what was found in words');
    const badge = await sw.evaluate(() => chrome.action.getBadgeText({}));
    check(Number(badge) >= 1, `badge counts the unread notice (${badge})`);
    const notes = await sw.evaluate(() => chrome.notifications.getAll());
    result.notifications = Object.keys(notes).length;
    check(result.notifications >= 2, `system notifications were raised (${result.notifications})`);
    result.badge = badge;
    await shot(page, '2-notices.png');

    await held.locator('button[type=submit]').click();
    check((await held.locator('.error').textContent()).includes('请填写'), 'empty form is refused with a message');
    await held.locator('input[name=receiver]').fill('李四（ACME 采购部）');
    await held.locator('textarea[name=purpose]').fill('报价确认');
    await held.locator('input[name=days]').fill('7');
    await shot(page, '3-form.png');
    await held.locator('button[type=submit]').click();
    await held.locator('.pill.pending').waitFor({ timeout: 15000 });
    const reqId = await held.locator('.request-status').getAttribute('data-request');
    check(/^R-/.test(reqId), `request filed from the form: ${reqId}`);
    await held.locator('.request-status .next').waitFor({ timeout: 15000 });
    check((await held.locator('.request-status .next').textContent()).includes('等待 李四（直属上级）审批'),
      'the filed request says whom it waits for');
    await shot(page, '4-pending.png');

    // 4. Lead then head approve through the API; the page follows to "approved".
    const lead = process.env.SLUICE_LEAD_TOKEN;
    const head = process.env.SLUICE_HEAD_TOKEN;
    await api(`/api/requests/${reqId}/approve`, lead, { comment: '同意，注意脱敏' });
    await held.locator('.pill.lead_approved').waitFor({ timeout: 15000 });
    check(true, 'page shows lead_approved after the lead approves');
    await api(`/api/requests/${reqId}/approve`, head, { comment: '同意' });
    await page.locator('article.card.approved').first().waitFor({ timeout: 15000 });
    await held.locator('.pill.approved').waitFor({ timeout: 15000 });
    check((await page.locator('article.card.approved').first().textContent()).includes(reqId),
      'approved notice arrives over the WebSocket with the request id');
    check(!(await held.locator('button.withdraw').count()), 'no withdraw button once approved');
    result.approved_request = reqId;
    await waitFor(async () => (await held.textContent()).includes('还可发送 1 次（共 1 次），有效期至'), 'the approved request shows its sends left');
    const approvedCard = page.locator('article.card.approved').first();
    await waitFor(async () => (await approvedCard.textContent()).includes('还可发送 1 次'), 'the approved card shows its sends left');
    check((await approvedCard.textContent()).includes('有效期至'), 'the approved card states uses left and the end date');
    await shot(page, '5-approved.png');

    // 4b. The approval was used; the same file is held again: the card says so and 再次申请 files it again.
    await notify('held', 'held4', `&again=${reqId}`);
    const held4 = page.locator(`article.card.held:has(form.request-form[data-event="${env('SLUICE_HELD4_EVENT')}"])`).first();
    await held4.waitFor({ timeout: 15000 });
    check((await held4.locator('.past').textContent()).includes(`申请 ${reqId} 已使用 1/1 次`), 'a used-up approval is explained on the card');
    await shot(page, '5b-used-up.png');
    await held4.locator('button.again').click();
    const again = page.locator(`article.card.held:has(.request-status .pill.pending)`).first();
    await again.waitFor({ timeout: 15000 });
    result.again_request = await again.locator('.request-status').getAttribute('data-request');
    check(/^R-/.test(result.again_request) && result.again_request !== reqId, `再次申请 filed ${result.again_request} in one click`);

    // 5. Second held upload: file, then withdraw with the two-step button.
    await notify('held', 'held2', '&form=js');
    const held2 = page.locator('article.card.held').first();
    await held2.locator('form.request-form').waitFor({ timeout: 15000 });
    check((await held2.textContent()).includes('<img src=x') && (await page.locator('article img').count()) === 0,
      'markup in a file name is shown as text, not rendered');
    check((await held2.locator('a').count()) === 0 && (await page.title()) !== 'pwned',
      'a javascript: form_url is not turned into a link');
    await held2.locator('input[name=receiver]').fill('王经理（Beta 公司）');
    await held2.locator('textarea[name=purpose]').fill('合同附件');
    await held2.locator('input[name=days]').fill('30');
    await held2.locator('button[type=submit]').click();
    await held2.locator('.pill.pending').waitFor({ timeout: 15000 });
    const req2 = await held2.locator('.request-status').getAttribute('data-request');
    await held2.locator('button.withdraw').click();
    check((await held2.locator('button.withdraw').textContent()).includes('确认'), 'withdraw asks for a second click');
    await held2.locator('button.withdraw').click();
    await held2.locator('.pill.withdrawn').waitFor({ timeout: 15000 });
    check(true, `request ${req2} withdrawn from the page`);
    result.withdrawn_request = req2;
    await shot(page, '6-withdrawn.png');

    // 6. A rejected token (close 4401) stops retries and says so; the right token reconnects,
    //    and the reconnect (since = last id) brings no duplicates.
    const before = await page.locator('article.card').count();
    const opts2 = await context.newPage();
    await opts2.goto(`${base}/options.html`);
    await opts2.waitForFunction(() => document.querySelector('#token').value !== '');
    await opts2.fill('#token', 'revoked-token');
    await opts2.click('#save');
    await page.waitForFunction(() => document.querySelector('#conn').dataset.state === 'unauthorized', null, { timeout: 15000 });
    check((await page.textContent('#conn')).includes('令牌无效'), 'a rejected token shows "令牌无效" on the notice page');
    await opts2.fill('#token', TOKEN);
    await opts2.click('#save');
    await page.waitForFunction(() => document.querySelector('#conn').dataset.state === 'connected', null, { timeout: 15000 });
    await opts2.close();
    await notify('blocked', 'blocked');
    await page.waitForFunction((n) => document.querySelectorAll('article.card').length === n + 1, before, { timeout: 15000 });
    check(true, `after reconnecting, only the one new notice is added (${before} → ${before + 1})`);

    // 7. A request filed elsewhere (console, CLI) for a held upload shows as its status, not as a form.
    const ev3 = Number(env('SLUICE_HELD3_EVENT'));
    const filed = await api('/api/requests', TOKEN, { event_id: ev3, receiver: '赵六', purpose: '对账', days: 3 });
    await notify('held', 'held3');
    const held3 = page.locator(`article.card.held:has(form.request-form[data-event="${ev3}"]), article.card.held:has(.request-status[data-request="${filed.request_id}"])`).first();
    await held3.locator('.request-status .pill.pending').waitFor({ timeout: 15000 });
    check((await held3.locator('form').count()) === 0 && (await held3.textContent()).includes('赵六'),
      `a request filed in the console (${filed.request_id}) is picked up by GET /api/requests?mine=1`);

    // 8. The browser stops the idle service worker; a notice sent meanwhile is replayed
    //    (hello with since = last id) when the worker wakes up again.
    const cdp = await context.newCDPSession(page);
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
    await waitFor(async () => (await (await fetch(`${CONSOLE}/_test/connected`)).text()) === '0', 'hub sees the socket close');
    check(true, 'stopping the service worker closes its WebSocket');
    await notify('held', 'held1');
    const count = await page.locator('article.card').count();
    // Wake the worker with a message; repeat it, since a message that lands while the worker is still
    // starting may not trigger the reconnect (the 30 s watchdog alarm would then), and allow past that alarm.
    const replayed = page.waitForFunction((n) => document.querySelectorAll('article.card').length === n + 1, count, { timeout: 45000 });
    const waker = setInterval(() => page.evaluate(() => chrome.runtime.sendMessage({ type: 'markRead' })).catch(() => {}), 2000);
    await page.evaluate(() => chrome.runtime.sendMessage({ type: 'markRead' })).catch(() => {});
    try { await replayed; } finally { clearInterval(waker); }
    check(true, 'the notice sent while the worker was stopped is replayed after it restarts');
    const st = await page.evaluate(() => chrome.storage.local.get(['lastId', 'notices']));
    const maxId = Math.max(...st.notices.map((n) => n.id));
    check(st.lastId === maxId && new Set(st.notices.map((n) => n.id)).size === st.notices.length,
      `stored notices are unique and lastId (${st.lastId}) is the newest id`);

    // 9. Popup page renders the same list compactly.
    const popup = await context.newPage();
    await popup.setViewportSize({ width: 400, height: 600 });
    await popup.goto(`${base}/popup.html`);
    await popup.waitForSelector('article.card');
    check((await popup.locator('article.card').count()) <= 5, 'popup shows at most five notices');
    await shot(popup, '7-popup.png');
    await page.locator('article.card.blocked').first().locator('button.link').click();
    await page.locator('article.card.blocked .files li').first().waitFor();
    await shot(page, '9-details.png');
    await waitFor(async () => (await popup.evaluate(() => chrome.action.getBadgeText({}))) === '', 'badge cleared');
    check(true, 'opening the list clears the badge');
  } finally {
    await context.close();
    cleanup();
  }
  return result;
}

async function englishFlow() {
  const { context, id, cleanup } = await launch('en-US');
  try {
    const page = await installedOptions(context, `chrome-extension://${id}`);
    await page.waitForFunction(() => document.querySelector('h1').textContent !== '');
    const h1 = await page.textContent('h1');
    check(h1 === 'Sluice settings', `English browser gets English pages (${h1})`);
    await shot(page, '8-options-en.png');
  } finally {
    await context.close();
    cleanup();
  }
}

try {
  const result = await mainFlow();
  await englishFlow();
  writeFileSync(join(OUT, 'result.json'), JSON.stringify(result, null, 2));
  console.log(`all ${checks.length} checks passed`);
} catch (e) {
  console.error('extension test failed:', e && e.stack ? e.stack : e);
  process.exit(1);
}
