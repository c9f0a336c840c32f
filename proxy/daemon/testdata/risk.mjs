// Opens the console's Risk page in real Chromium as an admin and prints the ranking it shows, one user per
// line ("RANK <user> <crossed>"), and saves a phone-size screenshot. Run by TestRiskPageInChromium with
// SLUICE_URL, SLUICE_USER, SLUICE_PASSWORD, SLUICE_OUT and SLUICE_CHROMIUM.
import { chromium } from 'playwright-core';

const env = process.env;
const browser = await chromium.launch({
  executablePath: env.SLUICE_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  const page = await ctx.newPage();
  await page.goto(env.SLUICE_URL + '/risk');
  if (page.url().includes('/login')) {
    await page.fill('input[name=username]', env.SLUICE_USER);
    await page.fill('input[name=password]', env.SLUICE_PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }
  if (!page.url().includes('/risk')) throw new Error('not on the Risk page: ' + page.url());
  const rows = await page.$$eval('tr[data-user]', (trs) => trs.map((tr) => [tr.dataset.user, tr.classList.contains('crossed'), tr.innerText]));
  for (const [user, crossed, text] of rows) {
    console.log(`RANK ${user} ${crossed} ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  await page.screenshot({ path: `${env.SLUICE_OUT}/risk-phone.png`, fullPage: true });
} finally {
  await browser.close();
}
