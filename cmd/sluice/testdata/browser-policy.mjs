// Starts Debian Chromium with the policy 'sluice deploy browser-policy' wrote (bind-mounted over
// /etc/chromium by the Go test) and checks what the policy does. Run by TestBrowserPolicyInChromium.
//
// Env: SLUICE_CHROMIUM, SLUICE_MODE (live | pac-down), SLUICE_EXT_ID, SLUICE_CONSOLE_URL, SLUICE_SITE,
// SLUICE_DIRECT_SITE, SLUICE_PAIR_CODE (live), SLUICE_OUT (screenshots + result-MODE.json).
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`browser-policy.mjs: ${k} is not set; run it through go test ./cmd/sluice/`);
  return v;
};
const MODE = env('SLUICE_MODE');
const OUT = env('SLUICE_OUT');
const checks = [];
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  checks.push(what);
  console.log('ok -', what);
}

const userDataDir = mkdtempSync(join(tmpdir(), 'sluice-policy-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: env('SLUICE_CHROMIUM'),
  headless: false, // --headless=new below: extensions need the new headless mode
  viewport: { width: 900, height: 900 },
  // Playwright turns extensions off by default; the policy must be able to install one.
  // Background networking must stay on: Chromium's extension updater (which installs force-listed
  // extensions) is off without it.
  ignoreDefaultArgs: ['--disable-extensions', '--disable-background-networking'],
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-sync', '--lang=zh-CN',
    '--disable-domain-reliability', '--safebrowsing-disable-auto-update',
    // The "direct" site has a public-looking name that only this browser resolves, to loopback; every
    // other name resolves to nothing, so the browser itself can reach nothing but loopback.
    '--host-resolver-rules=MAP direct.sluice.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1'],
  env: { ...process.env, LANG: 'zh_CN.UTF-8', LANGUAGE: 'zh_CN' },
});
context.setDefaultTimeout(60000);
const result = { mode: MODE, checks };
try {
  if (MODE === 'pac-down') {
    const page = await context.newPage();
    let err = '';
    try {
      await page.goto(env('SLUICE_DIRECT_SITE'), { timeout: 30000 });
    } catch (e) {
      err = String(e.message || e);
    }
    result.error = err;
    check(err.includes('ERR_MANDATORY_PROXY_CONFIGURATION_FAILED'),
      `with the PAC file unreachable the page fails instead of going direct (${err.split('\n')[0]})`);
  } else {
    const id = env('SLUICE_EXT_ID');
    const consoleUrl = env('SLUICE_CONSOLE_URL');
    // 1. The extension is force-installed from the console's update manifest.
    let sw = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${id}/`));
    if (!sw) sw = await context.waitForEvent('serviceworker', { predicate: (w) => w.url().startsWith(`chrome-extension://${id}/`), timeout: 90000 });
    check(true, `extension ${id} force-installed by policy from ${consoleUrl}/extension/updates.xml`);
    // Chromium loads the extension's 3rdparty policy shortly after installing it: wait for it.
    let managed = {};
    for (let i = 0; i < 60 && !managed.consoleUrl; i++) {
      managed = await sw.evaluate(() => chrome.storage.managed.get());
      if (!managed.consoleUrl) await new Promise((r) => setTimeout(r, 500));
    }
    result.managed = managed;
    check(managed.consoleUrl === consoleUrl && managed.pairing === true,
      `managed storage from the policy: ${JSON.stringify(managed)}`);
    const pin = await sw.evaluate(() => chrome.action.getUserSettings());
    check(pin.isOnToolbar === true, 'the policy pins the extension to the toolbar (toolbar_pin: force_pinned)');
    const self = await sw.evaluate(() => chrome.management.getSelf());
    check(self.installType === 'admin', `Chromium reports the extension as installed by the administrator (${self.installType})`);

    // 2. Pages go through Sluice: the PAC sends pan.baidu.com to the proxy, which only Sluice can resolve.
    const page = await context.newPage();
    const resp = await page.goto(env('SLUICE_SITE'));
    const body = await page.textContent('body');
    check(resp.status() === 200 && body.includes('upstream ok'), `${env('SLUICE_SITE')} loaded through Sluice (${body.trim()})`);

    // 3. The settings page the extension opened on install: console fixed by policy, pairing with the code.
    const optsURL = `chrome-extension://${id}/options.html`;
    let opts = context.pages().find((p) => p.url().startsWith(optsURL));
    if (!opts) {
      opts = await context.newPage();
      await opts.goto(optsURL);
    }
    await opts.waitForFunction(() => document.querySelector('#consoleUrl').readOnly === true);
    check((await opts.inputValue('#consoleUrl')) === consoleUrl, 'the console address is set by policy and read-only');
    check(!(await opts.locator('#tokenSection').evaluate((d) => d.open)), 'with pairing, the token field is folded away');
    const intro = await opts.textContent('#intro'); // Debian's chromium has only the en-US UI locale
    check(intro.includes('配对码') || intro.includes('pairing code'), `the page asks for the pairing code: ${intro}`);
    await opts.fill('#pairCode', 'WRONG-CODE');
    await opts.click('#pair');
    await opts.waitForSelector('#result.error');
    check(/配对|pairing/i.test(await opts.textContent('#result')), `a malformed code is refused: ${await opts.textContent('#result')}`);
    const code = env('SLUICE_PAIR_CODE');
    await opts.fill('#pairCode', code.toLowerCase().slice(0, 4) + ' ' + code.slice(4));
    await opts.click('#pair');
    await opts.waitForSelector('#result.ok');
    const ok = await opts.textContent('#result');
    check(ok.includes('张三 (zhangsan)') && ok.includes('A1024'), `paired with the one-time code: ${ok}`);
    await opts.waitForFunction(() => document.querySelector('#conn').dataset.state === 'connected', null, { timeout: 30000 });
    check(true, 'the extension connected to the console WebSocket with the paired credential');
    await opts.screenshot({ path: join(OUT, 'policy-options.png'), fullPage: true });
    // 4. Chromium shows the policies as mandatory (chrome://policy lists their values).
    const pol = await context.newPage();
    await pol.goto('chrome://policy');
    // (Playwright's text locators see into the page's shadow DOM, textContent does not)
    await pol.locator('text=ProxySettings').first().waitFor();
    await pol.locator('text=ExtensionInstallForcelist').first().waitFor();
    check(await pol.locator('text=ProxyPacMandatory').count() > 0, 'chrome://policy shows ProxySettings with ProxyPacMandatory and ExtensionInstallForcelist as machine policy');
    await pol.screenshot({ path: join(OUT, 'policy-chrome-policy.png'), fullPage: true });
  }
  writeFileSync(join(OUT, `result-${MODE}.json`), JSON.stringify(result, null, 2));
  console.log(`all ${checks.length} checks passed`);
} catch (e) {
  console.error('browser policy test failed:', e && e.stack ? e.stack : e);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
