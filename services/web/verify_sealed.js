// Sealed records in a bundle (issue 16; ledger/provenance/commitments.h), the
// page's port of ledger/bundle/bundle_sealed.cc: the openings a bundle carries
// (bundle.openings: {index, salt, fields} in base64), each checked against its
// entry's commitment (SHA-256 of "touchstone-opening/v1\n", the 32-byte salt
// and the fields: the canonical bytes of a Record holding only committed
// fields of the body) and its values put into the record (openRecord, the port
// of OpenRecord, its words the same); and the vouched list: the checks this
// verifier could not do alone because they read a committed field of a sealed
// record the bundle does not open (BundleReport::vouched). A failure names the
// rule 'sealed'.

import { COMMITTED, SCHEMA } from './verify_tables.js';

const DOMAIN = new TextEncoder().encode('touchstone-opening/v1\n');
const SALT_BYTES = 32;

// The Lot.inTransitTo of a lot a sealed shipment ships (bundle_verify_internal.h kSealedAddressee).
export const SEALED_ADDRESSEE = '(its sealed addressee)';

const isCommitted = (body, path) => (COMMITTED[body] || []).includes(path);
const leadsToCommitted = (body, path) => (COMMITTED[body] || []).some((p) => p.startsWith(`${path}.`));
const isSet = (v) => (Array.isArray(v) || v instanceof Uint8Array ? v.length > 0
  : typeof v === 'bigint' ? v !== 0n : v !== undefined && v !== 0 && v !== '' && v !== false);

// Puts the values of `opening` (a message of `type`, the body `body` below
// `path`) into `into` (OpenRecord's FillIn). Throws Error(message) as C++ words it.
function fillIn(body, path, type, opening, into) {
  for (const f of Object.values(SCHEMA[type])) {
    const v = opening[f.name];
    if (!isSet(v)) continue;
    const here = path ? `${path}.${f.name}` : f.name;
    const named = `${body}.${here}`;
    if (!SCHEMA[f.type]) {
      if (f.repeated || !isCommitted(body, here)) throw new Error(`opening: ${named} is not a committed field`);
      into[f.name] = v;
      if (opening.$big && f.name in opening.$big) {
        if (!into.$big) Object.defineProperty(into, '$big', { value: {}, enumerable: false });
        into.$big[f.name] = opening.$big[f.name];
      }
      continue;
    }
    if (!leadsToCommitted(body, here)) throw new Error(`opening: ${named} holds no committed field`);
    if (f.repeated) {
      const n = v.length, m = into[f.name].length;
      if (n !== m) throw new Error(`opening: ${named} has ${n} elements and the record ${m}`);
      for (let i = 0; i < n; i++) fillIn(body, here, f.type, v[i], into[f.name][i]);
    } else {
      if (into[f.name] === undefined) throw new Error(`opening: ${named} is not in the record`);
      fillIn(body, here, f.type, v, into[f.name]);
    }
  }
}

const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// The record `record` (sealed, decoded) means: its committed fields filled in
// from the opening {salt, fields} (bytes). Throws Error with OpenRecord's words.
// `decode(bytes)` decodes a canonical Record (verify.js decodeMessage), throwing on
// a non-canonical one; `sha256(bytes)` the digest.
export async function openRecord(record, kind, salt, fields, decode, sha256) {
  if (!record.sealed) throw new Error('opening: the record is not sealed');
  if (salt.length !== SALT_BYTES) throw new Error('opening: the salt must be 32 bytes');
  const message = new Uint8Array(DOMAIN.length + salt.length + fields.length);
  message.set(DOMAIN, 0);
  message.set(salt, DOMAIN.length);
  message.set(fields, DOMAIN.length + salt.length);
  if (!equal(await sha256(message), record.sealed.commitment)) {
    throw new Error('opening: does not match the record\'s commitment');
  }
  let values;
  try {
    values = decode(fields);
  } catch (e) {
    throw new Error(`opening: ${e.message}`);
  }
  const top = Object.values(SCHEMA.Record).filter((f) => isSet(values[f.name]));
  if (top.length !== 1 || top[0].name !== kind) throw new Error(`opening: must hold only the record's ${kind} body`);
  const full = structuredClone(record);
  copyBig(record, full);
  fillIn(kind, '', top[0].type, values[kind], full[kind]);
  return full;
}

// structuredClone drops the non-enumerable $big maps: copy them over.
function copyBig(from, to) {
  if (from === null || typeof from !== 'object' || from instanceof Uint8Array) return;
  if (from.$big) Object.defineProperty(to, '$big', { value: { ...from.$big } });
  for (const [k, v] of Object.entries(from)) copyBig(v, to[k]);
}

// Checks every opening of `bundle` against its item (bundle_sealed.cc
// ApplyOpenings) and puts the opened values in the item; marks sealed items.
// `fail(rule, detail)` throws; `b64decode`, `decode`, `sha256` as verify.js's.
export async function applyOpenings(bundle, items, { fail, b64decode, decode, sha256, where }) {
  for (const item of items) {
    item.sealed = item.record.sealed !== undefined;
    item.opened = false;
  }
  const refused = (what) => fail('sealed', what);
  let last = null;
  for (const o of bundle.openings || []) {
    const index = Number(o.index);
    const at = `opening of entry ${index}`;
    if (last !== null && index <= last) refused(`${at} follows the opening of entry ${last}; openings are in increasing index order, each once`);
    last = index;
    const item = items.find((i) => i.index === index);
    if (!item) refused(`${at}: the bundle holds no entry ${index}`);
    if (!item.sealed) refused(`${at}: ${item.where} is not sealed`);
    const salt = b64decode(o.salt || ''), fields = b64decode(o.fields || '');
    if (!salt || !fields) refused(`${at} (${item.kind}): its salt or fields are not base64`);
    try {
      item.record = await openRecord(item.record, item.kind, salt, fields, decode, sha256);
    } catch (e) {
      refused(`${at} (${item.kind}): ${e.message}`);
    }
    item.body = item.record[item.kind];
    item.opened = true;
  }
}

// True if `item`'s committed fields are hidden (bundle_verify_internal.h Item::Hidden).
export const hidden = (item) => Boolean(item.sealed && !item.opened);

// Adds the check `what` of `item` to g.vouched once (bundle_sealed.cc Vouch).
export function vouch(g, item, what) {
  if (!g.vouched.some((f) => f.index === item.index && f.what === what)) {
    g.vouched.push({ index: item.index, kind: item.kind, what });
  }
}

// " (sealed at entry N)", or '' if `index` is `item`'s own.
export const sealedAt = (item, index) => (index === item.index ? '' : ` (sealed at entry ${index})`);
