// Loads one HTTPS page in Debian Chromium through the Sluice proxy, with HOME (and so the NSS database
// ~/.pki/nssdb that Chromium trusts) given by the Go test. Run by TestCAInstallTrustedByChromium.
//
// Env: SLUICE_CHROMIUM, SLUICE_PROXY (HOST:PORT), SLUICE_URL, SLUICE_EXPECT (trusted | untrusted), SLUICE_OUT.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`ca-page.mjs: ${k} is not set; run it through go test ./cmd/sluice/`);
  return v;
};
const expect = env('SLUICE_EXPECT');
const userDataDir = mkdtempSync(join(tmpdir(), 'sluice-ca-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: env('SLUICE_CHROMIUM'),
  headless: false,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', `--proxy-server=http://${env('SLUICE_PROXY')}`,
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
  // HOME is the fresh home the test installed into; Chromium reads $HOME/.pki/nssdb
  env: { ...process.env },
});
const result = { expect };
try {
  const page = await context.newPage();
  try {
    const resp = await page.goto(env('SLUICE_URL'), { timeout: 30000 });
    const sec = await resp.securityDetails();
    result.status = resp.status();
    result.issuer = sec && sec.issuer;
    result.body = (await page.textContent('body')).trim();
  } catch (e) {
    result.error = String(e.message || e).split('\n')[0];
  }
  await page.screenshot({ path: join(env('SLUICE_OUT'), `ca-${expect}.png`) }).catch(() => {});
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
writeFileSync(join(env('SLUICE_OUT'), `ca-${expect}.json`), JSON.stringify(result, null, 2));
