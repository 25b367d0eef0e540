// The owner's material, as the page's verifier follows it: the port of
// ledger/provenance/heirloom.h (+ .cc), rule for rule and with its words.
// tests/testdata/heirloom_vectors.json pins this port and the C++ to the same
// answers (tests/browser/heirloom_test.mjs).
//
// An intake makes a lot holding heirloom_fine = metal_mg x fineness_ptt of the
// owner's material; a lot carrying it is taken whole; a transformation shares
// its declared loss in proportion, rounded against the owner
// (H - ceil(L x H / F)); two owners' material never mix; an owner's lot is
// never an alloying input; a piece's HeirloomClaim must equal what its inputs
// give. Fine units are mg x ptt (1 g fine = 10'000'000).
//
// Numbers are BigInt (C++ int64 / __int128). A lot is {lotId, material, stone,
// fine, heirloomFine, whole, owner, intakes (sorted), mixed}; a claim is the
// HeirloomClaim as verify.js decodes it, or {owner_key_id, material,
// owner_fine, material_fine, owner_stone_lot_ids, intake_ids} with BigInt
// figures. A refusal throws StatusError {code, message}, as the C++ returns it.

import { big, StatusError } from './trade.js';

const FINE_PER_MG = 10000n;
const INT64_MAX = (1n << 63n) - 1n;
const failed = (m) => new StatusError('FAILED_PRECONDITION', m);
const invalid = (m) => new StatusError('INVALID_ARGUMENT', m);
const max0 = (v) => (v > 0n ? v : 0n);
const byBytes = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const sortedSet = (set) => [...set].sort(byBytes);

// Grams of fine metal, rounded down (towards zero) to the milligram: "5.117 g".
export function heirloomGramsText(fineUnits) {
  const v = BigInt(fineUnits);
  const negative = v < 0n;
  const mg = (negative ? -v : v) / FINE_PER_MG;
  return `${negative && mg !== 0n ? '-' : ''}${mg / 1000n}.${String(mg % 1000n).padStart(3, '0')} g`;
}

// "5.117 g (51170000 fine units)".
const figure = (v) => `${heirloomGramsText(v)} (${BigInt(v)} fine units)`;
const carries = (lot) => lot.heirloomFine > 0n || (lot.stone && lot.owner !== '');
const lotMaterialText = (lot) => (lot.stone ? `the owner's ${lot.material}` : `${heirloomGramsText(lot.heirloomFine)} of the owner's fine ${lot.material}`);
const listText = (ids) => `[${ids.join(', ')}]`;

function joinOwner(lot, acc) {
  if (!acc.owner) { acc.owner = lot.owner; acc.ownerLot = lot.lotId; return; }
  if (acc.owner === lot.owner) return;
  throw failed(`heirloom rule: lot '${acc.ownerLot}' carries the material of owner key ${acc.owner} and lot '${lot.lotId}' that of owner key ${lot.owner}: two owners' material never mix`);
}

function requireWhole(lot, by) {
  if (lot.whole || lot.heirloomFine <= 0n) return;
  throw failed(`heirloom rule: lot '${lot.lotId}' carries ${lotMaterialText(lot)}: ${by} takes it whole (its whole remaining quantity); the owner's material is never split off silently`);
}

// Combines a transformation's inputs of its material (`same`) and an alloy's
// other metals (`alloying`): {heirloom (H), fine (F), owner, intakes, mixed, stonesAllOwner}.
export function combineHeirloomInputs(same, alloying) {
  const acc = { owner: '', ownerLot: '' };
  const intakes = new Set();
  let heirloom = 0n, fine = 0n;
  for (const lot of same) {
    requireWhole(lot, 'a transformation');
    if (carries(lot)) {
      joinOwner(lot, acc);
      lot.intakes.forEach((i) => intakes.add(i));
    }
    heirloom += max0(lot.heirloomFine);
    fine += max0(lot.fine);
  }
  for (const lot of alloying) {
    if (carries(lot)) {
      throw failed(`heirloom rule: lot '${lot.lotId}' carries ${lotMaterialText(lot)}: it cannot be an alloying input of another metal (its lineage would end)`);
    }
  }
  if (heirloom > INT64_MAX || fine > INT64_MAX) throw invalid("heirloom rule: the inputs' fine weight is beyond what a lot can hold");
  const mixed = heirloom > 0n && same.some((lot) => lot.mixed || lot.heirloomFine < lot.fine);
  const stonesAllOwner = same.length > 0 && acc.owner !== '' && same.every((lot) => lot.stone && lot.owner !== '');
  return { heirloom, fine, owner: acc.owner, intakes: sortedSet(intakes), mixed, stonesAllOwner };
}

// H - ceil(loss x H / fine) (0 if H is 0; never below 0).
export function heirloomAfterLoss(heirloom, fine, loss) {
  heirloom = BigInt(heirloom); fine = BigInt(fine); loss = BigInt(loss);
  if (heirloom <= 0n || fine <= 0n) return 0n;
  if (loss <= 0n) return heirloom;
  const share = (loss * heirloom + fine - 1n) / fine;
  const left = heirloom - share;
  return left <= 0n ? 0n : left;
}

// Checks the outputs' stated heirloom_fine of transformation `t` (as verify.js
// decodes it) against `flow` and the declared loss (fine units); outputFine[i]
// is output i's fine weight.
export function checkHeirloomOutputs(t, flow, loss, outputFine) {
  const id = t.transformation_id;
  loss = BigInt(loss);
  if (outputFine.length !== t.outputs.length) {
    throw invalid(`heirloom rule: transformation '${id}' has ${t.outputs.length} outputs; ${outputFine.length} fine weights given`);
  }
  if (loss < 0n) throw invalid(`heirloom rule: the declared loss of transformation '${id}' must not be negative`);
  const stated = t.outputs.map((o) => big(o, 'heirloom_fine'));
  t.outputs.forEach((o, i) => {
    if (stated[i] < 0n || BigInt(outputFine[i]) < 0n) throw invalid(`heirloom rule: output '${o.lot_id}' states a negative heirloom_fine`);
  });
  const m = t.material;
  let sum = 0n;
  t.outputs.forEach((o, i) => {
    if (stated[i] === 0n) return;
    if (flow.heirloom <= 0n) {
      throw failed(`heirloom rule: output '${o.lot_id}' of transformation '${id}' states ${figure(stated[i])} of the owner's fine ${m}; its inputs carry none`);
    }
    if (stated[i] > BigInt(outputFine[i])) {
      throw failed(`heirloom rule: output '${o.lot_id}' of transformation '${id}' states ${figure(stated[i])} of the owner's fine ${m}; it holds ${figure(outputFine[i])} of fine ${m} in all`);
    }
    sum += stated[i];
  });
  const gives = heirloomAfterLoss(flow.heirloom, flow.fine, loss);
  if (sum !== gives) {
    throw failed(`heirloom rule: the outputs of transformation '${id}' state ${figure(sum)} of the owner's fine ${m}; its lineage gives ${figure(gives)}: ${figure(flow.heirloom)} in, less its share of the declared loss ${figure(loss)} of ${figure(flow.fine)} (rounded against the owner)`);
  }
}

// What a piece's metal lots and stones give: the claim it must state, with
// BigInt figures (owner_key_id '' if they carry no owner's material).
export function computeHeirloomClaim(metal, stones) {
  const acc = { owner: '', ownerLot: '' };
  let material = '', materialLot = '', ownerFine = 0n;
  const intakes = new Set(), ownerStones = new Set();
  for (const lot of metal) {
    requireWhole(lot, 'a piece');
    if (!carries(lot)) continue;
    joinOwner(lot, acc);
    if (!material) { material = lot.material; materialLot = lot.lotId; } else if (material !== lot.material) {
      throw failed(`heirloom rule: lot '${materialLot}' carries the owner's ${material} and lot '${lot.lotId}' the owner's ${lot.material}: a piece's claim is about the owner's material of one metal`);
    }
    ownerFine += lot.heirloomFine;
    lot.intakes.forEach((i) => intakes.add(i));
  }
  for (const lot of stones) {
    if (!carries(lot)) continue;
    joinOwner(lot, acc);
    ownerStones.add(lot.lotId);
    lot.intakes.forEach((i) => intakes.add(i));
  }
  const claim = { owner_key_id: '', material: '', owner_fine: 0n, material_fine: 0n, owner_stone_lot_ids: [], intake_ids: [] };
  if (!acc.owner) return claim;
  let materialFine = 0n;
  if (material) for (const lot of metal) if (lot.material === material) materialFine += max0(lot.fine);
  if (ownerFine > INT64_MAX || materialFine > INT64_MAX) throw invalid("heirloom rule: the piece's fine weight is beyond what a lot can hold");
  return { owner_key_id: acc.owner, material, owner_fine: ownerFine, material_fine: materialFine,
    owner_stone_lot_ids: sortedSet(ownerStones), intake_ids: sortedSet(intakes) };
}

const fig = (claim, field) => (typeof claim[field] === 'bigint' ? claim[field] : big(claim, field));
const sameList = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

// Checks a piece's claim (`asserted`: PieceRegistered.heirloom, undefined = no
// claim) against what its lineage gives (`computed`).
export function checkHeirloomClaim(asserted, computed) {
  if (!asserted) return;
  const a = asserted, c = computed;
  const refuse = (claims, gives) => failed(`heirloom rule: the piece claims ${claims} but its lineage gives ${gives}`);
  if (!c.owner_key_id) throw refuse(`the material of owner key ${a.owner_key_id}`, 'none: no input carries an owner\'s material');
  if (a.owner_key_id !== c.owner_key_id) throw refuse(`the material of owner key ${a.owner_key_id}`, `owner key ${c.owner_key_id}`);
  const metal = (m) => m || 'no metal';
  if (a.material !== c.material) throw refuse(`the owner's ${metal(a.material)}`, metal(c.material));
  if (fig(a, 'owner_fine') !== fig(c, 'owner_fine') || fig(a, 'material_fine') !== fig(c, 'material_fine')) {
    throw refuse(`${figure(fig(a, 'owner_fine'))} of the owner's ${metal(a.material)} of its ${figure(fig(a, 'material_fine'))} fine ${metal(a.material)}`,
      `${figure(fig(c, 'owner_fine'))} of ${figure(fig(c, 'material_fine'))}`);
  }
  if (!sameList(a.owner_stone_lot_ids, c.owner_stone_lot_ids)) {
    throw refuse(`the owner's stones ${listText(a.owner_stone_lot_ids)}`, listText(c.owner_stone_lot_ids));
  }
  if (!sameList(a.intake_ids, c.intake_ids)) throw refuse(`the intakes ${listText(a.intake_ids)}`, listText(c.intake_ids));
}

// "made from the owner's gold: 5.117 g of its 7.316 g fine gold; the owner's stones: LAB-7".
export function heirloomClaimText(claim) {
  const parts = [];
  if (fig(claim, 'owner_fine') > 0n) {
    parts.push(`made from the owner's ${claim.material}: ${heirloomGramsText(fig(claim, 'owner_fine'))} of its ${heirloomGramsText(fig(claim, 'material_fine'))} fine ${claim.material}`);
  }
  if (claim.owner_stone_lot_ids.length) parts.push(`the owner's stones: ${claim.owner_stone_lot_ids.join(', ')}`);
  return parts.join('; ');
}
