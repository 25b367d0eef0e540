// The customer page of a piece whose gold's suppliers sealed their records
// (`touchstone demo --sealed`), in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core): the page verifies the piece; shows the jeweler's
// opened input (3.850 g) and none of the sealed upstream volumes or facilities
// (a source lot's quantity reads "a sealed quantity", not 0);
// lists the checks it did not do itself (the sealed records' mass balance) and
// names the auditor whose cosignature, checked against the key the server
// pins, covers them ("re-checked by auditor A through entry N").
//
// Usage: node sealed_page_test.mjs --base http://127.0.0.1:PORT --piece ID --auditor NAME
//          --through N [--screenshot FILE]
// Run by tests/auditor_e2e_test.py against a real touchstoned, after the audit.
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({ options: { base: { type: 'string' }, piece: { type: 'string' },
  auditor: { type: 'string' }, through: { type: 'string' }, screenshot: { type: 'string' },
  chromium: { type: 'string', default: '/usr/bin/chromium' } } });

const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });
let failures = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${args.base}/p/${encodeURIComponent(args.piece)}`);
  await page.waitForSelector('body[data-state]', { timeout: 30000 });
  const text = await page.innerText('body');
  assert.equal(await page.getAttribute('body', 'data-state'), 'verified', text);
  assert.ok(text.includes(`re-checked by auditor ${args.auditor} through entry ${args.through}`), text);
  assert.ok(text.includes('3.850 g'), 'the ring\'s own input, opened by its jeweler, is shown');
  for (const hidden of ['250.000 g', '162.500 g', '133.100 g', 'Greenloop, Birmingham', 'Alpenrand, Mendrisio',
    'Berici Oro, Vicenza']) {
    assert.ok(!text.includes(hidden), `the page shows the sealed ${hidden}`);
  }
  assert.ok(text.includes('a sealed quantity of gold scrap'), 'the metal\'s sources say their quantity is sealed');
  assert.match(await page.innerText('#sealed-summary'), /records keep business values committed \(entry \d+/);
  assert.match(await page.innerText('#vouched-list'), /mass balance of transformation/);
  assert.deepEqual(errors, []);
  if (args.screenshot) await page.screenshot({ path: args.screenshot, fullPage: true });
  console.log('ok   the sealed ring verifies, hides its upstream volumes and names its auditor');
  await context.close();
} catch (e) {
  failures++;
  console.log(`FAIL ${e.stack}`);
}
await browser.close();
if (failures > 0) process.exit(1);
console.log('all sealed page tests passed');
