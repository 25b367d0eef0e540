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
import { big, lotTrace, StatusError, stoneOriginOf } from './trade.js';
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
    x.broken(item, HEIRLOOM, 'heirloom', `is about piece ${id}, which heirloom intake ${p.repurposedIntake} (entry ${p.repurposedIndex}) closed: a repurposed piece takes no more records`);
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

const heirloomRefused = (x, item, what) => x.refused(item, HEIRLOOM, new StatusError('INVALID_ARGUMENT', what));
const heirloomBroken = (x, item, what) => x.broken(item, HEIRLOOM, 'heirloom', what);

// An heirloom intake: well formed, co-signed by its owner key, and for a
// repurposed piece its owner then; closes that piece and makes its stones the
// owner's. Returns [trace, fields] of the lot it makes (the caller adds it).
export async function receiveHeirloom(x, item) {
  const h = item.body, g = x.g;
  if (g.intakes.has(h.intake_id)) x.broken(item, RULES.once, 'heirloom', `receives intake '${h.intake_id}' again`);
  const descBytes = new TextEncoder().encode(h.description).length;
  if (!h.intake_id) heirloomRefused(x, item, 'an heirloom intake needs an intake_id');
  if (descBytes < 1 || descBytes > 512) heirloomRefused(x, item, 'an heirloom intake\'s description must be 1 to 512 bytes');
  if (h.photo_sha256.length > 16 || h.photo_sha256.some((p) => p.length !== 32)) {
    heirloomRefused(x, item, 'an heirloom intake holds at most 16 photo hashes, each 32 bytes (SHA-256)');
  }
  const gross = big(h, 'gross_weight_mg'), metal = big(h, 'metal_mg');
  if (gross <= 0n) heirloomRefused(x, item, 'gross_weight_mg must be positive');
  if (metal < 1n || metal > gross) heirloomRefused(x, item, 'metal_mg must be 1 to gross_weight_mg');
  if (h.fineness_ptt < 1 || h.fineness_ptt > 10000) heirloomRefused(x, item, 'fineness_ptt must be 1 to 10000');
  if (!h.assay_method) heirloomRefused(x, item, 'an heirloom intake names its assay method');
  if (!METALS.includes(h.material)) heirloomRefused(x, item, `material '${h.material}' is not a metal (${METALS.join(', ')})`);
  if (!h.lot_id) heirloomRefused(x, item, 'an heirloom intake names the lot it makes');
  validKey(x, item, HEIRLOOM, h.owner, 'owner');
  await checkOwnerSignature(x, item, h.owner, HEIRLOOM, 'the intake');
  const ownerId = await ownerKeyId(h.owner);
  if (h.repurposed_piece_id) {
    const p = getOwnedPiece(x, item, h.repurposed_piece_id);
    if (p.repurposedIndex !== 0) {
      heirloomBroken(x, item, `repurposes piece ${h.repurposed_piece_id}, which heirloom intake ${p.repurposedIntake} (entry ${p.repurposedIndex}) closed already`);
    }
    if (!p.keyed) heirloomBroken(x, item, `repurposes piece ${h.repurposed_piece_id}, which no sale in the bundle gave to an owner key`);
    if (!sameOwnerKey(p.owner, h.owner)) {
      heirloomBroken(x, item, `is co-signed by owner key ${ownerId}; piece ${h.repurposed_piece_id} belongs to owner key ${await ownerKeyId(p.owner)}`);
    }
    if (p.status === EV.PIECE_EVENT_LOST || p.status === EV.PIECE_EVENT_STOLEN) {
      heirloomBroken(x, item, `repurposes piece ${h.repurposed_piece_id}, reported ${eventName(p.status)}`);
    }
    const want = [...new Set(p.stones)].sort(), got = [...new Set(h.stone_lot_ids)].sort();
    if (want.length !== got.length || want.some((s, i) => s !== got[i])) {
      heirloomBroken(x, item, `names the stones ${got.join(', ') || 'none'}; piece ${h.repurposed_piece_id} holds ${want.join(', ') || 'none'}`);
    }
    p.repurposedIndex = item.index;
    p.repurposedIntake = h.intake_id;
    for (const id of h.stone_lot_ids) {
      const stone = g.lots.get(id);
      if (!stone) continue;  // a stone no piece of the bundle uses since
      Object.assign(stone, { custodian: item.record.signer, inTransitTo: '', shipmentId: '', heirloomOwner: ownerId, heirloomIntakes: [h.intake_id] });
    }
  } else if (h.stone_lot_ids.length) {
    heirloomRefused(x, item, 'stone_lot_ids are the repurposed piece\'s stones: an intake without a repurposed piece names none');
  }
  g.intakes.set(h.intake_id, { received: h, index: item.index, jeweler: item.record.signer, ownerKeyId: ownerId });
  const origin = NUMBER.OriginClass.ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
  const trace = lotTrace({ lotId: h.lot_id, material: h.material, unit: UNIT_MILLIGRAM, finenessPtt: h.fineness_ptt,
    origin, certified: false, stoneOrigin: stoneOriginOf(origin), site: '', sources: [h.lot_id] });
  return [trace, { form: 'heirloom', quantity: metal, heirloomFine: metal * BigInt(h.fineness_ptt), heirloomOwner: ownerId,
    heirloomIntakes: [h.intake_id], heirloomMixed: false, intake: h.intake_id }];
}

// What the heirloom rules know of a lot, `quantity` of it taken (HeirloomLot).
function heirloomLot(id, lot, quantity) {
  const stone = lot.trace.unit === UNIT_CARAT_THOUSANDTH;
  return { lotId: id, material: lot.trace.material, stone, fine: stone ? 0n : BigInt(quantity) * BigInt(lot.trace.finenessPtt),
    heirloomFine: lot.heirloomFine, whole: lot.taken + BigInt(quantity) === lot.quantity, owner: lot.heirloomOwner,
    intakes: lot.heirloomIntakes, mixed: lot.heirloomMixed };
}

// The owner's material through a transformation in the piece's lineage
// (FlowHeirloom): `same` and `alloying` are [{id, lot, quantity}], `made` the
// outputs [trace, fields] whose heirloom fields it sets.
export function flowHeirloom(x, item, same, alloying, made) {
  const t = item.body;
  const run = (fn) => { try { return fn(); } catch (e) { if (e instanceof StatusError) x.refused(item, HEIRLOOM, e); throw e; } };
  const flow = run(() => combineHeirloomInputs(same.map((q) => heirloomLot(q.id, q.lot, q.quantity)),
    alloying.map((q) => heirloomLot(q.id, q.lot, q.quantity))));
  const outputFine = made.map(([trace, fields]) => (trace.unit === UNIT_CARAT_THOUSANDTH ? 0n : fields.quantity * BigInt(trace.finenessPtt)));
  run(() => checkHeirloomOutputs(t, flow, big(t, 'declared_loss_fine_ptt'), outputFine));
  made.forEach(([trace, fields], i) => {
    const fine = big(t.outputs[i], 'heirloom_fine');
    const stoneOwner = trace.unit === UNIT_CARAT_THOUSANDTH && flow.stonesAllOwner;
    const carries = fine > 0n || stoneOwner;
    Object.assign(fields, { heirloomFine: fine, heirloomOwner: carries ? flow.owner : '',
      heirloomIntakes: carries ? flow.intakes : [], heirloomMixed: carries && flow.mixed });
  });
  for (const q of [...same, ...alloying]) q.lot.taken += BigInt(q.quantity);
}

// The piece's heirloom claim against what its lineage gives (CheckPieceHeirloom); sets g.heirloom.
export function checkPieceHeirloom(x, item) {
  const g = x.g, piece = g.piece;
  const metal = piece.metal_inputs.map((m) => heirloomLot(m.lot_id, g.lots.get(m.lot_id), big(m, 'quantity')));
  const stones = [...g.stones, ...g.parcelStones.map((p) => p.lotId)].map((id) => {
    const lot = g.lots.get(id);
    return { lotId: id, material: lot.trace.material, stone: true, fine: 0n, heirloomFine: 0n, whole: true,
      owner: lot.heirloomOwner, intakes: lot.heirloomIntakes, mixed: false };
  });
  try {
    g.heirloom = computeHeirloomClaim(metal, stones);
    checkHeirloomClaim(piece.heirloom, g.heirloom);
  } catch (e) {
    if (e instanceof StatusError) x.refused(item, HEIRLOOM, e);
    throw e;
  }
}

// ---------------------------------------------------------------- what the page shows (DescribeOwners)

const STATUS_WORDS = { [EV.PIECE_EVENT_LOST]: 'lost', [EV.PIECE_EVENT_STOLEN]: 'stolen' };
const ASSAY = { 1: 'XRF', 2: 'fire assay' };
const hexOf = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

// {owner, repurposed, heirloom, heirloomText, intakes} for the piece `pieceId`:
// its owner now (a key, never a name), whether an intake closed it, the owner's
// material in it with its words, and every intake of the bundle in index order.
export async function describeOwners(g, pieceId) {
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
    heirloom, heirloomText: heirloom ? heirloomClaimText(heirloom) : '', intakes };
}
