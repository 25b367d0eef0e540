// The customer page in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): a demo piece verifies in the browser, with its witness's
// cosignature checked, and tells its story; a bundle with one flipped entry
// byte, one whose checkpoint is signed by another key, one with a bad witness
// cosignature, and two forged by the operator (a signer without the role, a
// receipt by someone the lot was not shipped to) are refused naming the check
// that failed; a cosignature by a witness the page does not pin is shown as not
// checked. Screenshots go to --screenshots DIR.
//
// Usage: node page_test.mjs --base http://127.0.0.1:PORT --prefix P --report NUMBER --screenshots DIR
//          --witness NAME --forged-roles FILE --forged-custody FILE
// (NUMBER: the grading report number of the ring's stone, as `touchstone lookup` shows it;
// NAME: the server's witness; FILEs: forged bundle JSON from tests/forge_bundle.py)
// Run by tests/page_e2e_test.py against a real touchstoned seeded by `touchstone demo`.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({ options: { base: { type: 'string' }, prefix: { type: 'string' },
  screenshots: { type: 'string' }, report: { type: 'string' }, chromium: { type: 'string', default: '/usr/bin/chromium' },
  witness: { type: 'string' }, 'forged-roles': { type: 'string' }, 'forged-custody': { type: 'string' } } });
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
  assert.match(v, /All 43 records of this piece are in that ledger: 43 inclusion proofs/);
  assert.match(v, /All 43 record signatures are valid/);
  assert.match(v, /Each material claim \(recycled gold, segregated, 100% \(scs-recycled\); lab-grown diamond, identity preserved, 100%\) follows from the records/);
  assert.match(v, /Every signer held a role that may write its record, and none was suspended\./);
  assert.equal(await page.locator('#recall').count(), 0, 'no certificate the ring relied on is revoked');
  assert.match(v, /Custody: every lot of the piece was shipped, transformed or set only by its holder, and each of the \d+ shipments was received/);
  assert.match(v, /All 43 records are encoded the one way the ledger accepts/);
  assert.match(await page.locator('#witness-summary').innerText(), /^1 of the 1 witnesses this page pins cosigned this checkpoint; 1 is required for "Verified"\.$/);
  assert.equal(await page.locator('#witness-list li').count(), 1);
  assert.match(await page.locator('#witness-list').innerText(),
    new RegExp(`^Cosigned by witness ${args.witness} on \\d{4}-\\d\\d-\\d\\d: signature checked with its pinned key\\.$`));
  assert.match(await page.locator('#witness-keys').innerText(), new RegExp(`^${args.witness}\\+[0-9a-f]{8}\\+`));
  const text = await page.locator('main').innerText();
  assert.match(await page.locator('h1').innerText(), /18k solitaire ring/);
  assert.match(text, /Marlowe & Daughters Jewellers Ltd/);                      // the jeweler
  // the recycler, its quantity in grams, troy ounces and pennyweights (trade.js massText)
  assert.match(text, /Greenloop Metals Recovery Ltd: 150\.000 g \(4\.823 ozt, 96\.452 dwt\) of gold scrap, recycled \(post-consumer\)/);
  assert.match(text, /Grown by\s+Kaveri Lab-Grown Diamonds Pvt Ltd, Kaveri reactor hall 2, Surat \(lab-grown\)/);
  assert.match(text, new RegExp(`International Gemological Institute \\(demo key\\) report number ${args.report}\n`));  // the grading report
  assert.match(text, new RegExp(`"IGI ${args.report}"`));                        // its inscription
  assert.match(text, new RegExp(`igi certificate ${P}-report-1 by International Gemological Institute \\(demo key\\): valid now`));
  assert.match(text, /scs-recycled certificate .* valid now/);
  assert.match(text, /sold on/);
  // The timeline runs from origin to the piece; the pinned key is shown.
  const steps = await page.locator('ol.timeline > li').allInnerTexts();
  assert.ok(steps.findIndex((s) => /creates lot .*-scrap-14k/.test(s)) < steps.findIndex((s) => /makes piece/.test(s)));
  assert.match(await page.locator('#vkey').innerText(), /^touchstone\.local\/ledger\+[0-9a-f]{8}\+/);
  // Each step shows the date it gives and the date the ledger recorded it.
  assert.ok(steps.every((s) => / · recorded .* · entry \d+/.test(s)), steps[0]);
  assert.deepEqual(errors, []);
  await context.close();
});

await test("the heirloom ring verifies and tells the owner's gold from the bracelet to the ring", async () => {
  const { page, context, errors } = await openPage(`${P}-HEIRLOOM-RING-1`, { viewport: { width: 1000, height: 1250 } });
  await page.screenshot({ path: join(args.screenshots, 'heirloom-ring.png'), fullPage: true });
  assert.equal(await page.locator('body').getAttribute('data-state'), 'verified', await verdict(page));
  const v = await verdict(page);
  assert.match(v, /Every ownership record of the piece is signed by the owner key \(or the participant\) its owner's records allow/);
  assert.match(v, /The owner's material \(made from the owner's gold: 4\.537 g of its 4\.537 g fine gold\) follows from the heirloom intake, co-signed by the owner's key/);
  // Whose gold: the intake's owner key, which the sale made the ring's owner too.
  assert.match(await page.locator('#heirloom-claim').innerText(),
    /^made from the owner's gold: 4\.537 g of its 4\.537 g fine gold \(checked; the owner: key [0-9a-f]{16}, the piece's current owner\)$/);
  const text = await page.locator('main').innerText();
  assert.match(text, new RegExp(`The old piece: ${P}-BRACELET-1`));
  assert.match(text, /7\.812 g \(0\.251 ozt, 5\.023 dwt\) of gold, 585 \(14k\) fine by fire assay: 4\.570 g fine gold/);
  assert.match(text, /refined by Marlowe & Daughters Jewellers Ltd \(entry \d+\): the owner's gold 4\.570 g fine in, 4\.564 g fine out/);
  assert.match(text, /cast by .*: the owner's gold 4\.564 g fine in, 4\.537 g fine out/);
  assert.doesNotMatch(text, /grandmother|granddaughter/);  // the CLI's local labels never reach the log
  assert.deepEqual(errors, []);
  await context.close();
});

await test('the wedding band, whose story an error declaration touches, verifies', async () => {
  const { page, context, errors } = await openPage(`${P}-BAND-1`);
  assert.equal(await page.locator('body').getAttribute('data-state'), 'verified', await verdict(page));
  assert.deepEqual(errors, []);
  await context.close();
});

await test('the genuine bundle of another piece served for this page fails the piece check', async () => {
  const pendant = await (await fetch(`${args.base}/p/${P}-PENDANT-1/bundle.json`)).json();
  const { page, context } = await openPage(`${P}-RING-1`, { tamper: (bundle) => Object.assign(bundle, pendant) });
  assert.equal(await page.locator('body').getAttribute('data-check'), 'piece');
  assert.match(await verdict(page), new RegExp(`The check "piece" failed: this bundle is about piece '${P}-PENDANT-1', not '${P}-RING-1', the piece this page is for`));
  await context.close();
});

await test('a checkpoint no pinned witness cosigned is not Verified: the quorum is demanded', async () => {
  const { page, context } = await openPage(`${P}-RING-1`, {
    tamper: (bundle) => withNote(bundle, bundle.checkpoint.split('\n').filter((l) => !l.startsWith(`\u2014 ${args.witness} `)).join('\n')),
  });
  assert.equal(await page.locator('body').getAttribute('data-check'), 'witnesses');
  assert.match(await verdict(page), /The check "witnesses" failed: checkpoint: cosigned by 0 of the 1 witnesses given; 1 required/);
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
  assert.match(text, new RegExp(`${P}-report-2 by International Gemological Institute \\(demo key\\): revoked now \\(revoked from`));
  assert.match(text, new RegExp(`replaces stone ${P}-stone-2 with ${P}-stone-3`));
  assert.match(await page.locator('#recall').innerText(),
    new RegExp(`^A certificate this piece relied on was revoked after it was made: igi certificate ${P}-report-2 by International Gemological Institute \\(demo key\\): revoked now \\(revoked from .*: colour is G, not F\\)\\.$`));
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
  assert.match(v, new RegExp(`The check "inclusion" failed: entry ${flipped} is not in the log under the checkpoint \\(size \\d+\\): its inclusion proof does not lead to the checkpoint's root`));
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
  assert.match(await verdict(page), /The check "checkpoint" failed: the signature by touchstone\.local\/ledger does not match the checkpoint/);
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
  assert.match(await verdict(page), new RegExp(`The check "completeness" failed: the record creating lot '${P}-scrap-14k' is not in the bundle \\(entry \\d+ names it\\)`));
  await context.close();
});

// Replaces the bundle's checkpoint note, in the bundle and in every entry's proof.
function withNote(bundle, note) {
  for (const e of bundle.entries) e.tlog_proof = e.tlog_proof.replace(bundle.checkpoint, note);
  bundle.checkpoint = note;
}

// A valid cosignature line (c2sp.org/tlog-cosignature) by a new witness key named `name`.
function cosignatureLine(note, name) {
  const text = note.slice(0, note.lastIndexOf('\n\n') + 1);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const keyId = createHash('sha256').update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.from([4]), raw])).digest().subarray(0, 4);
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)));
  const sig = sign(null, Buffer.concat([Buffer.from(`cosignature/v1\ntime ${time.readBigUInt64BE()}\n`), Buffer.from(text)]), privateKey);
  return `\u2014 ${name} ${Buffer.concat([keyId, time, sig]).toString('base64')}\n`;
}

await test('a cosignature by a witness the page does not pin is shown, honestly unchecked', async () => {
  const { page, context, errors } = await openPage(`${P}-RING-1`, {
    tamper: (bundle) => withNote(bundle, bundle.checkpoint + cosignatureLine(bundle.checkpoint, 'other.example/witness')),
  });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Verified', await verdict(page));
  const list = await page.locator('#witness-list li').allInnerTexts();
  assert.equal(list.length, 2);
  assert.match(list[0], new RegExp(`^Cosigned by witness ${args.witness} on .*: signature checked with its pinned key\\.$`));
  assert.equal(list[1], 'Cosigned by other.example/witness (not checked: key not pinned).');
  assert.deepEqual(errors, []);
  await context.close();
});

await test('a pinned witness\'s cosignature that does not match the checkpoint fails the witness check', async () => {
  const { page, context } = await openPage(`${P}-RING-1`, {
    tamper: (bundle) => {
      const lines = bundle.checkpoint.split('\n');
      const at = lines.findIndex((l) => l.startsWith(`\u2014 ${args.witness} `));
      assert.ok(at > 0, 'the bundle carries the witness\'s cosignature');
      const [dash, name, b64] = lines[at].split(' ');
      const sig = Buffer.from(b64, 'base64');
      sig[sig.length - 1] ^= 0x01;
      lines[at] = `${dash} ${name} ${sig.toString('base64')}`;
      withNote(bundle, lines.join('\n'));
    },
  });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Not verified');
  assert.match(await verdict(page), new RegExp(`The check "witnesses" failed: the cosignature by ${args.witness} \\(key [0-9a-f]{8}\\) does not match the checkpoint`));
  assert.ok(await page.locator('#story').isHidden());
  await context.close();
});

// A bundle the operator forged (tests/forge_bundle.py): every proof, signature and the
// checkpoint signature are valid; one record breaks one rule.
const forged = (file) => (bundle) => Object.assign(bundle, JSON.parse(readFileSync(file, 'utf8')));

await test('a record by a signer without the role to write it fails the role check', async () => {
  const { page, context } = await openPage(`${P}-RING-1`, { tamper: forged(args['forged-roles']) });
  await page.screenshot({ path: join(args.screenshots, 'forged-role.png') });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Not verified', await verdict(page));
  assert.match(await verdict(page), new RegExp(`The check "roles" failed: entry \\d+ \\(lot_created\\): '${P}-recycler' does not hold the role it needs \\(ROLE_RECYCLER or ROLE_REFINER\\)`));
  assert.ok(await page.locator('#story').isHidden());
  await context.close();
});

await test('a receipt signed by someone the lot was not shipped to fails the custody check', async () => {
  const { page, context } = await openPage(`${P}-RING-1`, { tamper: forged(args['forged-custody']) });
  assert.equal(await page.locator('#verdict h2').innerText(), 'Not verified', await verdict(page));
  assert.match(await verdict(page), new RegExp(`The check "custody" failed: custody rule: entry \\d+ \\(custody_received\\) receives lot '${P}-melt-1' under shipment '${P}-shp-\\d+', which no earlier record ships to '${P}-maker'`));
  assert.ok(await page.locator('#story').isHidden());
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
