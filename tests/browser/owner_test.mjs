// A piece's owners act from the customer page (services/web/owner.js) in headless
// Chromium, each browser with a virtual authenticator (Chrome DevTools Protocol,
// WebAuthn domain: CTAP2, internal, resident keys, user verification), on
// http://localhost:PORT (rp id "localhost"):
//   1. browser 1 makes an owner key (a passkey); the key string the page shows is
//      that passkey (its public key is the authenticator's credential's);
//   2. the jeweler records the sale naming it (`touchstone submit`, its demo key);
//   3. browser 1 takes ownership (terms: the jeweler as recovery agent);
//   4. browser 2 makes its key; browser 1 gives the piece to it; browser 2 takes
//      ownership and proves it: a third browser's check says "held by the current
//      owner"; a proof by browser 1's key says "not the current owner";
//   5. a transfer browser 1 signs after giving the piece away is refused by the
//      ledger, the refusal shown on the page, and the log does not grow;
//   6. browser 2 reports the piece stolen: its transfer is refused until it
//      reports it recovered.
// Each page verifies its bundle (the owner records included) before it acts.
// Screenshots go to --screenshots DIR.
//
// Usage: node owner_test.mjs --base http://localhost:PORT --prefix P --piece ID --screenshots DIR
//          --web DIR --touchstone CLI --server HOST:PORT --keys-dir DIR
// Run by tests/owner_e2e_test.py against a real touchstoned seeded by `touchstone demo`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({ options: { base: { type: 'string' }, prefix: { type: 'string' },
  piece: { type: 'string' }, screenshots: { type: 'string' }, web: { type: 'string' },
  touchstone: { type: 'string' }, server: { type: 'string' }, 'keys-dir': { type: 'string' },
  chromium: { type: 'string', default: '/usr/bin/chromium' } } });
const { parseOwnerKeyString } = await import(pathToFileURL(join(args.web, 'owner.js')).href);
mkdirSync(args.screenshots, { recursive: true });
const shot = (page, name) => page.screenshot({ path: join(args.screenshots, name), fullPage: true });
const piece = args.piece;
const jeweler = `${args.prefix}-jeweler`;

const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });
let failures = 0;
const pages = [];

// A fresh browser context and page with a virtual authenticator of its own (or none).
async function openBrowser({ authenticator = true } = {}) {
  const context = await browser.newContext({ viewport: { width: 900, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A refusal of /v1/owner-records is logged by Chromium as a failed load: that is the ledger
  // saying no, which the tests check on the page; anything else is an error.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location().url.endsWith('/v1/owner-records')) errors.push(`${m.text()} (${m.location().url})`);
  });
  let cdp = null, authenticatorId = null;
  if (authenticator) {
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true } }));
  }
  const b = { context, page, errors, cdp, authenticatorId };
  pages.push(b);
  await load(b);
  return b;
}

// (Re)loads the piece page; waits until it has verified its bundle and drawn the owner section.
async function load(b) {
  await b.page.goto(`${args.base}/p/${encodeURIComponent(piece)}`);
  await ready(b);
}

async function ready(b) {
  await b.page.waitForSelector('body[data-state]', { timeout: 60000 });
  await b.page.waitForSelector('#owner[data-ready]', { timeout: 60000 });
  assert.equal(await b.page.locator('body').getAttribute('data-state'), 'verified', await b.page.locator('#verdict').innerText());
}

// Clicks an owner action that signs and submits: 'loaded' once the page reloaded
// (and verified again) after the ledger took the record, or 'refused' with the
// page's message shown.
async function act(b, selector) {
  const loaded = b.page.waitForEvent('load', { timeout: 60000 }).then(() => 'loaded', () => 'timeout');
  await b.page.click(selector);
  const refused = b.page.waitForSelector('#owner-message.error', { timeout: 60000 }).then(() => 'refused', () => 'timeout');
  const how = await Promise.race([loaded, refused]);
  if (how === 'loaded') await ready(b);
  return how;
}

const ownerText = (b) => b.page.locator('#owner-status').innerText();
const message = (b) => b.page.locator('#owner-message').innerText();

async function createKey(b) {
  await b.page.click('#owner-create');
  await b.page.waitForSelector('#owner-key-string', { timeout: 60000 });
  const text = await b.page.locator('#owner-key-string').inputValue();
  return { text, ...(await parseOwnerKeyString(text)) };
}

// The owner log's size, from the bundle the server serves (its checkpoint's second line).
async function logSize() {
  const bundle = await (await fetch(`${args.base}/p/${encodeURIComponent(piece)}/bundle.json`, { cache: 'no-store' })).json();
  return Number(bundle.checkpoint.split('\n')[1]);
}

async function test(name, fn) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n${e.stack}`);
    for (const [i, b] of pages.entries()) await b.page.screenshot({ path: join(args.screenshots, `owner-failure-${i}.png`), fullPage: true }).catch(() => {});
  }
}

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
let one, two, checker, key1, key2, nonce;

await test('a page makes a passkey owner key and shows it as the owner key string', async () => {
  one = await openBrowser();
  assert.match(await ownerText(one), /No owner key holds this piece on the ledger/);
  assert.match(await one.page.locator('#owner-keys').innerText(), /This browser holds no owner key yet/);
  key1 = await createKey(one);
  await shot(one.page, 'owner-key.png');
  assert.ok(key1.key.webauthn, 'a passkey, WebAuthn being available');
  assert.equal(key1.key.webauthn.rp_id, 'localhost');
  assert.equal(key1.id.length, 16);
  assert.match(await message(one), new RegExp(`Made owner key ${key1.id}`));
  // The key is the authenticator's credential: the same id, and the public half of its private key.
  const { credentials } = await one.cdp.send('WebAuthn.getCredentials', { authenticatorId: one.authenticatorId });
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].rpId, 'localhost');
  assert.equal(credentials[0].isResidentCredential, true);
  assert.equal(Buffer.from(credentials[0].credentialId, 'base64').toString('hex'), Buffer.from(key1.key.webauthn.credential_id).toString('hex'));
  const spki = createPublicKey(createPrivateKey({ key: Buffer.from(credentials[0].privateKey, 'base64'), format: 'der', type: 'pkcs8' }))
    .export({ format: 'der', type: 'spki' });
  assert.equal(spki.subarray(-65).toString('hex'), Buffer.from(key1.key.webauthn.p256).toString('hex'));
  // The user entity is neutral: never a person's name.
  assert.equal(Buffer.from(credentials[0].userHandle, 'base64').length, 16);
  // The page remembers the key (IndexedDB) across a reload.
  await load(one);
  assert.match(await one.page.locator('#owner-keys').innerText(), new RegExp(`${key1.id} passkey`));
});

await test('the jeweler records the sale naming the key; the page takes ownership', async () => {
  const record = { piece_lifecycle: { piece_id: piece, event: 'PIECE_EVENT_SOLD', note: 'sold; the buyer holds an owner key',
    buyer: { webauthn: { p256: b64(key1.key.webauthn.p256), rp_id: key1.key.webauthn.rp_id, credential_id: b64(key1.key.webauthn.credential_id) } } } };
  const file = join(tmpdir(), `sold-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(record));
  execFileSync(args.touchstone, ['--server', args.server, 'submit', '--as', jeweler, '--keys_dir', args['keys-dir'], '--json', file],
    { stdio: 'pipe', timeout: 120000 });
  await load(one);
  assert.match(await ownerText(one), new RegExp(`belongs to owner key ${key1.id}, who has not taken ownership yet\\. This browser holds that key\\.`));
  assert.match(await one.page.locator('#owner-keys').innerText(), /\(owns this piece\)/);
  await one.page.selectOption('#accept-terms', 'agent');
  await one.page.fill('#accept-participant', jeweler);
  assert.equal(await act(one, '#owner-accept'), 'loaded', await message(one));
  await shot(one.page, 'owner-accepted.png');
  assert.match(await message(one), /You took ownership of this piece\. The ledger recorded it as entry \d+\./);
  assert.match(await ownerText(one), new RegExp(`belongs to owner key ${key1.id}, who has taken ownership\\.`));
  assert.equal(await one.page.locator('#owner-accept').count(), 0, 'no second acceptance offered');
});

await test('a second browser makes its key and the first gives it the piece', async () => {
  two = await openBrowser();
  assert.match(await ownerText(two), new RegExp(`belongs to owner key ${key1.id}, who has taken ownership\\.$`));
  key2 = await createKey(two);
  assert.notEqual(key2.id, key1.id);
  await one.page.fill('#transfer-to', key2.text);
  assert.equal(await act(one, '#owner-transfer'), 'loaded', await message(one));
  assert.match(await message(one), new RegExp(`You gave this piece to owner key ${key2.id}\\. The ledger recorded it as entry \\d+\\.`));
  assert.match(await ownerText(one), new RegExp(`belongs to owner key ${key2.id}, who has not taken ownership yet\\.$`));
  await shot(one.page, 'owner-transferred.png');
});

await test('the new owner takes ownership and proves it; the check says held by the current owner', async () => {
  await load(two);
  assert.match(await ownerText(two), new RegExp(`belongs to owner key ${key2.id}, who has not taken ownership yet\\. This browser holds that key\\.`));
  assert.equal(await act(two, '#owner-accept'), 'loaded', await message(two));
  assert.match(await ownerText(two), new RegExp(`belongs to owner key ${key2.id}, who has taken ownership\\.`));
  checker = await openBrowser({ authenticator: false });
  nonce = await checker.page.locator('#check-nonce').inputValue();
  assert.match(nonce, /^[0-9a-f]{32}$/);
  await two.page.fill('#prove-nonce', nonce);
  await two.page.click('#owner-prove');
  await two.page.waitForSelector('#proof-out:not([hidden])', { timeout: 60000 });
  const proof = await two.page.locator('#proof-out').inputValue();
  await checker.page.fill('#check-proof', proof);
  await checker.page.click('#owner-check');
  await checker.page.waitForSelector('#check-result.ok, #check-result.error', { timeout: 60000 });
  await shot(checker.page, 'owner-proof-held.png');
  assert.equal(await checker.page.locator('#check-result').innerText(),
    `Held by the current owner (key ${key2.id}): the signature over your challenge verifies.`);
  // The same proof against another challenge: a replay, refused.
  await checker.page.fill('#check-nonce', 'another-challenge-0123456789');
  await checker.page.click('#owner-check');
  await checker.page.waitForSelector('#check-result.error', { timeout: 60000 });
  assert.match(await checker.page.locator('#check-result').innerText(), /answers the challenge .* not yours .*: it may be an old proof replayed/);
  await checker.page.fill('#check-nonce', nonce);
});

await test('a proof by the first key now says not the current owner', async () => {
  await load(one);
  await one.page.fill('#prove-nonce', nonce);
  await one.page.click('#owner-prove');
  await one.page.waitForSelector('#proof-out:not([hidden])', { timeout: 60000 });
  const proof = await one.page.locator('#proof-out').inputValue();
  await checker.page.fill('#check-proof', proof);
  await checker.page.click('#owner-check');
  await checker.page.waitForSelector('#check-result.error', { timeout: 60000 });
  await shot(checker.page, 'owner-proof-not-current.png');
  assert.equal(await checker.page.locator('#check-result').innerText(),
    `Not proven: not the current owner: it is validly signed by key ${key1.id}, but the piece's current owner is key ${key2.id}.`);
});

await test('a key kept only in the browser (Ed25519, non-extractable, in IndexedDB) signs proofs too', async () => {
  await checker.page.click('#owner-create-local');
  await checker.page.waitForSelector('#owner-key-string', { timeout: 60000 });
  const key3 = await parseOwnerKeyString(await checker.page.locator('#owner-key-string').inputValue());
  assert.equal(key3.key.ed25519.length, 32);
  assert.match(await checker.page.locator('#owner-keys').innerText(), new RegExp(`${key3.id} browser key`));
  await load(checker);  // kept across a reload, private half included
  await checker.page.fill('#prove-nonce', nonce);
  await checker.page.click('#owner-prove');
  await checker.page.waitForSelector('#proof-out:not([hidden])', { timeout: 60000 });
  const proof = await checker.page.locator('#proof-out').inputValue();
  await checker.page.fill('#check-nonce', nonce);
  await checker.page.fill('#check-proof', proof);
  await checker.page.click('#owner-check');
  await checker.page.waitForSelector('#check-result.error', { timeout: 60000 });
  assert.equal(await checker.page.locator('#check-result').innerText(),
    `Not proven: not the current owner: it is validly signed by key ${key3.id}, but the piece's current owner is key ${key2.id}.`);
});

await test('a transfer the first key signs after giving the piece away is refused by the ledger', async () => {
  assert.match(await ownerText(one), new RegExp(`belongs to owner key ${key2.id}`));
  assert.match(await one.page.locator('#owner-acting-warning').innerText(), new RegExp(`Key ${key1.id} is not this piece's owner key \\(${key2.id}\\): the ledger will refuse what it signs\\.`));
  const before = await logSize();
  await one.page.fill('#transfer-to', key1.text);
  assert.equal(await act(one, '#owner-transfer'), 'refused');
  await shot(one.page, 'owner-refused.png');
  const text = await message(one);
  assert.match(text, /^The ledger refused this: .*owner.*\((PERMISSION_DENIED|FAILED_PRECONDITION)\)$/, text);
  assert.match(text, new RegExp(key2.id), 'the message names the owner key');
  assert.equal(await logSize(), before, 'the log did not grow');
});

await test('the owner reports it stolen: no transfer then, until it is recovered', async () => {
  await two.page.selectOption('#report-event', '4');
  await two.page.fill('#report-note', 'taken from a hotel room');
  assert.equal(await act(two, '#owner-report'), 'loaded', await message(two));
  assert.match(await message(two), /You reported this piece stolen\. The ledger recorded it as entry \d+\./);
  assert.match(await ownerText(two), new RegExp(`belongs to owner key ${key2.id}, who has taken ownership\. It is reported stolen\.`));
  await shot(two.page, 'owner-stolen.png');
  const before = await logSize();
  await two.page.fill('#transfer-to', key1.text);
  assert.equal(await act(two, '#owner-transfer'), 'refused');
  assert.match(await message(two), /^The ledger refused this: .*stolen.*\(FAILED_PRECONDITION\)$/);
  assert.equal(await logSize(), before, 'the log did not grow');
  await two.page.selectOption('#report-event', '5');
  assert.equal(await act(two, '#owner-report'), 'loaded', await message(two));
  assert.match(await ownerText(two), new RegExp(`belongs to owner key ${key2.id}, who has taken ownership\.`));
  assert.doesNotMatch(await ownerText(two), /stolen/);
});

await test('no page logged an error', async () => {
  for (const b of pages) assert.deepEqual(b.errors, []);
});
await browser.close();
if (failures) {
  console.log(`${failures} owner browser test(s) failed`);
  process.exit(1);
}
console.log('all owner browser tests passed');
