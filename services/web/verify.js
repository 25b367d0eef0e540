// Verifies a piece bundle (proto/bundle.proto, JSON form services/bundle_json.h)
// in the browser with WebCrypto, trusting nothing but the log's verifier key:
//   1. the checkpoint note is signed (Ed25519, C2SP signed-note) by the pinned key,
//      and names the key's origin;
//   2. every entry's tlog-proof holds that checkpoint byte for byte and its index,
//      and its RFC 9162 inclusion proof leads from SHA-256(0x00 || entry bytes)
//      to the checkpoint's root;
//   3. every entry decodes (ledger/entry_format.h) with its own index, and where
//      two entries are consecutive the later one's prev_leaf_hash is the
//      earlier one's leaf hash (the hash chain);
//   4. every record's Ed25519 signature, over "touchstone.v1 record signature for
//      log\n" || origin || "\n" || record bytes where the log's policy in force
//      binds signatures to the origin (the genesis's or a log_policy entry's;
//      ledger/record.h), else over "touchstone.v1 record signature\n" || record
//      bytes, is by a key its signer registered earlier in the bundle
//      (genesis, participant registration, key added) and had not revoked;
//   5. every lot, certificate and piece a record names has its record in the bundle;
//   6. the piece's origin claims (recycled metal, lab-grown or natural diamonds)
//      follow from the origin classes re-derived through the transformations
//      (as ledger/origin.h), with any stone replacement applied;
//   7. every signer held a role that may write its record and was not suspended
//      (as ledger/bundle_verify.cc), and records only its own pieces, keys and
//      certificates;
//   8. custody: each of the piece's lots was shipped, transformed or set only by
//      its holder, and received only by the participant it was shipped to;
//   9. witness cosignatures (c2sp.org/tlog-cosignature) on the checkpoint: each is
//      verified if the page pins that witness's key, and listed as unchecked if not.
//  10. times (checkTimes, as ledger/log_policy.h): no record dated further before
//      its recording than the log's policy allows, only allowed imports of
//      history marked, and certificates in force when used.
// Not checked here (the command-line verifier checks them): weights and losses,
// the certified-chain claim.
// verifyBundle() returns {ok: true, ...} or {ok: false, check, detail}; it never
// trusts a verdict from the server.

const enc = new TextEncoder();
const RECORD_CONTEXT = enc.encode('touchstone.v1 record signature\n');
const RECORD_CONTEXT_FOR_LOG = 'touchstone.v1 record signature for log\n';

export class CheckFailed extends Error {
  constructor(check, detail) {
    super(`${check}: ${detail}`);
    this.check = check;
    this.detail = detail;
  }
}

function fail(check, detail) { throw new CheckFailed(check, detail); }

export function b64decode(s) {
  let bin;
  try { bin = atob(s); } catch (e) { return null; }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function b64encode(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function hex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''); }

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)); }
const leafHash = (bytes) => sha256(concat(new Uint8Array([0]), bytes));
const nodeHash = (l, r) => sha256(concat(new Uint8Array([1]), l, r));

async function ed25519Verify(publicKey, signature, message) {
  let key;
  try {
    key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    fail('browser support', `this browser cannot check Ed25519 signatures (${e.message})`);
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

// ---------------------------------------------------------------- signed notes

// "<name>+<8 hex key ID>+<base64(0x01 || 32-byte key)>", key ID checked.
export async function parseVerifierKey(vkey) {
  // name and key ID hold no '+'; the base64 key may.
  const m = /^([^+\s]+)\+([^+]*)\+(.*)$/.exec(vkey || '');
  const parts = m ? m.slice(1) : [];
  const raw = m ? b64decode(parts[2]) : null;
  if (!raw || raw.length !== 33 || raw[0] !== 1 || !/^[0-9a-f]{8}$/.test(parts[1])) {
    fail('verifier key', `the pinned verifier key is malformed: "${vkey}"`);
  }
  const id = (await sha256(concat(enc.encode(parts[0]), new Uint8Array([0x0a, 0x01]), raw.slice(1)))).slice(0, 4);
  if (hex(id) !== parts[1]) fail('verifier key', 'the pinned verifier key\'s ID does not match its name and key');
  return { name: parts[0], id: parts[1], key: raw.slice(1) };
}

// Checks `note` is signed by `verifier`; returns its text (with the final "\n").
export async function verifyNote(note, verifier, check) {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) fail(check, 'the note has no signature block');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  let found = false;
  for (const line of lines) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) fail(check, `malformed signature line "${line}"`);
    const sig = b64decode(m[2]);
    if (!sig || sig.length < 5) fail(check, `malformed signature line "${line}"`);
    if (m[1] !== verifier.name || hex(sig.slice(0, 4)) !== verifier.id) continue;  // another key
    found = true;
    if (sig.length !== 68 || !(await ed25519Verify(verifier.key, sig.slice(4), enc.encode(text)))) {
      fail(check, `the signature by ${verifier.name} does not match the checkpoint (not signed by the pinned key ${verifier.id})`);
    }
  }
  if (!found) fail(check, `no signature by the pinned key ${verifier.name}+${verifier.id}`);
  return text;
}

function parseCheckpoint(text, verifier) {
  const lines = text.split('\n');
  const root = b64decode(lines[2] || '');
  if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1]) || !root || root.length !== 32) {
    fail('checkpoint signature', 'the checkpoint text is malformed');
  }
  if (lines[0] !== verifier.name) fail('checkpoint signature', `the checkpoint is of log "${lines[0]}", not ${verifier.name}`);
  return { origin: lines[0], size: BigInt(lines[1]), root, rootB64: lines[2] };
}

// ---------------------------------------------------------------- inclusion

function parseTlogProof(text, where) {
  const lines = text.split('\n');
  if (lines[0] !== 'c2sp.org/tlog-proof@v1') fail('inclusion proof', `${where}: not a c2sp.org/tlog-proof@v1`);
  let i = 1;
  if (lines[i] && lines[i].startsWith('extra ')) i++;
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[i] || '');
  if (!m) fail('inclusion proof', `${where}: the proof has no index line`);
  i++;
  const hashes = [];
  for (; i < lines.length && lines[i] !== ''; i++) {
    const h = b64decode(lines[i]);
    if (!h || h.length !== 32) fail('inclusion proof', `${where}: malformed proof hash`);
    hashes.push(h);
  }
  if (i >= lines.length) fail('inclusion proof', `${where}: the proof holds no checkpoint`);
  return { index: BigInt(m[1]), hashes, checkpoint: lines.slice(i + 1).join('\n') };
}

// RFC 9162 section 2.1.3.2: does `proof` lead from `leaf` at `index` to `root` in a tree of `size`?
export async function inclusionRoot(index, size, leaf, proof) {
  if (index >= size || leaf.length !== 32 || proof.some((h) => h.length !== 32)) return null;
  let inner = 0;
  for (let x = index ^ (size - 1n); x > 0n; x >>= 1n) inner++;
  let border = 0;
  for (let x = index >> BigInt(inner); x > 0n; x >>= 1n) border += Number(x & 1n);
  if (proof.length !== inner + border) return null;
  let h = leaf;
  for (let j = 0; j < proof.length; j++) {
    h = j < inner && ((index >> BigInt(j)) & 1n) === 0n ? await nodeHash(h, proof[j]) : await nodeHash(proof[j], h);
  }
  return h;
}

// ---------------------------------------------------------------- entries

function u64(b, at) { let v = 0n; for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[at + i]); return v; }

// ledger/entry_format.h
function decodeEntry(b, where) {
  const bad = (what) => fail('entries', `${where}: ${what}`);
  if (b.length < 58 || !equal(b.slice(0, 4), enc.encode('TSE1'))) bad('not a TSE1 entry');
  const r = ((b[52] << 24) >>> 0) + (b[53] << 16) + (b[54] << 8) + b[55];
  if (56 + r + 2 > b.length) bad('truncated record');
  const s = (b[56 + r] << 8) + b[57 + r];
  if (58 + r + s !== b.length) bad('wrong length');
  return {
    index: u64(b, 4), recordedAt: Number(BigInt.asIntN(64, u64(b, 12))), prev: b.slice(20, 52),
    record: b.slice(56, 56 + r), signature: b.slice(58 + r),
  };
}

// ---------------------------------------------------------------- records (protobuf wire format)

// Field numbers from proto/record.proto: number -> "name:type" ("[]" = repeated).
const SCHEMA = {
  Record: { 1: 'record_id:string', 2: 'signer:string', 3: 'key_id:string', 4: 'event_time_micros:int64',
    10: 'genesis:Genesis', 11: 'participant_registered:ParticipantRegistered', 12: 'key_added:KeyAdded',
    13: 'key_revoked:KeyRevoked', 14: 'role_granted:RoleGranted', 15: 'participant_suspended:Reason',
    16: 'participant_reinstated:Reason', 17: 'certificate_issued:CertificateIssued',
    18: 'certificate_status_changed:CertificateStatusChanged', 20: 'lot_created:LotCreated',
    21: 'transformation:Transformation', 22: 'custody_shipped:CustodyShipped', 23: 'custody_received:CustodyReceived',
    24: 'piece_registered:PieceRegistered', 25: 'piece_lifecycle:PieceLifecycle', 26: 'stone_replaced:StoneReplaced',
    27: 'error_declared:ErrorDeclared', 28: 'operator_key_rotated:OperatorKeyRotated',
    5: 'history_import:enum', 29: 'log_policy:LogPolicy' },
  Genesis: { 1: 'origin:string', 2: 'operator:ParticipantRegistered', 3: 'policy:LogPolicy' },
  LogPolicy: { 1: 'record_signature_version:int64', 2: 'max_backdate_micros:int64', 3: 'history_import_allowed:enum' },
  ParticipantRegistered: { 1: 'participant_id:string', 2: 'legal_name:string', 3: 'identifiers:Identifier[]',
    4: 'roles:enum[]', 5: 'keys:PublicKey[]' },
  Identifier: { 1: 'scheme:string', 2: 'value:string' },
  PublicKey: { 1: 'ed25519:bytes' },
  KeyAdded: { 1: 'participant_id:string', 2: 'key:PublicKey' },
  KeyRevoked: { 1: 'participant_id:string', 2: 'key_id:string', 3: 'reason:string' },
  RoleGranted: { 1: 'participant_id:string', 2: 'role:enum' },
  Reason: { 1: 'participant_id:string', 2: 'reason:string' },
  GradingReport: { 1: 'lab:string', 2: 'report_number:string', 3: 'inscription:string', 4: 'origin:enum',
    5: 'growth_method:enum', 6: 'treatment:string', 7: 'carats_thousandths:int64', 8: 'colour:string',
    9: 'clarity:string', 10: 'cut:string', 11: 'measurements:string' },
  KimberleyProcessCertificate: { 1: 'certificate_number:string', 2: 'country_of_origin:string', 3: 'exporter:string',
    4: 'importer:string', 5: 'carats_thousandths:int64', 6: 'parcels:int64' },
  CertificateIssued: { 1: 'certificate_id:string', 2: 'scheme:string', 3: 'subject_participant:string',
    4: 'subject_lot:string', 5: 'subject_facility:string', 6: 'scope:string', 7: 'valid_from_micros:int64',
    8: 'valid_until_micros:int64', 9: 'external_number:string', 10: 'document_sha256:bytes',
    20: 'grading_report:GradingReport', 21: 'kimberley_process:KimberleyProcessCertificate' },
  CertificateStatusChanged: { 1: 'certificate_id:string', 2: 'status:enum', 3: 'reason:string', 4: 'effective_micros:int64' },
  LotCreated: { 1: 'lot_id:string', 2: 'material:string', 3: 'form:string', 4: 'origin_class:enum', 5: 'quantity:int64',
    6: 'unit:enum', 7: 'fineness_ppt:int64', 8: 'facility:string', 9: 'certificate_ids:string[]', 10: 'note:string' },
  LotQuantity: { 1: 'lot_id:string', 2: 'quantity:int64' },
  OutputLot: { 1: 'lot_id:string', 2: 'form:string', 3: 'quantity:int64', 4: 'fineness_ppt:int64' },
  Transformation: { 1: 'transformation_id:string', 2: 'process:enum', 3: 'material:string', 4: 'inputs:LotQuantity[]',
    5: 'outputs:OutputLot[]', 6: 'declared_loss_fine:int64', 7: 'location:string', 8: 'certificate_ids:string[]', 9: 'note:string' },
  CustodyShipped: { 1: 'shipment_id:string', 2: 'lot_id:string', 3: 'to_participant:string', 4: 'business_reference_sha256:bytes' },
  CustodyReceived: { 1: 'shipment_id:string', 2: 'lot_id:string' },
  MetalInput: { 1: 'lot_id:string', 2: 'quantity:int64' },
  PieceRegistered: { 1: 'piece_id:string', 2: 'description:string', 3: 'stone_lot_ids:string[]',
    4: 'metal_inputs:MetalInput[]', 5: 'hallmark:string', 6: 'claims:enum[]' },
  PieceLifecycle: { 1: 'piece_id:string', 2: 'event:enum', 3: 'owner_salted_sha256:bytes', 4: 'note:string' },
  StoneReplaced: { 1: 'piece_id:string', 2: 'old_stone_lot_id:string', 3: 'new_stone_lot_id:string', 4: 'reason:string' },
  ErrorDeclared: { 1: 'wrong_index:int64', 2: 'replacement_index:int64', 3: 'reason:string' },
  OperatorKeyRotated: { 1: 'new_key:PublicKey', 2: 'reason:string' },
};
const BODIES = Object.values(SCHEMA.Record).map((f) => f.split(':')[0]).filter((n) =>
  !['record_id', 'signer', 'key_id', 'event_time_micros', 'history_import'].includes(n));
const SCALAR = new Set(['int64', 'enum']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

// Decodes protobuf bytes as message `type`; unknown fields are skipped. Throws Error if malformed.
export function decodeMessage(bytes, type) {
  const schema = SCHEMA[type];
  const out = {};
  for (const spec of Object.values(schema)) {
    const [name, t] = spec.split(':');
    if (t.endsWith('[]')) out[name] = [];
    else if (t === 'string') out[name] = '';
    else if (t === 'int64' || t === 'enum') out[name] = 0;
  }
  let pos = 0;
  const varint = () => {
    let v = 0n, shift = 0n;
    for (;;) {
      if (pos >= bytes.length || shift > 63n) throw new Error('truncated varint');
      const b = bytes[pos++];
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return v;
    }
  };
  const num = (v) => Number(BigInt.asIntN(64, v));
  while (pos < bytes.length) {
    const key = varint();
    const field = Number(key >> 3n), wire = Number(key & 7n);
    const spec = schema[field];
    let value;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const n = Number(varint());
      if (pos + n > bytes.length) throw new Error('truncated field');
      value = bytes.subarray(pos, pos + n);
      pos += n;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > bytes.length) throw new Error('truncated field');
      continue;
    } else throw new Error(`wire type ${wire}`);
    if (!spec) continue;
    const [name, t0] = spec.split(':');
    const repeated = t0.endsWith('[]');
    const t = repeated ? t0.slice(0, -2) : t0;
    let values;
    if (SCALAR.has(t)) {
      if (wire === 2) {  // packed
        const saved = [bytes, pos];
        values = [];
        const inner = value;
        let p = 0;
        while (p < inner.length) {
          let v = 0n, shift = 0n, b;
          do { b = inner[p++]; v |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80 && p < inner.length);
          values.push(num(v));
        }
        [bytes, pos] = saved;
      } else values = [num(value)];
    } else if (wire !== 2) throw new Error(`field ${name} has the wrong wire type`);
    else if (t === 'string') values = [utf8.decode(value)];
    else if (t === 'bytes') values = [value.slice()];
    else values = [decodeMessage(value, t)];
    if (repeated) out[name].push(...values);
    else out[name] = values[values.length - 1];
  }
  return out;
}

export function recordKind(record) { return BODIES.find((b) => record[b] !== undefined) || 'empty record'; }

// ---------------------------------------------------------------- the bundle

async function keyIdOf(publicKey) { return hex((await sha256(publicKey)).slice(0, 8)); }

// Verifies the JSON bundle against the verifier key string. Returns
// {ok: true, checkpoint, entries: [{index, recordedAt, record, kind}], participants, checks}
// or {ok: false, check, detail}.
// `witnessKeys`: the cosignature verifier keys the page pins (may be empty).
export async function verifyBundle(bundle, vkey, witnessKeys = []) {
  try {
    return await verify(bundle, vkey, witnessKeys);
  } catch (e) {
    if (e instanceof CheckFailed) return { ok: false, check: e.check, detail: e.detail };
    return { ok: false, check: 'bundle', detail: `the bundle cannot be read: ${e.message}` };
  }
}

async function verify(bundle, vkey, witnessKeys) {
  if (!globalThis.crypto || !crypto.subtle) {
    fail('browser support', 'this page has no WebCrypto here (it must be opened over HTTPS or from localhost)');
  }
  const verifier = await parseVerifierKey(vkey);
  const witnesses = [];
  for (const w of witnessKeys) witnesses.push(await parseWitnessKey(w));
  if (bundle.format !== 'touchstone-bundle/v1') fail('bundle format', `unknown format "${bundle.format}"`);
  const text = await verifyNote(bundle.checkpoint, verifier, 'checkpoint signature');
  const checkpoint = parseCheckpoint(text, verifier);
  const cosignatures = await checkCosignatures(bundle.checkpoint, text, verifier, witnesses);

  // Inclusion, entries, hash chain.
  const entries = [];
  let previous = null, links = 0;
  for (const e of bundle.entries || []) {
    const where = `entry ${e.index}`;
    const index = BigInt(e.index);
    if (previous && index <= previous.index) fail('entries', `${where}: entries are not in increasing index order`);
    const bytes = b64decode(e.entry);
    if (!bytes) fail('entries', `${where}: its bytes are not base64`);
    const proof = parseTlogProof(e.tlog_proof || '', where);
    if (proof.checkpoint !== bundle.checkpoint) fail('inclusion proof', `${where}: its proof is against another checkpoint than the bundle's`);
    if (proof.index !== index) fail('inclusion proof', `${where}: its proof is for entry ${proof.index}`);
    const leaf = await leafHash(bytes);
    const root = await inclusionRoot(index, checkpoint.size, leaf, proof.hashes);
    if (!root || !equal(root, checkpoint.root)) {
      fail('inclusion proof', `${where}: its inclusion proof does not lead to the checkpoint's root (the bytes are not what the log holds)`);
    }
    const entry = decodeEntry(bytes, where);
    if (entry.index !== index) fail('entries', `${where}: the entry says it is entry ${entry.index}`);
    if (previous && previous.index + 1n === index) {
      if (!equal(entry.prev, previous.leaf)) fail('hash chain', `${where}: its previous-entry hash is not entry ${previous.index}'s leaf hash`);
      links++;
    }
    let record;
    try { record = decodeMessage(entry.record, 'Record'); } catch (err) { fail('entries', `${where}: its record cannot be decoded (${err.message})`); }
    const item = { index: Number(index), recordedAt: entry.recordedAt, record, kind: recordKind(record),
      recordBytes: entry.record, signature: entry.signature, leaf };
    entries.push(item);
    previous = { index, leaf };
  }
  if (!entries.length) fail('entries', 'the bundle holds no records');

  // Record signatures, replaying the bundle's own key records.
  const participants = new Map();  // id -> {name, roles, identifiers, keys: Map(keyId -> {key, revokedAt})}
  const register = async (reg, at) => {
    const p = { id: reg.participant_id, name: reg.legal_name, roles: reg.roles, identifiers: reg.identifiers, keys: new Map(), at };
    for (const k of reg.keys) p.keys.set(await keyIdOf(k.ed25519), { key: k.ed25519, revokedAt: null });
    participants.set(p.id, p);
  };
  let policy = null;  // the log's policy in force (ledger/log_policy.h)
  for (const e of entries) {
    const r = e.record, where = `entry ${e.index}`;
    policy = r.log_policy || r.genesis?.policy || policy;
    if (e.kind === 'genesis' && r.genesis.operator) await register(r.genesis.operator, e.index);
    const signer = participants.get(r.signer);
    if (!signer) fail('record signatures', `${where}: its signer "${r.signer}" is not registered earlier in the bundle`);
    const key = signer.keys.get(r.key_id);
    if (!key) fail('record signatures', `${where}: ${r.signer} has no key ${r.key_id} registered earlier in the bundle`);
    if (key.revokedAt !== null) fail('record signatures', `${where}: ${r.signer}'s key ${r.key_id} was revoked at entry ${key.revokedAt}`);
    const context = policy?.record_signature_version === 2 ? enc.encode(`${RECORD_CONTEXT_FOR_LOG}${checkpoint.origin}\n`) : RECORD_CONTEXT;
    if (e.signature.length !== 64 || !(await ed25519Verify(key.key, e.signature, concat(context, e.recordBytes)))) {
      fail('record signatures', `${where}: the signature is not ${r.signer}'s (key ${r.key_id}) for log ${checkpoint.origin}`);
    }
    if (e.kind === 'participant_registered') await register(r.participant_registered, e.index);
    if (e.kind === 'key_added') {
      const p = participants.get(r.key_added.participant_id);
      if (p && r.key_added.key) p.keys.set(await keyIdOf(r.key_added.key.ed25519), { key: r.key_added.key.ed25519, revokedAt: null });
    }
    if (e.kind === 'key_revoked') {
      const k = participants.get(r.key_revoked.participant_id)?.keys.get(r.key_revoked.key_id);
      if (k) k.revokedAt = e.index;
    }
    if (e.kind === 'operator_key_rotated' && r.operator_key_rotated.new_key) {
      // The checkpoint key handover (ledger/key_handover.h): the signing key gives way to the new one.
      key.revokedAt = e.index;
      const next = r.operator_key_rotated.new_key.ed25519;
      signer.keys.set(await keyIdOf(next), { key: next, revokedAt: null });
    }
  }

  // References: everything a record names is in the bundle.
  const lots = new Set(), certs = new Set(), pieces = new Set();
  for (const { record: r, kind } of entries) {
    if (kind === 'lot_created') lots.add(r.lot_created.lot_id);
    if (kind === 'transformation') r.transformation.outputs.forEach((o) => lots.add(o.lot_id));
    if (kind === 'certificate_issued') certs.add(r.certificate_issued.certificate_id);
    if (kind === 'piece_registered') pieces.add(r.piece_registered.piece_id);
  }
  const indices = new Set(entries.map((e) => e.index));
  const need = (ok, where, what) => { if (!ok) fail('completeness', `entry ${where}: ${what} is not in the bundle`); };
  for (const { index, record: r, kind } of entries) {
    const b = r[kind];
    for (const c of b.certificate_ids || []) need(certs.has(c), index, `certificate ${c}`);
    if (kind === 'transformation') b.inputs.forEach((i) => need(lots.has(i.lot_id), index, `lot ${i.lot_id}`));
    if (kind === 'piece_registered') {
      b.stone_lot_ids.forEach((l) => need(lots.has(l), index, `stone ${l}`));
      b.metal_inputs.forEach((m) => need(lots.has(m.lot_id), index, `lot ${m.lot_id}`));
    }
    if (kind === 'stone_replaced') need(lots.has(b.new_stone_lot_id), index, `stone ${b.new_stone_lot_id}`);
    if (kind === 'custody_shipped' || kind === 'custody_received') need(lots.has(b.lot_id), index, `lot ${b.lot_id}`);
    if (kind === 'certificate_status_changed') need(certs.has(b.certificate_id), index, `certificate ${b.certificate_id}`);
    if (kind === 'piece_lifecycle' || kind === 'stone_replaced') need(pieces.has(b.piece_id), index, `piece ${b.piece_id}`);
    if (kind === 'error_declared') need(indices.has(Number(b.wrong_index)), index, `the record it declares wrong (entry ${b.wrong_index})`);
  }
  if (!pieces.has(bundle.piece_id)) fail('completeness', `the piece ${bundle.piece_id} has no registration record in the bundle`);

  checkSignerRights(entries, bundle.piece_id);
  checkTimes(entries);
  const custody = checkCustody(entries, bundle.piece_id);
  const claims = checkClaims(entries, bundle.piece_id);
  return {
    ok: true, checkpoint, verifier, entries, participants, claims, cosignatures,
    checks: { records: entries.length, links, signatures: entries.length, custody },
  };
}

// ---------------------------------------------------------------- claims

const RECYCLED = new Set([2, 3, 5]);
const combineOrigins = (a, b) => (a === b ? a : RECYCLED.has(a) && RECYCLED.has(b) ? 5 : 6);
const ORIGIN_WORDS = ['unspecified', 'mined', 'recycled pre-consumer', 'recycled post-consumer', 'lab-grown', 'recycled mixed', 'mixed'];

// Re-derives origin classes in index order and checks the piece's origin claims.
// Returns the claims checked (numbers, proto/record.proto Claim).
export function checkClaims(entries, pieceId) {
  const origin = new Map();
  let piece = null, stones = [];
  for (const { record: r, kind } of entries) {
    const b = r[kind];
    if (kind === 'lot_created') origin.set(b.lot_id, b.origin_class);
    if (kind === 'transformation') {
      const o = b.inputs.map((i) => origin.get(i.lot_id) ?? 0).reduce(combineOrigins);
      b.outputs.forEach((out) => origin.set(out.lot_id, o));
    }
    if (kind === 'piece_registered' && b.piece_id === pieceId) { piece = b; stones = [...b.stone_lot_ids]; }
    if (kind === 'stone_replaced' && b.piece_id === pieceId) {
      stones = stones.map((x) => (x === b.old_stone_lot_id ? b.new_stone_lot_id : x));
    }
  }
  const checked = [];
  const need = (claim, lots, ok, words) => {
    for (const lot of lots) {
      const o = origin.get(lot) ?? 0;
      if (!ok(o)) fail('claims', `the piece claims ${words}, but ${lot} is ${ORIGIN_WORDS[o] || o}`);
    }
    checked.push(claim);
  };
  for (const claim of piece.claims) {
    if (claim === 1) need(1, piece.metal_inputs.map((m) => m.lot_id), (o) => RECYCLED.has(o), 'recycled metal');
    if (claim === 2) need(2, stones, (o) => o === 4, 'lab-grown diamonds');
    if (claim === 3) need(3, stones, (o) => o === 1, 'natural diamonds');
  }
  return checked;
}

// ---------------------------------------------------------------- witness cosignatures

const COSIGNATURE_CONTEXT = 'cosignature/v1\ntime ';

// A witness's cosignature verifier key (ledger/cosignature.h):
// "<name>+<8 hex key ID>+<base64(0x04 || 32-byte key)>", key ID = SHA-256(name || 0x0A || 0x04 || key)[0:4].
export async function parseWitnessKey(vkey) {
  const m = /^([^+\s]+)\+([0-9a-f]{8})\+(.*)$/.exec(vkey || '');
  const raw = m ? b64decode(m[3]) : null;
  if (!raw || raw.length !== 33 || raw[0] !== 4) fail('witness key', `a pinned witness key is malformed: "${vkey}"`);
  const id = (await sha256(concat(enc.encode(m[1]), new Uint8Array([0x0a]), raw))).slice(0, 4);
  if (hex(id) !== m[2]) fail('witness key', `the pinned witness key of ${m[1]} does not match its key ID`);
  return { name: m[1], id: m[2], key: raw.slice(1) };
}

// The cosignature lines of the checkpoint note (every signature line not by the
// log's key whose payload is key ID || 8-byte timestamp || 64-byte signature).
// Each by a pinned witness is verified over "cosignature/v1\ntime <t>\n" || text
// and fails the check if it does not verify; others are returned unchecked.
// Returns [{name, keyId, time (unix seconds), checked}].
export async function checkCosignatures(note, text, verifier, witnesses) {
  const lines = note.slice(note.lastIndexOf('\n\n') + 2, -1).split('\n');
  const found = [];
  for (const line of lines) {
    const [, name, b64] = /^\u2014 (\S+) (\S+)$/.exec(line);
    const sig = b64decode(b64);
    const keyId = hex(sig.slice(0, 4));
    if ((name === verifier.name && keyId === verifier.id) || sig.length !== 4 + 8 + 64) continue;
    const time = u64(sig, 4);
    const witness = witnesses.find((w) => w.name === name && w.id === keyId);
    if (witness) {
      const message = concat(enc.encode(`${COSIGNATURE_CONTEXT}${time}\n`), enc.encode(text));
      if (time >= 1n << 63n || !(await ed25519Verify(witness.key, sig.slice(12), message))) {
        fail('witness cosignature', `the cosignature by ${name} (key ${keyId}) does not match the checkpoint`);
      }
    }
    found.push({ name, keyId, time: Number(time), checked: Boolean(witness) });
  }
  return found;
}

// ---------------------------------------------------------------- roles and suspensions

// proto/record.proto Role numbers.
const ROLE = { operator: 1, miner: 2, refiner: 3, recycler: 4, grower: 5, cutter: 6, manufacturer: 7, jeweler: 8, certifier: 9 };
const ROLE_NAMES = Object.fromEntries(Object.entries(ROLE).map(([k, v]) => [v, k]));

// The roles that may write a record of this kind, as WriterRoles in
// ledger/bundle_verify.cc; [] if the rule is not a role.
function writerRoles(kind, body) {
  switch (kind) {
    case 'participant_registered': case 'role_granted': case 'participant_suspended': case 'participant_reinstated':
    case 'operator_key_rotated': case 'log_policy':
      return [ROLE.operator];
    case 'certificate_issued': case 'certificate_status_changed':
      return [ROLE.certifier];
    case 'lot_created':
      switch (body.origin_class) {
        case 1: return [ROLE.miner, ROLE.refiner];
        case 2: case 3: return [ROLE.recycler, ROLE.refiner];
        case 4: return [ROLE.grower];
        default: return [0];  // nobody creates a lot of a derived class
      }
    case 'transformation':
      return [ROLE.refiner, ROLE.recycler, ROLE.grower, ROLE.cutter, ROLE.manufacturer, ROLE.jeweler];
    case 'piece_registered': case 'piece_lifecycle': case 'stone_replaced':
      return [ROLE.jeweler];
    default:
      return [];
  }
}

// The participant a participant record is about (ParticipantTarget in ledger/bundle_verify.cc).
function participantTarget(kind, body) {
  if (kind === 'genesis') return body.operator?.participant_id;
  return ['participant_registered', 'key_added', 'key_revoked', 'role_granted', 'participant_suspended',
    'participant_reinstated'].includes(kind) ? body.participant_id : undefined;
}

// Replays the bundle's participant records in index order and checks that each
// record's signer was not suspended and held a role that may write it; that keys
// change only by their participant or the operator; that a certificate's status
// changes only by its issuer; that the piece's later records are by the jeweler
// who registered it; and that an error is declared by the wrong record's signer
// or the operator. Fails the check "roles" naming the record.
export function checkSignerRights(entries, pieceId) {
  const people = new Map();  // id -> {roles: Set, suspended: entry index or null}
  const issuers = new Map(), signers = new Map(entries.map((e) => [e.index, e.record.signer]));
  let jeweler = null;
  const register = (reg) => people.set(reg.participant_id, { roles: new Set(reg.roles), suspended: null });
  for (const { index, record: r, kind } of entries) {
    const b = r[kind], where = `entry ${index} (${kind})`;
    if (kind === 'genesis' && b.operator) register(b.operator);
    const p = people.get(r.signer);
    if (!p) fail('roles', `${where}: its signer ${r.signer} is not registered earlier in the bundle`);
    if (p.suspended !== null) fail('roles', `${where}: its signer ${r.signer} was suspended at entry ${p.suspended} and not reinstated`);
    const roles = writerRoles(kind, b);
    if (roles.length && !roles.some((x) => p.roles.has(x))) {
      fail('roles', `${where}: its signer ${r.signer} does not hold a role that may write it (${roles.map((x) => ROLE_NAMES[x] || 'none').join(' or ')})`);
    }
    const operator = p.roles.has(ROLE.operator);
    if ((kind === 'key_added' || kind === 'key_revoked') && !operator && b.participant_id !== r.signer) {
      fail('roles', `${where}: only ${b.participant_id} or the operator may change its keys, not ${r.signer}`);
    }
    if (kind === 'certificate_issued') issuers.set(b.certificate_id, r.signer);
    if (kind === 'certificate_status_changed' && issuers.has(b.certificate_id) && issuers.get(b.certificate_id) !== r.signer) {
      fail('roles', `${where}: only the issuer ${issuers.get(b.certificate_id)} changes the status of certificate ${b.certificate_id}, not ${r.signer}`);
    }
    if (kind === 'piece_registered' && b.piece_id === pieceId) jeweler = r.signer;
    if ((kind === 'piece_lifecycle' || kind === 'stone_replaced') && b.piece_id === pieceId && jeweler !== null && r.signer !== jeweler) {
      fail('roles', `${where}: only ${jeweler}, who registered the piece, records it, not ${r.signer}`);
    }
    if (kind === 'error_declared' && !operator && signers.get(Number(b.wrong_index)) !== r.signer) {
      fail('roles', `${where}: only the signer of entry ${b.wrong_index} or the operator may declare it wrong, not ${r.signer}`);
    }
    // Then the record's effect on participants.
    const target = people.get(participantTarget(kind, b));
    if (kind === 'participant_registered') register(b);
    if (kind === 'role_granted' && target) target.roles.add(b.role);
    if (kind === 'participant_suspended' && target) target.suspended = index;
    if (kind === 'participant_reinstated' && target) target.suspended = null;
  }
}

// ---------------------------------------------------------------- custody

// The lots the piece is made of, and every lot they came from.
function pieceLots(entries, pieceId) {
  const made = new Map();  // lot -> its transformation's input lots
  const lots = new Set();
  for (const { record: r, kind } of entries) {
    const b = r[kind];
    if (kind === 'transformation') b.outputs.forEach((o) => made.set(o.lot_id, b.inputs.map((i) => i.lot_id)));
    if (kind === 'piece_registered' && b.piece_id === pieceId) {
      b.stone_lot_ids.forEach((l) => lots.add(l));
      b.metal_inputs.forEach((m) => lots.add(m.lot_id));
    }
    if (kind === 'stone_replaced' && b.piece_id === pieceId) [b.old_stone_lot_id, b.new_stone_lot_id].forEach((l) => lots.add(l));
  }
  const todo = [...lots];
  while (todo.length) {
    for (const input of made.get(todo.pop()) || []) if (!lots.has(input)) { lots.add(input); todo.push(input); }
  }
  return lots;
}

// Replays custody over the piece's lots, as ledger/bundle_graph.cc: a lot is
// held by whoever created it, made it or received it; only its holder ships,
// transforms or sets it, never while it is in transit; only the participant a
// shipment names receives it, under that shipment's id. Fails the check
// "custody" naming the record; returns how many shipments were received.
export function checkCustody(entries, pieceId) {
  const graph = pieceLots(entries, pieceId);
  const lots = new Map();  // lot -> {holder, to, shipment}
  let received = 0;
  const hold = (where, signer, id) => {
    const lot = lots.get(id);
    if (!lot) return;  // not created in the bundle: the completeness check names it
    if (lot.to !== null) fail('custody', `${where}: ${signer} uses lot ${id} while it is in transit to ${lot.to} (shipment ${lot.shipment})`);
    if (lot.holder !== signer) fail('custody', `${where}: ${signer} uses lot ${id}, but ${lot.holder} holds it`);
  };
  for (const { index, record: r, kind } of entries) {
    const b = r[kind], where = `entry ${index} (${kind})`;
    if (kind === 'lot_created' && graph.has(b.lot_id)) lots.set(b.lot_id, { holder: r.signer, to: null, shipment: null });
    if (kind === 'transformation' && b.inputs.some((i) => graph.has(i.lot_id))) {
      b.inputs.forEach((i) => hold(where, r.signer, i.lot_id));
      b.outputs.forEach((o) => lots.set(o.lot_id, { holder: r.signer, to: null, shipment: null }));
    }
    if (kind === 'custody_shipped' && lots.has(b.lot_id)) {
      hold(where, r.signer, b.lot_id);
      Object.assign(lots.get(b.lot_id), { to: b.to_participant, shipment: b.shipment_id });
    }
    if (kind === 'custody_received' && lots.has(b.lot_id)) {
      const lot = lots.get(b.lot_id);
      if (lot.shipment !== b.shipment_id || lot.to !== r.signer) {
        fail('custody', `${where}: ${r.signer} receives lot ${b.lot_id} under shipment ${b.shipment_id}, which no earlier record ships to ${r.signer}` +
          (lot.to !== null ? ` (it is in transit to ${lot.to}, shipment ${lot.shipment})` : ''));
      }
      Object.assign(lot, { holder: r.signer, to: null, shipment: null });
      received++;
    }
    if (kind === 'piece_registered' && b.piece_id === pieceId) {
      b.stone_lot_ids.forEach((l) => hold(where, r.signer, l));
      b.metal_inputs.forEach((m) => hold(where, r.signer, m.lot_id));
    }
    if (kind === 'stone_replaced' && b.piece_id === pieceId) {
      if (lots.has(b.old_stone_lot_id)) lots.get(b.old_stone_lot_id).holder = r.signer;  // released to the jeweler
      hold(where, r.signer, b.new_stone_lot_id);
    }
  }
  return { received };
}

// ---------------------------------------------------------------- times

// The log policy's time rules (ledger/log_policy.h), replayed in index order
// over entries [{index, recordedAt, record, kind}]: the policy in force at an
// entry is the one it carries (genesis.policy, log_policy) or the newest before.
// A record marked history_import needs a policy allowing imports; under a
// policy, any other record is dated at most max_backdate_micros before its
// recordedAt. Every certificate a record relies on (certificate_ids, and the
// grading report of each stone a piece sets or a replacement brings) is valid
// (within valid_from/valid_until, not suspended or revoked by a status change
// effective by then) at its event time; at its recordedAt it is not suspended
// or revoked, and, under a policy and unless the record is an import, valid.
// Fails the check "time" naming the entry.
export function checkTimes(entries) {
  const certs = new Map(), reports = new Map();  // id -> {from, until, changes: [{status, at}]}; stone lot -> report id
  const statusAt = (c, t) => {
    if (t < c.from) return 'not yet valid';
    let status = 0;
    for (const ch of c.changes) if (ch.at <= t) status = ch.status;
    if (status === 2) return 'revoked';
    if (status === 1) return 'suspended';
    return c.until !== 0 && t > c.until ? 'expired' : 'valid';
  };
  const span = (us) => (us >= 86400e6 ? `${(us / 86400e6).toFixed(1)} days` : us >= 3600e6 ? `${(us / 3600e6).toFixed(1)} h` : `${Math.round(us / 1e6)} s`);
  let policy = null;
  for (const { index, recordedAt, record: r, kind } of entries) {
    const b = r[kind], where = `entry ${index} (${kind})`, t = r.event_time_micros;
    policy = r.log_policy || r.genesis?.policy || policy;
    const imported = Boolean(r.history_import);
    if (imported && !policy?.history_import_allowed) {
      fail('time', `${where} is marked as an import of history, which the log's policy ${policy ? 'does not allow' : '(none yet) does not allow'}`);
    }
    if (!imported && policy && t < recordedAt - policy.max_backdate_micros) {
      fail('time', `${where} is dated ${span(recordedAt - t)} before the log recorded it; the log's policy allows at most ${span(policy.max_backdate_micros)}`);
    }
    if (kind === 'certificate_issued') {
      certs.set(b.certificate_id, { from: b.valid_from_micros, until: b.valid_until_micros, changes: [] });
      if (b.grading_report && b.subject_lot) reports.set(b.subject_lot, b.certificate_id);
    }
    if (kind === 'certificate_status_changed') certs.get(b.certificate_id)?.changes.push({ status: b.status, at: b.effective_micros });
    const relied = [...(b.certificate_ids || [])];
    if (kind === 'piece_registered') b.stone_lot_ids.forEach((l) => reports.has(l) && relied.push(reports.get(l)));
    if (kind === 'stone_replaced' && reports.has(b.new_stone_lot_id)) relied.push(reports.get(b.new_stone_lot_id));
    for (const id of relied) {
      const c = certs.get(id);
      if (!c) continue;  // not in the bundle: the completeness check names it
      const then = statusAt(c, t), recorded = statusAt(c, recordedAt);
      if (then !== 'valid') fail('time', `${where} relies on certificate ${id}, ${then} at its event time`);
      if (recorded === 'suspended' || recorded === 'revoked' || (policy && !imported && recorded !== 'valid')) {
        fail('time', `${where} relies on certificate ${id}, ${recorded} when the log recorded it`);
      }
    }
  }
}
