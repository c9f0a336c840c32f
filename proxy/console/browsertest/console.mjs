// Drives the Sluice reviewer console in real Chromium (headless) with playwright-core.
// Run by TestConsoleInChromium (console_browser_test.go), which starts the console and passes:
//   SLUICE_URL, SLUICE_PASSWORD, SLUICE_EVENT (held event id), SLUICE_FILE, SLUICE_OUT (screenshot dir),
//   SLUICE_EVIL (a page on another site that auto-posts a deny to the console),
//   SLUICE_PHASE = file | approve | archive, SLUICE_CHROMIUM (default /usr/bin/chromium).
// Phase "file" prints the new request id as its last line ("REQUEST R-…"); later phases get it in SLUICE_REQUEST.
import { chromium } from 'playwright-core';

const env = process.env;
const base = env.SLUICE_URL;
const out = env.SLUICE_OUT;
const reqID = env.SLUICE_REQUEST || '';
const fileName = env.SLUICE_FILE;

function check(cond, msg) {
  if (!cond) throw new Error('check failed: ' + msg);
}

const browser = await chromium.launch({
  executablePath: env.SLUICE_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run'],
});

async function login(ctx, user) {
  const page = await ctx.newPage();
  await page.goto(base + '/queue');
  check(page.url().includes('/login'), 'unauthenticated /queue should land on the login page, got ' + page.url());
  await page.fill('#login input[name=username]', user);
  await page.fill('#login input[name=password]', env.SLUICE_PASSWORD);
  await Promise.all([page.waitForNavigation(), page.click('#login button[type=submit]')]);
  check(!page.url().includes('/login'), user + ' could not sign in: ' + page.url());
  return page;
}

// approve signs in as user, finds the request in the queue and approves it with a comment.
async function approve(user, comment, wantStatus, shot) {
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await login(ctx, user);
  await page.goto(base + '/queue');
  const card = page.locator(`a.card[href="/request/${reqID}"]`);
  check(await card.count() === 1, `${user}'s queue should list ${reqID}`);
  await page.screenshot({ path: `${out}/${shot}-queue.png`, fullPage: true });
  await Promise.all([page.waitForNavigation(), card.click()]);
  check((await page.textContent('h1')).includes(reqID), 'detail page shows the request id');
  const preview = page.locator('img.preview');
  check(await preview.count() >= 1, 'detail page shows a file preview');
  const loaded = await preview.first().evaluate((img) => img.complete && img.naturalWidth > 0);
  check(loaded, 'the preview image loaded');
  await page.fill('#decide textarea[name=comment]', comment);
  await Promise.all([page.waitForNavigation(), page.click('#approve')]);
  const status = (await page.textContent('#status')).trim();
  check(status === wantStatus, `after ${user} approves, status is "${status}", want "${wantStatus}"`);
  check((await page.textContent('.history')).includes(comment), 'history shows the comment');
  await page.screenshot({ path: `${out}/${shot}-approved.png`, fullPage: true });
  await ctx.close();
}

// fileRequest: the rep opens the form linked from the block page (phone-size), fills it in and submits.
async function fileRequest() {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await login(ctx, 'zhang');
  await page.goto(`${base}/request/new?event=${env.SLUICE_EVENT}`);
  check((await page.textContent('body')).includes('接收方身份'), 'the form asks for the receiver (zh-CN by default)');
  check((await page.textContent('body')).includes(fileName), 'the form shows the held file');
  await page.fill('#newreq input[name=receiver]', '李四（ACME 采购部）');
  await page.fill('#newreq input[name=purpose]', '报价确认');
  await page.fill('#newreq input[name=days]', '7');
  await page.screenshot({ path: `${out}/phone-form.png`, fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click('#newreq button[type=submit]')]);
  const m = page.url().match(/\/request\/(R-[A-Z0-9]+)$/);
  check(m, 'after submitting, the request page opens: ' + page.url());
  check((await page.textContent('#status')).trim() === '待直属上级审批', 'a new request waits for the lead');
  await ctx.close();
  return m[1];
}

// crossSite: li is signed in; a page on another site auto-submits a deny form to the console. It must be refused.
async function crossSite(reqID) {
  const ctx = await browser.newContext();
  await login(ctx, 'li');
  const page = await ctx.newPage();
  const resp = await Promise.all([
    page.waitForResponse((r) => r.url().includes(`/request/${reqID}/deny`)),
    page.goto(`${env.SLUICE_EVIL}/?target=${encodeURIComponent(`${base}/request/${reqID}/deny`)}`),
  ]).then(([r]) => r);
  check(resp.status() === 403, 'cross-site POST answered ' + resp.status() + ', want 403');
  await ctx.close();
}

// english: the language switch turns the console to English and remembers it.
async function english() {
  const ctx = await browser.newContext();
  const page = await login(ctx, 'li');
  await page.goto(base + '/queue');
  await Promise.all([page.waitForNavigation(), page.click('a.lang')]);
  check((await page.textContent('nav')).includes('My queue'), 'English navigation after the switch');
  await page.goto(base + '/history');
  check((await page.textContent('nav')).includes('History'), 'English is remembered');
  await page.screenshot({ path: `${out}/english-history.png`, fullPage: true });
  await ctx.close();
}

try {
  if (env.SLUICE_PHASE === 'file') {
    const id = await fileRequest();
    await crossSite(id);
    await english();
    console.log('REQUEST ' + id);
  } else if (env.SLUICE_PHASE === 'approve') {
    await approve('li', '同意，仅限本次报价', '待部门负责人审批', 'lead');
    await approve('wang', '可以发送', '已批准', 'head');
  } else if (env.SLUICE_PHASE === 'archive') {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await login(ctx, 'inv');
    await page.goto(base + '/archive');
    await page.fill('#archive-search input[name=q]', fileName);
    await page.fill('#archive-search input[name=user]', 'zhang');
    await Promise.all([page.waitForNavigation(), page.click('#archive-search button[type=submit]')]);
    const recs = page.locator('#records li');
    check(await recs.count() === 1, 'archive search finds exactly one record, got ' + await recs.count());
    const text = await recs.first().textContent();
    check(text.includes(fileName) && text.includes(reqID) && text.includes('li') && text.includes('wang'),
      'archive record names the file, request and both approvers: ' + text);
    await page.screenshot({ path: `${out}/archive.png`, fullPage: true });
    await ctx.close();

    // Phone-size viewport: the approved request and the archive stay readable.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const p = await login(phone, 'wang');
    await p.goto(base + '/request/' + reqID);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check(overflow <= 1, 'request page has no horizontal scroll on a phone (overflow ' + overflow + 'px)');
    await p.screenshot({ path: `${out}/phone-request.png`, fullPage: false });
    await phone.close();

    // An admin's navigation has every link (审计日志 last): all of them must be on a 390 px screen.
    const admin = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const a = await login(admin, 'boss');
    await a.goto(base + '/audit');
    const links = await a.$$eval('header nav a', (as) => as.map((x) => {
      const r = x.getBoundingClientRect();
      return { text: x.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    }));
    check(links.length === 6 && links.some((l) => l.text === '异常预警') && links[5].text === '审计日志', 'an admin sees six links, 异常预警 among them, ending with 审计日志: ' + JSON.stringify(links));
    for (const l of links) {
      check(l.left >= 0 && l.right <= 390 && l.bottom <= 844, `nav link ${l.text} is on the phone screen: ${JSON.stringify(l)}`);
    }
    const navOverflow = await a.evaluate(() => { const n = document.querySelector('header nav'); return n.scrollWidth - n.clientWidth; });
    check(navOverflow <= 1, 'the nav does not scroll sideways (' + navOverflow + 'px hidden)');
    await a.screenshot({ path: `${out}/phone-nav.png`, fullPage: false });
    await admin.close();
  } else {
    throw new Error('SLUICE_PHASE must be approve or archive');
  }
  await browser.close();
} catch (e) {
  console.error(e.stack || String(e));
  await browser.close();
  process.exit(1);
}
