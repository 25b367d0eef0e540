// The trade rules as the page's verifier replays them (verify.js replay()),
// step for step as the C++ verifier does (ledger/bundle/bundle_trade.cc,
// bundle_piece.cc): registered schemes and the certificates they sign, what a
// lot needs to enter, the System of Warranties on shipments, mass-balance
// accounts replayed from their records, parcel draws replayed from the
// parcel's creation, and the piece's whole parcels, material claims, hallmark
// and lab-grown disclosure. Each step uses the shared definitions of trade.js
// (the port of ledger/provenance/), and each failure names the C++ rule
// (RULES, generated from ledger/bundle/bundle_rules.h).
//
// Every function takes `x`, the replay's context: {g (the graph), broken(item,
// rule, label, what), refused(item, rule, statusError), getLot(item, id),
// hold(item, id, lot), rely(item, ids), fail(rule, detail)}.

import { ENUMS, RULES, TRADE } from './verify_tables.js';
import { hidden, sealedAt, vouch } from './verify_sealed.js';
import {
  allocatedShareBp, applyCredit, backsMassBalance, backsRecycled, big, checkGemstoneDisclosure, checkMaterialClaims,
  checkNewParcel, checkPeriod, checkSchemeMayIssue, computePieceClaims, dateOfMicros, drawFromParcel, finenessText,
  FULL_FINENESS_PTT, hallmarkFinenessPtt, hasLabGrownQualifier, isRecycledOrigin, materialClaimText, needsWarranty, StatusError,
  stoneOriginOf, SYSTEM_OF_WARRANTIES, validSchemeName,
} from './trade.js';

const NAME = (e, n) => ENUMS[e][String(n)] ?? '';
const NUMBER = Object.fromEntries(Object.entries(ENUMS).map(([e, values]) =>
  [e, Object.fromEntries(Object.entries(values).map(([n, name]) => [name, Number(n)]))]));
const UNIT_CARAT_THOUSANDTH = NUMBER.Unit.UNIT_CARAT_THOUSANDTH;
const MAX_ACCOUNT_ID_BYTES = 128;
const invalid = (message) => new StatusError('INVALID_ARGUMENT', message);

// True if the trade rules hold under the policy in force (ledger/provenance/log_policy.h TradeRules).
export const tradeRules = (policy) => (policy?.rules_version ?? 0) >= TRADE.trade_rules_version;

// Runs `fn`; a StatusError it throws fails `rule` as C++'s Refused does.
function refusing(x, item, rule, fn) {
  try { return fn(); } catch (e) {
    if (e instanceof StatusError) x.refused(item, rule, e);
    throw e;
  }
}

// The fine weight of a lot as made: quantity x fineness_ptt (BigInt).
const lotFine = (lot) => lot.quantity * BigInt(lot.trace.finenessPtt);

// SchemeRegistered: a valid name and kind, a certifier as issuer, once.
export function registerScheme(x, item, participants) {
  const s = item.body;
  refusing(x, item, RULES.scheme, () => validSchemeName(s.scheme));
  if (s.kind === 0 || ENUMS.SchemeKind[String(s.kind)] === undefined) {
    x.refused(item, RULES.scheme, invalid(`scheme '${s.scheme}' is registered without a kind`));
  }
  const issuer = participants.get(s.issuer);
  if (!issuer || issuer.registeredIndex > item.index) {
    x.broken(item, RULES.completeness, 'scheme', `names '${s.issuer}' as the issuer of scheme '${s.scheme}', registered by no earlier record of the bundle`);
  }
  if (!issuer.roles.has(NUMBER.Role.ROLE_CERTIFIER)) {
    x.broken(item, RULES.scheme, 'scheme', `names '${s.issuer}' as the issuer of scheme '${s.scheme}'; it does not hold the certifier role`);
  }
  if (x.g.schemes.has(s.scheme)) x.broken(item, RULES.once, 'scheme', `registers scheme '${s.scheme}' again`);
  x.g.schemes.set(s.scheme, { issuer: s.issuer, kind: s.kind, displayName: s.display_name, index: item.index });
}

// A CertificateIssued under the trade rules.
export function checkCertificate(x, item) {
  const c = item.body;
  const scheme = x.g.schemes.get(c.scheme);
  if (!scheme) {
    x.broken(item, RULES.completeness, 'scheme', `issues certificate '${c.certificate_id}' under scheme '${c.scheme}', which no earlier record of the bundle registers`);
  }
  if (scheme.issuer !== item.record.signer) {
    x.fail(RULES.scheme, `scheme rule: ${item.where} certificate under scheme '${c.scheme}' is signed by '${item.record.signer}'; the log pins '${scheme.issuer}' as its issuer (entry ${scheme.index})`);
  }
  refusing(x, item, RULES.scheme, () => checkSchemeMayIssue(scheme.kind, c));
  if (c.document_sha256.length && (c.document_hash_algorithm !== 'sha-256' || !c.document_media_type)) {
    x.refused(item, RULES.certificates, invalid('a certificate\'s document names its hash algorithm (document_hash_algorithm "sha-256") and its media type (document_media_type)'));
  }
  if (!c.parcel_report) return;
  const r = c.parcel_report;
  const lot = x.getLot(item, c.subject_lot ?? '');
  if (lot.trace.stones === 0n && !lot.sealedAt) x.broken(item, RULES.parcel, 'parcel', `reports on lot '${c.subject_lot}' as a parcel; it is not one`);
  if (r.origin !== stoneOriginOf(lot.trace.origin)) {
    x.broken(item, RULES.origin, 'origin', `calls parcel '${c.subject_lot}' ${NAME('StoneOrigin', r.origin)}; its records make it ${NAME('OriginClass', lot.trace.origin)}`);
  }
  if (lot.sealedAt) {
    vouch(x.g, item, `parcel report '${c.certificate_id}' gives parcel '${c.subject_lot}' its count and weight${sealedAt(item, lot.sealedAt)}`);
    return;
  }
  if (big(r, 'stone_count') !== lot.trace.stones || big(r, 'carats_thousandths') !== lot.quantity) {
    x.broken(item, RULES.parcel, 'parcel', `reports ${big(r, 'stone_count')} stones weighing ${big(r, 'carats_thousandths')} in parcel '${c.subject_lot}'; it was made of ${lot.trace.stones} weighing ${lot.quantity}`);
  }
}

// A LotCreated under the trade rules (after rely on its certificates).
export function checkLotEntry(x, item) {
  const c = item.body, g = x.g;
  if (isRecycledOrigin(c.origin_class)) {
    const backed = c.certificate_ids.some((id) => {
      const s = g.schemes.get(g.certificates.get(id).scheme);
      return s !== undefined && backsRecycled(s.kind);
    });
    if (!backed) {
      x.broken(item, RULES.certificates, 'certificate', `creates recycled lot '${c.lot_id}' citing no certificate of a registered chain-of-custody or recycled-content scheme`);
    }
  }
  if (needsWarranty(c.material, c.origin_class)) {
    let covered = 0n, kp = false;
    for (const id of c.certificate_ids) {
      const cert = g.issued.get(id);
      if (!cert.kimberley_process) continue;
      kp = true;
      covered += big(cert.kimberley_process, 'carats_thousandths');
    }
    if (!kp) x.broken(item, RULES.warranty, 'warranty', `creates natural diamond lot '${c.lot_id}' citing no Kimberley Process certificate`);
    if (hidden(item)) {
      vouch(g, item, `the Kimberley Process certificates of lot '${c.lot_id}' cover its weight`);
    } else if (covered < big(c, 'quantity')) {
      x.broken(item, RULES.warranty, 'warranty', `creates natural diamond lot '${c.lot_id}' of ${big(c, 'quantity')} thousandths of a carat; its Kimberley Process certificates cover ${covered}`);
    }
  }
  refusing(x, item, RULES.disclosure, () => checkGemstoneDisclosure(c));
  if (!c.parcel) return;
  if (c.unit !== UNIT_CARAT_THOUSANDTH || c.fineness_ptt !== FULL_FINENESS_PTT) {
    x.refused(item, RULES.parcel, invalid(`parcel '${c.lot_id}' is weighed in thousandths of a carat with fineness_ptt 10000`));
  }
  if (hidden(item)) {
    vouch(g, item, `parcel '${c.lot_id}' is consistent (its count and weight)`);
    return;
  }
  refusing(x, item, RULES.parcel, () => checkNewParcel(c.parcel, big(c, 'quantity')));
}

// A CustodyShipped of `lot`: the System of Warranties statement.
export function checkWarranty(x, item, lot) {
  const s = item.body;
  const natural = needsWarranty(lot.trace.material, lot.trace.origin);
  const stated = s.warranty_statement === SYSTEM_OF_WARRANTIES;
  if (!tradeRules(item.policy)) {
    if (natural && !stated) lot.trace.naturalChain = false;  // legacy: never refused, the chain breaks
    return;
  }
  if (natural && !stated) {
    x.broken(item, RULES.warranty, 'warranty', `ships natural diamonds (lot '${s.lot_id}') without the ${s.warranty_statement ? 'exact ' : ''}System of Warranties statement`);
  }
  if (!natural && s.warranty_statement) {
    x.refused(item, RULES.warranty, invalid(`lot '${s.lot_id}' is not natural diamond: only such a shipment carries the System of Warranties statement`));
  }
}

// ---------------------------------------------------------------- mass balance

const massBalance = (x, item, what) => x.broken(item, RULES.massBalance, 'mass balance', what);

function getAccount(x, item, id) {
  return x.g.accounts.get(id) ?? x.broken(item, RULES.completeness, 'reference', `names mass-balance account '${id}', opened by no earlier record`);
}

function ownerInPeriod(x, item, id, account) {
  if (item.record.signer !== account.owner) {
    x.fail(RULES.massBalance, `mass balance rule: ${item.where} is signed by '${item.record.signer}'; only '${account.owner}', who opened account '${id}', books and allocates its credit`);
  }
  const o = account.opened;
  refusing(x, item, RULES.massBalance, () => checkPeriod(big(item.record, 'event_time_micros'), big(o, 'period_start_micros'), big(o, 'period_end_micros'), id));
}

export function openAccount(x, item) {
  const o = item.body, id = o.account_id, g = x.g;
  const bad = (why) => x.refused(item, RULES.massBalance, invalid(why));
  const bytes = new TextEncoder().encode(id).length;
  if (bytes === 0 || bytes > MAX_ACCOUNT_ID_BYTES) bad('account_id must be 1 to 128 bytes');
  if (g.accounts.has(id)) x.broken(item, RULES.once, 'mass balance', `opens account '${id}' again`);
  if (!o.site || !o.material) bad('an account needs a site and a material');
  if (o.attribute !== NUMBER.Attribute.ATTRIBUTE_RECYCLED) bad('only recycled credit is supported');
  if (big(o, 'period_start_micros') >= big(o, 'period_end_micros')) bad("an account's period starts before it ends");
  x.rely(item, [o.certificate_id]);
  const c = g.issued.get(o.certificate_id);
  const scheme = g.schemes.get(c.scheme);
  if (!scheme) {
    x.broken(item, RULES.completeness, 'scheme', `rests on certificate '${c.certificate_id}' of scheme '${c.scheme}', which no earlier record of the bundle registers`);
  }
  if (!backsMassBalance(scheme.kind)) {
    massBalance(x, item, `rests on certificate '${c.certificate_id}' of scheme '${c.scheme}' (${NAME('SchemeKind', scheme.kind)}); only a chain-of-custody scheme backs an account`);
  }
  const about = c.subject_participant === item.record.signer || (c.subject_facility !== undefined && c.subject_facility === o.site);
  if (!about) {
    x.fail(RULES.massBalance, `mass balance rule: ${item.where} rests on certificate '${c.certificate_id}', which is about neither '${item.record.signer}' nor site '${o.site}'`);
  }
  g.accounts.set(id, { opened: o, owner: item.record.signer, scheme: c.scheme, book: { seq: 0n, balance: 0n }, openedIndex: item.index });
}

// Replays a booking or an allocation on its account (applyCredit); once a record of the
// account is sealed and not opened, its balance is vouched for instead (bundle_trade.cc Replay).
function replayCredit(x, item, account, allocation, fine, seq, balanceAfter, accountId) {
  if (hidden(item) && !account.sealedAt) account.sealedAt = item.index;
  if (account.sealedAt) {
    vouch(x.g, item, `record ${seq} of account '${accountId}' states the account's balance${sealedAt(item, account.sealedAt)}`);
    return;
  }
  account.book = refusing(x, item, RULES.massBalance, () => applyCredit(account.book, allocation, fine, seq, balanceAfter, accountId));
}

export function bookCredit(x, item) {
  const b = item.body;
  const account = getAccount(x, item, b.account_id);
  ownerInPeriod(x, item, b.account_id, account);
  const lot = x.getLot(item, b.lot_id);
  x.hold(item, b.lot_id, lot);
  const t = lot.trace;
  if (t.material !== account.opened.material || t.stones > 0n) {
    massBalance(x, item, `books lot '${b.lot_id}' (${t.material}${t.stones > 0n ? ', a parcel' : ''}) into account '${b.account_id}' of ${account.opened.material}`);
  }
  if (!isRecycledOrigin(t.origin) || t.creditBooked || !t.certified) {
    const is = !isRecycledOrigin(t.origin) ? NAME('OriginClass', t.origin) : t.creditBooked ? 'booked already' : 'not certified all the way back';
    massBalance(x, item, `books lot '${b.lot_id}', which is ${is}; only certified recycled material earns credit`);
  }
  const fine = big(b, 'fine');
  if (hidden(item) || Boolean(lot.sealedAt)) {
    vouch(x.g, item, `booking ${big(b, 'seq')} of account '${b.account_id}' takes at most lot '${b.lot_id}''s fine weight${sealedAt(item, hidden(item) ? item.index : lot.sealedAt)}`);
  } else if (fine > lotFine(lot)) {
    massBalance(x, item, `books ${fine} fine units from lot '${b.lot_id}', whose fine weight is ${lotFine(lot)}`);
  }
  replayCredit(x, item, account, false, fine, big(b, 'seq'), big(b, 'balance_after'), b.account_id);
  t.creditBooked = true;
}

export function allocateCredit(x, item) {
  const a = item.body;
  const account = getAccount(x, item, a.account_id);
  ownerInPeriod(x, item, a.account_id, account);
  const o = account.opened, fine = big(a, 'fine');
  const lot = x.g.lots.get(a.lot_id);  // an allocation to a lot outside the piece's graph is only counted
  if (lot) {
    x.hold(item, a.lot_id, lot);
    const t = lot.trace;
    if (t.material !== o.material) massBalance(x, item, `allocates credit of ${o.material} to lot '${a.lot_id}' of ${t.material}`);
    if (lot.sealedAt) vouch(x.g, item, `lot '${a.lot_id}' was made at site ${o.site}${sealedAt(item, lot.sealedAt)}`);
    else if (t.site !== o.site) massBalance(x, item, `allocates to lot '${a.lot_id}': lot made at ${t.site}, the account's site is ${o.site}`);
    if (lot.createdMicros < big(o, 'period_start_micros') || lot.createdMicros >= big(o, 'period_end_micros')) {
      massBalance(x, item, `allocates to lot '${a.lot_id}', made on ${dateOfMicros(lot.createdMicros)}, outside the period of account '${a.account_id}' (${dateOfMicros(big(o, 'period_start_micros'))} to ${dateOfMicros(big(o, 'period_end_micros'))})`);
    }
    if (t.mbShareBp !== 0) x.fail(RULES.massBalance, `mass balance rule: ${item.where} lot '${a.lot_id}' already carries allocated credit`);
    // A lot made from booked input may receive credit, as the rules allow (rules_trade.cc).
    if (hidden(item) || Boolean(lot.sealedAt)) {
      vouch(x.g, item, `allocation ${big(a, 'seq')} of account '${a.account_id}' gives at most lot '${a.lot_id}''s fine weight${sealedAt(item, hidden(item) ? item.index : lot.sealedAt)}`);
    } else if (fine > lotFine(lot)) {
      massBalance(x, item, `allocates ${fine} fine units to lot '${a.lot_id}', whose fine weight is ${lotFine(lot)}`);
    }
  }
  replayCredit(x, item, account, true, fine, big(a, 'seq'), big(a, 'balance_after'), a.account_id);
  if (lot) {
    // A share by weight: vouched for when the fine weights are hidden.
    if (hidden(item) || Boolean(lot.sealedAt)) lot.sharesFrom = hidden(item) ? item.index : lot.sealedAt;
    lot.trace.mbShareBp = allocatedShareBp(fine, lotFine(lot));
    lot.trace.mbAccounts = [a.account_id];
    lot.trace.mbSchemes = [account.scheme];
  }
}

// ---------------------------------------------------------------- parcels

// A Transformation's parcel draws and parcel outputs; `full`: it is in the piece's lineage.
export function drawFromParcels(x, item, full) {
  const t = item.body, trade = tradeRules(item.policy);
  if (hidden(item)) {
    // The draws' stones and remainders and the outputs' stones are committed.
    let parcels = false;
    for (const input of t.inputs) {
      const lot = x.g.lots.get(input.lot_id);
      if (!lot || (lot.trace.stones === 0n && !lot.sealedAt)) continue;
      parcels = true;
      lot.sealedAt = item.index;  // what the draw left is hidden
    }
    if (trade && (parcels || full)) vouch(x.g, item, `the parcel draws and parcel outputs of transformation '${t.transformation_id}'`);
    return;
  }
  let allDraws = t.inputs.length > 0, anyParcel = false, drawn = 0n, vouched = false;
  for (const input of t.inputs) {
    const lot = x.g.lots.get(input.lot_id);
    if (!lot) { allDraws = false; continue; }
    if (lot.sealedAt) {  // a parcel, and what is left of it, may be hidden
      vouch(x.g, item, `the draw of transformation '${t.transformation_id}' from lot '${input.lot_id}'${sealedAt(item, lot.sealedAt)}`);
      vouched = true;
      continue;
    }
    if (lot.trace.stones === 0n) {
      allDraws = false;
      if (trade && (big(input, 'stones') !== 0n || big(input, 'stones_left') !== 0n || big(input, 'quantity_left') !== 0n)) {
        x.refused(item, RULES.parcel, invalid(`lot '${input.lot_id}' is not a parcel: stones, stones_left and quantity_left are for draws from parcels`));
      }
      continue;
    }
    anyParcel = true;
    if (!trade) {
      lot.parcel = { stones: lot.parcel.stones - big(input, 'stones'), weight: lot.parcel.weight - big(input, 'quantity') };
      continue;
    }
    lot.parcel = refusing(x, item, RULES.parcel, () => drawFromParcel(lot.parcel, input, input.lot_id));
    drawn += big(input, 'stones');
  }
  if (!full || !trade || vouched) return;
  let made = 0n, anyOut = false, allOut = true;
  for (const out of t.outputs) {
    const s = big(out, 'stones');
    made += s;
    anyOut = anyOut || s > 0n;
    allOut = allOut && s > 0n;
  }
  const P = NUMBER.Process;
  const splitOrMerge = t.process === P.PROCESS_SPLIT || t.process === P.PROCESS_MERGE;
  if (anyOut && !(allDraws && splitOrMerge && made === drawn) && !(t.process === P.PROCESS_CUT_AND_POLISH && !anyParcel)) {
    x.refused(item, RULES.parcel, invalid(`its outputs hold ${made} stones: only a split or merge of parcel draws (stone for stone: they draw ${drawn}) or cutting rough makes a parcel`));
  }
  if (allDraws && !allOut) x.refused(item, RULES.parcel, invalid('every input is a parcel draw, so every output is a parcel (stones > 0)'));
}

// ---------------------------------------------------------------- the piece

// What the piece's inputs support now.
function computeClaims(g) {
  const metal = g.piece.metal_inputs.map((m) => ({ lot: g.lots.get(m.lot_id).trace, quantity: big(m, 'quantity'), stones: 0n }));
  const stones = g.stones.map((id) => ({ lot: g.lots.get(id).trace, quantity: g.lots.get(id).quantity, stones: 1n }));
  for (const p of g.parcelStones) stones.push({ lot: g.lots.get(p.lotId).trace, quantity: p.weight, stones: p.stones });
  return computePieceClaims(metal, stones);
}

// When the piece's weights rest on a sealed entry, a mass-balance claim's share is vouched
// for and every other claim checked (bundle_piece.cc CheckClaims).
function checkClaims(x, item) {
  const g = x.g, checked = [];
  for (const c of g.piece.material_claims) {
    if (Boolean(g.weightsFrom) && c.model === NUMBER.CustodyModel.CUSTODY_MODEL_MASS_BALANCE) {
      vouch(g, item, `the share by weight of the claim '${materialClaimText(c)}'${sealedAt(item, g.weightsFrom)}`);
      continue;
    }
    checked.push(c);
  }
  refusing(x, item, RULES.claims, () => checkMaterialClaims(checked, g.claims));
}

function takeParcels(x, item) {
  for (const p of item.body.parcel_stones) {
    const lot = x.getLot(item, p.lot_id);
    if (lot.trace.stones === 0n && !lot.sealedAt) x.broken(item, RULES.parcel, 'parcel', `sets lot '${p.lot_id}' as a parcel; it is not one`);
    x.hold(item, p.lot_id, lot);
    if (lot.sealedAt) {  // its count and weight left are hidden
      vouch(x.g, item, `the piece takes parcel '${p.lot_id}' whole${sealedAt(item, lot.sealedAt)}`);
      x.g.parcelStones.push({ lotId: p.lot_id, weight: lot.parcel.weight, stones: big(p, 'stones') });
      lot.parcel = { stones: 0n, weight: 0n };
      continue;
    }
    if (big(p, 'stones') !== lot.parcel.stones || lot.parcel.weight <= 0n) {
      x.broken(item, RULES.parcel, 'parcel', `takes ${big(p, 'stones')} stones of parcel '${p.lot_id}', which holds ${lot.parcel.stones} weighing ${lot.parcel.weight}; a piece takes a whole parcel (split one off first)`);
    }
    x.g.parcelStones.push({ lotId: p.lot_id, weight: lot.parcel.weight, stones: lot.parcel.stones });
    lot.parcel = { stones: 0n, weight: 0n };  // used up
  }
}

function checkHallmark(x, item) {
  const g = x.g, mark = g.piece.hallmark;
  if (!mark) return;
  const ptt = refusing(x, item, RULES.hallmark, () => hallmarkFinenessPtt(mark));
  if (!g.metal.length) x.refused(item, RULES.hallmark, invalid(`hallmark '${mark}' on a piece without metal`));
  let lowest = null;
  for (const id of g.metal) {
    const lot = g.lots.get(id);
    if (lowest === null || lot.trace.finenessPtt < lowest.trace.finenessPtt) lowest = lot;
  }
  if (ptt > lowest.trace.finenessPtt) {
    x.broken(item, RULES.hallmark, 'hallmark', `marks the piece '${mark}' (${finenessText(ptt)}); its lowest metal fineness is ${finenessText(lowest.trace.finenessPtt)} (lot '${lowest.trace.lotId}')`);
  }
}

function checkDisclosure(x, item) {
  const g = x.g;
  for (const id of [...g.stones, ...g.parcelStones.map((p) => p.lotId)]) {
    if (g.lots.get(id).trace.stoneOrigin !== NUMBER.StoneOrigin.STONE_ORIGIN_LAB_GROWN) continue;
    if (hasLabGrownQualifier(g.piece.description)) return;
    x.broken(item, RULES.disclosure, 'disclosure', `describes a piece with lab-grown stones (lot '${id}') as '${g.piece.description}', without a qualifier such as "laboratory-grown"`);
  }
}

// Under the trade rules a piece states material claims, not the legacy ones (checked first).
export function checkNoLegacyClaims(x, item) {
  if (tradeRules(item.policy) && item.body.claims.length > 0) {
    x.refused(item, RULES.claims, invalid('under the trade rules a piece states material_claims, not the legacy claims'));
  }
}

// The piece's parcel stones, material claims, hallmark and disclosure, once its graded stones and metal are taken.
export function checkPieceTrade(x, item) {
  const trade = tradeRules(item.policy);
  takeParcels(x, item);
  x.g.claims = computeClaims(x.g);
  if (x.g.weightsFrom) vouch(x.g, item, `the piece's composition by weight${sealedAt(item, x.g.weightsFrom)}`);
  checkClaims(x, item);
  if (!trade) return;
  checkHallmark(x, item);
  checkDisclosure(x, item);
}

// After a stone replacement: the claims recomputed, and under the trade rules re-checked.
export function recheckPieceClaims(x, item) {
  x.g.claims = computeClaims(x.g);
  if (tradeRules(item.policy)) checkClaims(x, item);
}
