// Renders HTML pages to PNG screenshots in headless Chromium (playwright-core), for the OCR tests.
// Usage: node shoot.mjs JOBS.json, where JOBS.json is an array of
//   {"html": "/abs/page.html", "out": "/abs/shot.png", "width": 1920, "height": 1080, "scale": 1.5, "fullPage": true}
// (width/height: the CSS viewport; scale: device pixels per CSS pixel, i.e. 150 % zoom = 1.5).
// Env: SLUICE_CHROMIUM (default /usr/bin/chromium). Prints one "OK out WxH" line per job.
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({
  executablePath: process.env.SLUICE_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--font-render-hinting=none'],
});
try {
  for (const j of jobs) {
    const ctx = await browser.newContext({
      viewport: { width: j.width, height: j.height }, deviceScaleFactor: j.scale || 1,
    });
    const page = await ctx.newPage();
    await page.goto(pathToFileURL(j.html).href);
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: j.out, fullPage: !!j.fullPage });
    const size = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
    console.log('OK', j.out, size.join('x'));
    await ctx.close();
  }
} finally {
  await browser.close();
}
