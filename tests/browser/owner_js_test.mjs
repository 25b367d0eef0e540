// The page's owner actions (services/web/owner.js) under Node's WebCrypto,
// without a browser:
//   - its protobuf writer makes exactly the bytes of the records in
//     tests/testdata/owner_vectors.json (written by python3-cryptography's
//     make_owner_vectors.py, not by this code), their signed part and their keys;
//   - owner key strings round-trip and name the vectors' key ids; malformed
//     ones are refused saying why;
//   - an owner-only record it signs with an Ed25519 key is canonical, carries no
//     signer or key_id, and its owner signature verifies (owner_sig.js) over the
//     owner signing message of the bytes before field 100;
//   - a proof it makes checks as held by the current owner, and is refused for
//     another owner, another challenge, another piece, another log, or tampering.
//
// Usage: node owner_js_test.mjs --web build/services/web --vectors tests/testdata/owner_vectors.json
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { web: { type: 'string' }, vectors: { type: 'string' } } });
const load = (name) => import(pathToFileURL(join(args.web, name)).href);
const owner = await load('owner.js');
const sig = await load('owner_sig.js');
const { decodeMessage } = await load('verify.js');
const vectors = JSON.parse(readFileSync(args.vectors, 'utf8'));
const origin = vectors.origin;

const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b) => Buffer.from(b).toString('hex');
function keyOf(k) {
  return k.ed25519 !== undefined ? { ed25519: fromHex(k.ed25519) }
    : { webauthn: { p256: fromHex(k.webauthn.p256), rp_id: k.webauthn.rp_id, credential_id: fromHex(k.webauthn.credential_id) } };
}

let failures = 0, passed = 0;
async function test(name, fn) {
  try {
    await fn();
    passed++;
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n${e.stack}`);
  }
}

await test('the protobuf writer makes the vectors\' record bytes exactly, and their signed part', async () => {
  let n = 0;
  for (const v of [...vectors.signature.filter((x) => x.record), ...vectors.signed_part.filter((x) => x.signed_part)]) {
    const bytes = fromHex(v.record);
    let record;
    try { record = decodeMessage(bytes, 'Record'); } catch (e) { continue; }  // a deliberately odd record
    assert.equal(toHex(owner.encodeMessage(record, 'Record')), v.record, v.name);
    const unsigned = { ...record, owner_signature: undefined };
    assert.equal(toHex(owner.encodeMessage(unsigned, 'Record')), toHex(sig.ownerSignedPart(bytes)), v.name);
    n++;
  }
  assert.ok(n >= 30, `only ${n} records checked`);
});

await test('owner key strings round-trip and name the key\'s id', async () => {
  for (const v of vectors.signature) {
    const key = keyOf(v.key);
    const text = owner.ownerKeyString(key);
    assert.match(text, /^[A-Za-z0-9_-]+$/, v.name);
    const parsed = await owner.parseOwnerKeyString(` ${text}\n`);
    assert.equal(parsed.id, v.key_id, v.name);
    assert.ok(sig.sameOwnerKey(parsed.key, key), v.name);
  }
  const ed = owner.ownerKeyString({ ed25519: new Uint8Array(32).fill(7) });
  await assert.rejects(owner.parseOwnerKeyString('not a key!'), /base64url/);
  await assert.rejects(owner.parseOwnerKeyString(`${ed}AA`), /not an owner key/);
  await assert.rejects(owner.parseOwnerKeyString(owner.ownerKeyString({ ed25519: new Uint8Array(31) })), /32 bytes/);
  await assert.rejects(owner.parseOwnerKeyString(owner.ownerKeyString({ webauthn: { p256: new Uint8Array(65).fill(4), rp_id: 'localhost', credential_id: new Uint8Array(4) } })),
    /P-256/);
});

// An Ed25519 key kept as the page keeps it (a row of its IndexedDB store).
async function ed25519Row() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const key = { ed25519: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) };
  return { id: await sig.ownerKeyId(key), kind: 'ed25519', key, privateKey: pair.privateKey };
}

await test('an owner-only record the page signs is canonical and its owner signature verifies', async () => {
  const row = await ed25519Row(), next = await ed25519Row();
  for (const [kind, body] of [
    ['ownership_accepted', { piece_id: 'P-1', prev_index: 41, terms: { recovery_agent: 'jeweler' } }],
    ['ownership_accepted', { piece_id: 'P-1', prev_index: 41 }],
    ['ownership_transferred', { piece_id: 'P-1', prev_index: 300, new_owner: next.key }],
    ['owner_report', { piece_id: 'P-1', prev_index: 7, event: 4, note: '' }],
  ]) {
    const bytes = await owner.signedOwnerRecord(row, origin, kind, body);
    const record = decodeMessage(bytes, 'Record');  // throws unless canonical
    assert.equal(record.signer, '');
    assert.equal(record.key_id, '');
    assert.match(record.record_id, /^owner-[0-9a-f]{24}$/);
    assert.ok(Math.abs(record.event_time_micros / 1000 - Date.now()) < 60000);
    assert.equal(record[kind].piece_id, 'P-1');
    assert.equal(record[kind].prev_index, body.prev_index);
    assert.equal(record.owner_signature.key_id, row.id);
    const part = sig.ownerSignedPart(bytes);
    await sig.verifyOwnerSignature(row.key, record.owner_signature, sig.ownerSigningMessage(origin, part));
    await assert.rejects(sig.verifyOwnerSignature(row.key, record.owner_signature, sig.ownerSigningMessage('another/log', part)),
      /does not verify/);
  }
});

await test('a proof checks as held by the current owner, and nothing else does', async () => {
  const row = await ed25519Row(), other = await ed25519Row();
  const nonce = 'a3f1c2d4e5f60718293a4b5c6d7e8f90';
  const make = async (r, n = nonce, piece = 'P-1') => owner.proofString({ pieceId: piece, origin, nonce: n,
    keyString: owner.ownerKeyString(r.key), sig: await owner.ownerSign(r, sig.ownershipProofMessage(origin, piece, n)) });
  const current = { key: row.key, id: row.id };
  const check = (text, o = {}) => owner.checkProof(text, { pieceId: 'P-1', origin, nonce, owner: current, ...o });
  const proof = await make(row);
  assert.deepEqual(await check(proof), { held: true, keyId: row.id });
  assert.match((await check(await make(other))).why,
    new RegExp(`^not the current owner: it is validly signed by key ${other.id}, but the piece's current owner is key ${row.id}$`));
  assert.match((await check(proof, { nonce: 'b3f1c2d4e5f60718293a4b5c6d7e8f90' })).why, /not yours .*old proof replayed/);
  assert.match((await check(proof, { pieceId: 'P-2' })).why, /about piece 'P-1', not this one/);
  assert.match((await check(proof, { origin: 'another/log' })).why, /for the ledger/);
  assert.match((await check(proof, { owner: { key: null, id: '' } })).why, /no owner key holds this piece/);
  assert.match((await check('garbage')).why, /not a proof/);
  // A proof whose signature is another's: the key string swapped for another key's.
  const json = JSON.parse(Buffer.from(proof, 'base64url').toString());
  json.owner_key = owner.ownerKeyString(other.key);
  json.key_id = other.id;
  assert.match((await check(Buffer.from(JSON.stringify(json)).toString('base64url'))).why,
    /its signature does not hold: owner signature: the Ed25519 signature does not verify/);
  await assert.rejects(make(row, 'short'), /16 to 128/);
});

console.log(`${passed} passed, ${failures} failed`);
if (failures) process.exit(1);
console.log('all owner.js tests passed');
