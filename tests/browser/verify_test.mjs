// Unit tests of the page's verifier (services/web/verify.js) under Node's
// WebCrypto: the C2SP signed-note known answers, every transparency-dev/merkle
// inclusion vector (tampered ones refused), and the protobuf reader.
//
// Usage: node verify_test.mjs --vectors DIR   (DIR: ../shared/testdata/merkle)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { b64decode, CheckFailed, checkClaims, decodeMessage, inclusionRoot, parseVerifierKey, verifyNote } from '../../services/web/verify.js';

const { values: args } = parseArgs({ options: { vectors: { type: 'string' } } });
let failures = 0;
async function test(name, fn) {
  try { await fn(); console.log(`ok   ${name}`); } catch (e) { failures++; console.log(`FAIL ${name}\n${e.stack}`); }
}
async function rejects(promise, check, pattern) {
  await assert.rejects(promise, (e) => e instanceof CheckFailed && e.check === check && pattern.test(e.detail));
}

const VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const NOTE = 'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

await test('the C2SP example note verifies under its verifier key', async () => {
  const v = await parseVerifierKey(VKEY);
  assert.equal(v.name, 'example.com/foo');
  assert.equal(await verifyNote(NOTE, v, 'note'), 'This is an example message.\n');
});

await test('lines by unknown keys are ignored; a changed text or a missing signature is refused', async () => {
  const v = await parseVerifierKey(VKEY);
  const other = NOTE + '\u2014 someone.else AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n';
  assert.equal(await verifyNote(other, v, 'note'), 'This is an example message.\n');
  await rejects(verifyNote(NOTE.replace('example message', 'example massage'), v, 'note'), 'note', /does not match/);
  await rejects(verifyNote('This is an example message.\n\n' + other.split('\n').slice(3).join('\n'), v, 'note'), 'note', /no signature by the pinned key/);
});

await test('a verifier key whose ID does not match its name and key is refused', async () => {
  await rejects(parseVerifierKey(VKEY.replace('+530d903a+', '+530d903b+')), 'verifier key', /ID does not match/);
  await rejects(parseVerifierKey(VKEY.replace('example.com/foo', 'example.com/bar')), 'verifier key', /ID does not match/);
  await rejects(parseVerifierKey('not a key'), 'verifier key', /malformed/);
});

await test('every transparency-dev/merkle inclusion vector: valid ones verify, tampered ones do not', async () => {
  const files = readdirSync(join(args.vectors, 'inclusion'), { recursive: true }).filter((f) => f.endsWith('.json'));
  let valid = 0, invalid = 0;
  for (const file of files) {
    {
      const v = JSON.parse(readFileSync(join(args.vectors, 'inclusion', file), 'utf8'));
      const leaf = b64decode(v.leafHash || '') || new Uint8Array();
      const proof = (v.proof || []).map((h) => b64decode(h) || new Uint8Array());
      const root = await inclusionRoot(BigInt(v.leafIdx), BigInt(v.treeSize), leaf, proof);
      const ok = root !== null && Buffer.from(root).toString('base64') === v.root;
      assert.equal(ok, !v.wantErr, `${file}: ${v.desc}`);
      if (v.wantErr) invalid++; else valid++;
    }
  }
  assert.ok(files.length >= 90 && valid >= 5 && invalid >= 80, `${valid} valid, ${invalid} invalid vectors`);
  console.log(`     (${valid} valid and ${invalid} tampered vectors)`);
});

await test('the protobuf reader decodes packed enums, nested messages and skips unknown fields', async () => {
  // ParticipantRegistered{participant_id:"a", roles:[3,4] packed, keys:[{ed25519:0x01 0x02}]} + unknown field 9 (fixed64)
  const bytes = new Uint8Array([0x0a, 1, 0x61, 0x22, 2, 3, 4, 0x2a, 4, 0x0a, 2, 1, 2, 0x49, 1, 2, 3, 4, 5, 6, 7, 8]);
  const m = decodeMessage(bytes, 'ParticipantRegistered');
  assert.equal(m.participant_id, 'a');
  assert.deepEqual(m.roles, [3, 4]);
  assert.deepEqual(Array.from(m.keys[0].ed25519), [1, 2]);
  assert.deepEqual(m.identifiers, []);
  assert.throws(() => decodeMessage(new Uint8Array([0x0a, 5, 0x61]), 'ParticipantRegistered'), /truncated/);
  // A negative int64 (10 varint bytes) decodes as a negative number.
  const neg = decodeMessage(new Uint8Array([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'Record');
  assert.equal(neg.event_time_micros, -1);
});

await test('origin claims are re-derived through transformations and stone replacements', async () => {
  const e = (kind, body) => ({ kind, record: { [kind]: body } });
  const lot = (id, o) => e('lot_created', { lot_id: id, origin_class: o });
  const chain = [
    lot('scrap', 3), lot('agcu', 2), lot('rough', 4), lot('mined', 1),
    e('transformation', { inputs: [{ lot_id: 'scrap' }, { lot_id: 'agcu' }], outputs: [{ lot_id: 'alloy' }] }),
    e('transformation', { inputs: [{ lot_id: 'rough' }], outputs: [{ lot_id: 's1' }, { lot_id: 's2' }] }),
  ];
  const piece = (claims, stones) => e('piece_registered', { piece_id: 'p', claims, stone_lot_ids: stones, metal_inputs: [{ lot_id: 'alloy' }] });
  assert.deepEqual(checkClaims([...chain, piece([1, 2, 4], ['s1'])], 'p'), [1, 2]);
  assert.throws(() => checkClaims([...chain, piece([3], ['s1'])], 'p'), (x) => x.check === 'claims' && /natural diamonds, but s1 is lab-grown/.test(x.detail));
  // A stone swapped for a mined one no longer supports "lab-grown diamonds".
  const swapped = [...chain, lot('m1', 1), piece([2], ['s1']), e('stone_replaced', { piece_id: 'p', old_stone_lot_id: 's1', new_stone_lot_id: 'm1' })];
  assert.throws(() => checkClaims(swapped, 'p'), (x) => x.check === 'claims' && /m1 is mined/.test(x.detail));
  // Mined metal mixed in: not recycled.
  const mixed = [lot('scrap', 3), lot('gold', 1), e('transformation', { inputs: [{ lot_id: 'scrap' }, { lot_id: 'gold' }], outputs: [{ lot_id: 'alloy' }] }), piece([1], [])];
  assert.throws(() => checkClaims(mixed, 'p'), (x) => x.check === 'claims' && /recycled metal, but alloy is mixed/.test(x.detail));
});

if (failures) { console.log(`${failures} test(s) failed`); process.exit(1); }
console.log('all verify.js tests passed');
