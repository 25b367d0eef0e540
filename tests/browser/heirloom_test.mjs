// The page's port of the owner's-material rules (services/web/heirloom.js, as
// served from the build's services/web/) under Node against
// tests/testdata/heirloom_vectors.json, which tests/heirloom_vectors_test.cc
// reads with the C++ (ledger/provenance/heirloom.h): every vector must give
// the same answer, status code and message here.
//
// Usage: node heirloom_test.mjs --web DIR --vectors FILE
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { web: { type: 'string' }, vectors: { type: 'string' } } });
const H = await import(pathToFileURL(resolve(args.web, 'heirloom.js')).href);
const V = JSON.parse(readFileSync(args.vectors, 'utf8'));

let failures = 0, cases = 0;
function test(name, fn) {
  try { fn(); cases++; console.log(`ok   ${name}`); } catch (e) { failures++; console.log(`FAIL ${name}\n${e.stack}`); }
}

// A lot of the vectors as heirloom.js takes it.
const lot = (j) => ({ lotId: j.lot_id, material: j.material, stone: j.stone, fine: BigInt(j.fine),
  heirloomFine: BigInt(j.heirloom_fine), whole: j.whole, owner: j.owner, intakes: j.intakes, mixed: j.mixed });
const flowOf = (j) => ({ heirloom: BigInt(j.heirloom), fine: BigInt(j.fine), owner: j.owner, intakes: j.intakes,
  mixed: j.mixed, stonesAllOwner: j.stones_all_owner });
// A claim as verify.js decodes one (64-bit figures read exactly by big()), every field present.
const claim = (j) => j && ({ owner_key_id: j.owner_key_id ?? '', material: j.material ?? '', owner_fine: BigInt(j.owner_fine ?? 0),
  material_fine: BigInt(j.material_fine ?? 0), owner_stone_lot_ids: j.owner_stone_lot_ids ?? [], intake_ids: j.intake_ids ?? [] });
// A Transformation as verify.js decodes it: what heirloom.js reads of it.
const transformation = (j) => ({ transformation_id: j.transformation_id ?? '', material: j.material ?? '',
  outputs: (j.outputs ?? []).map((o) => ({ lot_id: o.lot_id ?? '', heirloom_fine: o.heirloom_fine ?? 0 })) });

// Runs fn and checks the vector's code and message; returns the answer.
function outcome(v, fn) {
  let got, code = '', error = '';
  try { got = fn(); } catch (e) {
    if (!e.code) throw e;
    code = e.code;
    error = e.message;
  }
  assert.equal(code, v.code, `${v.name}: ${error}`);
  assert.equal(error, v.error, v.name);
  return got;
}
const claimJson = (c) => ({ owner_key_id: c.owner_key_id, material: c.material, owner_fine: String(c.owner_fine),
  material_fine: String(c.material_fine), owner_stone_lot_ids: c.owner_stone_lot_ids, intake_ids: c.intake_ids });

test('the file holds every function', () => {
  assert.equal(typeof V.format, 'string');
  for (const k of ['combine', 'after_loss', 'check_outputs', 'compute_claim', 'check_claim', 'grams_text', 'claim_text']) {
    assert.ok(V[k].length > 0, k);
  }
});
for (const v of V.combine) {
  test(`combine: ${v.name}`, () => {
    const f = outcome(v, () => H.combineHeirloomInputs(v.same.map(lot), v.alloying.map(lot)));
    if (v.code === '') {
      assert.deepEqual({ heirloom: String(f.heirloom), fine: String(f.fine), owner: f.owner, intakes: f.intakes, mixed: f.mixed,
        stones_all_owner: f.stonesAllOwner }, v.want);
    }
  });
}
for (const v of V.after_loss) {
  test(`after loss: ${v.name}`, () => assert.equal(String(H.heirloomAfterLoss(BigInt(v.heirloom), BigInt(v.fine), BigInt(v.loss))), v.want));
}
for (const v of V.check_outputs) {
  test(`check outputs: ${v.name}`, () => outcome(v, () => H.checkHeirloomOutputs(transformation(v.transformation), flowOf(v.flow),
    BigInt(v.loss), v.output_fine.map(BigInt))));
}
for (const v of V.compute_claim) {
  test(`compute claim: ${v.name}`, () => {
    const c = outcome(v, () => H.computeHeirloomClaim(v.metal.map(lot), v.stones.map(lot)));
    if (v.code === '') assert.deepEqual(claimJson(c), v.want);
  });
}
for (const v of V.check_claim) {
  test(`check claim: ${v.name}`, () => outcome(v, () => H.checkHeirloomClaim(claim(v.piece.heirloom), claim(v.computed))));
}
for (const v of V.grams_text) test(`grams text: ${v.name}`, () => assert.equal(H.heirloomGramsText(BigInt(v.fine_units)), v.want));
for (const v of V.claim_text) test(`claim text: ${v.name}`, () => assert.equal(H.heirloomClaimText(claim(v.claim)), v.want));

console.log(failures ? `${failures} FAILED of ${cases + failures}` : `all ${cases} passed`);
process.exit(failures ? 1 : 0);
