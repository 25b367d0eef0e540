// Owners and the owner's material as the page's verifier replays them
// (verify.js replay()), step for step as the C++ verifier does
// (ledger/bundle/bundle_owners.cc, bundle_heirloom.cc): the form of owner-only
// records, the owner signatures (owner_sig.js, the port of
// ledger/provenance/owner_signature.h), who may sign each ownership record,
// the prev_index chain, no transfer while lost or stolen, heirloom intakes
// co-signed by their owner (and, for a repurposed piece, by its owner then),
// the owner's fine weight through every transformation and the piece's
// heirloom claim (heirloom.js, the port of ledger/provenance/heirloom.h).
// Failures name the rules "owner" and "heirloom" (bundle_rules.h), or
// completeness, once and roles as the C++ does.
//
// Functions take `x`, the replay's context (verify_trade.js): {g, broken(item,
// rule, label, what), refused(item, rule, statusError), getLot, hold, rely,
// fail(rule, detail)}; g.owned (pieces by id) and g.intakes (by intake id) are
// kept here.

import { ENUMS, RULES } from './verify_tables.js';
import { big, declaredLossPtt, lotTrace, StatusError } from './trade.js';
import {
  ownerKeyId, ownerKeyKind, ownerSignedPart, ownerSigningMessage, sameOwnerKey, validateOwnerKey, verifyOwnerSignature,
} from './owner_sig.js';
import { checkHeirloomClaim, checkHeirloomOutputs, combineHeirloomInputs, computeHeirloomClaim, heirloomClaimText } from './heirloom.js';

const NUMBER = Object.fromEntries(Object.entries(ENUMS).map(([e, values]) =>
  [e, Object.fromEntries(Object.entries(values).map(([n, name]) => [name, Number(n)]))]));
const EV = NUMBER.PieceEvent;
const OWNER = RULES.owner ?? 'owner';
const HEIRLOOM = RULES.heirloom ?? 'heirloom';
const UNIT_MILLIGRAM = NUMBER.Unit.UNIT_MILLIGRAM;
const UNIT_CARAT_THOUSANDTH = NUMBER.Unit.UNIT_CARAT_THOUSANDTH;
const METALS = ['gold', 'silver', 'platinum', 'palladium'];

export const OWNER_BODIES = ['ownership_accepted', 'ownership_transferred', 'owner_report', 'owner_key_replaced'];
const PIECE_BODIES = ['piece_registered', 'piece_lifecycle', 'stone_replaced', ...OWNER_BODIES];

// A record an owner key signs alone: no signer and no key id.
export const ownerOnly = (r) => r.signer === '' && r.key_id === '';
// The piece a piece or ownership record is about; undefined for any other record.
export function pieceOf({ kind, body }) { return PIECE_BODIES.includes(kind) ? body.piece_id : undefined; }
// A participant's record may carry an owner signature only as an heirloom intake or a repair.
export const mayCarryOwnerSignature = (r) => r.heirloom_received !== undefined ||
  (r.piece_lifecycle !== undefined && r.piece_lifecycle.event === EV.PIECE_EVENT_REPAIRED);
// "sold", "lost", "stolen" (EnumText of PieceEvent).
const eventName = (e) => (ENUMS.PieceEvent[String(e)] ?? '').slice(12).toLowerCase().replace(/_/g, ' ');
const prevIndex = ({ body }) => big(body, 'prev_index');

// The entry's owner-only form (bundle_verify.cc CheckOwnerForm); `fail` is verify.js's.
export function checkOwnerForm(item, fail) {
  const r = item.record;
  if (!ownerOnly(r)) {
    if (r.owner_signature && !mayCarryOwnerSignature(r)) {
      fail(OWNER, `${item.where}: owner_signature: a ${item.kind} record carries no owner signature`);
    }
    return;
  }
  if (!OWNER_BODIES.includes(item.kind)) {
    fail(RULES.signature ?? 'signature', `${item.where} names no signer; only an ownership record is signed by an owner key alone`);
  }
  if (item.signature.length) fail(OWNER, `${item.where} is signed by an owner key alone, yet its entry carries a participant signature`);
  if (!r.owner_signature) fail(OWNER, `${item.where} names no signer and carries no owner signature`);
}

const ownerBroken = (x, item, what) => x.fail(OWNER, `owner rule: ${item.where} ${what}`);

// The owner signature of `item` by `key` over the entry's record bytes (CheckOwnerSignature).
async function checkOwnerSignature(x, item, key, rule, what) {
  const label = rule === OWNER ? 'owner' : rule;
  if (!item.record.owner_signature) {
    x.fail(rule, `${label} rule: ${item.where}: ${what} must be signed by the owner key ${await ownerKeyId(key)}; it carries no owner signature`);
  }
  let part;
  try { part = ownerSignedPart(item.recordBytes); } catch (e) {
    if (e instanceof StatusError) x.refused(item, rule, e);
    throw e;
  }
  try {
    await verifyOwnerSignature(key, item.record.owner_signature, ownerSigningMessage(item.origin, part));
  } catch (e) {
    if (e instanceof StatusError) x.fail(rule, `${label} rule: ${item.where}: ${what}: ${e.message}`);
    throw e;
  }
}

function validKey(x, item, rule, key, what) {
  try { validateOwnerKey(key, what); } catch (e) {
    if (e instanceof StatusError) x.refused(item, rule, e);
    throw e;
  }
}

// A key other than the piece's owner now.
async function newKey(x, item, p, key, what) {
  validKey(x, item, OWNER, key, what);
  if (sameOwnerKey(key, p.owner)) ownerBroken(x, item, `names the piece's owner key ${await ownerKeyId(key)} as its ${what}; it must be another key`);
}

async function byOwner(x, item, p, what) {
  if (!ownerOnly(item.record)) {
    ownerBroken(x, item, `is signed by '${item.record.signer}'; ${what} is signed by the owner key ${await ownerKeyId(p.owner)} alone`);
  }
  await checkOwnerSignature(x, item, p.owner, OWNER, what);
}

function termsParticipant(x, item, participants, id, what) {
  if (!id) return;
  const who = participants.get(id);
  if (!who || who.registeredIndex > item.index) {
    ownerBroken(x, item, `names '${id}' as the owner's ${what}, who is not a participant registered before it`);
  }
}

function getOwnedPiece(x, item, id) {
  const p = x.g.owned.get(id);
  if (!p || !p.registered) x.broken(item, RULES.completeness, 'reference', `names piece '${id}', registered by no earlier record`);
  return p;
}

const rolesFail = (x, item, jeweler) => x.fail(RULES.roles, `${item.where}: only '${jeweler}', who registered the piece, records it`);

async function lifecycle(x, item, p) {
  const r = item.record, l = item.body;
  if (r.signer !== p.jeweler) rolesFail(x, item, p.jeweler);
  if (p.keyed && l.event !== EV.PIECE_EVENT_REPAIRED) {
    ownerBroken(x, item, `records piece ${l.piece_id} ${eventName(l.event)}; piece ${l.piece_id} belongs to owner key ${await ownerKeyId(p.owner)}: only its owner records sales, transfers and reports (the jeweler records repairs)`);
  }
  if (l.buyer) {
    if (l.event !== EV.PIECE_EVENT_SOLD) ownerBroken(x, item, `names a buyer's key on a ${eventName(l.event)} event; only a sale names one`);
    validKey(x, item, OWNER, l.buyer, 'buyer');
    Object.assign(p, { keyed: true, owner: l.buyer, accepted: false, terms: {}, status: 0, ownerIndex: item.index, keyedIndex: item.index });
  }
  if (r.owner_signature) {  // a repair (checkOwnerForm)
    if (!p.keyed) ownerBroken(x, item, `carries an owner signature, but piece ${l.piece_id} names no owner key`);
    await checkOwnerSignature(x, item, p.owner, OWNER, 'the repair');
  }
}

async function ownerRecord(x, item, participants, p) {
  const r = item.record, piece = item.body.piece_id;
  if (!p.keyed) ownerBroken(x, item, `is about piece ${piece}, which no sale in the bundle gave to an owner key`);
  const prev = prevIndex(item);
  if (prev !== BigInt(p.ownerIndex)) {
    const gap = prev > BigInt(p.ownerIndex) && prev < BigInt(item.index)
      ? ` in the bundle: the ownership record at entry ${prev} is missing (a bundle carries the whole chain)` : '';
    ownerBroken(x, item, `says prev_index ${prev}; that is not the piece's newest ownership record ${p.ownerIndex}${gap}`);
  }
  const b = item.body;
  if (item.kind === 'ownership_accepted') {
    await byOwner(x, item, p, 'taking ownership');
    if (p.accepted) ownerBroken(x, item, `takes ownership again: owner key ${await ownerKeyId(p.owner)} already did`);
    const t = b.terms ?? {};
    if (t.recovery_key) await newKey(x, item, p, t.recovery_key, 'recovery key');
    termsParticipant(x, item, participants, t.recovery_agent, 'recovery agent');
    termsParticipant(x, item, participants, t.insurer, 'insurer');
    p.terms = t;
    p.accepted = true;
  } else if (item.kind === 'ownership_transferred') {
    await byOwner(x, item, p, 'a transfer');
    if (p.status === EV.PIECE_EVENT_LOST || p.status === EV.PIECE_EVENT_STOLEN) {
      ownerBroken(x, item, `transfers piece ${piece}; piece ${piece} is reported ${eventName(p.status)}: it cannot be transferred`);
    }
    await newKey(x, item, p, b.new_owner, 'new owner');
    Object.assign(p, { owner: b.new_owner, accepted: false, terms: {} });
  } else if (item.kind === 'owner_report') {
    const e = b.event;
    if (![EV.PIECE_EVENT_LOST, EV.PIECE_EVENT_STOLEN, EV.PIECE_EVENT_RECOVERED].includes(e)) {
      ownerBroken(x, item, `reports ${eventName(e)}; an owner reports lost, stolen or recovered`);
    }
    if (ownerOnly(r)) {
      await byOwner(x, item, p, 'a report');
    } else if (!p.accepted || !p.terms.insurer || r.signer !== p.terms.insurer) {
      ownerBroken(x, item, `is signed by '${r.signer}'; only the owner key ${await ownerKeyId(p.owner)} or the insurer its terms name reports the piece`);
    }
    const reported = p.status === EV.PIECE_EVENT_LOST || p.status === EV.PIECE_EVENT_STOLEN;
    if ((e === EV.PIECE_EVENT_RECOVERED) !== reported) {
      ownerBroken(x, item, `reports piece ${piece} ${eventName(e)} while it is ${reported ? `reported ${eventName(p.status)}` : 'not reported lost or stolen'}`);
    }
    p.status = e === EV.PIECE_EVENT_RECOVERED ? 0 : e;
  } else if (item.kind === 'owner_key_replaced') {
    if (!p.accepted) ownerBroken(x, item, `replaces owner key ${await ownerKeyId(p.owner)}, which set no terms (it never took ownership)`);
    if (ownerOnly(r)) {
      if (!p.terms.recovery_key) ownerBroken(x, item, "is signed by an owner key, but the owner's terms name no recovery key");
      await checkOwnerSignature(x, item, p.terms.recovery_key, OWNER, 'a key replacement');
    } else if (!p.terms.recovery_agent || r.signer !== p.terms.recovery_agent) {
      ownerBroken(x, item, `is signed by '${r.signer}'; only the recovery key or recovery agent the owner's terms name replaces the owner key`);
    }
    await newKey(x, item, p, b.new_key, 'new key');
    Object.assign(p, { owner: b.new_key, accepted: true });
  }
  p.ownerIndex = item.index;
  p.history.push(item.index);
}

// A registration, lifecycle, stone replacement or ownership record of a piece
// whose story the bundle tells (PieceStory).
export async function pieceStory(x, item, participants) {
  const id = item.body.piece_id;
  if (item.kind === 'piece_registered') {
    if (x.g.owned.get(id)?.registered) x.broken(item, RULES.once, 'piece', 'registers it again');
    const reg = item.body;
    x.g.owned.set(id, { registered: reg, registeredIndex: item.index, jeweler: item.record.signer,
      stones: [...reg.stone_lot_ids, ...reg.parcel_stones.map((s) => s.lot_id)], keyed: false, owner: undefined,
      accepted: false, terms: {}, ownerIndex: 0, status: 0, repurposedIndex: 0, repurposedIntake: '', history: [] });
    return;
  }
  const p = getOwnedPiece(x, item, id);
  if (p.repurposedIndex !== 0) {
    x.broken(item, OWNER, 'owner', `is about piece ${id}, which heirloom intake ${p.repurposedIntake} (entry ${p.repurposedIndex}) closed: a repurposed piece takes no more records`);
  }
  if (item.kind === 'piece_lifecycle') {
    await lifecycle(x, item, p);
    if (item.body.buyer) p.history.push(item.index);
    else if (item.record.owner_signature) p.history.push(item.index);
  } else if (item.kind === 'stone_replaced') {
    if (item.record.signer !== p.jeweler) rolesFail(x, item, p.jeweler);
    p.stones = p.stones.map((s) => (s === item.body.old_stone_lot_id ? item.body.new_stone_lot_id : s));
  } else {
    await ownerRecord(x, item, participants, p);
  }
}

// ---------------------------------------------------------------- heirlooms (bundle_heirloom.cc)

// "heirloom rule: entry N (kind) <what>", INVALID_ARGUMENT's words, tagged heirloom.
const heirloomInvalid = (x, item, what) => x.fail(HEIRLOOM, `heirloom rule: ${item.where} ${what}`);
const heirloomBroken = (x, item, what) => x.broken(item, HEIRLOOM, 'heirloom', what);
const listed = (ids) => `[${ids.join(', ')}]`;
const byteLength = (s) => new TextEncoder().encode(s).length;

function checkIntakeFields(x, item) {
  const h = item.body;
  if (!h.intake_id) heirloomInvalid(x, item, 'names no intake_id');
  const d = byteLength(h.description);
  if (d === 0 || d > 512) heirloomInvalid(x, item, `describes the object in ${d} bytes; 1 to 512`);
  if (h.photo_sha256.length > 16) heirloomInvalid(x, item, `lists ${h.photo_sha256.length} photos; at most 16`);
  if (h.photo_sha256.some((p) => p.length !== 32)) heirloomInvalid(x, item, 'lists a photo hash that is not 32 bytes');
  const gross = big(h, 'gross_weight_mg'), metal = big(h, 'metal_mg');
  if (gross <= 0n || metal <= 0n || metal > gross) heirloomInvalid(x, item, `weighs ${gross} mg gross and ${metal} mg of metal; 0 < metal <= gross`);
  if (h.fineness_ptt < 1 || h.fineness_ptt > 10000) heirloomInvalid(x, item, `states fineness ${h.fineness_ptt}; 1 to 10000 parts per ten thousand`);
  if (!h.assay_method) heirloomInvalid(x, item, 'names no assay method');
  if (!METALS.includes(h.material)) heirloomInvalid(x, item, `receives '${h.material}'; gold, silver, platinum or palladium`);
  if (!h.lot_id) heirloomInvalid(x, item, 'names no lot_id');
  validKey(x, item, HEIRLOOM, h.owner, 'owner');
}

// A repurposed piece: its owner then is the intake's owner key, not reported
// lost or stolen, not repurposed before, and the intake takes all its stones.
async function repurpose(x, item) {
  const h = item.body, g = x.g, id = h.repurposed_piece_id;
  const p = getOwnedPiece(x, item, id);
  if (p.repurposedIndex !== 0) {
    heirloomBroken(x, item, `repurposes piece ${id}, which intake ${p.repurposedIntake} (entry ${p.repurposedIndex}) already closed`);
  }
  const ownerId = await ownerKeyId(h.owner);
  if (!p.keyed || !sameOwnerKey(p.owner, h.owner)) {
    heirloomBroken(x, item, `repurposes piece ${id} for owner key ${ownerId}${p.keyed
      ? `, but its owner then is key ${await ownerKeyId(p.owner)}` : ', but no sale in the bundle gave it to an owner key'}`);
  }
  if (p.status === EV.PIECE_EVENT_LOST || p.status === EV.PIECE_EVENT_STOLEN) {
    heirloomBroken(x, item, `repurposes piece ${id}, reported ${eventName(p.status)}`);
  }
  const have = [...p.stones].sort(), named = [...h.stone_lot_ids].sort();
  if (have.length !== named.length || have.some((s, i) => s !== named[i])) {
    heirloomBroken(x, item, `takes stones ${listed(named)} of piece ${id}, which holds ${listed(have)}`);
  }
  p.repurposedIndex = item.index;
  p.repurposedIntake = h.intake_id;
  for (const s of named) {
    const lot = g.lots.get(s);
    if (!lot) continue;  // a stone this bundle's piece does not hold
    Object.assign(lot, { custodian: item.record.signer, heirloomOwner: ownerId, heirloomIntakes: [h.intake_id], heirloomFine: 0n });
  }
}

// An heirloom intake (ReceiveHeirloom): well formed, co-signed by its owner
// key, and for a repurposed piece its owner then; closes that piece and makes
// its stones the owner's. Returns [trace, fields] of the lot it makes (the
// caller adds it).
export async function receiveHeirloom(x, item) {
  const h = item.body, g = x.g;
  checkIntakeFields(x, item);
  if (g.intakes.has(h.intake_id)) x.broken(item, RULES.once, 'heirloom', `receives intake '${h.intake_id}' again`);
  await checkOwnerSignature(x, item, h.owner, HEIRLOOM, `heirloom intake ${h.intake_id}`);
  if (h.repurposed_piece_id) await repurpose(x, item);
  else if (h.stone_lot_ids.length) heirloomInvalid(x, item, 'takes stones without repurposing a piece of the ledger');
  const ownerId = await ownerKeyId(h.owner);
  g.intakes.set(h.intake_id, { received: h, index: item.index, jeweler: item.record.signer, ownerKeyId: ownerId });
  const origin = NUMBER.OriginClass.ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
  const trace = lotTrace({ lotId: h.lot_id, material: h.material, unit: UNIT_MILLIGRAM, finenessPtt: h.fineness_ptt,
    origin, sources: [h.lot_id] });
  const metal = big(h, 'metal_mg');
  return [trace, { form: 'heirloom', quantity: metal, heirloomFine: metal * BigInt(h.fineness_ptt), heirloomOwner: ownerId,
    heirloomIntakes: [h.intake_id], heirloomMixed: false, intake: h.intake_id }];
}

// What the heirloom rules know of a lot when `quantity` of it is taken (HeirloomLot).
function heirloomLot(id, lot, quantity) {
  const stone = lot.trace.unit === UNIT_CARAT_THOUSANDTH;
  return { lotId: id, material: lot.trace.material, stone, fine: stone ? 0n : BigInt(quantity) * BigInt(lot.trace.finenessPtt),
    heirloomFine: lot.heirloomFine, whole: BigInt(quantity) === lot.quantity - lot.taken, owner: lot.heirloomOwner,
    intakes: lot.heirloomIntakes, mixed: lot.heirloomMixed };
}
const carries = (lot) => lot.heirloomFine !== 0n || lot.heirloomOwner !== '';

// Runs fn; a StatusError it throws fails the rule "heirloom" naming the entry.
function heirloomRule(x, item, fn) {
  try { return fn(); } catch (e) {
    if (e instanceof StatusError) x.refused(item, HEIRLOOM, e);
    throw e;
  }
}

// The owner's material through a transformation in the piece's lineage
// (FlowHeirloom): `same` and `alloying` are [{id, lot, quantity}], `made` the
// outputs [trace, fields] whose heirloom fields it sets; then what each input
// lot has given is counted (a lot carrying the owner's material is taken whole).
export function flowHeirloom(x, item, same, alloying, made) {
  const t = item.body;
  const any = [...same, ...alloying].some((q) => carries(q.lot)) || t.outputs.some((o) => big(o, 'heirloom_fine') !== 0n);
  if (any) {
    const flow = heirloomRule(x, item, () => combineHeirloomInputs(same.map((q) => heirloomLot(q.id, q.lot, q.quantity)),
      alloying.map((q) => heirloomLot(q.id, q.lot, q.quantity))));
    const loss = heirloomRule(x, item, () => declaredLossPtt(t));
    const outputFine = made.map(([trace, fields]) => (trace.unit === UNIT_CARAT_THOUSANDTH ? 0n : fields.quantity * BigInt(trace.finenessPtt)));
    heirloomRule(x, item, () => checkHeirloomOutputs(t, flow, loss, outputFine));
    const owned = flow.heirloom > 0n || flow.stonesAllOwner;
    made.forEach(([, fields], i) => {
      fields.heirloomFine = big(t.outputs[i], 'heirloom_fine');
      if (owned) Object.assign(fields, { heirloomOwner: flow.owner, heirloomIntakes: flow.intakes, heirloomMixed: flow.mixed });
    });
  }
  for (const q of [...same, ...alloying]) q.lot.taken += BigInt(q.quantity);
}

// The piece's heirloom claim against what its lineage gives (CheckPieceHeirloom);
// sets g.heirloom to the claim it states.
export function checkPieceHeirloom(x, item) {
  const g = x.g, piece = g.piece;
  let any = piece.heirloom !== undefined;
  const metal = piece.metal_inputs.map((m) => {
    const lot = g.lots.get(m.lot_id);
    any = any || carries(lot);
    return heirloomLot(m.lot_id, lot, big(m, 'quantity'));
  });
  const stones = [...g.stones, ...g.parcelStones.map((p) => p.lotId)].map((id) => {
    const lot = g.lots.get(id);
    any = any || carries(lot);
    return { ...heirloomLot(id, lot, lot.quantity - lot.taken), stone: true, whole: true };
  });
  if (!any) return;
  // The owner's fine weight follows weights that are hidden (bundle_heirloom.cc).
  const ids = [...g.stones, ...g.parcelStones.map((p) => p.lotId)];
  if (Boolean(g.weightsFrom) || ids.some((id) => Boolean(g.lots.get(id).sharesFrom)) ||
      piece.metal_inputs.some((m) => { const lot = g.lots.get(m.lot_id); return Boolean(lot.sealedAt) || Boolean(lot.sharesFrom); })) {
    x.sealed.vouch(g, item, "the piece's heirloom claim");
    if (piece.heirloom) g.heirloom = piece.heirloom;
    return;
  }
  heirloomRule(x, item, () => checkHeirloomClaim(piece.heirloom, computeHeirloomClaim(metal, stones)));
  if (piece.heirloom) g.heirloom = piece.heirloom;
}

// ---------------------------------------------------------------- what the page shows (DescribeOwners)

const STATUS_WORDS = { [EV.PIECE_EVENT_LOST]: 'lost', [EV.PIECE_EVENT_STOLEN]: 'stolen' };
const ASSAY = { 1: 'XRF', 2: 'fire assay' };
const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// {owner, repurposed, heirloom, heirloomText, intakes, keyIds} for the piece `pieceId`:
// its owner now (a key, never a name), whether an intake closed it, the owner's
// material in it with its words, every intake of the bundle in index order, and
// keyIds: entry index -> the id of the owner key that record names (a sale's
// buyer, a transfer's new owner, a replacement's new key, an intake's owner).
export async function describeOwners(g, pieceId, items = []) {
  const keyIds = new Map();
  for (const { index, kind, body } of items) {
    const key = kind === 'piece_lifecycle' ? body.buyer : kind === 'ownership_transferred' ? body.new_owner
      : kind === 'owner_key_replaced' ? body.new_key : kind === 'heirloom_received' ? body.owner : undefined;
    if (key) keyIds.set(index, await ownerKeyId(key));
  }
  const p = g.owned.get(pieceId);
  let owner = null;
  if (p?.keyed) {
    const t = p.terms ?? {};
    owner = { keyId: await ownerKeyId(p.owner), kind: ownerKeyKind(p.owner), accepted: p.accepted,
      status: STATUS_WORDS[p.status] ?? 'none', sinceIndex: p.ownerIndex,
      terms: { recoveryKeyId: t.recovery_key ? await ownerKeyId(t.recovery_key) : '', recoveryAgent: t.recovery_agent ?? '', insurer: t.insurer ?? '' },
      rpId: p.owner.webauthn?.rp_id ?? '', history: [...p.history] };
  }
  const intakes = [];
  for (const [id, i] of [...g.intakes].sort((a, b) => a[1].index - b[1].index)) {
    const h = i.received;
    intakes.push({ intakeId: id, index: i.index, jeweler: i.jeweler, description: h.description,
      photoSha256: h.photo_sha256.map(hexOf), grossWeightMg: big(h, 'gross_weight_mg'), metalMg: big(h, 'metal_mg'),
      material: h.material, finenessPtt: h.fineness_ptt, assayMethod: ASSAY[h.assay_method] ?? '', ownerKeyId: i.ownerKeyId,
      lotId: h.lot_id, repurposedPieceId: h.repurposed_piece_id, stoneLotIds: [...h.stone_lot_ids],
      repurposedPieceDescription: h.repurposed_piece_id ? g.owned.get(h.repurposed_piece_id)?.registered?.description ?? '' : '' });
  }
  const heirloom = g.heirloom && g.heirloom.owner_key_id ? g.heirloom : null;
  return { owner, repurposed: p?.repurposedIndex ? { index: p.repurposedIndex, intake: p.repurposedIntake } : null,
    heirloom, heirloomText: heirloom ? heirloomClaimText(heirloom) : '', intakes, keyIds };
}
