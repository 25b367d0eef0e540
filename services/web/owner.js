// The customer page's owner actions (docs: ledger/provenance/owner_signature.h,
// the owner rules of rules_owners.cc). An owner is known on the ledger by a key
// alone, made here in the browser:
//   - a passkey (WebAuthn, ES256, scoped to this host), or where WebAuthn is
//     missing an Ed25519 WebCrypto key, made non-extractable and kept in this
//     browser's IndexedDB. The keys this page made are listed there (a passkey's
//     OwnerKey with its credential id), so the page knows what it can act for.
//   - the "owner key" string handed to the jeweler: unpadded base64url of the
//     canonical OwnerKey bytes (the CLI reads and prints the same form).
// With the key that owns the piece, the page builds an owner-only record
// (OwnershipAccepted, OwnershipTransferred, OwnerReport) in canonical protobuf
// (fields in increasing number, no defaults written; signer and key_id empty),
// signs OwnerSigningMessage(log origin, record bytes) and appends the signature
// as field 100, then POSTs the bytes to /v1/owner-records; the ledger decides.
// "Prove you own this piece" signs OwnershipProofMessage(origin, piece, nonce);
// "Check a proof" verifies one against the piece's current owner as the
// verified bundle says (never the server's word). Keys and signatures are
// checked with owner_sig.js, the port of owner_signature.h.
// Text is added with DOM calls, never parsed as HTML.
import { b64url, OWNER_SIGNATURE_FIELD, ownerKeyId, ownershipProofMessage, ownerSigningMessage, sameOwnerKey,
  validateOwnerKey, verifyOwnerSignature } from './owner_sig.js';
import { SCHEMA } from './verify_tables.js';
import { b64decode, decodeMessage, hex, sha256 } from './verify.js';

const enc = new TextEncoder();
const PIECE_EVENT = { LOST: 3, STOLEN: 4, RECOVERED: 5 };

// ---------------------------------------------------------------- bytes

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// Bytes of unpadded base64url (RFC 4648 section 5), or null.
export function fromB64url(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  return b64decode(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}

// ---------------------------------------------------------------- canonical protobuf

function varint(v) {
  let x = BigInt.asUintN(64, BigInt(v));
  const out = [];
  while (x >= 0x80n) { out.push(Number(x & 0x7fn) | 0x80); x >>= 7n; }
  out.push(Number(x));
  return out;
}

function scalarOf(f, x) {
  if (f.type === 'bool') return x ? 1n : 0n;
  if (f.type === 'uint32') return BigInt.asUintN(32, BigInt(x));
  return BigInt.asUintN(64, BigInt(x));
}

// The canonical bytes (ledger/provenance/canonical.h) of `obj` as message `type`
// (a SCHEMA name): fields in increasing number, none holding its default unless
// it has presence; message fields given as objects, bytes as Uint8Array.
export function encodeMessage(obj, type) {
  const schema = SCHEMA[type];
  if (!schema) throw new Error(`no message ${type} in the schema`);
  const out = [];
  const numbers = Object.keys(schema).map(Number).sort((a, b) => a - b);
  for (const n of numbers) {
    const f = schema[String(n)];
    const v = obj[f.name];
    if (v === undefined || v === null) continue;
    const implicit = !f.repeated && !f.presence;
    const values = f.repeated ? v : [v];
    if (f.repeated && f.packed) {
      if (!values.length) continue;
      const body = values.flatMap((x) => varint(scalarOf(f, x)));
      out.push(...varint((n << 3) | 2), ...varint(body.length), ...body);
      continue;
    }
    for (const x of values) {
      if (SCHEMA[f.type] || f.type === 'string' || f.type === 'bytes') {
        const bytes = SCHEMA[f.type] ? encodeMessage(x, f.type) : f.type === 'string' ? enc.encode(x) : x;
        if (implicit && !bytes.length) continue;
        out.push(...varint((n << 3) | 2), ...varint(bytes.length), ...bytes);
      } else if (['int32', 'int64', 'uint32', 'uint64', 'enum', 'bool'].includes(f.type)) {
        const value = scalarOf(f, x);
        if (implicit && value === 0n) continue;
        out.push(...varint(n << 3), ...varint(value));
      } else {
        throw new Error(`${type}.${f.name}: type ${f.type} is not written by this page`);
      }
    }
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------- owner keys

// The owner key string: unpadded base64url of the canonical OwnerKey bytes.
export const ownerKeyString = (key) => b64url(encodeMessage(key, 'OwnerKey'));

// Parses an owner key string: {key, bytes, id} or throws Error saying why not.
export async function parseOwnerKeyString(text) {
  const s = (text || '').trim();
  const bytes = fromB64url(s);
  if (!s || !bytes) throw new Error('an owner key is a base64url string (letters, digits, - and _)');
  let key;
  try {
    key = decodeMessage(bytes, 'OwnerKey');
  } catch (e) {
    throw new Error(`this is not an owner key (${e.message})`);
  }
  try {
    validateOwnerKey(key, 'the owner key');
  } catch (e) {
    throw new Error(`this is not a valid owner key: ${e.message}`);
  }
  return { key, bytes, id: await ownerKeyId(key) };
}

// ---------------------------------------------------------------- the browser's keys (IndexedDB)

const DB_NAME = 'touchstone-owner-keys';

function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('keys', { keyPath: 'id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function withStore(mode, fn) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction('keys', mode);
      const request = fn(tx.objectStore('keys'));
      tx.oncomplete = () => resolve(request?.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// The owner keys this browser holds: [{id, kind: 'passkey'|'ed25519', ownerKey (bytes),
// key (decoded), created, privateKey (Ed25519 only: a non-extractable CryptoKey)}], oldest first.
export async function browserKeys() {
  if (!globalThis.indexedDB) return [];
  const rows = (await withStore('readonly', (s) => s.getAll())) || [];
  return rows.map((r) => ({ ...r, key: decodeMessage(r.ownerKey, 'OwnerKey') })).sort((a, b) => a.created - b.created);
}

const webAuthnAvailable = () => !!(globalThis.PublicKeyCredential && navigator.credentials && globalThis.isSecureContext);

// Makes a passkey for this host: ES256, rp id = this host name, a neutral user
// name (never a person's). Returns the stored key row.
export async function createPasskey() {
  const rpId = location.hostname;
  const credential = await navigator.credentials.create({ publicKey: {
    rp: { id: rpId, name: 'Touchstone piece owner' },
    user: { id: crypto.getRandomValues(new Uint8Array(16)), name: 'owner', displayName: 'owner' },
    challenge: crypto.getRandomValues(new Uint8Array(32)),
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    attestation: 'none',
    timeout: 120000,
  } });
  if (!credential) throw new Error('no passkey was made');
  const response = credential.response;
  if (response.getPublicKeyAlgorithm && response.getPublicKeyAlgorithm() !== -7) {
    throw new Error('the authenticator made a key that is not ES256 (P-256)');
  }
  const spki = response.getPublicKey ? response.getPublicKey() : null;
  if (!spki) throw new Error('this browser does not give the passkey\'s public key (getPublicKey)');
  const der = new Uint8Array(spki);
  const p256 = der.slice(der.length - 65);
  if (der.length !== 91 || p256[0] !== 4) throw new Error('the passkey\'s public key is not an uncompressed P-256 point');
  const key = { webauthn: { p256, rp_id: rpId, credential_id: new Uint8Array(credential.rawId) } };
  return storeKey({ kind: 'passkey', key });
}

// Makes an Ed25519 key with WebCrypto, its private half non-extractable, kept
// in IndexedDB. Returns the stored key row.
export async function createBrowserKey() {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return storeKey({ kind: 'ed25519', key: { ed25519: raw }, privateKey: pair.privateKey });
}

async function storeKey({ kind, key, privateKey }) {
  const row = { id: await ownerKeyId(key), kind, ownerKey: encodeMessage(key, 'OwnerKey'), created: Date.now() };
  if (privateKey) row.privateKey = privateKey;
  await withStore('readwrite', (s) => s.put(row));
  return { ...row, key };
}

// ---------------------------------------------------------------- signing

// Signs `message` with a key this browser holds: an OwnerSignature object.
export async function ownerSign(row, message) {
  if (row.kind === 'ed25519') {
    const signature = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, row.privateKey, message));
    return { key_id: row.id, signature };
  }
  const w = row.key.webauthn;
  const assertion = await navigator.credentials.get({ publicKey: {
    challenge: await sha256(message),
    rpId: w.rp_id,
    allowCredentials: [{ type: 'public-key', id: w.credential_id }],
    userVerification: 'preferred',
    timeout: 120000,
  } });
  if (!assertion) throw new Error('the passkey did not sign');
  const r = assertion.response;
  return { key_id: row.id, signature: new Uint8Array(r.signature), authenticator_data: new Uint8Array(r.authenticatorData),
    client_data_json: new Uint8Array(r.clientDataJSON) };
}

// An owner-only record: canonical bytes of {record_id, event_time_micros, <kind>: body}
// (no signer, no key_id), signed, with the owner signature appended as field 100.
export async function signedOwnerRecord(row, origin, kind, body) {
  const signedPart = encodeMessage({
    record_id: `owner-${hex(crypto.getRandomValues(new Uint8Array(12)))}`,
    event_time_micros: BigInt(Date.now()) * 1000n,
    [kind]: body,
  }, 'Record');
  const signature = encodeMessage(await ownerSign(row, ownerSigningMessage(origin, signedPart)), 'OwnerSignature');
  return concat(signedPart, Uint8Array.from(varint((OWNER_SIGNATURE_FIELD << 3) | 2)), Uint8Array.from(varint(signature.length)), signature);
}

// POSTs record bytes to the ledger: {index} or throws Error with the ledger's refusal.
export async function postOwnerRecord(bytes) {
  const response = await fetch('/v1/owner-records', { method: 'POST', body: bytes, cache: 'no-store',
    headers: { 'Content-Type': 'application/octet-stream' } });
  const text = await response.text();
  let answer = null;
  try { answer = JSON.parse(text); } catch (e) { /* not JSON: a proxy's or the listener's answer */ }
  if (!response.ok) {
    const err = new Error(answer?.error || text.trim() || `the server answered ${response.status}`);
    err.code = answer?.code || String(response.status);
    throw err;
  }
  if (!answer || !Number.isSafeInteger(answer.index)) throw new Error('the server\'s answer holds no entry index');
  return answer;
}

// ---------------------------------------------------------------- proofs

// A proof string: unpadded base64url of JSON {piece, log, nonce, owner_key, key_id,
// signature, authenticator_data, client_data_json} (byte fields base64url).
export function proofString({ pieceId, origin, nonce, keyString, sig }) {
  const json = { piece: pieceId, log: origin, nonce, owner_key: keyString, key_id: sig.key_id, signature: b64url(sig.signature) };
  if (sig.authenticator_data) json.authenticator_data = b64url(sig.authenticator_data);
  if (sig.client_data_json) json.client_data_json = b64url(sig.client_data_json);
  return b64url(enc.encode(JSON.stringify(json)));
}

// Checks a proof string for this piece against its current owner (`owner`:
// the verified bundle's, see ownerState). Returns {held: true, keyId} or
// {held: false, why}.
export async function checkProof(text, { pieceId, origin, nonce, owner }) {
  const no = (why) => ({ held: false, why });
  const raw = fromB64url((text || '').trim());
  let p;
  try { p = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw)); } catch (e) { return no('this is not a proof (a proof is the text the owner\'s page made)'); }
  if (!raw || !p || typeof p !== 'object') return no('this is not a proof (a proof is the text the owner\'s page made)');
  if (p.piece !== pieceId) return no(`the proof is about piece '${p.piece}', not this one`);
  if (p.log !== origin) return no(`the proof is for the ledger '${p.log}', not '${origin}'`);
  if (nonce && p.nonce !== nonce) return no(`the proof answers the challenge '${p.nonce}', not yours ('${nonce}'): it may be an old proof replayed`);
  let key, message;
  try {
    key = await parseOwnerKeyString(p.owner_key);
    message = ownershipProofMessage(origin, pieceId, String(p.nonce));
  } catch (e) {
    return no(e.message);
  }
  const bytesOf = (f) => (p[f] === undefined ? undefined : fromB64url(p[f]));
  const sig = { key_id: p.key_id, signature: bytesOf('signature'), authenticator_data: bytesOf('authenticator_data'), client_data_json: bytesOf('client_data_json') };
  if (!sig.signature || (p.authenticator_data !== undefined && !sig.authenticator_data) || (p.client_data_json !== undefined && !sig.client_data_json)) {
    return no('the proof\'s signature is not base64url');
  }
  try {
    await verifyOwnerSignature(key.key, sig, message);
  } catch (e) {
    return no(`its signature does not hold: ${e.message}`);
  }
  if (!owner?.key) return no(`it is signed by key ${key.id}, but no owner key holds this piece on the ledger`);
  if (!sameOwnerKey(key.key, owner.key)) {
    return no(`not the current owner: it is validly signed by key ${key.id}, but the piece's current owner is key ${owner.id}`);
  }
  return { held: true, keyId: key.id };
}

// ---------------------------------------------------------------- the piece's owner, from verified records

// The piece's owner as the verified bundle says (verify.js: result.owner, the
// key itself from the replayed graph): {key, id, accepted, index (its newest
// ownership record: the next one's prev_index), status (PieceEvent), repurposed}
// with key null if no sale named one.
export function ownerState(result, pieceId) {
  const o = result.owner, p = result.graph?.owned?.get(pieceId);
  const status = { lost: PIECE_EVENT.LOST, stolen: PIECE_EVENT.STOLEN }[o?.status] ?? 0;
  return { key: o && p?.owner ? p.owner : null, id: o?.keyId ?? '', accepted: !!o?.accepted, index: o?.sinceIndex ?? 0,
    status, repurposed: !!result.repurposed };
}

// ---------------------------------------------------------------- the page's owner section

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

const randomNonce = () => hex(crypto.getRandomValues(new Uint8Array(16)));
const flashKey = (pieceId) => `touchstone-owner-flash:${pieceId}`;

// Draws (or draws again) the page's owner section for `result` (verifyBundle's)
// of `pieceId`; `made`: a key just made, whose owner key string it shows.
export async function showOwner(result, pieceId, made = null) {
  let section = document.getElementById('owner');
  if (!section) {
    section = el('section', { id: 'owner', 'aria-labelledby': 'owner-title' });
    const about = document.getElementById('about');
    about.parentNode.insertBefore(section, about);
  }
  const message = el('p', { id: 'owner-message', role: 'status', 'aria-live': 'polite' });
  const say = (text, kind = '') => { message.textContent = text; message.className = kind; };
  const flash = sessionStorage.getItem(flashKey(pieceId));
  if (flash) { sessionStorage.removeItem(flashKey(pieceId)); say(flash, 'ok'); }
  if (made) say(`Made owner key ${made.id}. This page remembers it in this browser.`, 'ok');

  const owner = result.ok ? ownerState(result, pieceId) : null;
  const origin = result.ok ? result.checkpoint.origin : '';
  let keys = [];
  try { keys = await browserKeys(); } catch (e) { say(`This browser keeps no keys here: ${e.message}`, 'error'); }
  const held = owner?.key ? keys.find((k) => sameOwnerKey(k.key, owner.key)) : null;

  const status = el('p', { id: 'owner-status' });
  if (!result.ok) {
    status.textContent = 'Owner actions need this page\'s records verified first.';
  } else if (owner.repurposed) {
    status.textContent = 'This piece was taken in to be made into another: it takes no more owner records.';
  } else if (!owner.key) {
    status.textContent = 'No owner key holds this piece on the ledger. When the jeweler records its sale naming your owner key, you can take ownership here.';
  } else {
    status.textContent = `This piece belongs to owner key ${owner.id}` +
      (owner.accepted ? ', who has taken ownership.' : ', who has not taken ownership yet.') +
      (owner.status === PIECE_EVENT.LOST ? ' It is reported lost.' : owner.status === PIECE_EVENT.STOLEN ? ' It is reported stolen.' : '') +
      (held ? ' This browser holds that key.' : '');
  }

  // Creating a key.
  const keyOut = el('div', { id: 'owner-key-out' });
  const showKeyString = (row) => keyOut.replaceChildren(
    el('p', {}, `Your owner key (id ${row.id}, ${row.kind === 'passkey' ? 'a passkey' : 'kept in this browser'}). Give this text to your jeweler when you buy a piece:`),
    el('textarea', { id: 'owner-key-string', class: 'wrap', readonly: '', rows: '3' }, ownerKeyString(row.key)));
  const createButton = el('button', { id: 'owner-create', type: 'button' }, 'Create my owner key');
  const createLocal = el('button', { id: 'owner-create-local', type: 'button', class: 'secondary' }, 'Create a key kept only in this browser');
  const create = async (local) => {
    try {
      const row = local || !webAuthnAvailable() ? await createBrowserKey() : await createPasskey();
      await showOwner(result, pieceId, row);  // the new key among this browser's
    } catch (e) {
      say(`No key was made: ${e.message}`, 'error');
    }
  };
  createButton.addEventListener('click', () => create(false));
  createLocal.addEventListener('click', () => create(true));
  if (made) showKeyString(made);

  const keyList = el('ul', { id: 'owner-keys', class: 'plain' }, keys.map((k) => el('li', {},
    el('code', {}, k.id), ` ${k.kind === 'passkey' ? 'passkey' : 'browser key'}`,
    owner?.key && sameOwnerKey(k.key, owner.key) ? ' (owns this piece)' : '')));

  const parts = [el('h2', { id: 'owner-title' }, 'Owner'), status, message,
    el('h3', {}, 'Your owner keys'),
    keys.length ? keyList : el('p', { id: 'owner-keys' }, 'This browser holds no owner key yet.'),
    el('p', {}, createButton, ' ', createLocal), keyOut];

  if (result.ok && owner && !owner.repurposed && keys.length) parts.push(...actionForms({ owner, keys, held, origin, pieceId, say }));
  if (result.ok) parts.push(...proofForms({ owner, keys, held, origin, pieceId, say }));
  section.replaceChildren(...parts);
  section.dataset.ready = 'true';
}

// The forms that append owner records: take ownership, give away, report.
function actionForms({ owner, keys, held, origin, pieceId, say }) {
  const select = el('select', { id: 'owner-acting-key' }, keys.map((k) => el('option', { value: k.id }, `${k.id} (${k.kind === 'passkey' ? 'passkey' : 'browser key'})`)));
  select.value = (held || keys.at(-1)).id;
  const warn = el('p', { id: 'owner-acting-warning', class: 'note' });
  const updateWarn = () => {
    warn.textContent = owner.key && select.value === owner.id ? ''
      : `Key ${select.value} is not this piece's owner key${owner.key ? ` (${owner.id})` : ''}: the ledger will refuse what it signs.`;
    warn.hidden = !warn.textContent;
  };
  select.addEventListener('change', updateWarn);
  updateWarn();
  const acting = () => keys.find((k) => k.id === select.value);

  // Signs and submits one record; on success reloads the page (which verifies the new bundle).
  const submit = async (button, kind, body, done) => {
    button.disabled = true;
    say('Signing…');
    try {
      const bytes = await signedOwnerRecord(acting(), origin, kind, { piece_id: pieceId, prev_index: owner.index, ...body });
      say('Sending to the ledger…');
      const answer = await postOwnerRecord(bytes);
      sessionStorage.setItem(flashKey(pieceId), `${done} The ledger recorded it as entry ${answer.index}.`);
      location.reload();
    } catch (e) {
      say(`The ledger refused this: ${e.message}${e.code ? ` (${e.code})` : ''}`, 'error');
      button.disabled = false;
    }
  };

  const out = [el('h3', {}, 'Act as the owner'), el('p', {}, el('label', { for: 'owner-acting-key' }, 'Sign with key '), select), warn];

  if (!owner.accepted) {
    const terms = el('select', { id: 'accept-terms' },
      el('option', { value: 'none' }, 'nobody else may act for me'),
      el('option', { value: 'agent' }, 'a recovery agent may replace my key'),
      el('option', { value: 'insurer' }, 'my insurer may report it lost, stolen or recovered'));
    const who = el('input', { id: 'accept-participant', type: 'text', placeholder: 'participant id, e.g. the jeweler\'s', autocomplete: 'off' });
    const button = el('button', { id: 'owner-accept', type: 'button' }, 'Take ownership');
    button.addEventListener('click', () => {
      const t = terms.value, p = who.value.trim();
      if (t !== 'none' && !p) { say('Name the participant (its id on the ledger).', 'error'); return; }
      const body = t === 'agent' ? { terms: { recovery_agent: p } } : t === 'insurer' ? { terms: { insurer: p } } : {};
      submit(button, 'ownership_accepted', body, 'You took ownership of this piece.');
    });
    out.push(el('div', { class: 'owner-action', id: 'owner-accept-form' },
      el('h4', {}, 'Take ownership'),
      el('p', {}, 'Signing this proves you hold the key the sale named, and sets who else may act for you.'),
      el('p', {}, el('label', { for: 'accept-terms' }, 'Terms: '), terms, ' ', who), button));
  }

  const to = el('textarea', { id: 'transfer-to', rows: '3', placeholder: 'the new owner\'s owner key' });
  const give = el('button', { id: 'owner-transfer', type: 'button' }, 'Give this piece to this key');
  give.addEventListener('click', async () => {
    let next;
    try { next = await parseOwnerKeyString(to.value); } catch (e) { say(e.message, 'error'); return; }
    submit(give, 'ownership_transferred', { new_owner: next.key }, `You gave this piece to owner key ${next.id}.`);
  });
  out.push(el('div', { class: 'owner-action', id: 'owner-transfer-form' },
    el('h4', {}, 'Give this piece to another key'),
    el('p', {}, 'For a resale, a gift or an inheritance: paste the new owner\'s owner key. No jeweler is needed.'), to, give));

  const event = el('select', { id: 'report-event' },
    el('option', { value: String(PIECE_EVENT.LOST) }, 'lost'),
    el('option', { value: String(PIECE_EVENT.STOLEN) }, 'stolen'),
    el('option', { value: String(PIECE_EVENT.RECOVERED) }, 'recovered'));
  const note = el('input', { id: 'report-note', type: 'text', placeholder: 'what happened (never a name)', autocomplete: 'off' });
  const report = el('button', { id: 'owner-report', type: 'button' }, 'Report');
  report.addEventListener('click', () => {
    const n = Number(event.value);
    submit(report, 'owner_report', { event: n, note: note.value.trim() }, `You reported this piece ${event.selectedOptions[0].textContent}.`);
  });
  out.push(el('div', { class: 'owner-action', id: 'owner-report-form' },
    el('h4', {}, 'Report lost, stolen or recovered'),
    el('p', {}, el('label', { for: 'report-event' }, 'The piece is '), event, ' ', note), report));
  return out;
}

// Proving ownership (with a key this browser holds) and checking a proof.
function proofForms({ owner, keys, held, origin, pieceId, say }) {
  const out = [];
  if (keys.length) {
    const nonce = el('input', { id: 'prove-nonce', type: 'text', placeholder: 'the challenge you were given', autocomplete: 'off', size: '40' });
    const proofOut = el('textarea', { id: 'proof-out', rows: '4', readonly: '', hidden: '' });
    const prove = el('button', { id: 'owner-prove', type: 'button' }, 'Prove you own this piece');
    prove.addEventListener('click', async () => {
      const row = held || keys.at(-1);
      try {
        if (!nonce.value.trim()) nonce.value = randomNonce();
        const n = nonce.value.trim();
        const sig = await ownerSign(row, ownershipProofMessage(origin, pieceId, n));
        proofOut.value = proofString({ pieceId, origin, nonce: n, keyString: ownerKeyString(row.key), sig });
        proofOut.hidden = false;
        say(`Signed a proof with key ${row.id}: give the text below to whoever asked.`, 'ok');
      } catch (e) {
        say(`No proof was made: ${e.message}`, 'error');
      }
    });
    out.push(el('div', { class: 'owner-action', id: 'owner-prove-form' },
      el('h3', {}, 'Prove you own this piece'),
      el('p', {}, 'Whoever asks gives you a challenge (or leave it empty and one is made); your key signs it.'),
      el('p', {}, el('label', { for: 'prove-nonce' }, 'Challenge: '), nonce), prove, proofOut));
  }
  const challenge = el('input', { id: 'check-nonce', type: 'text', size: '40', autocomplete: 'off' });
  challenge.value = randomNonce();
  const proof = el('textarea', { id: 'check-proof', rows: '4', placeholder: 'the proof the owner gave you' });
  const result = el('p', { id: 'check-result', role: 'status', 'aria-live': 'polite' });
  const check = el('button', { id: 'owner-check', type: 'button' }, 'Check the proof');
  check.addEventListener('click', async () => {
    const r = await checkProof(proof.value, { pieceId, origin, nonce: challenge.value.trim(), owner });
    result.className = r.held ? 'ok' : 'error';
    result.textContent = r.held ? `Held by the current owner (key ${r.keyId}): the signature over your challenge verifies.` : `Not proven: ${r.why}.`;
  });
  out.push(el('div', { class: 'owner-action', id: 'owner-check-form' },
    el('h3', {}, 'Check a proof of ownership'),
    el('p', {}, 'Give the owner this challenge, then paste the proof they send back. It is checked here, against the owner the verified records name.'),
    el('p', {}, el('label', { for: 'check-nonce' }, 'Challenge: '), challenge), proof, check, result));
  return out;
}
