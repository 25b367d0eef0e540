// Unit tests of the page's verifier (services/web/verify.js) under Node's
// WebCrypto: the C2SP signed-note known answers, every transparency-dev/merkle
// inclusion vector (tampered ones refused), the protobuf reader, the origin
// claims and the log policy's time rules.
//
// Usage: node verify_test.mjs --vectors DIR   (DIR: ../shared/testdata/merkle)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { b64decode, CheckFailed, checkClaims, checkTimes, decodeMessage, inclusionRoot, parseVerifierKey, verifyNote } from '../../services/web/verify.js';

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

// ---------------------------------------------------------------- times (ledger/log_policy.h)

const DAY = 86400e6, T = 1_700_000_000_000_000;
const POLICY = { record_signature_version: 2, max_backdate_micros: 3 * DAY, history_import_allowed: 0 };
// An entry recorded at `recordedAt` whose record claims event time `t`.
const at = (index, kind, body, t, recordedAt = t, extra = {}) =>
  ({ index, kind, recordedAt, record: { [kind]: body, event_time_micros: t, history_import: 0, ...extra } });
const genesis = (policy) => at(0, 'genesis', policy ? { policy } : {}, T - 10 * DAY);
const lotAt = (index, t, recordedAt, certs = [], extra = {}) =>
  at(index, 'lot_created', { lot_id: `lot-${index}`, certificate_ids: certs }, t, recordedAt, extra);
const timeFailure = (pattern) => (x) => x instanceof CheckFailed && x.check === 'time' && pattern.test(x.detail);

await test('the protobuf reader decodes a log policy in the genesis and the import mark', async () => {
  // Record{history_import: true, genesis: {policy: {record_signature_version: 2, max_backdate_micros: 5, history_import_allowed: true}}}
  const bytes = new Uint8Array([0x28, 1, 0x52, 8, 0x1a, 6, 0x08, 2, 0x10, 5, 0x18, 1]);
  const r = decodeMessage(bytes, 'Record');
  assert.equal(r.history_import, 1);
  assert.deepEqual(r.genesis.policy, { record_signature_version: 2, max_backdate_micros: 5, history_import_allowed: 1 });
  // LogPolicy entry (field 29): the record's kind.
  const p = decodeMessage(new Uint8Array([0xea, 0x01, 2, 0x08, 2]), 'Record');
  assert.equal(p.log_policy.record_signature_version, 2);
});

await test('a record dated further back than the policy allows is refused, within it accepted', async () => {
  checkTimes([genesis(POLICY), lotAt(1, T - 2 * DAY, T)]);
  assert.throws(() => checkTimes([genesis(POLICY), lotAt(1, T - 4 * DAY, T)]),
    timeFailure(/entry 1 \(lot_created\) is dated 4\.0 days before the log recorded it; the log's policy allows at most 3\.0 days/));
  // Before the log's first policy there is no bound; a log_policy entry sets one from itself on.
  checkTimes([genesis(null), lotAt(1, T - 40 * DAY, T)]);
  assert.throws(() => checkTimes([genesis(null), at(1, 'log_policy', POLICY, T - 1000), lotAt(2, T - 4 * DAY, T)]), timeFailure(/entry 2/));
});

await test('an import of history passes only while the policy allows imports', async () => {
  const imported = (index) => lotAt(index, T - 40 * DAY, T, [], { history_import: 1 });
  assert.throws(() => checkTimes([genesis(POLICY), imported(1)]), timeFailure(/entry 1 \(lot_created\) is marked as an import of history, which the log's policy does not allow/));
  assert.throws(() => checkTimes([genesis(null), imported(1)]), timeFailure(/import of history/));
  const allowing = at(1, 'log_policy', { ...POLICY, history_import_allowed: 1 }, T - 1000);
  checkTimes([genesis(POLICY), allowing, imported(2)]);
  // Turned off again: refused after that entry.
  assert.throws(() => checkTimes([genesis(POLICY), allowing, at(2, 'log_policy', POLICY, T - 500), imported(3)]), timeFailure(/entry 3/));
});

await test('a certificate relied on must be in force at the event time and when the log records the record', async () => {
  // Expires 30 s before the lot is recorded; the lot claims an event time 45 s back (the case found).
  const cert = at(1, 'certificate_issued', { certificate_id: 'coc', valid_from_micros: T - DAY, valid_until_micros: T - 30e6, certificate_ids: [] }, T - DAY);
  const lot = (extra = {}) => lotAt(2, T - 45e6, T, ['coc'], extra);
  assert.throws(() => checkTimes([genesis(POLICY), cert, lot()]),
    timeFailure(/entry 2 \(lot_created\) relies on certificate coc, expired when the log recorded it/));
  // An allowed import needs it in force at its event time only; so did entries before any policy.
  checkTimes([genesis({ ...POLICY, history_import_allowed: 1 }), cert, lot({ history_import: 1 })]);
  checkTimes([genesis(null), cert, lot()]);
  // Expired already at the event time: refused whatever the policy.
  assert.throws(() => checkTimes([genesis(null), cert, lotAt(2, T - 10e6, T, ['coc'])]), timeFailure(/coc, expired at its event time/));
  // Revoked by the time it is recorded: refused even before any policy.
  const revoked = at(2, 'certificate_status_changed', { certificate_id: 'coc', status: 2, effective_micros: T - 50e6 }, T - 50e6);
  const open = at(1, 'certificate_issued', { certificate_id: 'coc', valid_from_micros: T - DAY, valid_until_micros: 0, certificate_ids: [] }, T - DAY);
  assert.throws(() => checkTimes([genesis(null), open, revoked, lotAt(3, T - 60e6, T, ['coc'])]), timeFailure(/coc, revoked when the log recorded it/));
});

await test("a stone's grading report counts as a certificate the piece relies on", async () => {
  const report = at(1, 'certificate_issued', { certificate_id: 'gr', subject_lot: 's1', grading_report: {}, valid_from_micros: T - DAY, valid_until_micros: T - 30e6, certificate_ids: [] }, T - DAY);
  const piece = at(2, 'piece_registered', { piece_id: 'p', stone_lot_ids: ['s1'], metal_inputs: [] }, T - 45e6, T);
  assert.throws(() => checkTimes([genesis(POLICY), report, piece]), timeFailure(/entry 2 \(piece_registered\) relies on certificate gr, expired when the log recorded it/));
});

if (failures) { console.log(`${failures} test(s) failed`); process.exit(1); }
console.log('all verify.js tests passed');
