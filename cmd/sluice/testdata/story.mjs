// The whole story of a held upload on a fresh staff PC, in real Chromium configured only by the policy
// 'sluice deploy browser-policy' wrote (bind-mounted over /etc/chromium by cmd/sluice/story_test.go, which
// also trusted the Sluice CA with 'sluice ca install' in this HOME and started the daemon and a loopback
// QQ Mail):
//   the extension is force-installed, the rep picks 中文 and pairs it with a one-time code; sending a
//   customer list is held and the block page says why; the extension's notice names the next reviewer and
//   files the request; the lead and the head approve on a 390×844 phone; the retry goes through once; a
//   third send (a script) gets the used-up approval explained and 再次申请 on the card files it again; a
//   fourth (a navigation) shows it on the block page, whose 再次申请 opens the console form filled in.
// Env: SLUICE_CONSOLE_URL, SLUICE_PAIR_CODE (the rep's), SLUICE_PASSWORD (everyone's), SLUICE_FILE,
// SLUICE_EXT_ID, SLUICE_CHROMIUM, SLUICE_OUT (screenshots and story.json).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`story.mjs: ${k} is not set; run it through go test ./cmd/sluice/ -run TestStoryInChromium`);
  return v;
};
const CONSOLE = env('SLUICE_CONSOLE_URL');
const PASSWORD = env('SLUICE_PASSWORD');
const FILE = env('SLUICE_FILE');
const OUT = env('SLUICE_OUT');
const EXT = env('SLUICE_EXT_ID');
const SITE = 'https://mail.qq.com/';
const BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-sync', '--no-first-run', '--lang=zh-CN'];

const result = { texts: {} };
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  console.log('ok -', what);
}
async function waitFor(cond, what, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting: ${what}`);
}
const RAW = /phone×|contact_record|keyword×|customer_match|\(message\)/;
// shot saves a screenshot and the text that was on screen, which must hold no raw finding code.
async function shot(page, name) {
  await page.screenshot({ path: join(OUT, name), fullPage: true });
  const text = await page.evaluate(() => document.body.innerText);
  result.texts[name] = text;
  check(!RAW.test(text), `${name}: no raw finding codes on screen`);
}

// The rep's browser: nothing but the managed policy (no proxy flag, no extension flag, no certificate
// switch); the CA is trusted through the NSS database 'sluice ca install' created in this HOME.
const profile = mkdtempSync(join(tmpdir(), 'sluice-story-'));
const rep = await chromium.launchPersistentContext(profile, {
  executablePath: env('SLUICE_CHROMIUM'), headless: false, locale: 'zh-CN', viewport: { width: 1000, height: 900 },
  // Playwright turns extensions and background networking (the extension updater) off by default; the
  // policy must be able to install the extension.
  ignoreDefaultArgs: ['--disable-extensions', '--disable-background-networking'],
  args: ['--headless=new', '--disable-domain-reliability', '--safebrowsing-disable-auto-update',
    // The browser itself resolves nothing but loopback: every site goes through Sluice by the PAC.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1', ...BASE_ARGS],
  env: { ...process.env, LANGUAGE: 'zh_CN', LANG: 'C.UTF-8' },
});
rep.setDefaultTimeout(60000);
const phone = await chromium.launch({ executablePath: env('SLUICE_CHROMIUM'), args: BASE_ARGS }); // the reviewers' phones

async function login(page, user) {
  await page.fill('#login input[name=username]', user);
  await page.fill('#login input[name=password]', PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#login button[type=submit]')]);
  check(!page.url().includes('/login'), `${user} signed in to the console`);
}

// send uploads the customer list from QQ Mail's page as a form (a navigation: the block page answers).
async function send(site) {
  await site.goto(SITE);
  await site.setInputFiles('#file', FILE);
  await Promise.all([site.waitForNavigation(), site.click('#send')]);
}

// review signs user in on a 390×844 phone, opens the request from the queue and approves it.
async function review(user, display, stage, wantStatus, prefix, reqId) {
  const ctx = await phone.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  ctx.setDefaultTimeout(60000);
  const p = await ctx.newPage();
  await p.goto(CONSOLE + '/queue');
  await login(p, user);
  await p.goto(CONSOLE + '/queue');
  await Promise.all([p.waitForNavigation(), p.click(`a.card[href="/request/${reqId}"]`)]);
  const next = await p.textContent('#next');
  check(next.includes(`等待${display} (${user})（${stage}）审批`) && next.includes('批准后，申请人重新发送同一文件即可'), `${user} reads who decides next: ${next}`);
  const body = await p.evaluate(() => document.body.innerText);
  check(body.includes('手机号 60 个') && body.includes('联系人记录 60 条'), 'the findings are in words');
  check((await p.locator('table.rows tr').count()) >= 3, 'the reviewer sees the first rows of the list');
  check(/1[3-9]\d\*{4}\d{4}/.test(await p.textContent('table.rows')) && !/1[3-9]\d{9}/.test(body), 'mobile numbers are masked');
  check(/命中客户名单 60 条，其中：\S{2}\*{4}公司、/.test(body), 'the customer-list matches are counted and named masked (杭州****公司)');
  const nav = await p.$$eval('header nav a', (as) => as.map((a) => ({ text: a.textContent.trim(), right: a.getBoundingClientRect().right })));
  check(nav.every((l) => l.right <= 390), `every nav link is on the phone screen: ${nav.map((l) => l.text).join(' ')}`);
  await shot(p, `${prefix}-request.png`);
  await p.fill('#decide textarea[name=comment]', '同意，仅限本次报价');
  await Promise.all([p.waitForNavigation(), p.click('#approve')]);
  check((await p.textContent('#status')).trim() === wantStatus, `after ${user} approves: ${wantStatus}`);
  if (wantStatus === '已批准') {
    check((await p.textContent('#usage')).includes('已发送 0 次，还可发送 1 次（共 1 次）'), 'the approved request states its sends');
    await p.goto(CONSOLE + '/audit');
    const links = await p.$$eval('header nav a', (as) => as.map((a) => ({ text: a.textContent.trim(), r: a.getBoundingClientRect() })));
    check(links.length === 6 && links[5].text === '审计日志' && links.some((l) => l.text === '异常预警') && links.every((l) => l.r.right <= 390 && l.r.bottom <= 844),
      '审计日志 is on the phone screen with the other five links (异常预警 among them)');
    await shot(p, `${prefix}-audit.png`);
    await p.goto(CONSOLE + '/request/' + reqId);
  }
  await shot(p, `${prefix}-approved.png`);
  await ctx.close();
}

try {
  // 0. The policy installs the extension from the console and configures it; the rep pairs it.
  let sw = rep.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${EXT}/`));
  if (!sw) sw = await rep.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(`chrome-extension://${EXT}/`), timeout: 90000 });
  check(true, `extension ${EXT} force-installed by the policy`);
  await waitFor(async () => ((await sw.evaluate(() => chrome.storage.managed.get())).consoleUrl === CONSOLE),
    'the policy sets the console address in managed storage');
  const base = `chrome-extension://${EXT}`;
  let opts = rep.pages().find((p) => p.url().startsWith(`${base}/options.html`));
  if (!opts) {
    opts = await rep.newPage();
    await opts.goto(`${base}/options.html`);
  }
  await opts.waitForFunction(() => document.querySelector('#consoleUrl').readOnly === true);
  // Debian's Chromium ships only the en-US interface; the rep picks Chinese for the extension once.
  await opts.selectOption('#lang', 'zh_CN');
  await opts.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  const code = env('SLUICE_PAIR_CODE');
  await opts.fill('#pairCode', code.slice(0, 4) + '-' + code.slice(4));
  await opts.click('#pair');
  await opts.waitForSelector('#result.ok');
  check((await opts.textContent('#result')).includes('张三 (zhangsan)'), `paired: ${await opts.textContent('#result')}`);
  await opts.waitForFunction(() => document.querySelector('#conn').dataset.state === 'connected', null, { timeout: 30000 });
  check(true, 'the extension connected to the console');
  await shot(opts, '00-options-paired.png');
  const notices = await rep.newPage();
  await notices.goto(`${base}/notices.html`);
  const site = await rep.newPage();

  // 1. The rep sends the customer list: held, and the block page says what was found, in words.
  await send(site);
  check((await site.textContent('h1')).includes('需要审批'), 'the upload is held for approval');
  check((await site.textContent('#message')).includes('批准后重新发送即可'), 'the block page says to send again once approved');
  const found = await site.textContent('#findings');
  check(found.includes('手机号 60 个') && found.includes('联系人记录 60 条'), `the block page says what was found: ${found}`);
  await shot(site, '01-block-held.png');

  // 2. The extension's notice, in Chinese, names the reviewers; the rep files the request there.
  await notices.bringToFront();
  const held = notices.locator('article.card.held').first();
  await held.locator('form.request-form').waitFor();
  const heldText = await held.textContent();
  check(heldText.includes('先由直属上级 李四 审批，再由部门负责人 王五 审批') && heldText.includes('批准后重新发送即可'),
    'the held card names the next reviewer and says 批准后重新发送即可');
  check(heldText.includes('手机号 60 个'), 'the held card says what was found in words');
  await shot(notices, '02-notice-held.png');
  await held.locator('input[name=receiver]').fill('赵六（ACME 采购部）');
  await held.locator('textarea[name=purpose]').fill('年度报价确认');
  await held.locator('input[name=days]').fill('7');
  await held.locator('button[type=submit]').click();
  await held.locator('.pill.pending').waitFor();
  const reqId = await held.locator('.request-status').getAttribute('data-request');
  result.request = reqId;
  await held.locator('.request-status .next').waitFor();
  check((await held.locator('.request-status .next').textContent()).includes('等待 李四（直属上级）审批'), `request ${reqId} waits for 李四`);
  await shot(notices, '03-notice-filed.png');

  // 3. The lead, then the head, approve on a phone.
  await review('lisi', '李四', '直属上级', '待部门负责人审批', '04-phone-lead', reqId);
  await review('wangwu', '王五', '部门负责人', '已批准', '05-phone-head', reqId);

  // 4. The extension says the approval came, with its sends left and end date.
  const approved = notices.locator('article.card.approved').first();
  await approved.waitFor();
  await waitFor(async () => (await approved.textContent()).includes('还可发送 1 次（共 1 次），有效期至'), 'the approved card states sends left and the end date');
  await shot(notices, '06-notice-approved.png');

  // 5. The retry goes through.
  await send(site);
  check((await site.textContent('#sent')).includes('邮件已发送'), 'the approved retry reaches the site');
  await shot(site, '07-retry-sent.png');

  // 6. A third send, by the site's script: the JSON refusal explains the used-up approval; the card's
  //    再次申请 files the request again in one click.
  await site.goto(SITE);
  await site.setInputFiles('#file', FILE);
  const third = await site.evaluate(async () => {
    const f = document.getElementById('up');
    const r = await fetch(f.action, { method: 'POST', body: new FormData(f) });
    return { status: r.status, body: await r.text() };
  });
  const ref = JSON.parse(third.body);
  check(third.status === 403 && ref.error === 'held_for_approval', 'the third send is held');
  check(ref.approval && ref.approval.state === 'used_up' && ref.approval.request_id === reqId && ref.message.startsWith(`申请 ${reqId} 已使用 1/1 次`),
    `the refusal explains the used-up approval: ${ref.message}`);
  check(ref.again_url.includes(`event=${ref.event_id}&again=${reqId}`), 'the refusal links 再次申请');
  result.refusal = ref;
  result.third_event = ref.event_id;
  await notices.bringToFront();
  const card3 = notices.locator(`article.card.held:has(form.request-form[data-event="${ref.event_id}"])`);
  await card3.waitFor();
  check((await card3.locator('.past').textContent()).includes(`申请 ${reqId} 已使用 1/1 次`), 'the card explains the used-up approval');
  await shot(notices, '08-notice-used-up.png');
  await card3.locator('button.again').click();
  await waitFor(async () => {
    const { requests = {} } = await notices.evaluate(() => chrome.storage.local.get('requests'));
    const r = requests[ref.event_id];
    result.again_ext = r && r.request_id;
    return r && r.status === 'pending' && r.request_id !== reqId;
  }, '再次申请 on the card files a new request');
  check(true, `再次申请 filed ${result.again_ext}`);
  await shot(notices, '09-notice-again-filed.png');

  // 7. A fourth send, as a form: the block page explains it too, and its 再次申请 opens the console form
  //    filled in from the earlier request.
  await send(site);
  check((await site.textContent('#past')).includes(`申请 ${reqId} 已使用 1/1 次`), 'the block page explains the used-up approval');
  await shot(site, '10-block-used-up.png');
  await Promise.all([site.waitForNavigation(), site.click('#again')]);
  await login(site, 'zhangsan');
  check((await site.textContent('#again-intro')).includes(`申请 ${reqId} 已使用 1/1 次`), 'the console form says why');
  check((await site.inputValue('#newreq input[name=receiver]')) === '赵六（ACME 采购部）', 'the form is filled in from the earlier request');
  await shot(site, '11-console-again.png');
  await Promise.all([site.waitForNavigation(), site.click('#newreq button[type=submit]')]);
  const m = site.url().match(/\/request\/(R-[A-Z0-9]+)$/);
  check(m && (await site.textContent('#status')).trim() === '待直属上级审批', 'the new request waits for the lead');
  result.again_page = m[1];
  await shot(site, '12-console-again-filed.png');

  writeFileSync(join(OUT, 'story.json'), JSON.stringify(result, null, 2));
  console.log(`story done: ${Object.keys(result.texts).length} screenshots`);
} catch (e) {
  console.error('story failed:', e && e.stack ? e.stack : e);
  process.exitCode = 1;
} finally {
  await rep.close().catch(() => {});
  await phone.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
