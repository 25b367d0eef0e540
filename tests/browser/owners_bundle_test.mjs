// The page's verifier (services/web/verify.js with verify_owners.js, as served
// from the build's services/web/) on bundles built here from scratch: records
// encoded canonically from the generated schema, signed by participants'
// Ed25519 keys and by owner keys (Ed25519, and a P-256 passkey making real
// WebAuthn assertions), entries chained, the RFC 9162 tree and a signed
// checkpoint. An honest heirloom story (an intake co-signed by its owner,
// refined with a loss, made into a piece claiming the owner's gold, sold to a
// passkey owner who takes ownership, reports it stolen, recovers and transfers
// it) verifies, with the owner and the claim in the result; each forgery is
// refused naming its rule ("owner", "heirloom"), as the C++
// verifier (ledger/bundle/bundle_owners.cc) refuses it.
//
// Usage: node owners_bundle_test.mjs --web DIR [--bundle_out FILE] [--corpus_out DIR] [--touchstone PATH]
//   (--bundle_out: also writes the honest bundle with a repurposed piece and its
//    verifier key as {bundle, vkey}, e.g. to show it on the page; --corpus_out: every
//    scenario's bundle (JSON and binary) with a manifest in the conformance corpus's
//    layout, with the rule this verifier named, for tests/conformance/cli_runner.py;
//    --touchstone: the CLI, whose `piece verify --json` (the C++ verifier) must give every
//    scenario the same verdict and rule)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { web: { type: 'string' }, bundle_out: { type: 'string' }, corpus_out: { type: 'string' },
  touchstone: { type: 'string' } } });
if (args.touchstone && !args.corpus_out) args.corpus_out = mkdtempSync(join(tmpdir(), 'owners-bundles-'));
if (args.corpus_out) mkdirSync(args.corpus_out, { recursive: true });
const load = (file) => import(pathToFileURL(resolve(args.web, file)).href);
const { verifyBundle } = await load('verify.js');
const { ENUMS, SCHEMA, TRADE } = await load('verify_tables.js');
const { b64url } = await load('owner_sig.js');

let failures = 0;
async function test(name, fn) {
  try { await fn(); console.log(`ok   ${name}`); } catch (e) { failures++; console.log(`FAIL ${name}\n${e.stack}`); }
}

const enc = new TextEncoder();
const subtle = crypto.subtle;
const NUMBER = Object.fromEntries(Object.entries(ENUMS).map(([e, values]) =>
  [e, Object.fromEntries(Object.entries(values).map(([n, name]) => [name, Number(n)]))]));
const hex = (b) => Buffer.from(b).toString('hex');
const b64 = (b) => Buffer.from(b).toString('base64');
const sha256 = async (b) => new Uint8Array(await subtle.digest('SHA-256', b));
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// ---------------------------------------------------------------- canonical protobuf

function varint(v) {
  v = BigInt.asUintN(64, BigInt(v));
  const out = [];
  while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n; }
  out.push(Number(v));
  return Uint8Array.from(out);
}
const key = (n, w) => varint((BigInt(n) << 3n) | BigInt(w));
const VARINT_TYPES = ['int32', 'int64', 'uint32', 'uint64', 'bool', 'enum'];

// `obj` as canonical bytes of message `type` (fields in number order, defaults left out).
function encode(obj, type) {
  const parts = [];
  const fields = Object.entries(SCHEMA[type]).map(([n, f]) => ({ ...f, number: Number(n) })).sort((a, b) => a.number - b.number);
  for (const f of fields) {
    const v = obj[f.name];
    if (v === undefined) continue;
    const one = (x) => {
      if (SCHEMA[f.type]) { const b = encode(x, f.type); return concat(key(f.number, 2), varint(b.length), b); }
      if (f.type === 'string') { const b = enc.encode(x); return concat(key(f.number, 2), varint(b.length), b); }
      if (f.type === 'bytes') return concat(key(f.number, 2), varint(x.length), x);
      if (VARINT_TYPES.includes(f.type)) return concat(key(f.number, 0), varint(f.type === 'bool' ? (x ? 1 : 0) : x));
      throw new Error(`no encoder for ${f.type}`);
    };
    if (f.repeated) {
      if (!v.length) continue;
      if (f.packed) {
        const body = concat(...v.map((x) => varint(x)));
        parts.push(concat(key(f.number, 2), varint(body.length), body));
      } else {
        parts.push(...v.map(one));
      }
      continue;
    }
    const isDefault = !f.presence && (v === 0 || v === 0n || v === '' || v === false || (v instanceof Uint8Array && !v.length));
    if (!isDefault) parts.push(one(v));
  }
  return concat(...parts);
}

// ---------------------------------------------------------------- keys and signatures

async function edKey() {
  const k = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await subtle.exportKey('raw', k.publicKey));
  return { priv: k.privateKey, raw, id: hex((await sha256(raw)).slice(0, 8)) };
}
const edSign = async (k, msg) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, k.priv, msg));

async function passkey(rpId) {
  const k = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const point = new Uint8Array(await subtle.exportKey('raw', k.publicKey));
  return { priv: k.privateKey, point, rpId, id: hex((await sha256(point)).slice(0, 8)),
    ownerKey: { webauthn: { p256: point, rp_id: rpId, credential_id: Uint8Array.from([7, 7, 7]) } } };
}
const edOwner = (k) => ({ ...k, ownerKey: { ed25519: k.raw } });

// Minimal DER INTEGER of a 32-byte big-endian value.
function derInt(b) {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.slice(i);
  if (v[0] & 0x80) v = concat(Uint8Array.of(0), v);
  return concat(Uint8Array.of(0x02, v.length), v);
}
const der = (rs) => { const body = concat(derInt(rs.slice(0, 32)), derInt(rs.slice(32))); return concat(Uint8Array.of(0x30, body.length), body); };

// An owner signature of `message` by `owner` (Ed25519, or a passkey assertion; `challenge` overrides it).
async function ownerSign(owner, message, { challenge } = {}) {
  if (owner.ownerKey.ed25519) return { key_id: owner.id, signature: await edSign(owner, message) };
  const auth = concat(await sha256(enc.encode(owner.rpId)), Uint8Array.of(0x05, 0, 0, 0, 1));
  const cdj = enc.encode(JSON.stringify({ type: 'webauthn.get', challenge: challenge ?? b64url(await sha256(message)),
    origin: `https://${owner.rpId}` }));
  const rs = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, owner.priv, concat(auth, await sha256(cdj))));
  return { key_id: owner.id, signature: der(rs), authenticator_data: auth, client_data_json: cdj };
}

// ---------------------------------------------------------------- the log

const ORIGIN = 'touchstone.test/owners';
const T0 = 1_767_225_600_000_000;

async function mth(leaves) {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(concat(Uint8Array.of(1), await mth(leaves.slice(0, k)), await mth(leaves.slice(k))));
}
async function path(m, leaves) {
  if (leaves.length === 1) return [];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return m < k ? [...await path(m, leaves.slice(0, k)), await mth(leaves.slice(k))]
    : [...await path(m - k, leaves.slice(k)), await mth(leaves.slice(0, k))];
}

// Builds the bundle of `steps` ({record, by: participant key | null, owner, ownerOpts, omit, entrySignature}).
async function build(steps, operator, pieceId) {
  const u64 = (v) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v)); return b; };
  const entries = [], leaves = [];
  let prev = new Uint8Array(32);
  for (const [index, s] of steps.entries()) {
    const r = { ...s.record, event_time_micros: T0 + index * 1_000_000 };
    if (s.by) Object.assign(r, { signer: s.by.participant, key_id: s.by.id });
    else Object.assign(r, { signer: '', key_id: '' });
    let bytes = encode(r, 'Record');
    if (s.owner) {
      const msg = concat(enc.encode(`touchstone.v1 owner signature for log\n${ORIGIN}\n`), bytes);
      const sig = await ownerSign(s.owner, msg, s.ownerOpts);
      bytes = concat(bytes, encode({ owner_signature: sig }, 'Record'));
    }
    let sig = new Uint8Array(0);
    if (s.by) sig = await edSign(s.by, concat(enc.encode(`touchstone.v1 record signature for log\n${ORIGIN}\n`), bytes));
    if (s.entrySignature) sig = s.entrySignature;
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length);
    const slen = new Uint8Array(2);
    new DataView(slen.buffer).setUint16(0, sig.length);
    const entry = concat(enc.encode('TSE1'), u64(index), u64(r.event_time_micros), prev, len, bytes, slen, sig);
    const leaf = await sha256(concat(Uint8Array.of(0), entry));
    entries.push({ index, entry, omit: s.omit });
    leaves.push(leaf);
    prev = leaf;
  }
  const root = await mth(leaves);
  const text = `${ORIGIN}\n${leaves.length}\n${b64(root)}\n`;
  const idBytes = (await sha256(concat(enc.encode(ORIGIN), Uint8Array.of(0x0a, 0x01), operator.raw))).slice(0, 4);
  const checkpoint = `${text}\n\u2014 ${ORIGIN} ${b64(concat(idBytes, await edSign(operator, enc.encode(text))))}\n`;
  const vkey = `${ORIGIN}+${hex(idBytes)}+${b64(concat(Uint8Array.of(1), operator.raw))}`;
  const out = [];
  for (const e of entries) {
    if (e.omit) continue;
    const proof = (await path(e.index, leaves)).map(b64).join('\n');
    out.push({ index: e.index, entry: b64(e.entry), tlog_proof: `c2sp.org/tlog-proof@v1\nindex ${e.index}\n${proof}${proof ? '\n' : ''}\n${checkpoint}` });
  }
  return { bundle: { format: 'touchstone-bundle/v1', piece_id: pieceId, checkpoint, entries: out }, vkey };
}

// ---------------------------------------------------------------- the story

const operator = { ...(await edKey()), participant: 'op' };
const jeweler = { ...(await edKey()), participant: 'jeweler-1' };
const heir = edOwner(await edKey());        // the heirloom's owner (an Ed25519 key)
const buyer = await passkey('touchstone.example');  // the buyer (a passkey)
const next = edOwner(await edKey());        // whom the buyer gives the piece to
const stranger = edOwner(await edKey());
const ROLE = NUMBER.Role, EV = NUMBER.PieceEvent;
const PTT = 7500, METAL = 7800, GROSS = 8200;
const HEIRLOOM_FINE = METAL * PTT;          // 58'500'000
const REFINED = 5835 * 9999;                // the refined grain's fine weight
// All the refine's gold is the owner's: the whole loss is the owner's.
const owed = HEIRLOOM_FINE - (HEIRLOOM_FINE - REFINED);

function story({ claimFine = owed, statedOut = owed, intakeSigner = heir, dropRecovered = false, transferBy = buyer,
  omitAccepted = false, challenge, ownerEntrySignature, repurpose, oldPieceAfter = false } = {}) {
  const genesis = { record_id: 'genesis', genesis: { origin: ORIGIN,
    operator: { participant_id: 'op', legal_name: 'Operator', roles: [ROLE.ROLE_OPERATOR], keys: [{ ed25519: operator.raw }] },
    policy: { record_signature_version: 2, max_backdate_micros: 86400e6, rules_version: TRADE.trade_rules_version } } };
  const steps = [
    { record: genesis, by: operator },
    { record: { record_id: 'reg-j', participant_registered: { participant_id: 'jeweler-1', legal_name: 'Jeweler One',
      roles: [ROLE.ROLE_JEWELER], keys: [{ ed25519: jeweler.raw }] } }, by: operator },
  ];
  if (repurpose) {  // the old piece, sold to `repurpose` (a key), which the intake closes
    steps.push({ record: { record_id: 'p-0', piece_registered: { piece_id: 'RING-0', description: 'old curb bracelet' } }, by: jeweler });
    steps.push({ record: { record_id: 'sold-0', piece_lifecycle: { piece_id: 'RING-0', event: EV.PIECE_EVENT_SOLD, buyer: repurpose.ownerKey } }, by: jeweler });
  }
  steps.push(
    { record: { record_id: 'in-1', heirloom_received: { intake_id: 'in-1', description: "18k yellow gold curb bracelet, 19 cm",
      photo_sha256: [new Uint8Array(32).fill(0xab)], gross_weight_mg: GROSS, lot_id: 'h-1', material: 'gold', metal_mg: METAL,
      fineness_ptt: PTT, assay_method: NUMBER.AssayMethod.ASSAY_METHOD_FIRE_ASSAY, owner: heir.ownerKey,
      repurposed_piece_id: repurpose ? 'RING-0' : '' } },
    by: jeweler, owner: intakeSigner },
    { record: { record_id: 't-1', transformation: { transformation_id: 't-1', process: NUMBER.Process.PROCESS_REFINE, material: 'gold',
      inputs: [{ lot_id: 'h-1', quantity: METAL }], outputs: [{ lot_id: 'g-1', form: 'grain', quantity: 5835, fineness_ptt: 9999, heirloom_fine: statedOut }],
      declared_loss_fine_ptt: HEIRLOOM_FINE - REFINED } }, by: jeweler },
    { record: { record_id: 'p-1', piece_registered: { piece_id: 'RING-1', description: 'gold ring', metal_inputs: [{ lot_id: 'g-1', quantity: 5835 }],
      heirloom: { owner_key_id: heir.id, material: 'gold', owner_fine: claimFine, material_fine: REFINED, intake_ids: ['in-1'] } } }, by: jeweler },
    { record: { record_id: 'sold', piece_lifecycle: { piece_id: 'RING-1', event: EV.PIECE_EVENT_SOLD, buyer: buyer.ownerKey } }, by: jeweler });
  if (oldPieceAfter) {
    steps.push({ record: { record_id: 'repair-0', piece_lifecycle: { piece_id: 'RING-0', event: EV.PIECE_EVENT_REPAIRED } }, by: jeweler });
  }
  const sold = steps.length - 1 - (oldPieceAfter ? 1 : 0);
  steps.push({ record: { record_id: 'acc', ownership_accepted: { piece_id: 'RING-1', prev_index: sold, terms: { insurer: 'jeweler-1' } } },
    owner: buyer, ownerOpts: { challenge }, omit: omitAccepted, entrySignature: ownerEntrySignature });
  steps.push({ record: { record_id: 'stolen', owner_report: { piece_id: 'RING-1', prev_index: sold + 1, event: EV.PIECE_EVENT_STOLEN, note: 'taken from a car' } }, owner: buyer });
  if (!dropRecovered) {
    steps.push({ record: { record_id: 'back', owner_report: { piece_id: 'RING-1', prev_index: sold + 2, event: EV.PIECE_EVENT_RECOVERED } }, by: jeweler });
  }
  steps.push({ record: { record_id: 'gift', ownership_transferred: { piece_id: 'RING-1', prev_index: sold + (dropRecovered ? 2 : 3), new_owner: next.ownerKey } }, owner: transferBy });
  return steps;
}

// The corpus (--corpus_out): every scenario's bundle, in the conformance corpus's layout.
const corpus = { vkey: '', quorum: 0, witness_keys: [], entries: [] };

async function run(opts) {
  const s = story(opts);
  if (opts?.patch) opts.patch(s);
  const { bundle, vkey } = await build(s, operator, 'RING-1');
  const r = await verifyBundle(bundle, vkey, { pieceId: 'RING-1' });
  if (args.corpus_out && opts.name) {
    corpus.vkey = vkey;
    writeFileSync(join(args.corpus_out, `${opts.name}.json`), JSON.stringify(bundle));
    writeFileSync(join(args.corpus_out, `${opts.name}.tsbundle`), binaryBundle(bundle));
    corpus.entries.push({ name: opts.name, piece: 'RING-1', json: `${opts.name}.json`, binary: `${opts.name}.tsbundle`,
      rule: r.ok ? '' : r.check, description: opts.name });
  }
  if (args.touchstone && opts.name) {  // the C++ verifier on the same bytes: the same verdict and rule
    let out;
    try {
      out = execFileSync(args.touchstone, ['piece', 'verify', join(args.corpus_out, `${opts.name}.tsbundle`), '--vkey', vkey,
        '--piece', 'RING-1', '--json'], { encoding: 'utf8', env: { ...process.env, HOME: args.corpus_out } });
    } catch (e) { out = e.stdout; }
    const c = JSON.parse(out);
    assert.deepEqual({ ok: c.verdict, rule: c.rule ?? '' }, { ok: r.ok, rule: r.ok ? '' : r.check },
      `${opts.name}: C++ says ${c.reason}; the page says ${r.detail ?? 'verified'}`);
  }
  return r;
}

// The bundle as its file holds it (proto/bundle.proto PieceBundle, binary).
function binaryBundle(b) {
  const str = (n, t) => { const x = enc.encode(t); return concat(key(n, 2), varint(x.length), x); };
  const entries = b.entries.map((e) => {
    const bytes = Uint8Array.from(Buffer.from(e.entry, 'base64'));
    const body = concat(e.index ? concat(key(1, 0), varint(e.index)) : new Uint8Array(0), key(2, 2), varint(bytes.length), bytes, str(3, e.tlog_proof));
    return concat(key(4, 2), varint(body.length), body);
  });
  return concat(str(1, b.format), str(2, b.piece_id), str(3, b.checkpoint), ...entries);
}
const honest = { claimFine: owed, statedOut: owed };

await test('the honest heirloom story verifies: the owner now, the claim and the intake', async () => {
  const r = await run({ ...honest, name: 'honest' });
  assert.ok(r.ok, `${r.check}: ${r.detail}`);
  assert.equal(r.owner.keyId, next.id);
  assert.equal(r.owner.kind, 'ed25519');
  assert.equal(r.owner.accepted, false);
  assert.equal(r.owner.status, 'none');
  assert.equal(r.owner.sinceIndex, 9);
  assert.deepEqual(r.owner.terms, { recoveryKeyId: '', recoveryAgent: '', insurer: '' });  // a transfer clears them
  assert.equal(r.heirloom.owner_key_id, heir.id);
  assert.equal(r.heirloomText, "made from the owner's gold: 5.834 g of its 5.834 g fine gold");
  assert.equal(r.intakes.length, 1);
  assert.equal(r.intakes[0].description, '18k yellow gold curb bracelet, 19 cm');
  assert.equal(r.intakes[0].assayMethod, 'fire assay');
  assert.equal(r.intakes[0].ownerKeyId, heir.id);
  assert.equal(r.intakes[0].photoSha256[0], 'ab'.repeat(32));
  assert.equal(r.graph.lots.get('g-1').heirloomFine, BigInt(owed));
  assert.equal(r.ownerKeyIds.get(5), buyer.id);
});

const refused = async (opts, rule, words) => {
  const r = await run(opts);
  assert.equal(r.ok, false, 'verified');
  assert.equal(r.check, rule, r.detail);
  assert.ok(r.detail.includes(words), `"${r.detail}" does not say "${words}"`);
};

await test('owner-stolen-transferred: a transfer while reported stolen is refused (owner)', () =>
  refused({ ...honest, dropRecovered: true, name: 'owner-stolen-transferred' }, 'owner', 'is reported stolen: it cannot be transferred'));
await test('owner-transfer-not-owner: a transfer signed by another key is refused (owner)', () =>
  refused({ ...honest, transferBy: stranger, name: 'owner-transfer-not-owner' }, 'owner', 'not by the owner key'));
await test('owner-chain-gap: a bundle leaving out an ownership record is refused (owner)', () =>
  refused({ ...honest, omitAccepted: true, name: 'owner-chain-gap' }, 'owner', 'is missing (a bundle carries the whole chain)'));
await test('owner-webauthn-wrong-challenge: a passkey assertion over another challenge is refused (owner)', () =>
  refused({ ...honest, challenge: b64url(new Uint8Array(32)), name: 'owner-webauthn-wrong-challenge' }, 'owner', "the challenge is not this record's"));
await test('an owner-only entry carrying a participant signature is refused (owner)', () =>
  refused({ ...honest, ownerEntrySignature: new Uint8Array(64).fill(1), name: 'owner-only-entry-signed' }, 'owner', 'yet its entry carries a participant signature'));
await test('heirloom-intake-not-cosigned: an intake signed by another owner key is refused (heirloom)', () =>
  refused({ ...honest, intakeSigner: stranger, name: 'heirloom-intake-not-cosigned' }, 'heirloom', 'not by the owner key'));
await test('heirloom-claim-beyond-intake: a claim of more of the owner\'s gold than the lineage gives is refused (heirloom)', () =>
  refused({ ...honest, claimFine: owed + 1, name: 'heirloom-claim-beyond-intake' }, 'heirloom', 'but its lineage gives'));
await test('a refine stating less of the owner\'s gold than its share of the loss leaves is refused (heirloom)', () =>
  refused({ ...honest, statedOut: owed - 10000, claimFine: owed - 10000, name: 'heirloom-refine-short' }, 'heirloom', "state 5.833 g (58334165 fine units) of the owner's fine gold; its lineage gives 5.834 g"));
await test('a refine stating more of the owner\'s gold than its output holds is refused (heirloom)', () =>
  refused({ ...honest, statedOut: owed + 10000, claimFine: owed + 10000, name: 'heirloom-refine-beyond-output' }, 'heirloom', 'of fine gold in all'));
await test('the insurer the terms name may report; a participant they do not name may not (owner)', async () => {
  const ok = await run({ ...honest, name: 'owner-insurer-reports', patch: (s) => { s[7] = { ...s[7], owner: undefined, by: jeweler }; } });
  assert.ok(ok.ok, `${ok.check}: ${ok.detail}`);
  await refused({ ...honest, name: 'owner-report-not-insurer', patch: (s) => { s[6].record.ownership_accepted.terms = {}; s[7] = { ...s[7], owner: undefined, by: jeweler }; } },
    'owner', 'or the insurer its terms name reports the piece');
});
await test('the jeweler of a sold piece records only repairs (owner)', () =>
  refused({ ...honest, name: 'owner-jeweler-records-lost', patch: (s) => { s.push({ record: { record_id: 'lost', piece_lifecycle: { piece_id: 'RING-1', event: EV.PIECE_EVENT_LOST } }, by: jeweler }); } },
    'owner', 'only its owner records sales, transfers and reports'));

await test('an intake repurposing the owner\'s old piece verifies, and tells the old piece', async () => {
  const r = await run({ ...honest, repurpose: heir, name: 'honest-repurposed' });
  assert.ok(r.ok, `${r.check}: ${r.detail}`);
  assert.equal(r.intakes[0].repurposedPieceId, 'RING-0');
  assert.equal(r.intakes[0].repurposedPieceDescription, 'old curb bracelet');
  assert.equal(r.graph.owned.get('RING-0').repurposedIntake, 'in-1');
});
await test('an intake repurposing a piece of another owner key is refused (heirloom)', () =>
  refused({ ...honest, repurpose: stranger, name: 'heirloom-repurpose-other-owner' }, 'heirloom', `but its owner then is key ${stranger.id}`));
await test('a record of a repurposed piece is refused (owner, as the ledger names it)', () =>
  refused({ ...honest, repurpose: heir, oldPieceAfter: true, name: 'owner-repurposed-piece-recorded' }, 'owner', 'a repurposed piece takes no more records'));

if (args.corpus_out) writeFileSync(join(args.corpus_out, 'manifest.json'), JSON.stringify(corpus, null, 1));
if (args.bundle_out) {
  const { bundle, vkey } = await build(story({ ...honest, repurpose: heir }), operator, 'RING-1');
  writeFileSync(args.bundle_out, JSON.stringify({ bundle, vkey }));
}

console.log(failures ? `${failures} FAILED` : 'all passed');
process.exit(failures ? 1 : 0);
