// Screenshots for the watermark tests, taken by real headless Chromium through playwright-core.
// Usage: node shoot.mjs JOBS.json — JOBS is a list of
//   {"url": "file:///…", "width": W, "height": H, "scale": S, "selector": "img" | "", "full": bool, "out": "….png",
//    "pdf": "….pdf" (print the page to PDF instead of a screenshot)}
// Chromium: SLUICE_CHROMIUM or /usr/bin/chromium. One browser serves every job; a failed job prints "FAIL out: why".
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({
  executablePath: process.env.SLUICE_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--lang=zh-CN'],
});
let failed = 0;
for (const j of jobs) {
  const ctx = await browser.newContext({ viewport: { width: j.width, height: j.height }, deviceScaleFactor: j.scale || 1, locale: 'zh-CN' });
  const page = await ctx.newPage();
  try {
    await page.goto(j.url, { waitUntil: 'load', timeout: 60000 });
    if (j.wait) await page.waitForTimeout(j.wait);
    if (j.pdf) {
      await page.pdf({ path: j.pdf, format: 'A4', printBackground: true });
    } else if (j.selector) {
      await page.locator(j.selector).first().screenshot({ path: j.out, timeout: 60000 });
    } else {
      await page.screenshot({ path: j.out, fullPage: !!j.full, timeout: 60000 });
    }
  } catch (e) {
    failed++;
    console.log('FAIL ' + (j.out || j.pdf) + ': ' + String(e).split('\n')[0]);
  }
  await ctx.close();
}
await browser.close();
process.exit(failed ? 1 : 0);
