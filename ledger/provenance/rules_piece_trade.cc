// The trade rules' part of a piece (PieceRegistered, StoneReplaced): stones
// taken from parcels, per-material claims computed from the lots' traces
// (material_trace.h) and the heirloom claim from the owner's material its
// lots carry (heirloom.h) (both checked under every rules version, the fields
// having no legacy meaning), and under the trade rules the hallmark against
// the metal's fineness (fineness.h) and the lab-grown qualifier (disclosure.h).
#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/heirloom.h"
#include "ledger/provenance/lot_trace_state.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {
namespace {

// The traces of a piece's inputs, and what each contributes.
struct PieceInputs {
  std::deque<LotTrace> traces;
  std::vector<TracedQuantity> metal, stones;
  std::vector<HeirloomLot> heirloom_metal, heirloom_stones;  // heirloom.h
  // `whole`: the piece takes the lot's whole remaining quantity.
  void Add(const v1::LotState& lot, int64_t quantity, int64_t stones, bool stone, bool whole) {
    traces.push_back(TraceOfLot(lot));
    (stone ? this->stones : metal).push_back({&traces.back(), quantity, stones});
    (stone ? heirloom_stones : heirloom_metal).push_back(HeirloomOfLot(lot, quantity, whole));
  }
};

// Takes the whole remaining parcel `ps` into `piece_id`; adds it to `inputs`.
[[nodiscard]] absl::Status TakeParcel(const Env& env, const v1::ParcelStones& ps,
                                      const std::string& piece_id, PieceInputs& inputs) {
  ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, ps.lot_id()));
  if (lot.stones() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("lot '", ps.lot_id(), "' is not a parcel"));
  }
  RETURN_IF_ERROR(RequireCustody(env, lot, "set in a piece"));
  if (lot.balance() == 0 || lot.stones_balance() == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("parcel rule: parcel '", ps.lot_id(), "' is used up"));
  }
  if (ps.stones() != lot.stones_balance()) {
    return absl::FailedPreconditionError(
        absl::StrCat("parcel rule: a piece takes a whole parcel: parcel '", ps.lot_id(), "' holds ",
                     lot.stones_balance(), " stones, the piece states ", ps.stones(),
                     " (split the stones off into a parcel of their own first)"));
  }
  inputs.Add(lot, lot.balance(), lot.stones_balance(), true, true);
  lot.set_balance(0);
  lot.set_stones_balance(0);
  lot.set_active_piece(piece_id);
  lot.set_last_event_micros(env.t());
  lot.add_history(env.index());
  env.state.Put(LotKey(lot.lot_id()), lot);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckHallmark(const v1::PieceRegistered& p, const PieceInputs& in) {
  if (p.hallmark().empty()) return absl::OkStatus();
  if (in.metal.empty()) {
    return absl::InvalidArgumentError("a piece without metal carries no hallmark");
  }
  ASSIGN_OR_RETURN(const int32_t marked, HallmarkFinenessPtt(p.hallmark()));
  const auto lowest = std::min_element(in.metal.begin(), in.metal.end(),
                                       [](const TracedQuantity& a, const TracedQuantity& b) {
                                         return a.lot->fineness_ptt < b.lot->fineness_ptt;
                                       });
  if (marked > lowest->lot->fineness_ptt) {
    return absl::FailedPreconditionError(absl::StrCat(
        "hallmark rule: hallmark '", p.hallmark(), "' states ", FinenessText(marked), "; lot '",
        lowest->lot->lot_id, "' is ", FinenessText(lowest->lot->fineness_ptt)));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckLabGrownDisclosure(const v1::PieceRegistered& p,
                                                   const PieceInputs& in) {
  for (const TracedQuantity& q : in.stones) {
    if (q.lot->stone_origin == v1::STONE_ORIGIN_LAB_GROWN &&
        !HasLabGrownQualifier(p.description())) {
      return absl::FailedPreconditionError(
          absl::StrCat("disclosure rule: stone '", q.lot->lot_id,
                       "' is lab-grown; the piece's description must say so (\"laboratory-grown\", "
                       "\"lab-grown\", \"laboratory-created\", ...)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status ApplyPieceTrade(const Env& env, const v1::PieceRegistered& p,
                                           v1::PieceState& piece) {
  if (env.trade() && !p.claims().empty()) {
    return absl::InvalidArgumentError(
        "claim rule: the legacy claims field is not used under the trade rules; state "
        "material_claims");
  }
  PieceInputs in;
  for (const v1::MetalInput& m : p.metal_inputs()) {
    // The lot as the piece left it (ApplyPieceRegistered took the metal): a
    // lot left empty was taken whole.
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, m.lot_id()));
    in.Add(lot, m.quantity(), 0, false, lot.balance() == 0);
  }
  for (const std::string& id : p.stone_lot_ids()) {
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, id));
    in.Add(lot, lot.quantity(), 1, true, true);
  }
  for (const v1::ParcelStones& ps : p.parcel_stones()) {
    RETURN_IF_ERROR(TakeParcel(env, ps, p.piece_id(), in));
  }
  RETURN_IF_ERROR(
      CheckMaterialClaims(p.material_claims(), ComputePieceClaims(in.metal, in.stones)));
  ASSIGN_OR_RETURN(const v1::HeirloomClaim heirloom,
                   ComputeHeirloomClaim(in.heirloom_metal, in.heirloom_stones));
  RETURN_IF_ERROR(CheckHeirloomClaim(p, heirloom));
  if (env.trade()) {
    RETURN_IF_ERROR(CheckHallmark(p, in));
    RETURN_IF_ERROR(CheckLabGrownDisclosure(p, in));
  }
  *piece.mutable_material_claims() = p.material_claims();
  *piece.mutable_parcel_stones() = p.parcel_stones();
  if (p.has_heirloom()) *piece.mutable_heirloom() = p.heirloom();
  return absl::OkStatus();
}

[[nodiscard]] absl::Status RecheckMaterialClaims(const Env& env, const v1::PieceState& piece) {
  // Only the stones changed: their claims are checked again, against the
  // piece's stones now (a parcel's weight: the parcel's, which the piece took whole).
  google::protobuf::RepeatedPtrField<v1::MaterialClaim> about_stones;
  for (const v1::MaterialClaim& c : piece.material_claims()) {
    if (c.attribute() != v1::ATTRIBUTE_RECYCLED) *about_stones.Add() = c;
  }
  if (about_stones.empty()) return absl::OkStatus();
  PieceInputs in;
  for (const std::string& id : piece.stone_lot_ids()) {
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, id));
    in.Add(lot, lot.quantity(), 1, true, true);
  }
  for (const v1::ParcelStones& ps : piece.parcel_stones()) {
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, ps.lot_id()));
    in.Add(lot, lot.quantity(), ps.stones(), true, true);
  }
  return CheckMaterialClaims(about_stones, ComputePieceClaims(in.metal, in.stones));
}

}  // namespace touchstone::rules
