// Verifies a piece bundle (proto/bundle.proto, JSON form services/bundle_json.h)
// in the browser with WebCrypto, trusting nothing but the log's verifier key and
// the witness keys the page pins. It is the C++ verifier (ledger/bundle/bundle_verify.cc,
// bundle_links.cc, bundle_graph.cc) written again, check for check and in the
// same order, and each failure names the same rule (ledger/bundle/bundle_rules.h):
//   format, piece      the bundle's format, and that it is about the page's piece;
//   checkpoint         the checkpoint note is signed by the pinned key;
//   witnesses          a quorum of pinned witnesses cosigned it, every pinned one validly;
//   auditors           the bundle's audited checkpoint, if any: signed by the pinned key,
//                      its consistency proof leads to the checkpoint, every pinned
//                      auditor's cosignature on it valid and a quorum of them there;
//   entries, inclusion, chain
//                      every entry is proven in the checkpoint's tree, decodes with
//                      its own index, and chains to an adjacent predecessor;
//   encoding           every record is canonically encoded (ledger/provenance/canonical.h);
//   signature, roles   every record is signed by a key its signer held, unrevoked,
//                      by a signer not suspended holding a role that may write it;
//   time               the log policy in force at each entry (ledger/provenance/log_policy.h):
//                      no record dated further back than it allows, imports only
//                      where it allows them;
//   once, completeness, custody, certificates, origin, material, claims
//                      the provenance graph, replayed in index order;
//   owner, heirloom    owners who hold their own keys and the owner's material
//                      (verify_owners.js: owner signatures, who may sign each
//                      ownership record, their prev_index chain, heirloom intakes,
//                      the owner's fine weight through transformations, the
//                      piece's heirloom claim).
// What a record holds and who may write it is not written here: the record
// schema and the rule tables are generated from proto/record.proto and
// ledger/ at build time (verify_tables.js, by services/web_tables_main.cc). The
// conformance corpus (tests/conformance/) holds a forged bundle per rule, which
// this verifier and the C++ one must refuse for the same rule.
// verifyBundle() returns {ok: true, ...} or {ok: false, check, detail}; it never
// trusts a verdict from the server.

import { CLAIMS, COMMITTED, ENUMS, RULES, SCHEMA, WRITER_ROLES } from './verify_tables.js';
import { accountText, big, lotTrace, materialClaimText, outputAlloy, statedFinenessPtt, StatusError, stoneOriginOf, traceOfCreated, traceOfOutputs } from './trade.js';
import * as trade from './verify_trade.js';
import * as owners from './verify_owners.js';
import * as sealed from './verify_sealed.js';

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
    fail('checkpoint', 'the checkpoint text is malformed');
  }
  if (lines[0] !== verifier.name) fail('checkpoint', `the checkpoint is of log "${lines[0]}", not ${verifier.name}`);
  return { origin: lines[0], size: BigInt(lines[1]), root, rootB64: lines[2] };
}

// ---------------------------------------------------------------- inclusion

function parseTlogProof(text, where) {
  const lines = text.split('\n');
  if (lines[0] !== 'c2sp.org/tlog-proof@v1') fail('inclusion', `${where}: not a c2sp.org/tlog-proof@v1`);
  let i = 1;
  if (lines[i] && lines[i].startsWith('extra ')) i++;
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[i] || '');
  if (!m) fail('inclusion', `${where}: the proof has no index line`);
  i++;
  const hashes = [];
  for (; i < lines.length && lines[i] !== ''; i++) {
    const h = b64decode(lines[i]);
    if (!h || h.length !== 32) fail('inclusion', `${where}: malformed proof hash`);
    hashes.push(h);
  }
  if (i >= lines.length) fail('inclusion', `${where}: the proof holds no checkpoint`);
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

// ledger/log/entry_format.h
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

// The one encoding a record may have (ledger/provenance/canonical.h), walked as
// ledger/provenance/canonical.cc walks it and named with the same words; SCHEMA is
// generated from proto/record.proto (verify_tables.js).
const BODIES = Object.values(SCHEMA.Record).filter((f) => f.oneof === 'body').map((f) => f.name);
const utf8 = new TextDecoder('utf-8', { fatal: true });
const VALUE_WIRE = { double: 1, fixed64: 1, sfixed64: 1, float: 5, fixed32: 5, sfixed32: 5, string: 2, bytes: 2 };
const valueWire = (f) => (f.type in VALUE_WIRE ? VALUE_WIRE[f.type] : SCHEMA[f.type] ? 2 : 0);
const wireOf = (f) => (f.packed ? 2 : valueWire(f));
const varintSize = (v) => { let n = 1; while (v >= 0x80n) { v >>= 7n; n++; } return n; };
function canonicalVarint(f, v) {
  if (f.type === 'int32' || f.type === 'enum') return BigInt.asUintN(64, BigInt.asIntN(32, v));
  if (f.type === 'uint32' || f.type === 'sint32') return BigInt.asUintN(32, v);
  if (f.type === 'bool') return v !== 0n ? 1n : 0n;
  return v;
}
// A field's value as the page reads it.
function valueOf(f, v) {
  if (f.type === 'bool') return v !== 0n;
  if (f.type === 'uint64') return Number(v);
  if (f.type === 'enum' || f.type === 'int32') return Number(BigInt.asIntN(32, v));
  return Number(BigInt.asIntN(64, v));
}

export class EncodingError extends Error {}

// Reads a varint at bytes[pos]: [value (BigInt), next pos, length], or null if
// truncated or longer than ten bytes.
function readVarint(bytes, pos) {
  let v = 0n;
  for (let shift = 0n, len = 1; shift < 70n; shift += 7n, len++) {
    if (pos >= bytes.length) return null;
    const b = bytes[pos++];
    if (shift === 63n && b > 1) return null;
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [v, pos, len];
  }
  return null;
}

// Decodes canonical protobuf bytes as message `type` (a SCHEMA name). Throws
// EncodingError "non-canonical encoding: <where>: <offence>" for anything but
// the canonical encoding, with ledger/provenance/canonical.cc's words.
export function decodeMessage(bytes, type, where = type, depth = 0) {
  const offence = (at, what) => { throw new EncodingError(`non-canonical encoding: ${at}: ${what}`); };
  if (depth > 64) offence(where, 'messages nested too deep');
  const schema = SCHEMA[type];
  const out = {};
  // Absent fields read as protobuf's defaults, except those with presence
  // (messages, oneof members, optional fields): absent, they stay undefined.
  for (const f of Object.values(schema)) {
    if (f.repeated) out[f.name] = [];
    else if (f.presence) continue;
    else if (f.type === 'string') out[f.name] = '';
    else if (f.type === 'bool') out[f.name] = false;
    else if (f.type === 'bytes') out[f.name] = new Uint8Array(0);
    else out[f.name] = 0;
  }
  const name = (f) => `${f.name} (${f.number})`;
  const oneofs = new Map();
  let last = null, pos = 0;
  while (pos < bytes.length) {
    const key = readVarint(bytes, pos);
    if (!key) offence(where, 'a field key is truncated');
    if (key[2] !== varintSize(key[0])) offence(where, 'a field key is not in its shortest form');
    pos = key[1];
    const number = key[0] >> 3n, wire = Number(key[0] & 7n);
    const spec = number <= 0x1fffffffn ? schema[String(number)] : undefined;
    if (!spec) offence(where, `field ${number} is not in the schema of ${type}`);
    const f = { ...spec, number: Number(number) };
    const at = `${where}.${f.name}`;
    if (last && f.number < last.number) {
      offence(where, `${name(f)} comes after ${name(last)}; fields must be in increasing number order`);
    }
    if (last && last.number === f.number && (!f.repeated || f.packed)) offence(where, `${name(f)} appears more than once`);
    if (f.oneof) {
      const seen = oneofs.get(f.oneof);
      if (seen && seen.number !== f.number) offence(where, `fields ${name(seen)} and ${name(f)} of oneof ${f.oneof} are both set`);
      if (!seen) oneofs.set(f.oneof, f);
    }
    if (wire !== wireOf(f)) offence(at, `wire type ${wire}; its type is written with wire type ${wireOf(f)}`);
    const implicit = !f.repeated && !f.presence;
    let values;
    if (wire === 0) {
      const r = readVarint(bytes, pos);
      if (!r) offence(at, 'its value is truncated');
      const [v, next, len] = r;
      pos = next;
      if (canonicalVarint(f, v) !== v || len !== varintSize(v)) offence(at, 'its value is not in its shortest form');
      if (implicit && v === 0n) offence(at, 'holds its default value, which the canonical encoding leaves out');
      values = [valueOf(f, v)];
      // A 64-bit value a Number cannot hold exactly is kept exact too (trade.js big()).
      if (!f.repeated && !Number.isSafeInteger(values[0]) && typeof values[0] === 'number') {
        if (!out.$big) Object.defineProperty(out, '$big', { value: {}, enumerable: false });
        out.$big[f.name] = f.type === 'uint64' ? v : BigInt.asIntN(64, v);
      }
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (bytes.length - pos < n) offence(at, 'its value is truncated');
      if (implicit && bytes.subarray(pos, pos + n).every((b) => b === 0)) {
        offence(at, 'holds its default value, which the canonical encoding leaves out');
      }
      pos += n;
      values = [];  // no fixed-width field in the schema is read
    } else {
      const r = readVarint(bytes, pos);
      if (!r) offence(at, 'its length is truncated');
      const [n, next, len] = r;
      pos = next;
      if (len !== varintSize(n)) offence(at, 'its length is not in its shortest form');
      if (n > BigInt(bytes.length - pos)) offence(at, 'its value is truncated');
      const value = bytes.subarray(pos, pos + Number(n));
      pos += Number(n);
      if (f.packed) {
        if (!value.length) offence(at, 'an empty packed run, which the canonical encoding leaves out');
        const vw = valueWire(f);
        if (vw !== 0 && value.length % (vw === 1 ? 8 : 4) !== 0) offence(at, 'a packed value is truncated');
        values = [];
        for (let p = 0; vw === 0 && p < value.length;) {
          const e = readVarint(value, p);
          if (!e) offence(at, 'a packed value is truncated');
          if (canonicalVarint(f, e[0]) !== e[0] || e[2] !== varintSize(e[0])) offence(at, 'a packed value is not in its shortest form');
          values.push(valueOf(f, e[0]));
          p = e[1];
        }
      } else if (SCHEMA[f.type]) {
        values = [decodeMessage(value, f.type, at, depth + 1)];
      } else {
        let s;
        if (f.type === 'string') {
          try { s = utf8.decode(value); } catch (e) { offence(at, 'is not valid UTF-8'); }
        }
        if (implicit && !value.length) offence(at, 'holds its default value, which the canonical encoding leaves out');
        values = [f.type === 'string' ? s : value.slice()];
      }
    }
    if (f.repeated) out[f.name].push(...values);
    else out[f.name] = values[0];
    last = f;
  }
  return out;
}

export function recordKind(record) { return BODIES.find((b) => record[b] !== undefined) || 'empty record'; }

// ---------------------------------------------------------------- enums

// Names of enum values, and numbers by name, from proto/record.proto (verify_tables.js).
const NAME = (e, n) => ENUMS[e][String(n)] ?? '';
const NUMBER = Object.fromEntries(Object.entries(ENUMS).map(([e, values]) =>
  [e, Object.fromEntries(Object.entries(values).map(([n, name]) => [name, Number(n)]))]));
const ROLE_OPERATOR = NUMBER.Role.ROLE_OPERATOR;
const UNIT_MILLIGRAM = NUMBER.Unit.UNIT_MILLIGRAM;
const UNIT_CARAT_THOUSANDTH = NUMBER.Unit.UNIT_CARAT_THOUSANDTH;
const PROCESS_ALLOY = NUMBER.Process.PROCESS_ALLOY;

// ---------------------------------------------------------------- the bundle

async function keyIdOf(publicKey) { return hex((await sha256(publicKey)).slice(0, 8)); }

// Verifies the JSON bundle against the verifier key string. Options:
//   witnessKeys: the cosignature verifier keys the page pins (default none);
//   quorum: how many of them must have cosigned (default 0: none required);
//   pieceId: the piece the bundle must be about (the page's URL names it);
//   auditorKeys: the auditors' cosignature verifier keys the page pins (default none);
//   auditorQuorum: how many of them must have cosigned the audited checkpoint (default 0: all);
//   requireAudit: refuse a bundle without an audited checkpoint (default false).
// The result also holds auditors (names whose cosignature verified), auditedSize
// (0 if none) and auditorsText ("mass balance and custody re-checked by ...").
// Returns {ok: true, checkpoint, entries: [{index, recordedAt, record, kind}],
// participants, claims, materialClaims: [{claim, text}], composition, cosignatures, checks,
// owner: {keyId, kind, accepted, status, terms, sinceIndex} or null, repurposed, heirloom (the
// claim checked against the lineage) and heirloomText, intakes: [the intake story]} or {ok: false, check, detail},
// `check` being the rule broken (ledger/bundle/bundle_rules.h).
export async function verifyBundle(bundle, vkey, options = {}) {
  try {
    return await verify(bundle, vkey, options);
  } catch (e) {
    if (e instanceof CheckFailed) return { ok: false, check: e.check, detail: e.detail };
    return { ok: false, check: 'bundle', detail: `the bundle cannot be read: ${e.message}` };
  }
}

async function verify(bundle, vkey, { witnessKeys = [], quorum = 0, pieceId, auditorKeys = [], auditorQuorum = 0, requireAudit = false } = {}) {
  if (!globalThis.crypto || !crypto.subtle) {
    fail('browser support', 'this page has no WebCrypto here (it must be opened over HTTPS or from localhost)');
  }
  const verifier = await parseVerifierKey(vkey);
  const witnesses = [];
  for (const w of witnessKeys) witnesses.push(await parseWitnessKey(w));
  if (bundle.format !== 'touchstone-bundle/v1') fail('format', `bundle format is '${bundle.format}', not 'touchstone-bundle/v1'`);
  if (pieceId !== undefined && bundle.piece_id !== pieceId) {
    fail('piece', `this bundle is about piece '${bundle.piece_id}', not '${pieceId}', the piece this page is for`);
  }
  const text = await verifyNote(bundle.checkpoint, verifier, 'checkpoint');
  const checkpoint = parseCheckpoint(text, verifier);
  const cosignatures = await checkCosignatures(bundle.checkpoint, text, verifier, witnesses);
  const vouched = new Set(cosignatures.filter((c) => c.checked).map((c) => c.key)).size;
  if (quorum > witnesses.length) fail('witnesses', `a quorum of ${quorum} needs at least ${quorum} witness keys; ${witnesses.length} given`);
  if (vouched < quorum) fail('witnesses', `checkpoint: cosigned by ${vouched} of the ${witnesses.length} witnesses given; ${quorum} required`);
  const audit = await checkAudited(bundle, verifier, checkpoint, auditorKeys, auditorQuorum, requireAudit);
  const items = await readEntries(bundle, checkpoint);
  // Openings (issue 16: verify_sealed.js, bundle_sealed.cc): each checked, its values used.
  await sealed.applyOpenings(bundle, items, { fail, b64decode, sha256, decode: (bytes) => decodeMessage(bytes, 'Record') });
  const participants = await checkSigners(items);
  checkTimes(items);
  const graph = await checkGraph(bundle.piece_id, items, participants);
  // The owner now (a key, never a name), the owner's material and the heirloom intakes (verify_owners.js).
  const { owner, repurposed, heirloom, heirloomText, intakes, keyIds } = await owners.describeOwners(graph, bundle.piece_id, items);
  return {
    ok: true, checkpoint, verifier, entries: items, participants: pageParticipants(participants), cosignatures,
    quorum, claims: [...graph.asserted].sort((a, b) => a - b), graph,
    auditors: audit.auditors, auditedSize: audit.size, auditorsText: auditorsText(audit.auditors, audit.size),
    // The piece's material claims as registered, each held, in words (a mass-balance claim
    // names its account's site and period), and what the piece is made of (bundle_trade_text.cc).
    materialClaims: graph.piece.material_claims.map((claim) => {
      const account = graph.accounts.get(claim.account_id);
      const where = claim.model === NUMBER.CustodyModel.CUSTODY_MODEL_MASS_BALANCE && account
        ? accountText(account.opened.site, big(account.opened, 'period_start_micros'), big(account.opened, 'period_end_micros')) : '';
      return { claim, text: materialClaimText(claim, where) };
    }),
    // A sealed registration the bundle does not open hides the piece's own weights (bundle_verify.cc).
    composition: graph.weightsFrom && graph.weightsFrom === graph.pieceIndex ? [] : graph.claims?.composition ?? [],
    owner, repurposed, heirloom, heirloomText, intakes, ownerKeyIds: keyIds,
    // Sealed records (issue 16): the openings that verified, the entries left sealed, and
    // the checks this verifier did not do alone ({index, kind, what}, as BundleReport::vouched).
    opened: items.filter((i) => i.opened).map((i) => i.index),
    sealed: items.filter((i) => sealed.hidden(i)).map((i) => i.index),
    vouched: graph.vouched,
    checks: { records: items.length, links: items.links, signatures: items.length, custody: { received: graph.received } },
  };
}

// Every entry proven in the checkpoint's tree, decoded, chained and its record
// canonical (bundle_verify.cc's entry loop). Returns the items in index order
// (with .links: how many hash-chain links were checked).
async function readEntries(bundle, checkpoint) {
  if (!(bundle.entries || []).length) fail('entries', 'the bundle has no entries');
  const items = [];
  let previous = null, links = 0, policy = null;
  for (const e of bundle.entries) {
    const at = `entry ${e.index}`;
    const index = BigInt(e.index);
    if (previous && index <= previous.index) {
      fail('entries', `entries out of order: ${at} follows entry ${previous.index}; indices must strictly increase`);
    }
    const proof = parseTlogProof(e.tlog_proof || '', at);
    if (proof.checkpoint !== bundle.checkpoint) fail('inclusion', `${at}: its tlog_proof is against another checkpoint than the bundle's`);
    if (proof.index !== index) fail('inclusion', `${at}: its tlog_proof is for index ${proof.index}`);
    const bytes = b64decode(e.entry);
    if (!bytes) fail('entries', `${at}: its bytes are not base64`);
    const leaf = await leafHash(bytes);
    const root = await inclusionRoot(index, checkpoint.size, leaf, proof.hashes);
    if (!root || !equal(root, checkpoint.root)) {
      fail('inclusion', `${at} is not in the log under the checkpoint (size ${checkpoint.size}): its inclusion proof does not lead to the checkpoint's root`);
    }
    const entry = decodeEntry(bytes, at);
    if (entry.index !== index) fail('entries', `${at}: its bytes say index ${entry.index}`);
    if (previous && previous.index + 1n === index) {
      if (!equal(entry.prev, previous.leaf)) fail('chain', `${at} does not chain to entry ${previous.index}`);
      links++;
    }
    let record;
    try {
      record = decodeMessage(entry.record, 'Record');
      validateRecord(record);
    } catch (err) {
      if (!(err instanceof EncodingError)) throw err;
      fail('encoding', `${at}: record does not parse: ${err.message}`);
    }
    const kind = recordKind(record);
    // The log policy in force (ledger/provenance/log_policy.h): the one this entry carries, or the newest earlier one.
    policy = record.log_policy ?? record.genesis?.policy ?? policy;
    items.push({ index: Number(index), recordedAt: entry.recordedAt, record, kind, body: record[kind],
      recordBytes: entry.record, signature: entry.signature, leaf, where: `entry ${index} (${kind})`,
      policy, signedMessage: signingMessage(policy, checkpoint.origin, entry.record), origin: checkpoint.origin });
    previous = { index, leaf };
  }
  items.links = links;
  return items;
}

// The structure every record has (ledger/provenance/record.cc ParseRecord), with its words.
function validateRecord(r) {
  const bad = (what) => { throw new EncodingError(what); };
  if (!r.record_id.length || r.record_id.length > 128 || !/^[\x21-\x7e]+$/.test(r.record_id)) {
    bad('record_id must be 1 to 128 printable ASCII characters without spaces');
  }
  if (r.event_time_micros < 0) bad('event_time_micros must not be negative');
  if (recordKind(r) === 'empty record') bad('record has no body');
  checkSealedPublicPart(r, bad);
  if (r.owner_signature && !/^[0-9a-f]{16}$/.test(r.owner_signature.key_id)) {
    bad('owner_signature.key_id must be 16 lowercase hex characters');
  }
  if (r.signer === '') {
    // Signed by an owner key alone (ledger/provenance/owner_signature.h).
    const wrong = !owners.OWNER_BODIES.includes(recordKind(r)) ? 'is not an owner record'
      : !r.owner_signature ? 'carries no owner_signature' : r.key_id !== '' ? 'has a key_id' : '';
    if (wrong) {
      bad(`signer is empty, but only an ownership_accepted, ownership_transferred, owner_report or owner_key_replaced record may be signed by an owner key alone, with no key_id and an owner_signature: this ${recordKind(r)} record ${wrong}`);
    }
    return;
  }
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(r.signer)) {
    bad(`signer '${r.signer}' is not a participant id ([a-z0-9][a-z0-9._-]{0,63})`);
  }
  if (!/^[0-9a-f]{16}$/.test(r.key_id)) bad('key_id must be 16 lowercase hex characters');
  if (r.owner_signature && !owners.mayCarryOwnerSignature(r)) {
    bad(`owner_signature: a ${recordKind(r)}${r.piece_lifecycle ? ' record other than REPAIRED' : ' record'} carries no owner signature`);
  }
}

// A sealed record leaves out every committed field of its body (ledger/provenance/commitments.h
// CheckSealedPublicPart; the table is generated from the same definition).
function checkSealedPublicPart(r, bad) {
  if (!r.sealed) return;
  if (r.sealed.commitment.length !== 32) bad('sealed.commitment must be 32 bytes');
  const body = recordKind(r);
  const paths = COMMITTED[body];
  if (!paths) bad(`sealed: a ${body} record has no committed fields to seal`);
  const isSet = (v) => (Array.isArray(v) || v instanceof Uint8Array ? v.length > 0
    : typeof v === 'bigint' ? v !== 0n : v !== undefined && v !== 0 && v !== '' && v !== false);
  const anySet = (m, segments) => {
    const v = m?.[segments[0]];
    if (segments.length === 1) return isSet(v);
    return Array.isArray(v) ? v.some((e) => anySet(e, segments.slice(1))) : anySet(v, segments.slice(1));
  };
  for (const path of paths) {
    if (anySet(r[body], path.split('.'))) {
      bad(`sealed: ${body}.${path} is committed and must be left out of a sealed record`);
    }
  }
}

// ---------------------------------------------------------------- signers (bundle_verify.cc)

// The roles that may write this record (ledger/provenance/writer_roles.h, generated).
function writerRoles(kind, body) {
  const roles = WRITER_ROLES[kind] || [];
  return Array.isArray(roles) ? roles : roles.by_origin_class[String(body.origin_class)] || [0];
}
const roleNames = (roles) => roles.map((r) => (r === 0 ? 'none' : NAME('Role', r))).join(' or ');

// The participant a genesis or participant record is about (bundle_verify.cc ParticipantTarget).
function participantTarget(item) {
  const { kind, body, record } = item;
  if (kind === 'genesis') return body.operator?.participant_id ?? '';
  if (kind === 'operator_key_rotated') return record.signer;
  return ['participant_registered', 'key_added', 'key_revoked', 'role_granted', 'participant_suspended',
    'participant_reinstated'].includes(kind) ? body.participant_id : undefined;
}

async function register(item, reg, participants) {
  if (participants.has(reg.participant_id)) {
    fail('once', `${item.where} registers '${reg.participant_id}', registered before in the bundle`);
  }
  const p = { name: reg.legal_name, identifiers: reg.identifiers, roles: new Set(reg.roles), keys: new Map(),
    suspended: false, registeredIndex: item.index };
  for (const k of reg.keys) {
    if (k.ed25519.length !== 32) fail('signature', `${item.where} registers a bad key`);
    const id = await keyIdOf(k.ed25519);
    if (!p.keys.has(id)) p.keys.set(id, newKey(k.ed25519, item, null));
  }
  participants.set(reg.participant_id, p);
}

function newKey(key, item, addedBy) {
  return { key, addedIndex: item.index, addedMicros: item.record.event_time_micros, revokedIndex: null, addedBy };
}

// Every record's signature under the key of the bundle its record names, all
// at once (bundle_verify.cc PreverifySignatures). Only a speed-up.
async function preverify(items) {
  const keys = new Map();
  const learn = async (k) => { if (k && k.ed25519.length === 32) keys.set(await keyIdOf(k.ed25519), k.ed25519); };
  for (const { kind, body } of items) {
    if (kind === 'genesis') for (const k of body.operator?.keys || []) await learn(k);
    if (kind === 'participant_registered') for (const k of body.keys) await learn(k);
    if (kind === 'key_added') await learn(body.key);
    if (kind === 'operator_key_rotated') await learn(body.new_key);
  }
  await Promise.all(items.map(async (item) => {
    if (owners.ownerOnly(item.record)) return;
    const key = keys.get(item.record.key_id);
    if (key && await signatureValid(key, item)) item.validUnder = key;
  }));
}

// What a record's signature covers under the policy in force (ledger/provenance/record.h):
// origin-bound from a policy with version 2 on, the legacy form before any policy.
function signingMessage(policy, origin, recordBytes) {
  return policy?.record_signature_version === 2
    ? concat(enc.encode(`${RECORD_CONTEXT_FOR_LOG}${origin}\n`), recordBytes)
    : concat(RECORD_CONTEXT, recordBytes);
}

async function signatureValid(key, item) {
  return item.signature.length === 64 && ed25519Verify(key, item.signature, item.signedMessage);
}

async function checkSigner(item, participants) {
  const r = item.record, where = item.where;
  owners.checkOwnerForm(item, fail);
  if (owners.ownerOnly(r)) return;
  const p = participants.get(r.signer);
  if (!p) fail('signature', `${where} is signed by '${r.signer}', who is not registered in the bundle (its registration record is missing)`);
  const key = p.keys.get(r.key_id);
  if (!key) fail('signature', `${where} is signed with key ${r.key_id} of '${r.signer}', which the bundle never adds (its KeyAdded record is missing)`);
  if (key.revokedIndex !== null && key.revokedIndex < item.index) {
    fail('signature', `${where} is signed with key ${r.key_id} of '${r.signer}', revoked at entry ${key.revokedIndex}`);
  }
  if (r.event_time_micros < key.addedMicros) {
    fail('signature', `${where} is dated before key ${r.key_id} of '${r.signer}' was added (entry ${key.addedIndex})`);
  }
  if (!(item.validUnder && equal(item.validUnder, key.key)) && !(await signatureValid(key.key, item))) {
    fail('signature', `${where}: the signature is not by key ${r.key_id} of '${r.signer}'`);
  }
  if (p.suspended) fail('roles', `${where} is signed by '${r.signer}', suspended at the time`);
  const roles = writerRoles(item.kind, item.body);
  if (roles.length && !roles.some((x) => p.roles.has(x))) {
    fail('roles', `${where}: '${r.signer}' does not hold the role it needs (${roleNames(roles)})`);
  }
  const target = participantTarget(item);
  if ((item.kind === 'key_added' || item.kind === 'key_revoked') && !p.roles.has(ROLE_OPERATOR) && target !== r.signer) {
    fail('roles', `${where}: only '${target}' or the operator may change its keys`);
  }
  item.signedWith = key;
}

async function applyParticipantRecord(item, participants) {
  const { kind, body, where } = item;
  if (kind === 'participant_registered') return register(item, body, participants);
  const target = participantTarget(item);
  if (target === undefined) return;
  const p = participants.get(target);
  if (!p) fail('completeness', `${where} is about participant '${target}', who is not registered in the bundle`);
  if (kind === 'key_added') {
    const key = body.key?.ed25519 ?? new Uint8Array(0);
    if (key.length !== 32) fail('signature', `${where} adds a bad key`);
    const id = await keyIdOf(key);
    if (!p.keys.has(id)) p.keys.set(id, newKey(key, item, item.record.signer));
  } else if (kind === 'key_revoked') {
    const k = p.keys.get(body.key_id);
    if (!k) fail('completeness', `${where} revokes key ${body.key_id} of '${target}', which the bundle never adds`);
    if (k.revokedIndex === null) k.revokedIndex = item.index;
  } else if (kind === 'role_granted') {
    p.roles.add(body.role);
  } else if (kind === 'operator_key_rotated') {
    // The signing key hands over to the new one (ledger/provenance/key_handover.h).
    const key = body.new_key?.ed25519 ?? new Uint8Array(0);
    if (key.length !== 32) fail('signature', `${where} names a bad key`);
    const old = p.keys.get(item.record.key_id);
    if (old && old.revokedIndex === null) old.revokedIndex = item.index;
    const id = await keyIdOf(key);
    if (!p.keys.has(id)) p.keys.set(id, newKey(key, item, null));
  } else if (kind === 'participant_suspended') {
    p.suspended = true;
  } else if (kind === 'participant_reinstated') {
    p.suspended = false;
  }
}

async function checkSigners(items) {
  await preverify(items);
  const participants = new Map();
  for (const item of items) {
    if ((item.index === 0) !== (item.kind === 'genesis')) {
      fail('entries', item.index === 0 ? 'entry 0 is not a genesis record' : `entry ${item.index} is a genesis record`);
    }
    if (item.kind === 'genesis') {
      const operator = item.body.operator ?? { participant_id: '', legal_name: '', identifiers: [], roles: [], keys: [] };
      if (operator.participant_id !== item.record.signer) fail('signature', 'the genesis record is not signed by its operator');
      await register(item, operator, participants);
    }
    await checkSigner(item, participants);
    await applyParticipantRecord(item, participants);
  }
  return participants;
}

// The participants as the page shows them: roles as a list, and the keys the
// operator (not the participant) added, which vouch for nothing but the operator's word.
function pageParticipants(participants) {
  const out = new Map();
  for (const [id, p] of participants) {
    out.set(id, { id, name: p.name, identifiers: p.identifiers, roles: [...p.roles], at: p.registeredIndex,
      operatorAddedKeys: [...p.keys].filter(([, k]) => k.addedBy && k.addedBy !== id).map(([kid, k]) => ({ keyId: kid, by: k.addedBy, index: k.addedIndex })) });
  }
  return out;
}

// ---------------------------------------------------------------- the graph (bundle_links.cc)

// A record of the piece: its registration, lifecycle, a stone replacement or an ownership record.
const aboutPiece = (item, pieceId) => owners.pieceOf(item) === pieceId;

// A transformation some of whose outputs are linked: part of a linked lot's lineage.
const inLineage = (t, l) => t.outputs.some((o) => l.lots.has(o.lot_id));
// A transformation drawing stones from a linked lot (a parcel): every draw is replayed.
const drawsFromGraph = (t, l) => t.inputs.some((q) => big(q, 'stones') > 0n && l.lots.has(q.lot_id));

function linked(item, l, pieceId) {
  const { kind, body } = item;
  if (kind === 'operator_key_rotated') return true;
  const target = participantTarget(item);
  if (target !== undefined) return l.participants.has(target);
  switch (kind) {
    case 'certificate_issued':
      return l.certificates.has(body.certificate_id) ||
        (Boolean(body.grading_report || body.parcel_report) && l.lots.has(body.subject_lot ?? ''));
    case 'scheme_registered': return l.schemes.has(body.scheme);
    case 'certificate_status_changed': return l.certificates.has(body.certificate_id);
    case 'lot_created': return l.lots.has(body.lot_id);
    case 'transformation': return inLineage(body, l) || drawsFromGraph(body, l);
    case 'custody_shipped': case 'custody_received': return l.lots.has(body.lot_id);
    case 'error_declared': return l.records.has(body.wrong_index);
    case 'credit_account_opened': case 'credit_booked': return l.accounts.has(body.account_id);
    case 'credit_allocated': return l.accounts.has(body.account_id) || l.lots.has(body.lot_id);
    case 'heirloom_received': return l.lots.has(body.lot_id) || (Boolean(body.repurposed_piece_id) && l.pieces.has(body.repurposed_piece_id));
    default: return l.pieces.has(owners.pieceOf(item));
  }
}

// What a linked record links in turn; false for a transformation only drawing
// from a parcel of the graph (expanded again if an output is linked later).
function expand(item, pieceId, l) {
  const { kind, body } = item;
  if (!owners.ownerOnly(item.record)) l.participants.add(item.record.signer);
  const lot = (id) => { if (!l.lots.has(id)) l.lots.set(id, item.index); };
  const certs = (ids) => ids.forEach((id) => { if (!l.certificates.has(id)) l.certificates.set(id, item.index); });
  if (kind === 'lot_created') certs(body.certificate_ids);
  if (kind === 'transformation') {
    if (!inLineage(body, l)) return false;
    body.inputs.forEach((i) => lot(i.lot_id));
    certs(body.certificate_ids);
  }
  if (kind === 'scheme_registered') l.participants.add(body.issuer);
  if (kind === 'credit_account_opened') certs([body.certificate_id]);
  if (kind === 'credit_booked') lot(body.lot_id);
  if (kind === 'credit_allocated' && !l.accounts.has(body.account_id)) l.accounts.set(body.account_id, item.index);
  if (kind === 'certificate_issued') {
    certs([body.certificate_id]);
    l.schemes.add(body.scheme);
    if (body.subject_participant !== undefined) l.participants.add(body.subject_participant);
  }
  if (kind === 'piece_registered' && aboutPiece(item, pieceId)) {
    body.stone_lot_ids.forEach(lot);
    body.metal_inputs.forEach((m) => lot(m.lot_id));
    body.parcel_stones.forEach((p) => lot(p.lot_id));
  }
  if (kind === 'stone_replaced' && aboutPiece(item, pieceId)) { lot(body.old_stone_lot_id); lot(body.new_stone_lot_id); }
  if (kind === 'error_declared' && body.replacement_index !== undefined) l.records.add(body.replacement_index);
  if (kind === 'ownership_accepted') {
    if (body.terms?.recovery_agent) l.participants.add(body.terms.recovery_agent);
    if (body.terms?.insurer) l.participants.add(body.terms.insurer);
  }
  if (kind === 'heirloom_received') {
    lot(body.lot_id);
    if (body.repurposed_piece_id) l.pieces.add(body.repurposed_piece_id);
  }
  return true;
}

const sorted = (keys) => [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

// Everything named is there, and every record is linked to the piece.
function checkComplete(pieceId, items, participants) {
  const indices = new Set(items.map((i) => i.index));
  const created = new Set(), issued = new Set(), graded = new Set(), opened = new Set();
  for (const { kind, body } of items) {
    if (kind === 'credit_account_opened') opened.add(body.account_id);
    if (kind === 'lot_created') created.add(body.lot_id);
    if (kind === 'heirloom_received') created.add(body.lot_id);
    if (kind === 'transformation') body.outputs.forEach((o) => created.add(o.lot_id));
    if (kind === 'certificate_issued') {
      issued.add(body.certificate_id);
      if (body.grading_report) graded.add(body.subject_lot ?? '');
    }
  }
  // pieces: the piece, and every piece an heirloom intake of the bundle repurposed (their story is told).
  const l = { records: new Set(), lots: new Map(), certificates: new Map(), accounts: new Map(), participants: new Set(), schemes: new Set(),
    pieces: new Set([pieceId]) };
  const expanded = new Set(), partly = new Set();  // partly: draws only, so far
  for (let changed = true; changed;) {
    changed = false;
    for (const item of items) {
      if (expanded.has(item.index)) continue;
      if (partly.has(item.index)) {
        if (!inLineage(item.body, l)) continue;
      } else if (!l.records.has(item.index) && !linked(item, l, pieceId)) {
        continue;
      }
      l.records.add(item.index);
      (expand(item, pieceId, l) ? expanded : partly).add(item.index);
      changed = true;
    }
  }
  for (const item of items) {
    if (item.kind !== 'error_declared') continue;
    const e = item.body;
    if (!indices.has(e.wrong_index)) fail('completeness', `${item.where} declares entry ${e.wrong_index} wrong, which is not in the bundle`);
    if (e.replacement_index !== undefined && !indices.has(e.replacement_index)) {
      fail('completeness', `${item.where} names entry ${e.replacement_index} as the replacement of entry ${e.wrong_index}, which is not in the bundle`);
    }
  }
  const missing = (what, by) => fail('completeness', `${what} is not in the bundle (entry ${by} names it)`);
  for (const id of sorted(l.lots.keys())) if (!created.has(id)) missing(`the record creating lot '${id}'`, l.lots.get(id));
  for (const id of sorted(l.certificates.keys())) if (!issued.has(id)) missing(`certificate '${id}'`, l.certificates.get(id));
  for (const id of sorted(l.accounts.keys())) if (!opened.has(id)) missing(`the record opening mass-balance account '${id}'`, l.accounts.get(id));
  for (const p of sorted(l.participants)) if (!participants.has(p)) fail('completeness', `participant '${p}' is not registered in the bundle`);
  for (const item of items) {
    const stones = [];
    if (aboutPiece(item, pieceId) && item.kind === 'piece_registered') stones.push(...item.body.stone_lot_ids);
    if (aboutPiece(item, pieceId) && item.kind === 'stone_replaced') stones.push(item.body.new_stone_lot_id);
    for (const s of stones) if (!graded.has(s)) missing(`the grading report of stone '${s}'`, item.index);
  }
  for (const item of items) {
    if (!l.records.has(item.index)) {
      fail('completeness', `${item.where} is not linked to piece '${pieceId}': a record that links it to the piece is missing from the bundle`);
    }
  }
  return l;
}

// ---------------------------------------------------------------- the replay (bundle_graph.cc)

// A certificate's status at time t (ledger/provenance/rules_certificates.cc CertificateStatusAt).
export function certificateStatusAt(cert, t) {
  if (t < cert.validFrom) return 'not yet valid';
  let status = 0;
  for (const c of cert.changes) {
    if (c.effective > t) break;
    status = c.status;
  }
  if (status === NUMBER.CertificateStatus.CERTIFICATE_STATUS_REVOKED) return 'revoked';
  if (status === NUMBER.CertificateStatus.CERTIFICATE_STATUS_SUSPENDED) return 'suspended';
  if (cert.validUntil !== 0 && t > cert.validUntil) return 'expired';
  return 'valid';
}

// The claims a piece's inputs support (ledger/provenance/claims.h DeriveClaims, its table generated).
export function deriveClaims(metal, stones) {
  const whyNot = new Map();
  const add = (claim, why) => { if (!whyNot.has(claim)) whyNot.set(claim, why); };
  const origins = Object.keys(CLAIMS).map(Number);
  for (const c of origins) {
    if (CLAIMS[c].needs_metal && !metal.length) add(c, 'the piece has no metal');
    if (CLAIMS[c].needs_stones && !stones.length) add(c, 'the piece has no stones');
  }
  const CERTIFIED = NUMBER.Claim.CLAIM_CERTIFIED_CHAIN;
  for (const m of metal) {
    for (const c of origins) if (!CLAIMS[c].metal_keeps.includes(m.origin)) add(c, `lot '${m.lotId}' is ${NAME('OriginClass', m.origin)}`);
    if (!m.certified) add(CERTIFIED, `lot '${m.lotId}' is not certified all the way back`);
  }
  for (const s of stones) {
    const is = `stone '${s.lotId}' is ${NAME('StoneOrigin', s.stoneOrigin)}`;
    for (const c of origins) if (!CLAIMS[c].stone_keeps.includes(s.stoneOrigin)) add(c, is);
    if (!s.certified) add(CERTIFIED, `stone '${s.lotId}' is not certified all the way back`);
  }
  const held = new Set([...origins, CERTIFIED].filter((c) => !whyNot.has(c)));
  return { held, whyNot };
}


// Replays the records in index order with the ledger's rules for what a bundle shows
// (bundle_graph.cc; the trade rules' steps: verify_trade.js).
async function replay(pieceId, items, participants, links) {
  const g = { lots: new Map(), certificates: new Map(), issued: new Map(), schemes: new Map(), accounts: new Map(),
    piece: null, pieceIndex: 0, jeweler: '', stones: [], metal: [], parcelStones: [], claims: null,
    asserted: new Set(), derived: new Set(), uses: new Map(), received: 0, owned: new Map(), intakes: new Map(), heirloom: null,
    weightsFrom: 0, vouched: [] };
  const broken = (item, id, label, what) => fail(id, `${label} rule: ${item.where} ${what}`);
  const refused = (item, id, e) => fail(id, `${item.where}: ${e.message}`);
  const getLot = (item, id) => g.lots.get(id) || broken(item, RULES.completeness, 'reference', `names lot '${id}', created by no earlier record`);
  const hold = (item, id, lot) => {
    if (lot.inTransitTo) broken(item, RULES.custody, 'custody', `uses lot '${id}', in transit to '${lot.inTransitTo}' (shipment '${lot.shipmentId}')`);
    if (lot.custodian !== item.record.signer) broken(item, RULES.custody, 'custody', `is signed by '${item.record.signer}', but lot '${id}' is held by '${lot.custodian}'`);
  };
  const rely = (item, ids) => {
    for (const id of ids) {
      const cert = g.certificates.get(id);
      if (!cert) broken(item, RULES.completeness, 'certificate', `cites certificate '${id}', issued by no earlier record`);
      const then = certificateStatusAt(cert, item.record.event_time_micros);
      const appended = certificateStatusAt(cert, item.recordedAt);
      const whenRecorded = Boolean(item.policy) && !item.record.history_import;  // ledger/provenance/log_policy.h
      if (then !== 'valid' || appended === 'suspended' || appended === 'revoked' || (whenRecorded && appended !== 'valid')) {
        broken(item, RULES.certificates, 'certificate', `relies on certificate '${id}', ${then !== 'valid' ? then : appended}${then !== 'valid' ? ' at its event time' : ' when appended'}`);
      }
      if (!g.uses.has(item.index)) g.uses.set(item.index, []);
      g.uses.get(item.index).push({ certificateId: id, then });
    }
  };
  const x = { g, broken, refused, getLot, hold, rely, fail, sealed };
  // A StatusError of a shared definition fails `rule` with the entry named (C++'s Refused).
  const refusing = (item, rule, fn) => {
    try { return fn(); } catch (e) { if (e instanceof StatusError) refused(item, rule, e); throw e; }
  };
  // A lot of the graph: its trace (trade.js lotTrace) and what the replay keeps beside it.
  const newLot = (item, trace, fields) => {
    const lot = { trace, form: '', finenessPpt: 0, quantity: 0n, parcel: { stones: 0n, weight: 0n }, gradingReport: '',
      custodian: item.record.signer, inTransitTo: '', shipmentId: '', createdIndex: item.index, shippedAt: 0, sealedAt: 0, sharesFrom: 0,
      createdMicros: big(item.record, 'event_time_micros'), taken: 0n, heirloomFine: 0n, heirloomOwner: '', heirloomIntakes: [],
      heirloomMixed: false, ...fields };
    if (g.lots.has(trace.lotId)) broken(item, RULES.once, 'reference', `creates lot '${trace.lotId}' again`);
    g.lots.set(trace.lotId, lot);
  };
  const takeStone = (item, id) => {
    const lot = getLot(item, id);
    if (lot.trace.unit !== UNIT_CARAT_THOUSANDTH || !lot.gradingReport) broken(item, RULES.material, 'stone', `sets lot '${id}', not a graded stone`);
    hold(item, id, lot);
    rely(item, [lot.gradingReport]);
  };
  // The sealed entry the piece's weights rest on (bundle_graph.cc PieceWeightsFrom; 0: none).
  const pieceWeightsFrom = (item, p) => {
    if (sealed.hidden(item)) return item.index;
    for (const m of p.metal_inputs) { const lot = g.lots.get(m.lot_id); if (lot.sharesFrom) return lot.sharesFrom; }
    for (const id of p.stone_lot_ids) { const lot = g.lots.get(id); if (lot.sealedAt) return lot.sealedAt; }
    for (const ps of p.parcel_stones) { const lot = g.lots.get(ps.lot_id); if (lot?.sealedAt) return lot.sealedAt; }
    return 0;
  };
  const derive = () => deriveClaims(
    g.metal.map((id) => ({ lotId: id, origin: g.lots.get(id).trace.origin, certified: g.lots.get(id).trace.certified })),
    g.stones.map((id) => ({ lotId: id, stoneOrigin: g.lots.get(id).trace.stoneOrigin, certified: g.lots.get(id).trace.certified })));
  const has = (id) => links.lots.has(id);
  const inLotGraph = ({ kind, body }) => {
    if (kind === 'lot_created') return has(body.lot_id);
    if (kind === 'transformation') return body.inputs.some((i) => has(i.lot_id));
    if (kind === 'custody_shipped' || kind === 'custody_received') return has(body.lot_id);
    if (kind === 'certificate_issued') return !(body.grading_report || body.parcel_report) || has(body.subject_lot ?? '');
    return true;
  };

  // The piece's registration, lifecycle and stone replacements (bundle_graph.cc PieceRecord).
  const pieceRecord = (item) => {
    const { kind, body, record: r } = item;
    if (kind === 'piece_registered') {
      if (g.piece) broken(item, RULES.once, 'piece', 'registers the piece again');
      trade.checkNoLegacyClaims(x, item);
      for (const s of body.stone_lot_ids) takeStone(item, s);
      for (const m of body.metal_inputs) {
        const lot = getLot(item, m.lot_id);
        if (lot.trace.unit !== UNIT_MILLIGRAM) broken(item, RULES.material, 'piece', `takes lot '${m.lot_id}' as metal`);
        hold(item, m.lot_id, lot);
        g.metal.push(m.lot_id);
      }
      Object.assign(g, { piece: body, pieceIndex: item.index, jeweler: r.signer, stones: [...body.stone_lot_ids] });
      g.weightsFrom = pieceWeightsFrom(item, body);
      body.claims.forEach((c) => g.asserted.add(c));
      const { held, whyNot } = derive();
      g.derived = held;
      for (const c of sorted(g.asserted)) {
        if (!held.has(c)) broken(item, RULES.claims, 'claim', `asserts ${NAME('Claim', c)}, which its records do not support: ${whyNot.get(c) ?? ''}`);
      }
      trade.checkPieceTrade(x, item);
      owners.checkPieceHeirloom(x, item);
      return;
    }
    if (!g.piece) broken(item, RULES.completeness, 'piece', 'comes before the piece\'s registration');
    if (r.signer !== g.jeweler) fail(RULES.roles, `${item.where}: only '${g.jeweler}', who registered the piece, records it`);
    if (kind !== 'stone_replaced') return;
    const at = g.stones.indexOf(body.old_stone_lot_id);
    if (at < 0) broken(item, RULES.material, 'stone', `replaces '${body.old_stone_lot_id}', which is not in the piece`);
    g.lots.get(body.old_stone_lot_id).custodian = r.signer;  // released to the jeweler
    takeStone(item, body.new_stone_lot_id);
    g.stones[at] = body.new_stone_lot_id;
    g.derived = derive().held;
    trade.recheckPieceClaims(x, item);
  };

  for (const item of items) {
    if (!inLotGraph(item)) continue;
    const { kind, body, record: r } = item;
    const tradeRules = trade.tradeRules(item.policy);
    if (kind === 'scheme_registered') {
      trade.registerScheme(x, item, participants);
    } else if (kind === 'certificate_issued') {
      const cert = { id: body.certificate_id, issuer: r.signer, scheme: body.scheme, validFrom: body.valid_from_micros,
        validUntil: body.valid_until_micros, issuedIndex: item.index, changes: [] };
      if (g.certificates.has(body.certificate_id)) broken(item, RULES.once, 'certificate', `issues '${body.certificate_id}' again`);
      g.certificates.set(body.certificate_id, cert);
      g.issued.set(body.certificate_id, body);
      if (tradeRules) trade.checkCertificate(x, item);
      if (!body.grading_report) continue;
      const lot = getLot(item, body.subject_lot ?? '');
      if (body.grading_report.origin !== stoneOriginOf(lot.trace.origin)) {
        broken(item, RULES.origin, 'origin', `calls lot '${body.subject_lot ?? ''}' ${NAME('StoneOrigin', body.grading_report.origin)}; its records make it ${NAME('OriginClass', lot.trace.origin)}`);
      }
      lot.gradingReport = body.certificate_id;
      lot.trace.stoneOrigin = body.grading_report.origin;
      lot.trace.graded = true;
    } else if (kind === 'certificate_status_changed') {
      const cert = g.certificates.get(body.certificate_id);
      if (!cert) broken(item, RULES.completeness, 'reference', `names certificate '${body.certificate_id}', issued by no earlier record`);
      if (cert.issuer !== r.signer) fail(RULES.roles, `${item.where}: only the issuer '${cert.issuer}' changes its status`);
      cert.changes.push({ status: body.status, effective: body.effective_micros, index: item.index, reason: body.reason });
    } else if (kind === 'lot_created') {
      const ptt = refusing(item, RULES.material, () => statedFinenessPtt(body.fineness_ppt, body.fineness_ptt, tradeRules, `lot '${body.lot_id}'`));
      rely(item, body.certificate_ids);
      if (tradeRules) trade.checkLotEntry(x, item);
      const schemes = body.certificate_ids.map((id) => g.certificates.get(id).scheme);
      const kp = body.certificate_ids.some((id) => g.issued.get(id).kimberley_process !== undefined);
      newLot(item, traceOfCreated(body, ptt, schemes, kp), { form: body.form, finenessPpt: body.fineness_ppt, quantity: big(body, 'quantity'),
        parcel: body.parcel ? { stones: big(body.parcel, 'stone_count'), weight: big(body, 'quantity') } : { stones: 0n, weight: 0n },
        sealedAt: sealed.hidden(item) ? item.index : 0 });  // its weight, parcel and facility
    } else if (kind === 'transformation') {
      // The outputs' traces follow the inputs of the conserved material (bundle_graph.cc Transformed).
      const full = body.outputs.some((o) => has(o.lot_id));
      const same = [], alloying = [], sameTaken = [], alloyingTaken = [];
      const isHidden = sealed.hidden(item);
      let sharesFrom = isHidden ? item.index : 0, inputsSealed = false;
      for (const input of body.inputs) {
        if (!full && !g.lots.has(input.lot_id)) continue;  // another lot of a draw
        const lot = getLot(item, input.lot_id);
        hold(item, input.lot_id, lot);
        if (!sharesFrom) sharesFrom = lot.sharesFrom || 0;
        inputsSealed = inputsSealed || Boolean(lot.sealedAt);
        const q = { lot: lot.trace, quantity: big(input, 'quantity'), stones: big(input, 'stones') };
        const taken = { id: input.lot_id, lot, quantity: big(input, 'quantity') };
        if (lot.trace.material === body.material) { same.push(q); sameTaken.push(taken); }
        else if (body.process === PROCESS_ALLOY) { alloying.push(q); alloyingTaken.push(taken); }
        else broken(item, RULES.material, 'material', `takes lot '${input.lot_id}' of ${lot.trace.material}, not ${body.material}`);
      }
      trade.drawFromParcels(x, item, full);
      if (!full) continue;
      if (isHidden) sealed.vouch(g, item, `mass balance of transformation '${body.transformation_id}'`);
      if (!same.length) broken(item, RULES.material, 'material', `has no input of ${body.material}`);
      rely(item, body.certificate_ids);
      const base = traceOfOutputs(body, same, alloying, tradeRules);
      const made = body.outputs.map((out) => {
        const ptt = refusing(item, RULES.material, () => statedFinenessPtt(out.fineness_ppt, out.fineness_ptt, tradeRules, `output '${out.lot_id}'`));
        const stones = big(out, 'stones');
        const trace = lotTrace({ ...base, lotId: out.lot_id, finenessPtt: ptt, stones, alloy: outputAlloy(same, alloying, ptt) });
        return [trace, { form: out.form, finenessPpt: out.fineness_ppt, quantity: big(out, 'quantity'),
          parcel: stones > 0n ? { stones, weight: big(out, 'quantity') } : { stones: 0n, weight: 0n },
          sealedAt: isHidden ? item.index : 0, sharesFrom }];
      });
      const carries = (t) => t.lot.heirloomFine !== 0n || t.lot.heirloomOwner !== '';
      if (!isHidden && !inputsSealed) {
        owners.flowHeirloom(x, item, sameTaken, alloyingTaken, made);
      } else if (sameTaken.some(carries) || alloyingTaken.some(carries) || body.outputs.some((o) => big(o, 'heirloom_fine') !== 0n)) {
        // The owner's fine weight follows the quantities: not checked here.
        const at = isHidden ? item.index : ([...sameTaken, ...alloyingTaken].find((t) => Boolean(t.lot.sealedAt))?.lot.sealedAt ?? item.index);
        sealed.vouch(g, item, `the owner's material through transformation '${body.transformation_id}'${sealed.sealedAt(item, at)}`);
        for (const [, fields] of made) fields.sharesFrom = fields.sharesFrom || item.index;
      }
      for (const [trace, fields] of made) newLot(item, trace, fields);
    } else if (kind === 'heirloom_received') {
      const [trace, fields] = await owners.receiveHeirloom(x, item);
      newLot(item, trace, fields);
    } else if (kind === 'custody_shipped') {
      const lot = getLot(item, body.lot_id);
      hold(item, body.lot_id, lot);
      trade.checkWarranty(x, item, lot);
      lot.inTransitTo = sealed.hidden(item) ? sealed.SEALED_ADDRESSEE : body.to_participant;
      lot.shippedAt = item.index;
      lot.shipmentId = body.shipment_id;
    } else if (kind === 'custody_received') {
      const lot = getLot(item, body.lot_id);
      if (lot.inTransitTo === sealed.SEALED_ADDRESSEE && lot.shipmentId === body.shipment_id) {
        sealed.vouch(g, item, `shipment '${lot.shipmentId}' of lot '${body.lot_id}' is addressed to its receiver '${r.signer}'${sealed.sealedAt(item, lot.shippedAt)}`);
      } else if (lot.shipmentId !== body.shipment_id || lot.inTransitTo !== r.signer) {
        broken(item, RULES.custody, 'custody', `receives lot '${body.lot_id}' under shipment '${body.shipment_id}', which no earlier record ships to '${r.signer}'`);
      }
      Object.assign(lot, { custodian: r.signer, inTransitTo: '', shipmentId: '' });
      g.received++;
    } else if (kind === 'credit_account_opened') {
      trade.openAccount(x, item);
    } else if (kind === 'credit_booked') {
      trade.bookCredit(x, item);
    } else if (kind === 'credit_allocated') {
      trade.allocateCredit(x, item);
    } else if (owners.pieceOf(item) !== undefined) {
      // The piece's own records (bundle_graph.cc PieceRecord), and the story of every piece the
      // bundle tells (its owners; a piece an intake repurposed: verify_owners.js pieceStory).
      const about = aboutPiece(item, pieceId), story = links.pieces.has(owners.pieceOf(item));
      if (kind === 'piece_registered') {
        if (about) pieceRecord(item);
        if (story) await owners.pieceStory(x, item, participants);
      } else {
        if (story) await owners.pieceStory(x, item, participants);
        if (about && (kind === 'piece_lifecycle' || kind === 'stone_replaced')) pieceRecord(item);
      }
    } else if (kind === 'error_declared') {
      const wrong = items.find((i) => i.index === body.wrong_index);
      if (!wrong || wrong.index >= item.index) broken(item, RULES.completeness, 'error', 'does not name an earlier record of the bundle');
      if (wrong.record.signer !== r.signer && !participants.get(r.signer).roles.has(ROLE_OPERATOR)) {
        fail(RULES.roles, `${item.where}: only '${wrong.record.signer}' or the operator may declare entry ${body.wrong_index} wrong`);
      }
    }
  }
  return g;
}

async function checkGraph(pieceId, items, participants) {
  if (!items.some((i) => i.kind === 'piece_registered' && aboutPiece(i, pieceId))) {
    fail('completeness', `the bundle holds no PieceRegistered record for piece '${pieceId}'`);
  }
  const links = checkComplete(pieceId, items, participants);
  return replay(pieceId, items, participants, links);
}

// ---------------------------------------------------------------- times (bundle_times.cc)

// A duration in words (ledger/provenance/log_policy.cc DurationText).
function durationText(micros) {
  const m = Math.abs(micros), s = Math.floor(m / 1e6);
  let text;
  if (s >= 86400) { const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600); text = `${d} ${d === 1 ? 'day' : 'days'}${h ? ` ${h} h` : ''}`; }
  else if (s >= 3600) { const h = Math.floor(s / 3600), min = Math.floor((s % 3600) / 60); text = `${h} h${min ? ` ${min} min` : ''}`; }
  else if (s >= 60) text = `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  else text = s > 0 ? `${s} s` : `${m} us`;
  return micros < 0 ? `-${text}` : text;
}
const isoTime = (micros) => new Date(micros / 1000).toISOString();

// The history import and backdating rules of the policy in force at each entry
// (ledger/provenance/log_policy.cc CheckRecordTime); fails the check "time".
export function checkTimes(items) {
  for (const { where, record: r, recordedAt, policy } of items) {
    if (r.history_import) {
      if (policy?.history_import_allowed) continue;
      fail('time', `${where}: history import rule: the record is marked history_import, and the log's policy ${
        policy ? 'does not allow imports of history' : '(none: the entry comes before the log\'s first LogPolicy)'
      }; the operator allows them for an import with touchstoned --allow_history_import`);
    }
    if (!policy) continue;
    const bound = policy.max_backdate_micros, t = r.event_time_micros;
    if (recordedAt < bound || t >= recordedAt - bound) continue;
    fail('time', `${where}: backdating rule: the record's event time ${isoTime(t)} is ${durationText(recordedAt - t)} before the log records it (${isoTime(recordedAt)}); the log's policy allows at most ${durationText(bound)} (an import of history must be marked history_import, while the operator allows imports)`);
  }
}

// ---------------------------------------------------------------- witness cosignatures

const COSIGNATURE_CONTEXT = 'cosignature/v1\ntime ';

// A witness's cosignature verifier key (ledger/log/cosignature.h):
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
// and fails the check "witnesses" if it does not verify; others are returned
// unchecked. Returns [{name, keyId, key (hex of the pinned key, if checked), time (unix seconds), checked}].
export async function checkCosignatures(note, text, verifier, witnesses, check = 'witnesses') {
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
        fail(check, `the cosignature by ${name} (key ${keyId}) does not match the checkpoint`);
      }
    }
    found.push({ name, keyId, key: witness ? hex(witness.key) : null, time: Number(time), checked: Boolean(witness) });
  }
  return found;
}

// ---------------------------------------------------------------- auditors

// RFC 9162 section 2.1.4.2: does `proof` show the tree of size1 (root1) is a prefix of the tree of size2 (root2)?
export async function consistent(size1, size2, root1, root2, proof) {
  if (size1 === 0n || size1 > size2 || proof.some((h) => !h || h.length !== 32)) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  const path = (size1 & (size1 - 1n)) === 0n ? [root1, ...proof] : proof;
  if (!path.length) return false;
  let fn = size1 - 1n, sn = size2 - 1n;
  while (fn & 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0], sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && equal(fr, root1) && equal(sr, root2);
}

// The bundle's audited checkpoint (ledger/bundle/bundle_auditors.cc, rule "auditors"): signed
// by the pinned log key, of the same log at a size within the bundle's, its consistency proof
// leading to the bundle's checkpoint; the pinned auditors' cosignatures valid, a quorum there.
// Returns {auditors: [names, one per key, in pinned order], size (BigInt, 0n if none)}.
async function checkAudited(bundle, verifier, checkpoint, auditorKeys, auditorQuorum, requireAudit) {
  const pinned = [];
  for (const k of auditorKeys) pinned.push(await parseWitnessKey(k));
  const keys = new Set(pinned.map((a) => hex(a.key))).size;
  const quorum = auditorQuorum || keys;
  const refuse = (why) => fail('auditors', `audited checkpoint: ${why}`);
  if (quorum > keys) refuse(`a quorum of ${quorum} needs at least ${quorum} distinct auditor keys; ${keys} given`);
  const note = bundle.audited_checkpoint || '';
  const proof = (bundle.audit_consistency || []).map((h) => b64decode(h));
  if (!note) {
    if (requireAudit) refuse('the bundle carries none, and an audited one is required');
    if (proof.length) refuse('a consistency proof without an audited checkpoint');
    return { auditors: [], size: 0n };
  }
  const text = await verifyNote(note, verifier, 'auditors');
  const lines = text.split('\n');
  const root = b64decode(lines[2] || '');
  if (lines.length < 4 || !/^(0|[1-9][0-9]*)$/.test(lines[1]) || !root || root.length !== 32) refuse('its text is malformed');
  if (lines[0] !== checkpoint.origin) refuse(`it is of log '${lines[0]}', not '${checkpoint.origin}'`);
  const size = BigInt(lines[1]);
  if (size === 0n || size > checkpoint.size) refuse(`its size ${size} is not within the bundle's (1 to ${checkpoint.size})`);
  if (!(await consistent(size, checkpoint.size, root, checkpoint.root, proof))) {
    refuse(`the log at size ${checkpoint.size} does not extend it (size ${size}): the consistency proof does not verify`);
  }
  const found = await checkCosignatures(note, text, verifier, pinned, 'auditors');
  const names = [];
  const seen = new Set();
  for (const a of pinned) {
    const k = hex(a.key);
    if (seen.has(k) || !found.some((c) => c.checked && c.key === k && c.name === a.name)) continue;
    seen.add(k);
    names.push(a.name);
  }
  if (names.length < quorum) refuse(`cosigned by ${names.length} of the ${keys} auditors given; ${quorum} required`);
  return { auditors: names, size: names.length ? size : 0n };
}

// ledger/log/audit_note.h AuditorsText: "mass balance and custody re-checked by auditors A and B through entry N".
export function auditorsText(names, size) {
  if (!names.length || !size) return '';
  const who = names.length === 1 ? `auditor ${names[0]}` : `auditors ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `mass balance and custody re-checked by ${who} through entry ${BigInt(size) - 1n}`;
}
