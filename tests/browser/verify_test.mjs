// Unit tests of the page's verifier (services/web/verify.js, as served from the
// build's services/web/ with its generated verify_tables.js) under Node's
// WebCrypto: the C2SP signed-note known answers, every transparency-dev/merkle
// inclusion vector (tampered ones refused), the canonical-encoding vectors the
// C++ walk reads too (tests/canonical_test.cc), the claim table and the log
// policy's time rules.
//
// Usage: node verify_test.mjs --vectors DIR --web DIR --canonical FILE
//   (--vectors: ../shared/testdata/merkle; --web: build/services/web;
//    --canonical: tests/testdata/canonical_encoding.json)
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { vectors: { type: 'string' }, web: { type: 'string' }, canonical: { type: 'string' } } });
const { auditorsText, b64decode, CheckFailed, checkTimes, consistent, deriveClaims, decodeMessage, EncodingError, inclusionRoot, parseVerifierKey, verifyNote } =
  await import(pathToFileURL(resolve(args.web, 'verify.js')).href);
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

// The audited checkpoint's consistency proof (rule "auditors", ledger/log/audit_note.h).
await test('every transparency-dev/merkle consistency vector: valid ones verify, tampered ones do not', async () => {
  const files = readdirSync(join(args.vectors, 'consistency'), { recursive: true }).filter((f) => f.endsWith('.json'));
  let valid = 0, invalid = 0;
  for (const file of files) {
    const v = JSON.parse(readFileSync(join(args.vectors, 'consistency', file), 'utf8'));
    const hash = (h) => b64decode(h || '') || new Uint8Array();
    const ok = await consistent(BigInt(v.size1), BigInt(v.size2), hash(v.root1), hash(v.root2),
      (v.proof || []).map(hash));
    assert.equal(ok, !v.wantErr, `${file}: ${v.desc}`);
    if (v.wantErr) invalid++; else valid++;
  }
  assert.ok(files.length >= 90 && valid >= 5 && invalid >= 80, `${valid} valid, ${invalid} invalid vectors`);
  console.log(`     (${valid} valid and ${invalid} tampered vectors)`);
  assert.equal(auditorsText(['A', 'B'], 130n), 'mass balance and custody re-checked by auditors A and B through entry 129');
  assert.equal(auditorsText(['A'], 2), 'mass balance and custody re-checked by auditor A through entry 1');
  assert.equal(auditorsText([], 2), '');
});

await test('every canonical-encoding vector gets the verdict and the words the C++ walk gives', async () => {
  const { vectors } = JSON.parse(readFileSync(args.canonical, 'utf8'));
  assert.ok(vectors.length >= 15);
  for (const v of vectors) {
    const bytes = Uint8Array.from(Buffer.from(v.hex, 'hex'));
    let got = '';
    try { decodeMessage(bytes, v.type); } catch (e) {
      assert.ok(e instanceof EncodingError, `${v.name}: ${e.stack}`);
      got = e.message;
    }
    assert.equal(got, v.error, v.name);
  }
});

await test('the protobuf reader decodes packed enums and nested messages, and leaves absent oneof members out', async () => {
  // ParticipantRegistered{participant_id:"a", roles:[3,4] packed, keys:[{ed25519:0x01 0x02}]}
  const m = decodeMessage(new Uint8Array([0x0a, 1, 0x61, 0x22, 2, 3, 4, 0x2a, 4, 0x0a, 2, 1, 2]), 'ParticipantRegistered');
  assert.equal(m.participant_id, 'a');
  assert.deepEqual(m.roles, [3, 4]);
  assert.deepEqual(Array.from(m.keys[0].ed25519), [1, 2]);
  assert.deepEqual(m.identifiers, []);
  // CertificateIssued{certificate_id:"c", subject_lot:"l"}: the other subjects are absent, not "".
  const c = decodeMessage(new Uint8Array([0x0a, 1, 0x63, 0x22, 1, 0x6c]), 'CertificateIssued');
  assert.equal(c.subject_lot, 'l');
  assert.equal(c.subject_participant, undefined);
  // A negative int64 (10 varint bytes) decodes as a negative number.
  const neg = decodeMessage(new Uint8Array([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'Record');
  assert.equal(neg.event_time_micros, -1);
});

await test('claims follow the generated table: every input must keep them, and each needs its inputs', async () => {
  const lot = (lotId, origin) => ({ lotId, origin, certified: true });
  const stone = (lotId, stoneOrigin) => ({ lotId, stoneOrigin, certified: true });
  const held = (metal, stones) => [...deriveClaims(metal, stones).held].sort();
  assert.deepEqual(held([lot('scrap', 3), lot('grain', 2)], [stone('s1', 2)]), [1, 2, 4]);
  assert.deepEqual(held([lot('scrap', 3), lot('mined', 1)], [stone('s1', 1)]), [3, 4]);
  // No metal: no recycled-metal claim; no stones: no diamond claim (an empty list supports nothing).
  const none = deriveClaims([], []);
  assert.deepEqual([...none.held], [4]);
  assert.equal(none.whyNot.get(1), 'the piece has no metal');
  assert.equal(none.whyNot.get(2), 'the piece has no stones');
  assert.equal(deriveClaims([lot('mixed', 6)], []).whyNot.get(1), "lot 'mixed' is ORIGIN_CLASS_MIXED");
  assert.equal(deriveClaims([{ ...lot('x', 3), certified: false }], []).whyNot.get(4), "lot 'x' is not certified all the way back");
});

// ---------------------------------------------------------------- times (ledger/provenance/log_policy.h)

const DAY = 86400e6, T = 1_700_000_000_000_000;
const POLICY = { record_signature_version: 2, max_backdate_micros: 3 * DAY, history_import_allowed: false };
// An entry recorded at `recordedAt` whose record claims event time `t`.
const at = (index, kind, body, t, recordedAt = t, extra = {}) =>
  ({ index, kind, recordedAt, record: { [kind]: body, event_time_micros: t, history_import: false, ...extra } });
const genesis = (policy) => at(0, 'genesis', policy ? { policy } : {}, T - 10 * DAY);
const lotAt = (index, t, recordedAt, certs = [], extra = {}) =>
  at(index, 'lot_created', { lot_id: `lot-${index}`, certificate_ids: certs }, t, recordedAt, extra);
const timeFailure = (pattern) => (x) => x instanceof CheckFailed && x.check === 'time' && pattern.test(x.detail);
// The items as verify() hands them to checkTimes: each with the policy in force and where it is.
const times = (entries) => {
  let policy = null;
  return checkTimes(entries.map((e) => {
    policy = e.record.log_policy ?? e.record.genesis?.policy ?? policy;
    return { ...e, policy, where: `entry ${e.index} (${e.kind})` };
  }));
};

await test('the protobuf reader decodes a log policy in the genesis and the import mark', async () => {
  // Record{history_import: true, genesis: {policy: {record_signature_version: 2, max_backdate_micros: 5, history_import_allowed: true}}}
  const bytes = new Uint8Array([0x28, 1, 0x52, 8, 0x1a, 6, 0x08, 2, 0x10, 5, 0x18, 1]);
  const r = decodeMessage(bytes, 'Record');
  assert.equal(r.history_import, true);
  assert.deepEqual(r.genesis.policy, { record_signature_version: 2, max_backdate_micros: 5, history_import_allowed: true, rules_version: 0 });
  // LogPolicy entry (field 29): the record's kind.
  const p = decodeMessage(new Uint8Array([0xea, 0x01, 2, 0x08, 2]), 'Record');
  assert.equal(p.log_policy.record_signature_version, 2);
});

await test('a record dated further back than the policy allows is refused, within it accepted', async () => {
  times([genesis(POLICY), lotAt(1, T - 2 * DAY, T)]);
  assert.throws(() => times([genesis(POLICY), lotAt(1, T - 4 * DAY, T)]),
    timeFailure(/^entry 1 \(lot_created\): backdating rule: the record's event time .* is 4 days before the log records it \(.*\); the log's policy allows at most 3 days/));
  // Before the log's first policy there is no bound; a log_policy entry sets one from itself on.
  times([genesis(null), lotAt(1, T - 40 * DAY, T)]);
  assert.throws(() => times([genesis(null), at(1, 'log_policy', POLICY, T - 1000), lotAt(2, T - 4 * DAY, T)]), timeFailure(/^entry 2/));
});

await test('an import of history passes only while the policy allows imports', async () => {
  const imported = (index) => lotAt(index, T - 40 * DAY, T, [], { history_import: true });
  assert.throws(() => times([genesis(POLICY), imported(1)]), timeFailure(/^entry 1 \(lot_created\): history import rule: the record is marked history_import, and the log's policy does not allow imports of history/));
  assert.throws(() => times([genesis(null), imported(1)]), timeFailure(/none: the entry comes before the log's first LogPolicy/));
  const allowing = at(1, 'log_policy', { ...POLICY, history_import_allowed: true }, T - 1000);
  times([genesis(POLICY), allowing, imported(2)]);
  // Turned off again: refused after that entry.
  assert.throws(() => times([genesis(POLICY), allowing, at(2, 'log_policy', POLICY, T - 500), imported(3)]), timeFailure(/^entry 3/));
});

if (failures) { console.log(`${failures} test(s) failed`); process.exit(1); }
console.log('all verify.js tests passed');
