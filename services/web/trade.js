// The trade's shared definitions, ported one to one from ledger/provenance/
// (fineness.cc, disclosure.cc, parcels.cc, mass_balance.cc, schemes.cc,
// material_trace.cc; the units the trade reads as ledger/provenance/units.h
// shows them) for the page's verifier (verify.js) and the page (page.js).
// tests/testdata/trade_vectors.json pins this port and the C++ to the same
// answers and words (tests/trade_vectors_test.cc, tests/browser/trade_test.mjs).
//
// Numbers: what C++ holds in int64 (quantities, stones, fine units, seq,
// balances) is a BigInt here, and every product (quantity x ptt x share) is
// computed in BigInt, as C++ computes it in __int128; fineness in ptt, shares in
// bp and enums stay Numbers. Records as verify.js decodes them (snake_case
// fields, enums as numbers); `big(msg, field)` reads a 64-bit field exactly.
// A refusal throws StatusError {code, message} with the C++ status code's name
// and message; the verifier turns it into its rule.
//
// Constants and tables (System of Warranties, qualifiers, scheme kinds) come
// from the generated verify_tables.js (services/web_tables_main.cc).

import { ENUMS, ORIGINS, TRADE } from './verify_tables.js';

export class StatusError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const invalid = (message) => new StatusError('INVALID_ARGUMENT', message);
const failed = (message) => new StatusError('FAILED_PRECONDITION', message);

const NAME = (e, n) => ENUMS[e][String(n)] ?? '';
const NUMBER = Object.fromEntries(Object.entries(ENUMS).map(([e, values]) =>
  [e, Object.fromEntries(Object.entries(values).map(([n, name]) => [name, Number(n)]))]));
export const FULL_FINENESS_PTT = TRADE.full_fineness_ptt;
export const FULL_SHARE_BP = TRADE.full_share_bp;
export const MAX_SOURCES = TRADE.max_sources;
export const SYSTEM_OF_WARRANTIES = TRADE.system_of_warranties;
const INT64_MAX = (1n << 63n) - 1n;
const UNIT_CARAT_THOUSANDTH = NUMBER.Unit.UNIT_CARAT_THOUSANDTH;

// A 64-bit field of a decoded message, exactly (verify.js keeps the exact value
// of one that a Number cannot hold in msg.$big).
export function big(msg, field) {
  const exact = msg?.$big?.[field];
  if (exact !== undefined) return exact;
  const v = msg?.[field];
  return v === undefined ? 0n : BigInt(v);
}

// Strings in the order of std::string's operator< (UTF-8 bytes, i.e. code points).
export function compareStrings(a, b) {
  const x = [...a], y = [...b];
  for (let i = 0; i < x.length && i < y.length; i++) {
    const d = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}
const sortedSet = (items) => [...new Set(items)].sort(compareStrings);
const byteLength = (s) => new TextEncoder().encode(s).length;

// ---------------------------------------------------------------- origin.h

export const isRecycledOrigin = (c) => ORIGINS.recycled.includes(c);
export const combineOrigins = (a, b) =>
  ORIGINS.combine[String(a)]?.[String(b)] ?? (a === b ? a : isRecycledOrigin(a) && isRecycledOrigin(b)
    ? NUMBER.OriginClass.ORIGIN_CLASS_RECYCLED_MIXED : NUMBER.OriginClass.ORIGIN_CLASS_MIXED);
export const stoneOriginOf = (c) => ORIGINS.stone_origin_of[String(c)] ?? 0;

// ---------------------------------------------------------------- fineness.h

// StatedFinenessPtt: the fineness a LotCreated or OutputLot states, in ptt.
export function statedFinenessPtt(ppt, ptt, tradeRules, what) {
  if (ppt !== 0 && ptt !== 0) throw invalid(`${what}: set fineness_ptt or the legacy fineness_ppt, not both`);
  if (ppt !== 0 && tradeRules) {
    throw invalid(`${what}: fineness is stated in parts per ten thousand (fineness_ptt) under the trade rules; fineness_ppt is only for logs written before them`);
  }
  const value = ppt !== 0 ? ppt * 10 : ptt;
  if (value <= 0 || value > FULL_FINENESS_PTT) {
    throw invalid(`${what}: fineness_ptt must be 1 to ${FULL_FINENESS_PTT} (parts per ten thousand; 9999 is 999.9 gold)`);
  }
  return value;
}

// DeclaredLossPtt: the declared loss of transformation `t` in ptt fine units (BigInt).
export function declaredLossPtt(t) {
  let legacy = false, current = false;
  for (const out of t.outputs) {
    legacy = legacy || out.fineness_ppt !== 0;
    current = current || out.fineness_ppt === 0;
  }
  if (legacy && current) throw invalid('outputs state fineness in parts per thousand and per ten thousand; use one form');
  const loss = big(t, 'declared_loss_fine'), lossPtt = big(t, 'declared_loss_fine_ptt');
  if (loss < 0n || lossPtt < 0n) throw invalid('a declared loss must not be negative');
  if (legacy) {
    if (lossPtt !== 0n) throw invalid('outputs in fineness_ppt declare their loss in declared_loss_fine');
    if (loss > INT64_MAX / 10n) throw invalid('declared_loss_fine is out of range');
    return loss * 10n;
  }
  if (loss !== 0n) throw invalid('outputs in fineness_ptt declare their loss in declared_loss_fine_ptt');
  return lossPtt;
}

// HallmarkFinenessPtt: "750" -> 7500, "999.9" -> 9999, "18K" -> 7500, "PT950" -> 9500.
export function hallmarkFinenessPtt(hallmark) {
  const bad = () => invalid(`hallmark '${hallmark}' is not a fineness mark: use parts per thousand ("750", "999.9", "PT950") or karats ("18K")`);
  let s = hallmark;
  const letters = /^[A-Za-z]*/.exec(s)[0].length;
  if (letters === 0 && s.length >= 2 && (s.endsWith('K') || s.endsWith('k'))) {
    const digits = s.slice(0, -1);
    if (!/^[0-9]{1,2}$/.test(digits)) throw bad();
    const karats = Number(digits);
    if (karats < 1 || karats > 24) throw bad();
    return Math.floor(karats * FULL_FINENESS_PTT / 24);
  }
  if (letters > 3) throw bad();
  s = s.slice(letters);
  if (!/^[0-9]{3}(\.[0-9])?$/.test(s)) throw bad();
  const ptt = Number(s.slice(0, 3)) * 10 + (s.length === 5 ? Number(s[4]) : 0);
  if (ptt === 0) throw bad();
  return ptt;
}

// FinenessText: "999.9", "750".
export function finenessText(ptt) {
  const whole = Math.trunc(ptt / 10), tenth = ptt % 10;
  return tenth === 0 ? String(whole) : `${whole}.${tenth}`;
}

// KaratText: "18k", "14k", "22.5k"; "" below 8k.
export function karatText(ptt) {
  const tenths = Math.floor((ptt * 240 + FULL_FINENESS_PTT / 2) / FULL_FINENESS_PTT);
  if (tenths < 80) return '';
  return tenths % 10 === 0 ? `${tenths / 10}k` : `${Math.floor(tenths / 10)}.${tenths % 10}k`;
}

// ---------------------------------------------------------------- units (ledger/provenance/units.h)

// "1,234,567" for a non-negative BigInt.
function grouped(n) { return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ','); }
// `num / den` thousandths rounded half up, as "1,234.567" (num >= 0, den > 0).
function thousandths(num, den) {
  const t = (num * 2n + den) / (den * 2n);
  return `${grouped(t / 1000n)}.${(t % 1000n).toString().padStart(3, '0')}`;
}
// MassText: "1,000.000 g (32.151 ozt, 643.015 dwt)"; 1 ozt = 31103.4768 mg,
// 1 dwt = 1555.17384 mg, ounces and pennyweights rounded half up; a negative
// mass gets a leading "-".
export function massText(mg) {
  mg = BigInt(mg);
  if (mg < 0n) return `-${massText(-mg)}`;
  return `${thousandths(mg, 1n)} g (${thousandths(mg * 10000000n, 311034768n)} ozt, ${thousandths(mg * 100000000n, 155517384n)} dwt)`;
}
// CaratText: "1.250 ct".
export function caratText(t) {
  t = BigInt(t);
  return t < 0n ? `-${caratText(-t)}` : `${thousandths(t, 1n)} ct`;
}
// QuantityText: MassText for milligrams, CaratText otherwise.
export const quantityText = (unit, q) => (unit === NUMBER.Unit.UNIT_MILLIGRAM ? massText(q) : caratText(q));
// FineMassText: fine units (milligrams x ptt) as a mass, rounded down to the milligram.
export const fineMassText = (fine) => massText(BigInt(fine) / BigInt(FULL_FINENESS_PTT));
// FinenessKaratText: "750 (18k)", "999.9 (24k)", "500".
export function finenessKaratText(ptt) {
  const k = karatText(ptt);
  return k ? `${finenessText(ptt)} (${k})` : finenessText(ptt);
}
// MetalFinenessText: karats for gold only.
export const metalFinenessText = (material, ptt) => (material === 'gold' ? finenessKaratText(ptt) : finenessText(ptt));

// ---------------------------------------------------------------- disclosure.h

const wordChar = (c) => /[A-Za-z0-9]/.test(c ?? '');
function hasWord(hay, needle) {
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
    const end = at + needle.length;
    if ((at === 0 || !wordChar(hay[at - 1])) && (end === hay.length || !wordChar(hay[end]))) return true;
  }
  return false;
}

// HasLabGrownQualifier: a qualifier as a whole word, or "<name>-created".
export function hasLabGrownQualifier(description) {
  const lower = description.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (TRADE.lab_grown_qualifiers.some((q) => hasWord(lower, q))) return true;
  const created = '-created';
  for (let at = lower.indexOf(created); at >= 0; at = lower.indexOf(created, at + 1)) {
    const end = at + created.length;
    if (end !== lower.length && wordChar(lower[end])) continue;
    let start = at;
    while (start > 0 && /[a-z]/.test(lower[start - 1])) --start;
    if (at - start >= 2) return true;
  }
  return false;
}

export const isDiamond = (material) => material === 'diamond';
export const needsWarranty = (material, origin) => isDiamond(material) && origin === NUMBER.OriginClass.ORIGIN_CLASS_MINED;

// CheckGemstoneDisclosure of a decoded LotCreated.
export function checkGemstoneDisclosure(lot) {
  const coloured = lot.unit === UNIT_CARAT_THOUSANDTH && !isDiamond(lot.material);
  if (!coloured) {
    if (lot.gemstone !== undefined) throw invalid('only a coloured gemstone lot carries a gemstone disclosure');
    return;
  }
  if (lot.gemstone === undefined || !lot.gemstone.species || !lot.gemstone.treatment) {
    throw invalid(`disclosure rule: a coloured gemstone (${lot.material}) needs its species and treatment disclosed (treatment "none" if untreated)`);
  }
}

// ---------------------------------------------------------------- parcels.h

// CheckNewParcel(parcel, weight).
export function checkNewParcel(parcel, weight) {
  const n = big(parcel, 'stone_count'), min = big(parcel, 'min_stone_thousandths'), max = big(parcel, 'max_stone_thousandths');
  const w = BigInt(weight);
  if (n <= 0n) throw invalid('a parcel needs a stone_count of at least 1');
  if (min < 0n || max < 0n || (max !== 0n && max < min)) throw invalid("a parcel's per-stone weight bounds are out of order");
  if (min !== 0n && n * min > w) throw invalid(`parcel rule: ${n} stones of at least ${min} thousandths of a carat weigh more than ${w}`);
  if (max !== 0n && n * max < w) throw invalid(`parcel rule: ${n} stones of at most ${max} thousandths of a carat weigh less than ${w}`);
}

// DrawFromParcel: the parcel {stones, weight} (BigInt) after `draw` (a decoded LotQuantity).
export function drawFromParcel(before, draw, lotId) {
  const stones = big(draw, 'stones'), quantity = big(draw, 'quantity');
  if (stones <= 0n || quantity <= 0n) throw invalid(`a draw from parcel '${lotId}' takes at least one stone and some weight`);
  if (stones > before.stones || quantity > before.weight) {
    throw failed(`parcel rule: parcel '${lotId}' holds ${before.stones} stones weighing ${before.weight}; the draw takes ${stones} weighing ${quantity}`);
  }
  const after = { stones: before.stones - stones, weight: before.weight - quantity };
  if ((after.stones === 0n) !== (after.weight === 0n)) {
    throw failed(`parcel rule: a draw from parcel '${lotId}' would leave ${after.stones} stones weighing ${after.weight} (the last stone goes with the last weight)`);
  }
  const stonesLeft = big(draw, 'stones_left'), quantityLeft = big(draw, 'quantity_left');
  if (stonesLeft !== after.stones || quantityLeft !== after.weight) {
    throw failed(`parcel rule: the draw from parcel '${lotId}' states ${stonesLeft} stones weighing ${quantityLeft} left; the parcel's draws leave ${after.stones} weighing ${after.weight} (a draw is missing or misstated)`);
  }
  return after;
}

// ---------------------------------------------------------------- mass_balance.h

// ApplyCredit: the book {seq, balance} (BigInt) after a booking or an allocation.
export function applyCredit(book, allocation, fine, seq, balanceAfter, accountId) {
  [fine, seq, balanceAfter] = [BigInt(fine), BigInt(seq), BigInt(balanceAfter)];
  if (fine <= 0n) throw invalid('a booking or allocation needs fine units greater than 0');
  if (seq !== book.seq + 1n) {
    throw failed(`mass balance rule: account '${accountId}' has ${book.seq} records; this one must be number ${book.seq + 1n}, not ${seq} (a record is missing or misnumbered)`);
  }
  if (allocation && fine > book.balance) {
    throw failed(`mass balance rule: account '${accountId}' holds ${book.balance} fine units of credit; the allocation spends ${fine}`);
  }
  if (!allocation && fine > INT64_MAX - book.balance) throw invalid('the booking overflows the account');
  const after = { seq, balance: allocation ? book.balance - fine : book.balance + fine };
  if (balanceAfter !== after.balance) {
    throw failed(`mass balance rule: record ${seq} of account '${accountId}' states a balance of ${balanceAfter}; its records make ${after.balance}`);
  }
  return after;
}

// "2026-10-01": the UTC date of unix microseconds (absl::FormatTime "%Y-%m-%d"), for any int64.
export function dateOfMicros(micros) {
  const perDay = 86400000000n;
  let m = BigInt(micros), days = m / perDay;
  if (m % perDay < 0n) days -= 1n;
  // civil_from_days (H. Hinnant), in BigInt.
  const z = days + 719468n;
  const era = (z >= 0n ? z : z - 146096n) / 146097n;
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const month = mp < 10n ? mp + 3n : mp - 9n;
  const year = yoe + era * 400n + (month <= 2n ? 1n : 0n);
  const two = (v) => v.toString().padStart(2, '0');
  return `${year}-${two(month)}-${two(d)}`;  // cctz's %Y: the year unpadded
}

// CheckPeriod: `t` in [start, end).
export function checkPeriod(t, start, end, accountId) {
  [t, start, end] = [BigInt(t), BigInt(start), BigInt(end)];
  if (t < start || t >= end) {
    throw failed(`mass balance rule: account '${accountId}' covers ${dateOfMicros(start)} to ${dateOfMicros(end)}; the record is dated ${dateOfMicros(t)}`);
  }
}

// AllocatedShareBp: the share of `lotFine` that `fine` covers, in bp, rounded down.
export function allocatedShareBp(fine, lotFine) {
  [fine, lotFine] = [BigInt(fine), BigInt(lotFine)];
  if (lotFine <= 0n || fine <= 0n) return 0;
  return Number(BigInt.asIntN(32, fine * 10000n / lotFine));
}

// ---------------------------------------------------------------- schemes.h

export function validSchemeName(name) {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) {
    throw invalid(`scheme name '${name}' must be 1 to 64 of a-z 0-9 . _ - (starting a-z 0-9)`);
  }
}

// The detail oneof of a decoded CertificateIssued.
const certDetail = (cert) => ['grading_report', 'kimberley_process', 'parcel_report'].find((d) => cert[d] !== undefined) ?? 'none';

// CheckSchemeMayIssue(kind, cert), its table generated from the C++.
export function checkSchemeMayIssue(kind, cert) {
  const detail = certDetail(cert);
  const row = TRADE.scheme_may_issue[String(kind)];
  if (row?.[detail]) return;
  const report = detail === 'grading_report' || detail === 'parcel_report';
  const lab = kind === NUMBER.SchemeKind.SCHEME_KIND_GRADING_LABORATORY;
  if (report !== lab) {
    throw failed(`scheme rule: scheme '${cert.scheme}' is ${NAME('SchemeKind', kind)}${report
      ? '; only a grading laboratory issues grading and parcel reports'
      : '; a grading laboratory issues only grading and parcel reports'}`);
  }
  throw failed(`scheme rule: scheme '${cert.scheme}' is ${NAME('SchemeKind', kind)}; Kimberley Process certificates come from a Kimberley Process authority, and it issues nothing else`);
}

export const backsMassBalance = (kind) => TRADE.backs_mass_balance.includes(kind);
export const backsRecycled = (kind) => TRADE.backs_recycled.includes(kind);

// ---------------------------------------------------------------- material_trace.h

// A LotTrace with C++'s defaults; `fields` (camelCase) override them.
export function lotTrace(fields = {}) {
  return { lotId: '', material: '', unit: 0, finenessPtt: 0, origin: 0, certified: false, stoneOrigin: 0,
    graded: false, stones: 0n, site: '', naturalChain: false, creditBooked: false, mbShareBp: 0,
    mbAccounts: [], mbSchemes: [], originSchemes: [], sources: [], alloy: [], ...fields };
}

const fineOf = (q) => BigInt(q.quantity) * BigInt(q.lot.finenessPtt);

// TraceOfCreated(created, finenessPtt, schemes, kp) of a decoded LotCreated.
export function traceOfCreated(created, finenessPtt, schemes, kp) {
  return lotTrace({
    lotId: created.lot_id, material: created.material, unit: created.unit, finenessPtt,
    origin: created.origin_class, certified: created.certificate_ids.length > 0,
    stoneOrigin: stoneOriginOf(created.origin_class), stones: created.parcel ? big(created.parcel, 'stone_count') : 0n,
    site: created.facility, naturalChain: Boolean(kp) && needsWarranty(created.material, created.origin_class),
    originSchemes: sortedSet(schemes), sources: [created.lot_id],
  });
}

// The schemes every input cited at its origin.
function commonSchemes(inputs) {
  let common = null;
  for (const q of inputs) common = common === null ? [...q.lot.originSchemes] : common.filter((s) => q.lot.originSchemes.includes(s));
  return common ?? [];
}

// TraceOfOutputs(t, same, alloying, tradeRules): `same` and `alloying` are
// [{lot: trace, quantity, stones}] (quantities BigInt or Number).
export function traceOfOutputs(t, same, alloying, tradeRules) {
  const out = lotTrace({ material: t.material, site: t.location, certified: true, naturalChain: same.length > 0 });
  let origin, fine = 0n, credited = 0n;
  const accounts = [], mbSchemes = [], sources = [];
  for (const q of same) {
    const l = q.lot;
    out.unit = l.unit;
    origin = origin === undefined ? l.origin : combineOrigins(origin, l.origin);
    out.certified = out.certified && l.certified;
    out.naturalChain = out.naturalChain && l.naturalChain;
    out.creditBooked = out.creditBooked || l.creditBooked;
    fine += fineOf(q);
    credited += fineOf(q) * BigInt(l.mbShareBp);
    accounts.push(...l.mbAccounts);
    mbSchemes.push(...l.mbSchemes);
    sources.push(...l.sources);
  }
  for (const q of alloying) {
    if (!tradeRules) {
      origin = origin === undefined ? q.lot.origin : combineOrigins(origin, q.lot.origin);
      out.certified = out.certified && q.lot.certified;
    }
  }
  out.origin = origin ?? 0;
  out.stoneOrigin = stoneOriginOf(out.origin);
  out.mbShareBp = fine > 0n ? Number(BigInt.asIntN(32, credited / fine)) : 0;
  out.mbAccounts = sortedSet(accounts);
  out.mbSchemes = sortedSet(mbSchemes);
  out.originSchemes = commonSchemes(same);
  out.sources = sortedSet(sources).slice(0, MAX_SOURCES + 1);
  return out;
}

// OutputAlloy(same, alloying, outPtt): [{material, ptt, origin}] by material name.
export function outputAlloy(same, alloying, outPtt) {
  const parts = new Map();
  const add = (material, weight, origin) => {
    const p = parts.get(material);
    if (p) { p.weight += weight; p.origin = combineOrigins(p.origin, origin); } else parts.set(material, { weight, origin });
  };
  for (const q of alloying) add(q.lot.material, fineOf(q), q.lot.origin);
  for (const q of same) for (const a of q.lot.alloy) add(a.material, BigInt(q.quantity) * BigInt(a.ptt), a.origin);
  let total = 0n;
  for (const p of parts.values()) total += p.weight;
  if (total <= 0n || outPtt >= FULL_FINENESS_PTT) return [];
  const rest = BigInt(FULL_FINENESS_PTT - outPtt);
  return [...parts.keys()].sort(compareStrings).map((m) =>
    ({ material: m, ptt: Number(BigInt.asIntN(32, rest * parts.get(m).weight / total)), origin: parts.get(m).origin }));
}

const ATTRIBUTE_TEXT = { 1: 'recycled', 2: 'lab-grown', 3: 'natural' };
const MODEL_TEXT = { 1: 'identity preserved', 2: 'segregated', 3: 'controlled blending', 4: 'mass balance', 5: 'book and claim' };
const attributeText = (a) => ATTRIBUTE_TEXT[a] ?? 'unspecified';
const modelText = (m) => MODEL_TEXT[m] ?? 'unspecified';
const A = NUMBER.Attribute, M = NUMBER.CustodyModel;

// Why input `q` does not carry attribute `a` ('' if it does).
function lacks(q, a) {
  const l = q.lot;
  const what = `${l.unit === UNIT_CARAT_THOUSANDTH ? 'stone' : 'lot'} '${l.lotId}'`;
  if (a === A.ATTRIBUTE_RECYCLED) {
    if (!isRecycledOrigin(l.origin)) return `${what} is ${NAME('OriginClass', l.origin)}`;
    if (l.creditBooked) return `${what} was booked as mass-balance credit`;
    if (!l.certified) return `${what} is not certified all the way back`;
    return '';
  }
  if (a === A.ATTRIBUTE_LAB_GROWN) {
    return l.stoneOrigin !== NUMBER.StoneOrigin.STONE_ORIGIN_LAB_GROWN ? `${what} is ${NAME('StoneOrigin', l.stoneOrigin)}` : '';
  }
  if (a === A.ATTRIBUTE_NATURAL) {
    if (l.stoneOrigin !== NUMBER.StoneOrigin.STONE_ORIGIN_NATURAL) return `${what} is ${NAME('StoneOrigin', l.stoneOrigin)}`;
    if (isDiamond(l.material) && !l.naturalChain) return `${what} has no unbroken Kimberley Process and System of Warranties chain`;
    return '';
  }
  return 'unknown attribute';
}

const key = (...parts) => JSON.stringify(parts);

// ComputePieceClaims(metal, stones): {composition: [{material, stone, amount, stones, sharePtt}],
// supported: [MaterialClaim], whyNot: Map, schemes: Map, accounts: Map} (maps keyed by key(...)).
export function computePieceClaims(metal, stones) {
  const c = { composition: [], supported: [], whyNot: new Map(), schemes: new Map(), accounts: new Map() };
  const full = BigInt(FULL_FINENESS_PTT);
  const metalMass = new Map();
  const addMass = (m, v) => metalMass.set(m, (metalMass.get(m) ?? 0n) + v);
  let total = 0n, stated = 0n;
  for (const q of metal) {
    total += BigInt(q.quantity) * full;
    addMass(q.lot.material, fineOf(q));
    stated += fineOf(q);
    for (const a of q.lot.alloy) {
      addMass(a.material, BigInt(q.quantity) * BigInt(a.ptt));
      stated += BigInt(q.quantity) * BigInt(a.ptt);
    }
  }
  if (total > stated) addMass('other metals (not stated)', total - stated);
  for (const m of [...metalMass.keys()].sort(compareStrings)) {
    const mass = metalMass.get(m);
    c.composition.push({ material: m, stone: false, amount: mass / full, stones: 0n,
      sharePtt: total > 0n ? Number(BigInt.asIntN(32, mass * full / total)) : 0 });
  }
  const stoneMass = new Map();
  for (const q of stones) {
    const s = stoneMass.get(q.lot.material) ?? { weight: 0n, stones: 0n };
    s.weight += BigInt(q.quantity);
    s.stones += BigInt(q.stones);
    stoneMass.set(q.lot.material, s);
  }
  for (const m of [...stoneMass.keys()].sort(compareStrings)) {
    c.composition.push({ material: m, stone: true, amount: stoneMass.get(m).weight, stones: stoneMass.get(m).stones, sharePtt: 0 });
  }

  const physical = (m, inputs, a) => {
    let why = '', identity = true;
    for (const q of inputs) {
      if (!why) why = lacks(q, a);
      identity = identity && q.lot.sources.length === 1;
    }
    if (why) { c.whyNot.set(key(m, a), why); return; }
    const schemes = commonSchemes(inputs);
    c.supported.push({ material: m, attribute: a, model: identity ? M.CUSTODY_MODEL_IDENTITY_PRESERVED : M.CUSTODY_MODEL_SEGREGATED,
      share_bp: FULL_SHARE_BP, account_id: '', scheme: schemes.length === 1 ? schemes[0] : '' });
    c.schemes.set(key(m, a, false), schemes);
  };
  const of = (inputs, m) => inputs.filter((q) => q.lot.material === m);
  for (const m of sortedSet(metal.map((q) => q.lot.material))) {
    const inputs = of(metal, m);
    physical(m, inputs, A.ATTRIBUTE_RECYCLED);
    let fine = 0n, credited = 0n;
    const accounts = [], schemes = [];
    for (const q of inputs) {
      fine += fineOf(q);
      credited += fineOf(q) * BigInt(q.lot.mbShareBp);
      accounts.push(...q.lot.mbAccounts);
      schemes.push(...q.lot.mbSchemes);
    }
    const share = fine > 0n ? Number(BigInt.asUintN(32, credited / fine)) : 0;
    if (share === 0) continue;
    const acc = sortedSet(accounts), sch = sortedSet(schemes);
    c.supported.push({ material: m, attribute: A.ATTRIBUTE_RECYCLED, model: M.CUSTODY_MODEL_MASS_BALANCE, share_bp: share,
      account_id: acc.length === 1 ? acc[0] : '', scheme: sch.length === 1 ? sch[0] : '' });
    c.accounts.set(m, acc);
    c.schemes.set(key(m, A.ATTRIBUTE_RECYCLED, true), sch);
  }
  for (const m of sortedSet(stones.map((q) => q.lot.material))) {
    const inputs = of(stones, m);
    physical(m, inputs, A.ATTRIBUTE_LAB_GROWN);
    physical(m, inputs, A.ATTRIBUTE_NATURAL);
  }
  return c;
}

// CheckMaterialClaims(asserted, computed): throws StatusError for the first claim that does not hold.
export function checkMaterialClaims(asserted, computed) {
  const seen = new Set();
  for (const claim of asserted) {
    const m = claim.material, a = claim.attribute;
    if (!m || a === 0 || ENUMS.Attribute[String(a)] === undefined || claim.model === 0 ||
        ENUMS.CustodyModel[String(claim.model)] === undefined) {
      throw invalid('a material claim needs a material, an attribute and a chain-of-custody model');
    }
    const k = key(m, a, claim.model);
    if (seen.has(k)) throw invalid(`the claim '${materialClaimText(claim)}' is made twice`);
    seen.add(k);
    if (claim.share_bp === 0 || claim.share_bp > FULL_SHARE_BP) throw invalid("a claim's share_bp must be 1 to 10000");
    const text = materialClaimText(claim);
    const broken = (why) => failed(`claim rule: '${text}' does not hold: ${why}`);
    if (claim.model === M.CUSTODY_MODEL_CONTROLLED_BLENDING || claim.model === M.CUSTODY_MODEL_BOOK_AND_CLAIM) {
      throw broken(`this ledger does not support ${modelText(claim.model)} claims (docs/custody-models.md)`);
    }
    const part = computed.composition.find((s) => s.material === m);
    if (!part) throw broken(`the piece has no ${m}`);
    const aboutStones = a !== A.ATTRIBUTE_RECYCLED;
    if (part.stone !== aboutStones) {
      throw broken(aboutStones ? `${m} is a metal; ${attributeText(a)} claims are about stones` : `${m} is a stone; recycled claims are about metals`);
    }
    if (claim.model === M.CUSTODY_MODEL_MASS_BALANCE) {
      const mb = computed.supported.find((s) => s.material === m && s.model === M.CUSTODY_MODEL_MASS_BALANCE);
      if (!mb) throw broken(`no mass-balance credit was allocated to the piece's ${m}`);
      if (mb.share_bp !== claim.share_bp) throw broken(`its records give ${m} a mass-balance share of ${shareText(mb.share_bp)}`);
      if (!computed.accounts.get(m).includes(claim.account_id)) throw broken(`the credit did not come from account '${claim.account_id}'`);
      if (claim.scheme && !computed.schemes.get(key(m, a, true)).includes(claim.scheme)) {
        throw broken(`the account is not backed by scheme '${claim.scheme}'`);
      }
      continue;
    }
    if (claim.account_id) throw invalid('only a mass-balance claim names an account');
    const why = computed.whyNot.get(key(m, a));
    if (why !== undefined) throw broken(why);
    const held = computed.supported.find((s) => s.material === m && s.attribute === a && s.model !== M.CUSTODY_MODEL_MASS_BALANCE);
    if (!held) throw broken('its records do not support it');
    if (claim.share_bp !== FULL_SHARE_BP) throw broken('a segregated or identity-preserved claim covers all of the material (100%)');
    if (claim.model === M.CUSTODY_MODEL_IDENTITY_PRESERVED && held.model !== M.CUSTODY_MODEL_IDENTITY_PRESERVED) {
      throw broken(`the piece's ${m} comes from more than one source lot`);
    }
    if (claim.scheme && !computed.schemes.get(key(m, a, false)).includes(claim.scheme)) {
      throw broken(`scheme '${claim.scheme}' did not certify every lot of ${m} when it entered`);
    }
  }
}

// ShareText: "62%", "62.5%", "0.05%".
export function shareText(bp) {
  const whole = Math.floor(bp / 100), tenths = Math.floor((bp % 100) / 10), hundredths = bp % 10;
  if (bp % 100 === 0) return `${whole}%`;
  if (bp % 10 === 0) return `${whole}.${tenths}%`;
  return `${whole}.${tenths}${hundredths}%`;
}

// MaterialClaimText: "recycled gold, segregated, 100% (scs-recycled)", "gold 62% recycled, mass balance, account a1 (rjc-coc)".
export function materialClaimText(claim, accountText = '') {
  const scheme = claim.scheme ? ` (${claim.scheme})` : '';
  if (claim.model === M.CUSTODY_MODEL_MASS_BALANCE) {
    const account = accountText || `account ${claim.account_id}`;
    return `${claim.material} ${shareText(claim.share_bp)} ${attributeText(claim.attribute)}, mass balance, ${account}${scheme}`;
  }
  return `${attributeText(claim.attribute)} ${claim.material}, ${modelText(claim.model)}, ${shareText(claim.share_bp)}${scheme}`;
}

// "site S, 2026-10-01 to 2027-01-01": an account as a mass-balance claim's text names it.
export const accountText = (site, start, end) => `site ${site}, ${dateOfMicros(start)} to ${dateOfMicros(end)}`;

export { byteLength };
