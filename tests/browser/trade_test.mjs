// The page's port of the trade's shared definitions (services/web/trade.js, as
// served from the build's services/web/ with its generated verify_tables.js)
// against tests/testdata/trade_vectors.json, which tests/trade_vectors_test.cc
// reads with the C++ definitions (ledger/provenance/): every vector must give
// the same answer, status code and message here.
//
// Usage: node trade_test.mjs --web DIR --vectors FILE
//   (--web: build/services/web; --vectors: tests/testdata/trade_vectors.json)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { web: { type: 'string' }, vectors: { type: 'string' } } });
const load = (file) => import(pathToFileURL(resolve(args.web, file)).href);
const T = await load('trade.js');
const { ENUMS, SCHEMA } = await load('verify_tables.js');
const V = JSON.parse(readFileSync(args.vectors, 'utf8'));

let failures = 0, cases = 0;
function test(name, fn) {
  try { cases += fn() ?? 0; console.log(`ok   ${name}`); } catch (e) { failures++; console.log(`FAIL ${name}\n${e.stack}`); }
}

const NUMBER = Object.fromEntries(Object.entries(ENUMS).map(([e, values]) =>
  [e, Object.fromEntries(Object.entries(values).map(([n, name]) => [name, Number(n)]))]));
const enumOf = (name) => Object.keys(NUMBER).find((e) => name in NUMBER[e]);
const num = (name) => (name === undefined ? 0 : NUMBER[enumOf(name)][name]);
const nameOf = (e, n) => ENUMS[e][String(n)];

// A message of the vectors (proto JSON, the proto's field names) as verify.js
// decodes one: every field with its default, enums as numbers, 64-bit values
// exact (in $big where a Number cannot hold them), absent messages undefined.
function message(json, type) {
  const out = {};
  const fields = Object.values(SCHEMA[type]);
  for (const f of fields) {
    if (f.repeated) out[f.name] = [];
    else if (f.presence) continue;
    else if (f.type === 'string') out[f.name] = '';
    else if (f.type === 'bool') out[f.name] = false;
    else if (f.type === 'bytes') out[f.name] = new Uint8Array(0);
    else out[f.name] = 0;
  }
  for (const [k, v] of Object.entries(json ?? {})) {
    const f = fields.find((x) => x.name === k);
    assert.ok(f, `${type} has no field ${k}`);
    const one = (x) => {
      if (SCHEMA[f.type]) return message(x, f.type);
      if (f.type === 'enum') return typeof x === 'number' ? x : num(x);
      if (/64/.test(f.type)) {
        const b = BigInt(x);
        if (!Number.isSafeInteger(Number(b)) || BigInt(Number(b)) !== b) {
          if (!out.$big) Object.defineProperty(out, '$big', { value: {}, enumerable: false });
          out.$big[k] = b;
        }
        return Number(b);
      }
      return x;
    };
    out[k] = f.repeated ? v.map(one) : one(v);
  }
  return out;
}

// Runs fn; returns [value, code, message] (code '' when it returned).
function outcome(fn) {
  try { return [fn(), '', '']; } catch (e) {
    if (!(e instanceof T.StatusError)) throw e;
    return [undefined, e.code, e.message];
  }
}
function expectOutcome(v, fn, label) {
  const [value, code, msg] = outcome(fn);
  assert.equal(code, v.code, `${label}: code (${msg})`);
  assert.equal(msg, v.error, `${label}: message`);
  return value;
}

const str = (x) => String(x);
// LotTrace <-> the vectors' JSON (LotTrace's field names, enums by name).
function traceOf(j) {
  return T.lotTrace({
    lotId: j.lot_id ?? '', material: j.material ?? '', unit: num(j.unit), finenessPtt: j.fineness_ptt ?? 0,
    origin: num(j.origin), certified: j.certified ?? false, stoneOrigin: num(j.stone_origin), graded: j.graded ?? false,
    stones: BigInt(j.stones ?? 0), site: j.site ?? '', naturalChain: j.natural_chain ?? false, creditBooked: j.credit_booked ?? false,
    mbShareBp: j.mb_share_bp ?? 0, mbAccounts: j.mb_accounts ?? [], mbSchemes: j.mb_schemes ?? [],
    originSchemes: j.origin_schemes ?? [], sources: j.sources ?? [],
    alloy: (j.alloy ?? []).map((a) => ({ material: a.material, ptt: a.ptt, origin: num(a.origin) })),
  });
}
const alloyJson = (alloy) => alloy.map((a) => ({ material: a.material, ptt: a.ptt, origin: nameOf('OriginClass', a.origin) }));
function traceJson(t) {
  return { lot_id: t.lotId, material: t.material, unit: nameOf('Unit', t.unit), fineness_ptt: t.finenessPtt,
    origin: nameOf('OriginClass', t.origin), certified: t.certified, stone_origin: nameOf('StoneOrigin', t.stoneOrigin),
    graded: t.graded, stones: str(t.stones), site: t.site, natural_chain: t.naturalChain, credit_booked: t.creditBooked,
    mb_share_bp: t.mbShareBp, mb_accounts: t.mbAccounts, mb_schemes: t.mbSchemes, origin_schemes: t.originSchemes,
    sources: t.sources, alloy: alloyJson(t.alloy) };
}
const quantities = (list) => list.map((x) => ({ lot: traceOf(x.lot), quantity: BigInt(x.quantity), stones: BigInt(x.stones ?? 0) }));
const claimJson = (c) => ({ material: c.material, attribute: nameOf('Attribute', c.attribute), model: nameOf('CustodyModel', c.model),
  share_bp: c.share_bp, account_id: c.account_id, scheme: c.scheme });

test('StatedFinenessPtt', () => {
  for (const v of V.stated_fineness) {
    const got = expectOutcome(v, () => T.statedFinenessPtt(v.ppt, v.ptt, v.trade_rules, v.what), `${v.ppt}/${v.ptt}`);
    if (!v.code) assert.equal(got, v.want);
  }
  return V.stated_fineness.length;
});

test('DeclaredLossPtt', () => {
  for (const v of V.declared_loss) {
    const got = expectOutcome(v, () => T.declaredLossPtt(message(v.transformation, 'Transformation')), v.name);
    if (!v.code) assert.equal(str(got), v.want, v.name);
  }
  return V.declared_loss.length;
});

test('HallmarkFinenessPtt', () => {
  for (const v of V.hallmarks) {
    const got = expectOutcome(v, () => T.hallmarkFinenessPtt(v.hallmark), JSON.stringify(v.hallmark));
    if (!v.code) assert.equal(got, v.want, v.hallmark);
  }
  return V.hallmarks.length;
});

test('FinenessText and KaratText', () => {
  for (const v of V.fineness_text) {
    assert.equal(T.finenessText(v.ptt), v.fineness, String(v.ptt));
    assert.equal(T.karatText(v.ptt), v.karats, String(v.ptt));
  }
  return V.fineness_text.length;
});

test('HasLabGrownQualifier', () => {
  for (const v of V.lab_grown_qualifier) assert.equal(T.hasLabGrownQualifier(v.description), v.want, v.description);
  return V.lab_grown_qualifier.length;
});

test('CheckGemstoneDisclosure', () => {
  for (const v of V.gemstone_disclosure) expectOutcome(v, () => T.checkGemstoneDisclosure(message(v.lot, 'LotCreated')), v.name);
  return V.gemstone_disclosure.length;
});

test('CheckNewParcel', () => {
  for (const v of V.new_parcel) expectOutcome(v, () => T.checkNewParcel(message(v.parcel, 'StoneParcel'), BigInt(v.weight)), JSON.stringify(v.parcel));
  return V.new_parcel.length;
});

test('DrawFromParcel, draw after draw', () => {
  for (const v of V.parcel_draws) {
    let balance = { stones: BigInt(v.before.stones), weight: BigInt(v.before.weight) };
    const got = [];
    const draws = v.draws.map((d) => message(d, 'LotQuantity'));
    expectOutcome(v, () => {
      for (const d of draws) {
        balance = T.drawFromParcel(balance, d, d.lot_id);
        got.push({ stones: str(balance.stones), weight: str(balance.weight) });
      }
    }, v.name);
    assert.deepEqual(got, v.want, v.name);
  }
  return V.parcel_draws.length;
});

test('ApplyCredit, record after record', () => {
  for (const v of V.credit) {
    let book = { seq: 0n, balance: 0n };
    const got = [];
    expectOutcome(v, () => {
      for (const r of v.records) {
        book = T.applyCredit(book, r.allocation, BigInt(r.fine), BigInt(r.seq), BigInt(r.balance_after), v.account_id);
        got.push({ seq: str(book.seq), balance: str(book.balance) });
      }
    }, v.name);
    assert.deepEqual(got, v.want, v.name);
  }
  return V.credit.length;
});

test('CheckPeriod', () => {
  for (const v of V.period) expectOutcome(v, () => T.checkPeriod(BigInt(v.t), BigInt(v.start), BigInt(v.end), v.account_id), v.t);
  return V.period.length;
});

test('AllocatedShareBp', () => {
  for (const v of V.allocated_share) assert.equal(T.allocatedShareBp(BigInt(v.fine), BigInt(v.lot_fine)), v.want, `${v.fine}/${v.lot_fine}`);
  return V.allocated_share.length;
});

test('ValidSchemeName and CheckSchemeMayIssue', () => {
  for (const v of V.scheme_names) expectOutcome(v, () => T.validSchemeName(v.name), v.name);
  for (const v of V.scheme_may_issue) {
    expectOutcome(v, () => T.checkSchemeMayIssue(num(v.kind), message(v.certificate, 'CertificateIssued')), `${v.kind} ${JSON.stringify(v.certificate)}`);
  }
  return V.scheme_names.length + V.scheme_may_issue.length;
});

test('TraceOfCreated', () => {
  for (const v of V.trace_of_created) {
    const t = T.traceOfCreated(message(v.created, 'LotCreated'), v.fineness_ptt, v.schemes, v.kp);
    assert.deepEqual(traceJson(t), traceJson(traceOf(v.want)), v.name);
  }
  return V.trace_of_created.length;
});

test('TraceOfOutputs and OutputAlloy', () => {
  for (const v of V.trace_of_outputs) {
    const t = message(v.transformation, 'Transformation');
    const same = quantities(v.same), alloying = quantities(v.alloying);
    assert.deepEqual(traceJson(T.traceOfOutputs(t, same, alloying, v.trade_rules)), traceJson(traceOf(v.want)), v.name);
    assert.deepEqual(alloyJson(T.outputAlloy(same, alloying, v.out_ptt)), v.want_alloy, v.name);
  }
  return V.trace_of_outputs.length;
});

test('ComputePieceClaims, CheckMaterialClaims and MaterialClaimText', () => {
  for (const v of V.piece_claims) {
    const computed = T.computePieceClaims(quantities(v.metal), quantities(v.stones));
    const asserted = v.asserted.map((c) => message(c, 'MaterialClaim'));
    expectOutcome(v, () => T.checkMaterialClaims(asserted, computed), v.name);
    if (v.texts) assert.deepEqual(asserted.map((c) => T.materialClaimText(c)), v.texts, v.name);
    if (v.composition) {
      assert.deepEqual(computed.composition.map((s) => ({ material: s.material, stone: s.stone, amount: str(s.amount), stones: str(s.stones), share_ptt: s.sharePtt })), v.composition, v.name);
    }
    if (v.supported) assert.deepEqual(computed.supported.map(claimJson), v.supported, v.name);
  }
  for (const v of V.material_claim_text) {
    assert.equal(T.materialClaimText(message(v.claim, 'MaterialClaim'), v.account_text), v.want);
  }
  return V.piece_claims.length + V.material_claim_text.length;
});

test('units: mass in g, ozt and dwt; carats', () => {
  for (const v of V.units.mass) assert.equal(T.massText(BigInt(v.milligrams)), v.want, v.milligrams);
  for (const v of V.units.carats) assert.equal(T.caratText(BigInt(v.thousandths)), v.want, v.thousandths);
  for (const v of V.units.fine_mass) assert.equal(T.fineMassText(BigInt(v.fine)), v.want, v.fine);
  for (const v of V.units.fineness_karats) assert.equal(T.finenessKaratText(v.ptt), v.want, String(v.ptt));
  for (const v of V.units.metal_fineness) assert.equal(T.metalFinenessText(v.material, v.ptt), v.want, v.material);
  assert.equal(T.quantityText(num('UNIT_MILLIGRAM'), 1000000n), V.units.mass[0].want);
  assert.equal(T.quantityText(num('UNIT_CARAT_THOUSANDTH'), 1250n), '1.250 ct');
  return Object.values(V.units).reduce((n, list) => n + list.length, 0);
});

// ---------------------------------------------------------------- the replay's trade steps (verify_trade.js)

const R = await load('verify_trade.js');
const TRADE_POLICY = { rules_version: 2 };
// The replay's context as verify.js makes it, failures thrown as {rule, detail}.
function context() {
  const g = { lots: new Map(), certificates: new Map(), issued: new Map(), schemes: new Map(), accounts: new Map(),
    stones: [], metal: [], parcelStones: [], piece: null, claims: null };
  const fail = (rule, detail) => { throw Object.assign(new Error(detail), { rule, detail }); };
  return { g, fail, broken: (item, rule, label, what) => fail(rule, `${label} rule: ${item.where} ${what}`),
    refused: (item, rule, e) => fail(rule, `${item.where}: ${e.message}`),
    getLot: (item, id) => g.lots.get(id) ?? fail('completeness', id), hold: () => {}, rely: () => {} };
}
const entry = (index, kind, body, signer, fields = {}) => ({ index, kind, body: message(body, SCHEMA.Record[Object.keys(SCHEMA.Record).find((n) => SCHEMA.Record[n].name === kind)].type),
  record: message({ signer, event_time_micros: fields.t ?? '1791000000000000' }, 'Record'), policy: TRADE_POLICY, where: `entry ${index} (${kind})` });
function refusedFor(fn, rule, pattern) {
  assert.throws(fn, (e) => e.rule === rule && pattern.test(e.detail), `want ${rule} ${pattern}`);
}

test('replay: a second draw past a parcel\'s count is refused (parcel)', () => {
  const x = context();
  x.g.lots.set('melee', { trace: T.lotTrace({ lotId: 'melee', stones: 100n }), parcel: { stones: 100n, weight: 1000n }, quantity: 1000n });
  const draw = (i, stones, q, sl, ql) => entry(i, 'transformation', { process: 'PROCESS_SPLIT', material: 'diamond',
    inputs: [{ lot_id: 'melee', quantity: q, stones, stones_left: sl, quantity_left: ql }], outputs: [{ lot_id: `o${i}`, quantity: q, fineness_ptt: 10000, stones }] }, 'cutter');
  R.drawFromParcels(x, draw(5, 76, 760, 24, 240), true);
  refusedFor(() => R.drawFromParcels(x, draw(6, 30, 200, 0, 40), true), 'parcel', /^entry 6 \(transformation\): parcel rule: parcel 'melee' holds 24 stones weighing 240; the draw takes 30 weighing 200$/);
  return 1;
});

test('replay: over-allocated mass-balance credit is refused (mass-balance)', () => {
  const x = context();
  x.g.accounts.set('mb-s1', { opened: message({ account_id: 'mb-s1', site: 'S', material: 'gold', period_start_micros: '1790812800000000', period_end_micros: '1798761600000000' }, 'CreditAccountOpened'),
    owner: 'refiner', scheme: 'rjc-coc', book: { seq: 1n, balance: 1000n } });
  const alloc = entry(9, 'credit_allocated', { account_id: 'mb-s1', lot_id: 'elsewhere', fine: '1001', seq: '2', balance_after: '-1' }, 'refiner');
  refusedFor(() => R.allocateCredit(x, alloc), 'mass-balance', /^entry 9 \(credit_allocated\): mass balance rule: account 'mb-s1' holds 1000 fine units of credit; the allocation spends 1001$/);
  refusedFor(() => R.allocateCredit(x, { ...alloc, record: message({ signer: 'other', event_time_micros: '1791000000000000' }, 'Record') }), 'mass-balance', /only 'refiner', who opened account 'mb-s1'/);
  refusedFor(() => R.allocateCredit(x, { ...alloc, record: message({ signer: 'refiner', event_time_micros: '1798761600000000' }, 'Record') }), 'mass-balance', /covers 2026-10-01 to 2027-01-01; the record is dated 2027-01-01/);
  return 3;
});

test('replay: a certificate of a registered scheme signed by another participant is refused (scheme)', () => {
  const x = context();
  x.g.schemes.set('rjc-coc', { issuer: 'rjc', kind: num('SCHEME_KIND_CHAIN_OF_CUSTODY'), index: 3 });
  const cert = (signer) => entry(7, 'certificate_issued', { certificate_id: 'c1', scheme: 'rjc-coc' }, signer);
  R.checkCertificate(x, cert('rjc'));
  refusedFor(() => R.checkCertificate(x, cert('mallory')), 'scheme', /^scheme rule: entry 7 \(certificate_issued\) certificate under scheme 'rjc-coc' is signed by 'mallory'; the log pins 'rjc' as its issuer \(entry 3\)$/);
  refusedFor(() => R.checkCertificate(x, entry(8, 'certificate_issued', { certificate_id: 'c2', scheme: 'lbma' }, 'lbma')), 'completeness', /under scheme 'lbma', which no earlier record of the bundle registers/);
  return 3;
});

test('replay: natural rough without a Kimberley Process certificate, a shipment without the SoW statement (warranty)', () => {
  const x = context();
  const rough = entry(4, 'lot_created', { lot_id: 'rough-1', material: 'diamond', origin_class: 'ORIGIN_CLASS_MINED', quantity: '5000', unit: 'UNIT_CARAT_THOUSANDTH', fineness_ptt: 10000 }, 'miner');
  refusedFor(() => R.checkLotEntry(x, rough), 'warranty', /creates natural diamond lot 'rough-1' citing no Kimberley Process certificate/);
  const lot = { trace: T.lotTrace({ lotId: 'd', material: 'diamond', origin: num('ORIGIN_CLASS_MINED'), naturalChain: true }) };
  refusedFor(() => R.checkWarranty(x, entry(5, 'custody_shipped', { lot_id: 'd', shipment_id: 's' }, 'cutter'), lot), 'warranty', /ships natural diamonds \(lot 'd'\) without the System of Warranties statement/);
  R.checkWarranty(x, entry(5, 'custody_shipped', { lot_id: 'd', shipment_id: 's', warranty_statement: T.SYSTEM_OF_WARRANTIES }, 'cutter'), lot);
  // Legacy rules: never refused, the natural chain breaks.
  R.checkWarranty(x, { ...entry(5, 'custody_shipped', { lot_id: 'd', shipment_id: 's' }, 'cutter'), policy: null }, lot);
  assert.equal(lot.trace.naturalChain, false);
  return 4;
});

if (failures) { console.log(`${failures} test(s) failed`); process.exit(1); }
console.log(`all trade.js tests passed (${cases} vectors)`);
