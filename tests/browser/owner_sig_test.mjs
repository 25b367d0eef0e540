// The page's owner signatures (services/web/owner_sig.js, as served from the
// build's services/web/) under Node's WebCrypto against
// tests/testdata/owner_vectors.json, which tests/owner_vectors_test.cc reads
// with the C++ VerifyOwnerSignature: every case must give the expected answer
// (valid, or refused with the expected words), as it does in C++.
//
// Usage: node owner_sig_test.mjs --web DIR --vectors FILE
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { web: { type: 'string' }, vectors: { type: 'string' } } });
const load = (file) => import(pathToFileURL(resolve(args.web, file)).href);
const O = await load('owner_sig.js');
const { decodeMessage } = await load('verify.js');
const V = JSON.parse(readFileSync(args.vectors, 'utf8'));

let failures = 0;
async function test(name, fn) {
  try { await fn(); console.log(`ok   ${name}`); } catch (e) { failures++; console.log(`FAIL ${name}\n${e.stack}`); }
}

const bytes = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const hexOf = (b) => Buffer.from(b).toString('hex');
function key(j) {
  if (j.ed25519 !== undefined) return { ed25519: bytes(j.ed25519) };
  return { webauthn: { p256: bytes(j.webauthn.p256), rp_id: j.webauthn.rp_id, credential_id: bytes(j.webauthn.credential_id) } };
}
async function refusedWith(fn, code, words) {
  let err = null;
  try { await fn(); } catch (e) { err = e; }
  assert.ok(err, `expected ${code} "${words}", but it passed`);
  assert.equal(err.code, code, err.message);
  assert.ok(err.message.includes(words), `"${err.message}" does not say "${words}"`);
  return err;
}

await test('the file holds enough cases', () => {
  assert.equal(typeof V.format, 'string');
  assert.ok(V.signature.length >= 30 && V.signed_part.length >= 4);
});

for (const c of V.signed_part) {
  await test(`signed part: ${c.name}`, async () => {
    const record = bytes(c.record);
    if (c.error) await refusedWith(() => O.ownerSignedPart(record), 'INVALID_ARGUMENT', c.error);
    else assert.equal(hexOf(O.ownerSignedPart(record)), c.signed_part);
  });
}

let valid = 0, refused = 0;
for (const c of V.signature) {
  await test(`signature: ${c.name}`, async () => {
    const k = key(c.key);
    assert.equal(await O.ownerKeyId(k), c.key_id);
    let message, sig;
    if (c.record) {
      const record = bytes(c.record);
      sig = decodeMessage(record, 'Record').owner_signature;  // the record as the verifier decodes it
      assert.ok(sig, 'the record holds an owner signature');
      message = O.ownerSigningMessage(V.origin, O.ownerSignedPart(record));
    } else {
      if (c.message_error) {
        await refusedWith(() => O.ownershipProofMessage(V.origin, c.proof.piece_id, c.proof.nonce), 'INVALID_ARGUMENT', c.message_error);
        refused++;
        return;
      }
      message = O.ownershipProofMessage(V.origin, c.proof.piece_id, c.proof.nonce);
      const s = c.signature;
      sig = { key_id: s.key_id, signature: bytes(s.signature), authenticator_data: bytes(s.authenticator_data), client_data_json: bytes(s.client_data_json) };
    }
    assert.equal(hexOf(message), c.message);
    if (c.ok) {
      await O.verifyOwnerSignature(k, sig, message);
      valid++;
    } else {
      const e = await refusedWith(() => O.verifyOwnerSignature(k, sig, message), 'PERMISSION_DENIED', c.error);
      assert.ok(e.message.startsWith('owner signature: '), e.message);
      refused++;
    }
  });
}

await test('every kind of case was met', () => {
  assert.ok(valid >= 8, `${valid} valid`);
  assert.ok(refused >= 25, `${refused} refused`);
});

await test('strict DER: the minimal form reads, every other refuses', () => {
  const r = new Uint8Array(32).fill(0x11), s = new Uint8Array(32).fill(0x22);
  const der = Uint8Array.from([0x30, 68, 0x02, 32, ...r, 0x02, 32, ...s]);
  assert.equal(hexOf(O.derToRaw(der)), hexOf(r) + hexOf(s));
  assert.equal(O.derToRaw(Uint8Array.from([0x30, 69, 0x02, 33, 0, ...r, 0x02, 32, ...s])), null);  // needless 0x00
  assert.equal(O.derToRaw(Uint8Array.from([0x30, 68, 0x02, 32, 0x80, ...r.slice(1), 0x02, 32, ...s])), null);  // negative
  assert.equal(O.derToRaw(Uint8Array.from([0x30, 6, 0x02, 1, 0, 0x02, 1, 1])), null);  // r = 0
  assert.equal(O.derToRaw(Uint8Array.from([0x30, 0x81, 68, 0x02, 32, ...r, 0x02, 32, ...s])), null);  // long form
  const small = O.derToRaw(Uint8Array.from([0x30, 6, 0x02, 1, 5, 0x02, 1, 7]));
  assert.equal(small[31], 5);
  assert.equal(small[63], 7);
});

await test('same owner key: every field counts', () => {
  const a = key(V.signature.find((c) => c.key.webauthn).key);
  assert.ok(O.sameOwnerKey(a, { webauthn: { ...a.webauthn } }));
  assert.ok(!O.sameOwnerKey(a, { webauthn: { ...a.webauthn, rp_id: 'other.example' } }));
  assert.ok(!O.sameOwnerKey(a, { ed25519: a.webauthn.p256.slice(1, 33) }));
});

await test('owner keys: every vector key is valid; bad points, rp ids and credential ids are refused', async () => {
  for (const c of V.signature) O.validateOwnerKey(key(c.key), 'owner');
  const w = key(V.signature.find((c) => c.key.webauthn).key).webauthn;
  const off = Uint8Array.from(w.p256);
  off[64] ^= 1;  // Y changed: no longer on the curve
  await refusedWith(() => O.validateOwnerKey({ webauthn: { ...w, p256: off } }, 'buyer'), 'INVALID_ARGUMENT', "buyer: a passkey's p256 must be an uncompressed point on P-256");
  await refusedWith(() => O.validateOwnerKey({ webauthn: { ...w, rp_id: 'Shop.example' } }, 'buyer'), 'INVALID_ARGUMENT', "rp_id must be a lowercase host name, got 'Shop.example'");
  await refusedWith(() => O.validateOwnerKey({ webauthn: { ...w, credential_id: new Uint8Array(0) } }, 'buyer'), 'INVALID_ARGUMENT', 'credential_id must be 1 to 1023 bytes');
  await refusedWith(() => O.validateOwnerKey({ ed25519: new Uint8Array(31) }, 'new owner'), 'INVALID_ARGUMENT', 'new owner: an Ed25519 owner key is 32 bytes, got 31');
  await refusedWith(() => O.validateOwnerKey({}, 'owner'), 'INVALID_ARGUMENT', 'owner is required (an owner key)');
});

console.log(failures ? `${failures} FAILED` : 'all passed');
process.exit(failures ? 1 : 0);
