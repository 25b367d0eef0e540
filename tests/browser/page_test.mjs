// The customer page in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): a demo piece verifies in the browser and tells its story;
// a bundle with one flipped entry byte, and one whose checkpoint is signed by
// another key, are refused naming the check that failed. Screenshots go to
// --screenshots DIR.
//
// Usage: node page_test.mjs --base http://127.0.0.1:PORT --prefix P --report NUMBER --screenshots DIR
// (NUMBER: the grading report number of the ring's stone, as `touchstone lookup` shows it)
// Run by tests/page_e2e_test.py against a real touchstoned seeded by `touchstone demo`.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({ options: { base: { type: 'string' }, prefix: { type: 'string' },
  screenshots: { type: 'string' }, report: { type: 'string' }, chromium: { type: 'string', default: '/usr/bin/chromium' } } });
const P = args.prefix;
mkdirSync(args.screenshots, { recursive: true });

// touchstone.test resolves to the server too: a plain-HTTP origin that is not localhost.
const browser = await chromium.launch({ executablePath: args.chromium,
  args: ['--no-sandbox', '--host-resolver-rules=MAP touchstone.test 127.0.0.1'] });
let failures = 0;

async function openPage(pieceId, { tamper, viewport } = {}) {
  const context = await browser.newContext({ viewport: viewport || { width: 1000, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  if (tamper) {
    await page.route('**/bundle.json', async (route) => {
      const response = await route.fetch();
      const bundle = await response.json();
      tamper(bundle);
      await route.fulfill({ response, json: bundle });
    });
  }
  await page.goto(`${args.base}/p/${encodeURIComponent(pieceId)}`);
  await page.waitForSelector('body[data-state]', { timeout: 30000 });
  return { page, context, errors };
}

async function test(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n${e.stack}`);
  }
}

const verdict = (page) => page.locator('#verdict').innerText();

await test('a demo ring verifies in the browser and tells its story back to origin', async () => {
  const { page, context, errors } = await openPage(`${P}-RING-1`, { viewport: { width: 900, height: 1150 } });
  await page.screenshot({ path: join(args.screenshots, 'ring.png'), fullPage: true });
  await page.screenshot({ path: join(args.screenshots, 'ring-top.png') });
  assert.equal(await page.locator('body').getAttribute('data-state'), 'verified', await verdict(page));
  assert.equal(await page.locator('#verdict h2').innerText(), 'Verified');
  const v = await verdict(page);
  assert.match(v, /All 38 records of this piece are in that ledger: 38 inclusion proofs/);
  assert.match(v, /All 38 record signatures are valid/);
  assert.match(v, /The claims recycled metal, lab-grown diamonds follow from the origins/);
  const text = await page.locator('main').innerText();
  assert.match(await page.locator('h1').innerText(), /18k solitaire ring/);
  assert.match(text, /Marlowe & Daughters Jewellers Ltd/);                      // the jeweler
  assert.match(text, /Greenloop Metals Recovery Ltd: 150\.000 g of gold scrap, recycled \(post-consumer\)/);  // the recycler
  assert.match(text, /Grown by\s+Kaveri Lab-Grown Diamonds Pvt Ltd, Kaveri reactor hall 2, Surat \(lab-grown\)/);
  assert.match(text, new RegExp(`Meridian Gem Grading Laboratory report number ${args.report}\n`));  // the grading report
  assert.match(text, new RegExp(`"MGL ${args.report}"`));                        // its inscription
  assert.match(text, new RegExp(`grading-report certificate ${P}-report-1 by Meridian Gem Grading Laboratory: valid now`));
  assert.match(text, /recycled-content certificate .* valid now/);
  assert.match(text, /sold on/);
  // The timeline runs from origin to the piece; the pinned key is shown.
  const steps = await page.locator('ol.timeline > li').allInnerTexts();
  assert.ok(steps.findIndex((s) => /creates lot .*-scrap-14k/.test(s)) < steps.findIndex((s) => /makes piece/.test(s)));
  assert.match(await page.locator('#vkey').innerText(), /^touchstone\.local\/ledger\+[0-9a-f]{8}\+/);
  assert.deepEqual(errors, []);
  await context.close();
});

await test('on a phone the page fits the screen', async () => {
  const { page, context } = await openPage(`${P}-RING-1`, { viewport: { width: 390, height: 844 } });
  await page.screenshot({ path: join(args.screenshots, 'ring-phone.png') });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Verified');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
  await context.close();
});

await test('the pendant shows its revoked grading report and the replacement stone', async () => {
  const { page, context } = await openPage(`${P}-PENDANT-1`);
  await page.screenshot({ path: join(args.screenshots, 'pendant.png'), fullPage: true });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Verified');
  const text = await page.locator('main').innerText();
  assert.match(text, new RegExp(`Stone ${P}-stone-3`));
  assert.doesNotMatch(text, new RegExp(`Stone ${P}-stone-2\\b`));
  assert.match(text, new RegExp(`${P}-report-2 by Meridian Gem Grading Laboratory: revoked now \\(revoked from`));
  assert.match(text, new RegExp(`replaces stone ${P}-stone-2 with ${P}-stone-3`));
  await context.close();
});

await test('one flipped byte in one entry fails the inclusion proof of that entry', async () => {
  let flipped;
  const { page, context } = await openPage(`${P}-RING-1`, {
    tamper: (bundle) => {
      const e = bundle.entries[5];
      const bytes = Buffer.from(e.entry, 'base64');
      bytes[bytes.length - 80] ^= 0x01;  // inside the record
      e.entry = bytes.toString('base64');
      flipped = e.index;
    },
  });
  await page.screenshot({ path: join(args.screenshots, 'tampered-entry.png') });
  assert.equal(await page.locator('body').getAttribute('data-state'), 'failed');
  assert.equal(await page.locator('#verdict h2').innerText(), 'Not verified');
  const v = await verdict(page);
  assert.match(v, new RegExp(`The check "inclusion proof" failed: entry ${flipped}: its inclusion proof does not lead to the checkpoint's root`));
  assert.ok(await page.locator('#story').isHidden(), 'a failed bundle\'s story is not shown');
  await context.close();
});

await test('a checkpoint signed by another key under the log\'s name fails the checkpoint signature', async () => {
  const { page, context } = await openPage(`${P}-RING-1`, {
    tamper: (bundle) => {
      const note = bundle.checkpoint;
      const split = note.lastIndexOf('\n\n');
      const text = note.slice(0, split + 1);
      const line = note.slice(split + 2).split('\n')[0];
      const [, name, b64] = /^\u2014 (\S+) (\S+)$/.exec(line);
      const keyId = Buffer.from(b64, 'base64').subarray(0, 4);  // claim the pinned key's ID
      const { privateKey } = generateKeyPairSync('ed25519');
      const sig = sign(null, Buffer.from(text), privateKey);
      const forged = `${text}\n\u2014 ${name} ${Buffer.concat([keyId, sig]).toString('base64')}\n`;
      bundle.checkpoint = forged;
      for (const e of bundle.entries) e.tlog_proof = e.tlog_proof.replace(note, forged);
    },
  });
  await page.screenshot({ path: join(args.screenshots, 'other-key.png') });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Not verified');
  assert.match(await verdict(page), /The check "checkpoint signature" failed: the signature by touchstone\.local\/ledger does not match the checkpoint/);
  assert.ok(await page.locator('#story').isHidden());
  await context.close();
});

await test('a bundle missing the recycler\'s lot fails completeness', async () => {
  const { page, context } = await openPage(`${P}-RING-1`, {
    tamper: (bundle) => {
      bundle.entries = bundle.entries.filter((e) => {
        const rec = Buffer.from(e.entry, 'base64');
        return !rec.includes(Buffer.from(`${P}-scrap-14k`)) || rec.includes(Buffer.from(`${P}-melt-1`));
      });
    },
  });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Not verified');
  assert.match(await verdict(page), new RegExp(`The check "completeness" failed: entry \\d+: lot ${P}-scrap-14k is not in the bundle`));
  await context.close();
});

await test('over plain HTTP from a public name the page refuses to verify rather than pretend', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${args.base.replace('127.0.0.1', 'touchstone.test')}/p/${P}-RING-1`);
  await page.waitForSelector('body[data-state]', { timeout: 30000 });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Not verified');
  assert.match(await verdict(page), /The check "browser support" failed: this page has no WebCrypto here \(it must be opened over HTTPS or from localhost\)/);
  await context.close();
});

await test('an unknown piece says so', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${args.base}/p/${P}-NO-SUCH-PIECE`);
  assert.equal(response.status(), 404);
  await context.close();
});

await browser.close();
if (failures) {
  console.log(`${failures} browser test(s) failed`);
  process.exit(1);
}
console.log('all browser tests passed');
