// Drives the Sluice reviewer console in real Chromium (headless) with playwright-core.
// Run by TestConsoleInChromium (console_browser_test.go), which starts the console and passes:
//   SLUICE_URL, SLUICE_PASSWORD, SLUICE_REQUEST, SLUICE_FILE, SLUICE_OUT (screenshot dir),
//   SLUICE_PHASE = approve | archive, SLUICE_CHROMIUM (default /usr/bin/chromium).
import { chromium } from 'playwright-core';

const env = process.env;
const base = env.SLUICE_URL;
const out = env.SLUICE_OUT;
const reqID = env.SLUICE_REQUEST;
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

try {
  if (env.SLUICE_PHASE === 'approve') {
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
  } else {
    throw new Error('SLUICE_PHASE must be approve or archive');
  }
  await browser.close();
} catch (e) {
  console.error(e.stack || String(e));
  await browser.close();
  process.exit(1);
}
