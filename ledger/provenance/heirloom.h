// The owner's material: how an heirloom intake's fine weight is followed from
// the intake (HeirloomReceived) through every transformation to a piece, and
// what a piece may claim of it ("made from the owner's gold: X g of its Y g
// fine gold"; "the owner's stones"). One definition shared by the rules
// (rules_heirloom.cc) and the bundle verifier; services/web/heirloom.js mirrors
// it and tests/testdata/heirloom_vectors.json pins both to the same answers.
//
// Fine units are milligrams x parts per ten thousand (fineness.h): 1 g of fine
// gold is 10'000'000 fine units.
//
// The rules:
//  - An intake makes one metal lot holding heirloom_fine = metal_mg x
//    fineness_ptt of the owner's material, owner = the owner key's id.
//  - A lot carrying the owner's material (heirloom_fine > 0) is taken whole by
//    a transformation or a piece (its whole remaining quantity): the owner's
//    material is never split off silently. A SPLIT transformation divides it,
//    stating each output's share.
//  - A transformation's inputs of its material may carry one owner's material
//    only (two owners' material never mix). The owner's fine weight in:
//    H = sum of the inputs' heirloom_fine; all fine weight in: F = sum of the
//    inputs' fine weight (quantity x fineness) of the material. The declared
//    loss L (fine units) is shared in proportion, rounded against the owner:
//      owner's fine weight out = H - ceil(L x H / F)
//    and the outputs' stated heirloom_fine must add up to exactly that, each at
//    most the output's own fine weight. With H = 0 every output states 0.
//  - An output is `mixed` if any input of the material carried no (or not
//    only) the owner's material, or was itself mixed. An alloy's other metals
//    (copper, silver in a gold alloy) are not mixing; a lot carrying an owner's
//    material may not be such an alloying input (its lineage would end).
//  - An output carries the owner and the union of the inputs' intakes.
//  - Stones: the stones of a repurposed piece become the owner's stones
//    (heirloom_owner set, heirloom_fine 0). A transformation's outputs are the
//    owner's stones only if every input is that owner's stone.
//  - A piece's HeirloomClaim must equal what its inputs give (ComputeHeirloomClaim):
//    one owner; owner_fine = sum of heirloom_fine of its metal lots (each taken
//    whole); material_fine = all fine weight of that material its metal
//    inputs hold; owner_stone_lot_ids = its stone and parcel lots that are the
//    owner's, sorted; intake_ids sorted. A claim beyond (or short of) it is
//    refused; so is a claim where the inputs carry no owner's material.
//
// Pure functions; thread-safe.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_HEIRLOOM_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_HEIRLOOM_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/record.pb.h"

namespace touchstone {

// What the heirloom rules know of a lot (LotState fields 37..40), and how
// much of it a transformation or piece takes. Value type.
struct HeirloomLot {
  std::string lot_id;
  std::string material;
  bool stone = false;                // unit carats
  int64_t fine = 0;                  // fine weight taken: quantity x fineness_ptt (stones: 0)
  int64_t heirloom_fine = 0;         // the owner's part of the lot's fine weight
  bool whole = false;                // the whole remaining lot is taken
  std::string owner;                 // owner key id ("" if none)
  std::vector<std::string> intakes;  // sorted
  bool mixed = false;
};

// The combined inputs of one transformation's material. Value type.
struct HeirloomFlow {
  int64_t heirloom = 0;  // H
  int64_t fine = 0;      // F
  std::string owner;
  std::vector<std::string> intakes;  // sorted union
  bool mixed = false;
  bool stones_all_owner = false;  // every input a stone of `owner` (stones only)
};

// Combines the inputs of a transformation of `material`: `same` its inputs of
// that material, `alloying` the other metals of an alloy. FAILED_PRECONDITION
// "heirloom rule: ..." if a lot with the owner's material is not taken whole,
// two owners' material would mix, or a lot with an owner's material is an
// alloying input.
[[nodiscard]] absl::StatusOr<HeirloomFlow> CombineHeirloomInputs(
    std::span<const HeirloomLot> same, std::span<const HeirloomLot> alloying);

// H - ceil(loss x H / fine) (0 if H is 0; never below 0). 128-bit arithmetic.
int64_t HeirloomAfterLoss(int64_t heirloom, int64_t fine, int64_t loss);

// Checks the outputs' stated heirloom_fine against `flow` and the declared
// loss `loss` (fine units): `output_fine[i]` is output i's fine weight.
// FAILED_PRECONDITION "heirloom rule: ..." naming the transformation and the
// figures (what the outputs state, what the lineage gives) if they differ, or
// an output states more than its own fine weight; INVALID_ARGUMENT for a
// negative figure.
[[nodiscard]] absl::Status CheckHeirloomOutputs(const v1::Transformation& t,
                                                const HeirloomFlow& flow, int64_t loss,
                                                std::span<const int64_t> output_fine);

// What a piece's inputs give (the claim it must state, if any); nullopt-like
// empty claim (owner_key_id "") if they carry no owner's material.
// FAILED_PRECONDITION "heirloom rule: ..." if a metal lot with an owner's
// material is not taken whole, or the inputs carry two owners' material or an
// owner's material of two metals.
[[nodiscard]] absl::StatusOr<v1::HeirloomClaim> ComputeHeirloomClaim(
    std::span<const HeirloomLot> metal, std::span<const HeirloomLot> stones);

// OK if `asserted` (the piece's HeirloomClaim; unset = no claim) equals
// `computed` field by field, or is unset. FAILED_PRECONDITION "heirloom rule:
// the piece claims ... but its lineage gives ..." otherwise, with both
// figures in grams (HeirloomGramsText).
[[nodiscard]] absl::Status CheckHeirloomClaim(const v1::PieceRegistered& piece,
                                              const v1::HeirloomClaim& computed);

// "5.117 g": fine units as grams of fine metal, rounded down to the milligram.
std::string HeirloomGramsText(int64_t fine_units);

// "made from the owner's gold: 5.117 g of its 7.316 g fine gold" and, if any,
// "; the owner's stones: LAB-7". The page prints the same text.
std::string HeirloomClaimText(const v1::HeirloomClaim& claim);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_HEIRLOOM_H_
