// Owner keys and owner signatures, as the page checks them: the port of
// ledger/provenance/owner_signature.h (+ .cc), check for check, with its
// words. tests/testdata/owner_vectors.json (made independently by
// tests/testdata/make_owner_vectors.py) pins this port and the C++ to the
// same answers (tests/browser/owner_sig_test.mjs, tests/owner_vectors_test.cc).
//
// The signed part of a record is its exact bytes before its owner_signature
// field (Record field 100). The owner signing message is
//   "touchstone.v1 owner signature for log\n" || origin || "\n" || signed part
// An Ed25519 owner key signs it (64 bytes); a passkey (WebAuthn ES256) signs an
// assertion whose challenge is SHA-256(message): the authenticator data is for
// the key's rp id with user presence, the client data says "webauthn.get", the
// challenge, an origin of the rp id and not cross-origin, and the DER ECDSA
// signature (strict DER, as OpenSSL reads it) is over authenticator data ||
// SHA-256(client data). An ownership proof signs
//   "touchstone.v1 ownership proof\n" || origin || "\n" || piece_id || "\n" || nonce
//
// Keys and signatures are OwnerKey / OwnerSignature messages as verify.js
// decodes them ({ed25519: Uint8Array} or {webauthn: {p256, rp_id,
// credential_id}}; {key_id, signature, authenticator_data, client_data_json}).
// A refusal throws StatusError {code, message} with the C++ code and message.

import { StatusError } from './trade.js';

const enc = new TextEncoder();
export const OWNER_SIGNING_CONTEXT = 'touchstone.v1 owner signature for log\n';
export const OWNERSHIP_PROOF_CONTEXT = 'touchstone.v1 ownership proof\n';
export const OWNER_SIGNATURE_FIELD = 100;
const MAX_CLIENT_DATA_JSON = 2048;
const MAX_AUTHENTICATOR_DATA = 1024;
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
const denied = (what) => new StatusError('PERMISSION_DENIED', `owner signature: ${what}`);
const invalid = (what) => new StatusError('INVALID_ARGUMENT', what);

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

// Unpadded base64url.
export function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// The key's raw bytes its id hashes (the Ed25519 key or the passkey's point); null if none.
function rawOf(key) {
  if (key?.ed25519 !== undefined) return key.ed25519;
  if (key?.webauthn !== undefined) return key.webauthn.p256;
  return null;
}

// The key's id: lowercase hex of the first 8 bytes of SHA-256 of the raw key or point; "" if none.
export async function ownerKeyId(key) {
  const raw = rawOf(key);
  return raw ? hex((await sha256(raw)).slice(0, 8)) : '';
}

// 'ed25519', 'passkey' or '' (no key).
export function ownerKeyKind(key) {
  if (key?.ed25519 !== undefined) return 'ed25519';
  if (key?.webauthn !== undefined) return 'passkey';
  return '';
}

const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const bigOf = (bytes) => (bytes.length ? BigInt(`0x${hex(bytes)}`) : 0n);

// True if `point` is an uncompressed SEC1 point (0x04 || X || Y) on P-256.
function onP256(point) {
  if (point.length !== 65 || point[0] !== 0x04) return false;
  const x = bigOf(point.subarray(1, 33)), y = bigOf(point.subarray(33));
  if (x >= P256_P || y >= P256_P) return false;
  return (y * y - (x * x * x - 3n * x + P256_B)) % P256_P === 0n;
}

const validRpId = (rp) => rp.length > 0 && rp.length <= 253 && !rp.startsWith('.') && !rp.endsWith('.') && /^[a-z0-9.-]+$/.test(rp);

// Throws INVALID_ARGUMENT naming `what` unless `key` is a well-formed owner
// key (ValidateOwnerKey): a 32-byte Ed25519 key, or a passkey with a point on
// P-256, a lowercase host name as rp id and a credential id of 1..1023 bytes.
export function validateOwnerKey(key, what) {
  if (key?.ed25519 !== undefined) {
    if (key.ed25519.length !== 32) throw invalid(`${what}: an Ed25519 owner key is 32 bytes, got ${key.ed25519.length}`);
    return;
  }
  if (key?.webauthn !== undefined) {
    const w = key.webauthn;
    if (!onP256(w.p256)) throw invalid(`${what}: a passkey's p256 must be an uncompressed point on P-256 (65 bytes)`);
    if (!validRpId(w.rp_id)) throw invalid(`${what}: a passkey's rp_id must be a lowercase host name, got '${w.rp_id}'`);
    if (!w.credential_id.length || w.credential_id.length > 1023) throw invalid(`${what}: a passkey's credential_id must be 1 to 1023 bytes`);
    return;
  }
  throw invalid(`${what} is required (an owner key)`);
}

// True if a and b are the same key (every field equal).
export function sameOwnerKey(a, b) {
  const ka = ownerKeyKind(a), kb = ownerKeyKind(b);
  if (ka !== kb) return false;
  if (ka === 'ed25519') return equal(a.ed25519, b.ed25519);
  if (ka === 'passkey') {
    return equal(a.webauthn.p256, b.webauthn.p256) && a.webauthn.rp_id === b.webauthn.rp_id &&
      equal(a.webauthn.credential_id, b.webauthn.credential_id);
  }
  return true;
}

// Reads a varint at pos: [value (BigInt), next] or null if truncated or over 10 bytes.
function readVarint(b, pos) {
  let v = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (pos >= b.length) return null;
    const byte = b[pos++];
    v |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return [v, pos];
  }
  return null;
}

// The signed part of record bytes: the bytes before the owner_signature field
// (a subarray). Throws INVALID_ARGUMENT if there is no such field or the bytes
// are not a walkable protobuf message.
export function ownerSignedPart(bytes) {
  const truncated = () => { throw invalid('truncated record'); };
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const tag = readVarint(bytes, pos);
    if (!tag) break;
    pos = tag[1];
    if ((tag[0] >> 3n) === BigInt(OWNER_SIGNATURE_FIELD)) return bytes.subarray(0, start);
    switch (Number(tag[0] & 7n)) {
      case 0: {
        const v = readVarint(bytes, pos);
        if (!v) truncated();
        pos = v[1];
        break;
      }
      case 1: pos += 8; break;
      case 2: {
        const n = readVarint(bytes, pos);
        if (!n || n[0] > BigInt(bytes.length - n[1])) truncated();
        pos = n[1] + Number(n[0]);
        break;
      }
      case 5: pos += 4; break;
      default: throw invalid('record is not a protobuf message');
    }
    if (pos > bytes.length) truncated();
  }
  throw invalid('the record carries no owner_signature');
}

// The owner signing message for `signedPart` in the log `origin` (bytes).
export function ownerSigningMessage(origin, signedPart) {
  return concat(enc.encode(`${OWNER_SIGNING_CONTEXT}${origin}\n`), signedPart);
}

// The ownership proof message (bytes). Throws INVALID_ARGUMENT if the nonce is
// not 16..128 printable ASCII bytes or the piece id is empty.
export function ownershipProofMessage(origin, pieceId, nonce) {
  if (!pieceId) throw invalid('an ownership proof names a piece');
  const n = enc.encode(nonce);
  if (n.length < 16 || n.length > 128) throw invalid("an ownership proof's nonce must be 16 to 128 bytes");
  if (n.some((c) => c < 0x21 || c > 0x7e)) throw invalid("an ownership proof's nonce must be printable ASCII");
  return enc.encode(`${OWNERSHIP_PROOF_CONTEXT}${origin}\n${pieceId}\n${nonce}`);
}

// The WebAuthn challenge for `message`: SHA-256(message), 32 raw bytes.
export const webAuthnChallenge = (message) => sha256(message);

// True if `origin` is a web origin the passkey scoped to `rpId` may sign from.
export function originMatches(origin, rpId) {
  let host;
  if (origin.startsWith('https://')) host = origin.slice(8);
  else if (rpId === 'localhost' && origin.startsWith('http://')) host = origin.slice(7);
  else return false;
  const colon = host.indexOf(':');
  if (colon >= 0) {
    const digits = host.slice(colon + 1);
    if (!/^[1-9][0-9]{0,4}$/.test(digits) || Number(digits) > 65535) return false;
    host = host.slice(0, colon);
  }
  if (host === rpId) return true;
  return host.length > rpId.length + 1 && host.endsWith(rpId) && host[host.length - rpId.length - 1] === '.';
}

// The client data as nlohmann::json reads it: strict UTF-8, a leading BOM
// skipped, escapes that make no valid UTF-16 (a lone surrogate) refused.
// Returns the parsed value or undefined.
function parseClientData(bytes) {
  let text;
  try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch (e) { return undefined; }
  let value;
  try { value = JSON.parse(text); } catch (e) { return undefined; }
  const wellFormed = (v) => {
    if (typeof v === 'string') return v.isWellFormed();
    if (Array.isArray(v)) return v.every(wellFormed);
    if (v && typeof v === 'object') return Object.entries(v).every(([k, x]) => k.isWellFormed() && wellFormed(x));
    return true;
  };
  return wellFormed(value) ? value : undefined;
}

// A DER ECDSA signature as WebCrypto's raw r || s (64 bytes), or null unless it
// is exactly DER (as OpenSSL reads it: shortest lengths, minimal positive
// integers, nothing after the sequence) with 0 < r, s < n.
export function derToRaw(der) {
  if (der.length < 8 || der[0] !== 0x30 || der[1] >= 0x80 || der[1] !== der.length - 2) return null;
  let pos = 2;
  const int = () => {
    if (pos + 2 > der.length || der[pos] !== 0x02) return null;
    const len = der[pos + 1];
    if (len === 0 || len >= 0x80 || pos + 2 + len > der.length) return null;
    const v = der.subarray(pos + 2, pos + 2 + len);
    pos += 2 + len;
    if (v[0] & 0x80) return null;                              // negative
    if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) return null;  // not minimal
    const value = BigInt(`0x${hex(v)}`);
    if (value === 0n || value >= P256_N) return null;
    return value;
  };
  const r = int(), s = r === null ? null : int();
  if (r === null || s === null || pos !== der.length) return null;
  const out = new Uint8Array(64);
  for (const [v, at] of [[r, 0], [s, 32]]) {
    const h = v.toString(16).padStart(64, '0');
    for (let i = 0; i < 32; i++) out[at + i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

// Throws PERMISSION_DENIED "owner signature: ..." unless `signature` is `key`'s
// signature of `message` (bytes), as VerifyOwnerSignature checks it.
export async function verifyOwnerSignature(key, signature, message) {
  const id = await ownerKeyId(key);
  if (!id) throw denied('no owner key to verify with');
  const sig = signature ?? {};
  const keyId = sig.key_id ?? '';
  if (keyId !== id) throw denied(`signed by key ${keyId}, not by the owner key ${id}`);
  const none = new Uint8Array(0);
  const raw = sig.signature ?? none, auth = sig.authenticator_data ?? none, cdj = sig.client_data_json ?? none;
  if (key.ed25519 !== undefined) {
    if (auth.length || cdj.length) throw denied('an Ed25519 signature carries no WebAuthn data');
    let ok = false;
    if (key.ed25519.length === 32 && raw.length === 64) {
      try {
        const pub = await crypto.subtle.importKey('raw', key.ed25519, { name: 'Ed25519' }, false, ['verify']);
        ok = await crypto.subtle.verify({ name: 'Ed25519' }, pub, raw, message);
      } catch (e) { ok = false; }
    }
    if (!ok) throw denied(`the Ed25519 signature does not verify with owner key ${id}`);
    return;
  }
  const w = key.webauthn;
  if (auth.length < 37 || auth.length > MAX_AUTHENTICATOR_DATA) throw denied('authenticator data must be 37 to 1024 bytes');
  if (!equal(auth.subarray(0, 32), await sha256(enc.encode(w.rp_id)))) {
    throw denied(`the authenticator data is not for rp id '${w.rp_id}'`);
  }
  if ((auth[32] & 0x01) === 0) throw denied('the authenticator did not record user presence');
  if (!cdj.length || cdj.length > MAX_CLIENT_DATA_JSON) throw denied('client data must be 1 to 2048 bytes');
  const client = parseClientData(cdj);
  if (client === null || typeof client !== 'object' || Array.isArray(client)) throw denied('client data is not JSON');
  const text = (field) => (Object.hasOwn(client, field) && typeof client[field] === 'string' ? client[field] : '');
  if (text('type') !== 'webauthn.get') throw denied('client data type is not webauthn.get');
  if (text('challenge') !== b64url(await webAuthnChallenge(message))) {
    throw denied("the challenge is not this record's (SHA-256 of its signing message)");
  }
  if (!originMatches(text('origin'), w.rp_id)) {
    throw denied(`client data origin '${text('origin')}' is not of rp id '${w.rp_id}'`);
  }
  if (Object.hasOwn(client, 'crossOrigin') && client.crossOrigin !== false) throw denied('the assertion was made cross-origin');
  let pub;
  try {
    pub = await crypto.subtle.importKey('raw', w.p256, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  } catch (e) { pub = null; }
  if (!pub || w.p256.length !== 65 || w.p256[0] !== 0x04) throw denied('the passkey is not a P-256 point');
  const rs = derToRaw(raw);
  let ok = false;
  if (rs) {
    try {
      ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pub, rs, concat(auth, await sha256(cdj)));
    } catch (e) { ok = false; }
  }
  if (!ok) throw denied(`the passkey signature does not verify with owner key ${id}`);
}
