// The page's verifier (services/web/verify.js with verify_sealed.js) on bundles
// holding sealed records (issue 16; ledger/provenance/commitments.h), built here
// from scratch: records sealed with the generated table of committed fields
// (COMMITTED), encoded canonically, signed by participants' Ed25519 keys, a real
// tree and checkpoint. An opening the bundle carries is checked against its
// commitment and its values used; an altered one, one for a public entry, one
// twice, are refused naming the rule 'sealed'; a sealed record without an
// opening is checked for all but its committed fields, and each check that
// needs one is in the result's `vouched` list. With --touchstone, the C++
// verifier (`piece verify --json`) must give every scenario the same verdict,
// rule and vouched list.
//
// Usage: node sealed_bundle_test.mjs --web DIR [--touchstone PATH]
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { web: { type: 'string' }, touchstone: { type: 'string' } } });
const load = (file) => import(pathToFileURL(resolve(args.web, file)).href);
const { verifyBundle } = await load('verify.js');
const { COMMITTED, ENUMS, SCHEMA } = await load('verify_tables.js');
const dir = mkdtempSync(join(tmpdir(), 'sealed-bundles-'));

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

// ---------------------------------------------------------------- sealing (commitments.h SealRecord)

const DOMAIN = enc.encode('touchstone-opening/v1\n');

// Moves the field at `segments` from `from` to `to`, making the messages and elements that lead to it.
function move(from, to, segments) {
  const [name, ...rest] = segments;
  if (from[name] === undefined) return;
  if (!rest.length) { to[name] = from[name]; delete from[name]; return; }
  if (Array.isArray(from[name])) {
    to[name] ??= from[name].map(() => ({}));
    from[name].forEach((e, i) => move(e, to[name][i], rest));
  } else {
    to[name] ??= {};
    move(from[name], to[name], rest);
  }
}

// `record` (one body `kind`) sealed with the 32-byte `salt`: {record, opening: {salt, fields}}.
async function seal(record, kind, salt) {
  const pub = structuredClone(record), values = {};
  for (const path of COMMITTED[kind]) move(pub[kind], values, path.split('.'));
  const fields = encode({ [kind]: values }, 'Record');
  pub.sealed = { commitment: await sha256(concat(DOMAIN, salt, fields)) };
  return { record: pub, opening: { salt, fields } };
}

// ---------------------------------------------------------------- the log

const ORIGIN = 'touchstone.test/sealed';
const T0 = 1_767_225_600_000_000;

async function edKey(participant) {
  const k = await subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']);
  const raw = new Uint8Array(await subtle.exportKey('raw', k.publicKey));
  return { priv: k.privateKey, raw, id: hex((await sha256(raw)).slice(0, 8)), participant };
}
const edSign = async (k, msg) => new Uint8Array(await subtle.sign({ name: 'Ed25519' }, k.priv, msg));

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

// The bundle of `steps` ({record, by}) with `openings` ([{index, salt, fields}] as bytes).
async function build(steps, operator, pieceId, openings) {
  const u64 = (v) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v)); return b; };
  const entries = [], leaves = [];
  let prev = new Uint8Array(32);
  for (const [index, s] of steps.entries()) {
    const r = { ...s.record, event_time_micros: T0 + index * 1_000_000, signer: s.by.participant, key_id: s.by.id };
    const bytes = encode(r, 'Record');
    const sig = await edSign(s.by, concat(enc.encode(`touchstone.v1 record signature for log\n${ORIGIN}\n`), bytes));
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length);
    const slen = new Uint8Array(2);
    new DataView(slen.buffer).setUint16(0, sig.length);
    const entry = concat(enc.encode('TSE1'), u64(index), u64(r.event_time_micros), prev, len, bytes, slen, sig);
    const leaf = await sha256(concat(Uint8Array.of(0), entry));
    entries.push({ index, entry });
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
    const proof = (await path(e.index, leaves)).map(b64).join('\n');
    out.push({ index: e.index, entry: b64(e.entry), tlog_proof: `c2sp.org/tlog-proof@v1\nindex ${e.index}\n${proof}${proof ? '\n' : ''}\n${checkpoint}` });
  }
  const bundle = { format: 'touchstone-bundle/v1', piece_id: pieceId, checkpoint, entries: out };
  if (openings.length) bundle.openings = openings.map((o) => ({ index: o.index, salt: b64(o.salt), fields: b64(o.fields) }));
  return { bundle, vkey };
}

// The bundle as its file holds it (proto/bundle.proto PieceBundle, binary, with openings = 6).
function binaryBundle(b) {
  const str = (n, t) => { const x = enc.encode(t); return concat(key(n, 2), varint(x.length), x); };
  const bytes = (n, x) => concat(key(n, 2), varint(x.length), x);
  const entries = b.entries.map((e) => {
    const raw = Uint8Array.from(Buffer.from(e.entry, 'base64'));
    const body = concat(e.index ? concat(key(1, 0), varint(e.index)) : new Uint8Array(0), bytes(2, raw), str(3, e.tlog_proof));
    return bytes(4, body);
  });
  const openings = (b.openings || []).map((o) => {
    const opening = concat(bytes(1, Buffer.from(o.salt, 'base64')), bytes(2, Buffer.from(o.fields, 'base64')));
    return bytes(6, concat(o.index ? concat(key(1, 0), varint(o.index)) : new Uint8Array(0), bytes(2, opening)));
  });
  return concat(str(1, b.format), str(2, b.piece_id), str(3, b.checkpoint), ...entries, ...openings);
}

// ---------------------------------------------------------------- the story

const operator = await edKey('op');
const refiner = await edKey('refiner');
const jeweler = await edKey('jeweler');
const ROLE = NUMBER.Role;
const RECYCLED = NUMBER.OriginClass.ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
const MINED = NUMBER.OriginClass.ORIGIN_CLASS_MINED;
const salt = (n) => new Uint8Array(32).fill(n);
const participant = (who, roles) => ({ record: { record_id: `reg-${who.participant}`, participant_registered: {
  participant_id: who.participant, legal_name: `Legal name of ${who.participant}`, roles, keys: [{ ed25519: who.raw }] } }, by: operator });
const lot = (id, origin) => ({ lot_id: id, material: 'gold', form: 'grain', origin_class: origin, quantity: 250000,
  unit: NUMBER.Unit.UNIT_MILLIGRAM, fineness_ppt: 999, facility: 'Mendrisio' });

// The story: options say which records are sealed; returns {steps, openings, at: {name: index}}.
async function story({ sealLot = true, sealShip = true, sealRing = true, disclose = true, origin = RECYCLED, merge = false,
  receiptShipment } = {}) {
  const steps = [
    { record: { record_id: 'genesis', genesis: { origin: ORIGIN, operator: { participant_id: 'op', legal_name: 'Operator',
      roles: [ROLE.ROLE_OPERATOR], keys: [{ ed25519: operator.raw }] }, policy: { record_signature_version: 2, max_backdate_micros: 86400e6 } } }, by: operator },
    participant(refiner, [ROLE.ROLE_REFINER]),
    participant(jeweler, [ROLE.ROLE_JEWELER]),
  ];
  const openings = [], at = {};
  const add = async (name, record, kind, by, sealIt, n) => {
    at[name] = steps.length;
    if (!sealIt) { steps.push({ record, by }); return; }
    const s = await seal(record, kind, salt(n));
    steps.push({ record: s.record, by });
    return { index: at[name], ...s.opening };
  };
  let metal = 'gold-1';
  if (merge) {
    await add('a', { record_id: 'a', lot_created: lot('a', RECYCLED) }, 'lot_created', refiner, false);
    await add('b', { record_id: 'b', lot_created: lot('b', origin) }, 'lot_created', refiner, false);
    await add('merge', { record_id: 'merge', transformation: { transformation_id: 'merge-m', process: NUMBER.Process.PROCESS_MERGE,
      material: 'gold', location: 'Mendrisio', inputs: [{ lot_id: 'a', quantity: 100000 }, { lot_id: 'b', quantity: 100000 }],
      outputs: [{ lot_id: 'm', quantity: 200000, fineness_ppt: 999 }] } }, 'transformation', refiner, true, 4);
    metal = 'm';
  } else {
    await add('lot', { record_id: 'lot', lot_created: lot('gold-1', origin) }, 'lot_created', refiner, sealLot, 1);
  }
  await add('ship', { record_id: 'ship', custody_shipped: { shipment_id: `shp-${metal}`, lot_id: metal, to_participant: 'jeweler' } },
    'custody_shipped', refiner, sealShip, 2);
  await add('receipt', { record_id: 'receipt', custody_received: { shipment_id: receiptShipment ?? `shp-${metal}`, lot_id: metal } },
    'custody_received', jeweler, false);
  const ring = await add('ring', { record_id: 'ring', piece_registered: { piece_id: 'RING-S', description: 'a ring',
    metal_inputs: [{ lot_id: metal, quantity: 3850 }], claims: [NUMBER.Claim.CLAIM_RECYCLED_METAL], disclose_inputs: disclose } },
  'piece_registered', jeweler, sealRing, 3);
  if (ring && disclose) openings.push(ring);
  return { steps, openings, at };
}

// Verifies the story's bundle (after `patch(bundle)`), with the C++ verifier on the same bytes when given.
async function run(name, opts = {}, patch = null) {
  const { steps, openings, at } = await story(opts);
  const { bundle, vkey } = await build(steps, operator, 'RING-S', openings);
  if (patch) patch(bundle, at);
  const r = await verifyBundle(bundle, vkey, { pieceId: 'RING-S' });
  if (args.touchstone) {
    const file = join(dir, `${name}.tsbundle`);
    writeFileSync(file, binaryBundle(bundle));
    writeFileSync(join(dir, "vkey"), vkey);  // the log's key, to read a bundle again by hand
    let out;
    try {
      out = execFileSync(args.touchstone, ['piece', 'verify', file, '--vkey', vkey, '--piece', 'RING-S', '--json'],
        { encoding: 'utf8', env: { ...process.env, HOME: dir } });
    } catch (e) { out = e.stdout; }
    const c = JSON.parse(out);
    assert.deepEqual({ ok: c.verdict, rule: c.rule ?? '' }, { ok: r.ok, rule: r.ok ? '' : r.check },
      `${name}: C++ says ${c.reason}; the page says ${r.detail ?? 'verified'}`);
    if (r.ok) {
      assert.deepEqual(c.vouched, r.vouched, `${name}: the C++ and the page vouch for different checks`);
      assert.deepEqual({ opened: c.opened, sealed: c.sealed }, { opened: r.opened, sealed: r.sealed });
    }
  }
  return { r, at };
}

await test('an opened piece verifies with its inputs; the sealed shipment\'s addressee is vouched for', async () => {
  const { r, at } = await run('opened');
  assert.ok(r.ok, `${r.check}: ${r.detail}`);
  assert.deepEqual(r.opened, [at.ring]);
  assert.deepEqual(r.sealed, [at.lot, at.ship]);
  assert.deepEqual(r.vouched, [{ index: at.receipt, kind: 'custody_received',
    what: `shipment 'shp-gold-1' of lot 'gold-1' is addressed to its receiver 'jeweler' (sealed at entry ${at.ship})` }]);
  // The opened values are the record's: the ring's 3.850 g.
  const ring = r.entries.find((e) => e.index === at.ring);
  assert.equal(ring.body.metal_inputs[0].quantity, 3850);
  assert.deepEqual(r.claims, [NUMBER.Claim.CLAIM_RECYCLED_METAL]);
});

const refused = async (name, opts, patch, rule, words) => {
  const { r } = await run(name, opts, patch);
  assert.equal(r.ok, false, 'verified');
  assert.equal(r.check, rule, r.detail);
  assert.ok(r.detail.includes(words), `"${r.detail}" does not say "${words}"`);
};

await test('sealed-opening-altered: an opening whose value was changed is refused (sealed)', () =>
  refused('altered', {}, (b) => {
    const fields = Buffer.from(b.openings[0].fields, 'base64');
    fields[fields.length - 1] ^= 1;  // the quantity's last varint byte
    b.openings[0].fields = b64(fields);
  }, 'sealed', "does not match the record's commitment"));
await test('an opening with another salt is refused (sealed)', () =>
  refused('other-salt', {}, (b) => { b.openings[0].salt = b64(salt(9)); }, 'sealed', "does not match the record's commitment"));
await test('an opening given for a public entry is refused (sealed)', () =>
  refused('public-entry', {}, (b, at) => { b.openings[0].index = at.receipt; }, 'sealed', 'is not sealed'));
await test('an opening for an entry the bundle does not hold is refused (sealed)', () =>
  refused('no-entry', {}, (b) => { b.openings[0].index = 99; }, 'sealed', 'the bundle holds no entry 99'));
await test('an opening given twice is refused (sealed)', () =>
  refused('twice', {}, (b) => { b.openings.push(b.openings[0]); }, 'sealed', 'openings are in increasing index order, each once'));
await test('a sealed piece without its opening vouches for its composition, and its claims are still checked', async () => {
  const { r, at } = await run('unopened', { disclose: false });
  assert.ok(r.ok, `${r.check}: ${r.detail}`);
  assert.deepEqual(r.sealed, [at.lot, at.ship, at.ring]);
  assert.ok(r.vouched.some((f) => f.what === "the piece's composition by weight" && f.index === at.ring), JSON.stringify(r.vouched));
  assert.deepEqual(r.composition, []);  // never "0.000 g of gold"
});
await test('a sealed lot of mined gold still cannot make a ring claiming recycled metal (claims)', () =>
  refused('mined', { origin: MINED }, null, 'claims', 'CLAIM_RECYCLED_METAL'));
await test('a sealed shipment still needs its receipt under its shipment (custody)', () =>
  refused('other-shipment', { receiptShipment: 'shp-other' }, null, 'custody', "which no earlier record ships to 'jeweler'"));
await test('a sealed transformation in the lineage is vouched for, and its origins still combine', async () => {
  const { r, at } = await run('merge', { merge: true, sealShip: false });
  assert.ok(r.ok, `${r.check}: ${r.detail}`);
  assert.deepEqual(r.sealed, [at.merge]);
  assert.ok(r.vouched.some((f) => f.index === at.merge && f.kind === 'transformation' && f.what === "mass balance of transformation 'merge-m'"),
    JSON.stringify(r.vouched));
  await refused('merge-mined', { merge: true, sealShip: false, origin: MINED }, null, 'claims', 'CLAIM_RECYCLED_METAL');
});

console.log(failures ? `${failures} FAILED` : 'all passed');
process.exit(failures ? 1 : 0);
