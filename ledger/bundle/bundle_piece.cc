// Parcels and the piece as the bundle's replay keeps them
// (bundle_verify_internal.h): every draw from a parcel replayed from its
// creation (ledger/provenance/parcels.h), and the piece's whole parcels,
// per-material claims (material_trace.h), hallmark (fineness.h) and lab-grown
// disclosure (disclosure.h), with the shared definitions the ledger's rules use.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/log_policy.h"

namespace touchstone::bundle {
namespace {

// What the piece's inputs support now: its metal by weight taken, its graded
// stones whole, its parcels as they were when taken.
PieceClaims ComputeClaims(const Graph& g) {
  std::vector<TracedQuantity> metal, stones;
  for (const v1::MetalInput& m : g.piece->metal_inputs()) {
    metal.push_back({&g.lots.at(m.lot_id()).trace, m.quantity(), 0});
  }
  for (const std::string& id : g.stones) {
    const Lot& lot = g.lots.at(id);
    stones.push_back({&lot.trace, lot.quantity, 1});
  }
  for (const PieceStone& p : g.parcel_stones) {
    stones.push_back({&g.lots.at(p.lot_id).trace, p.weight, p.stones});
  }
  return ComputePieceClaims(metal, stones);
}

// The piece's material claims against what its inputs support. When the
// piece's weights rest on a sealed entry (Graph::weights_from), a mass-balance
// claim's share (a share by weight) is vouched for and every other claim is
// checked (what a claim of a physical model holds rests on origins, not weights).
[[nodiscard]] absl::Status CheckClaims(const Item& item, Graph& g) {
  google::protobuf::RepeatedPtrField<v1::MaterialClaim> checked;
  for (const v1::MaterialClaim& c : g.piece->material_claims()) {
    if (g.weights_from != 0 && c.model() == v1::CUSTODY_MODEL_MASS_BALANCE) {
      Vouch(g, item,
            absl::StrCat("the share by weight of the claim '", MaterialClaimText(c), "'",
                         SealedAt(item, g.weights_from)));
      continue;
    }
    *checked.Add() = c;
  }
  if (absl::Status s = CheckMaterialClaims(checked, g.claims); !s.ok()) {
    return Refused(item, rule::kClaims, s);
  }
  return absl::OkStatus();
}

// The piece takes each parcel whole: the signer holds it, and the piece takes
// every stone the parcel's draws left, and some weight.
[[nodiscard]] absl::Status TakeParcels(const Item& item, Graph& g) {
  for (const v1::ParcelStones& p : item.record.piece_registered().parcel_stones()) {
    ASSIGN_OR_RETURN(Lot * lot, GetLot(g, item, p.lot_id()));
    if (lot->trace.stones == 0 && lot->sealed_at == 0) {
      return Broken(item, rule::kParcel, "parcel",
                    absl::StrCat("sets lot '", p.lot_id(), "' as a parcel; it is not one"));
    }
    RETURN_IF_ERROR(Hold(item, p.lot_id(), *lot));
    if (lot->sealed_at != 0) {  // its count and weight left are hidden
      Vouch(g, item,
            absl::StrCat("the piece takes parcel '", p.lot_id(), "' whole",
                         SealedAt(item, lot->sealed_at)));
      g.parcel_stones.push_back({p.lot_id(), lot->parcel.weight, p.stones()});
      lot->parcel = {};
      continue;
    }
    if (p.stones() != lot->parcel.stones || lot->parcel.weight <= 0) {
      return Broken(
          item, rule::kParcel, "parcel",
          absl::StrCat("takes ", p.stones(), " stones of parcel '", p.lot_id(), "', which holds ",
                       lot->parcel.stones, " weighing ", lot->parcel.weight,
                       "; a piece takes a whole parcel (split one off first)"));
    }
    g.parcel_stones.push_back({p.lot_id(), lot->parcel.weight, lot->parcel.stones});
    lot->parcel = {};  // used up
  }
  return absl::OkStatus();
}

// A hallmark is a fineness mark no finer than the piece's lowest metal.
[[nodiscard]] absl::Status CheckHallmark(const Item& item, const Graph& g) {
  const std::string& mark = g.piece->hallmark();
  if (mark.empty()) return absl::OkStatus();
  absl::StatusOr<int32_t> ptt = HallmarkFinenessPtt(mark);
  if (!ptt.ok()) return Refused(item, rule::kHallmark, ptt.status());
  if (g.metal.empty()) {
    return Refused(
        item, rule::kHallmark,
        absl::InvalidArgumentError(absl::StrCat("hallmark '", mark, "' on a piece without metal")));
  }
  const Lot* lowest = nullptr;
  for (const std::string& id : g.metal) {
    const Lot& lot = g.lots.at(id);
    if (lowest == nullptr || lot.trace.fineness_ptt < lowest->trace.fineness_ptt) lowest = &lot;
  }
  if (*ptt > lowest->trace.fineness_ptt) {
    return Broken(
        item, rule::kHallmark, "hallmark",
        absl::StrCat("marks the piece '", mark, "' (", FinenessText(*ptt),
                     "); its lowest metal fineness is ", FinenessText(lowest->trace.fineness_ptt),
                     " (lot '", lowest->trace.lot_id, "')"));
  }
  return absl::OkStatus();
}

// A piece with a lab-grown stone says so (US FTC Jewelry Guides, 16 CFR 23.12).
[[nodiscard]] absl::Status CheckDisclosure(const Item& item, const Graph& g) {
  std::vector<std::string> ids = g.stones;
  for (const PieceStone& p : g.parcel_stones) ids.push_back(p.lot_id);
  for (const std::string& id : ids) {
    if (g.lots.at(id).trace.stone_origin != v1::STONE_ORIGIN_LAB_GROWN) continue;
    if (HasLabGrownQualifier(g.piece->description())) return absl::OkStatus();
    return Broken(item, rule::kDisclosure, "disclosure",
                  absl::StrCat("describes a piece with lab-grown stones (lot '", id, "') as '",
                               g.piece->description(),
                               "', without a qualifier such as \"laboratory-grown\""));
  }
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status DrawFromParcels(const Item& item, Graph& g, bool full) {
  const v1::Transformation& t = item.record.transformation();
  const bool trade = TradeRules(item.policy);
  if (item.Hidden()) {
    // The draws' stones and remainders and the outputs' stones are committed.
    bool parcels = false;
    for (const v1::LotQuantity& in : t.inputs()) {
      auto it = g.lots.find(in.lot_id());
      if (it == g.lots.end() || (it->second.trace.stones == 0 && it->second.sealed_at == 0)) {
        continue;
      }
      parcels = true;
      it->second.sealed_at = item.index;  // what the draw left is hidden
    }
    if (trade && (parcels || full)) {
      Vouch(g, item,
            absl::StrCat("the parcel draws and parcel outputs of transformation '",
                         t.transformation_id(), "'"));
    }
    return absl::OkStatus();
  }
  bool all_draws = !t.inputs().empty(), any_parcel = false, vouched = false;
  int64_t drawn = 0;
  for (const v1::LotQuantity& in : t.inputs()) {
    auto it = g.lots.find(in.lot_id());
    if (it == g.lots.end()) {  // not in the graph: a draw-only transformation's other input
      all_draws = false;
      continue;
    }
    Lot& lot = it->second;
    if (lot.sealed_at != 0) {  // a parcel, and what is left of it, may be hidden
      Vouch(g, item,
            absl::StrCat("the draw of transformation '", t.transformation_id(), "' from lot '",
                         in.lot_id(), "'", SealedAt(item, lot.sealed_at)));
      vouched = true;
      continue;
    }
    if (lot.trace.stones == 0) {
      all_draws = false;
      if (trade && (in.stones() != 0 || in.stones_left() != 0 || in.quantity_left() != 0)) {
        return Refused(item, rule::kParcel,
                       absl::InvalidArgumentError(absl::StrCat(
                           "lot '", in.lot_id(),
                           "' is not a parcel: stones, stones_left and quantity_left are for "
                           "draws from parcels")));
      }
      continue;
    }
    any_parcel = true;
    if (!trade) {  // legacy: no parcel rules; follow what the draw takes
      lot.parcel = {lot.parcel.stones - in.stones(), lot.parcel.weight - in.quantity()};
      continue;
    }
    absl::StatusOr<ParcelBalance> left = DrawFromParcel(lot.parcel, in, in.lot_id());
    if (!left.ok()) return Refused(item, rule::kParcel, left.status());
    lot.parcel = *left;
    drawn += in.stones();
  }
  if (!full || !trade || vouched) return absl::OkStatus();
  int64_t made = 0;
  bool any_out = false, all_out = true;
  for (const v1::OutputLot& out : t.outputs()) {
    made += out.stones();
    any_out = any_out || out.stones() > 0;
    all_out = all_out && out.stones() > 0;
  }
  const bool split_or_merge = t.process() == v1::PROCESS_SPLIT || t.process() == v1::PROCESS_MERGE;
  if (any_out && !(all_draws && split_or_merge && made == drawn) &&
      !(t.process() == v1::PROCESS_CUT_AND_POLISH && !any_parcel)) {
    return Refused(
        item, rule::kParcel,
        absl::InvalidArgumentError(absl::StrCat("its outputs hold ", made,
                                                " stones: only a split or merge of parcel draws "
                                                "(stone for stone: they draw ",
                                                drawn, ") or cutting rough makes a parcel")));
  }
  if (all_draws && !all_out) {
    return Refused(item, rule::kParcel,
                   absl::InvalidArgumentError(
                       "every input is a parcel draw, so every output is a parcel (stones > 0)"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckPieceTrade(const Item& item, Graph& g) {
  const bool trade = TradeRules(item.policy);
  RETURN_IF_ERROR(TakeParcels(item, g));
  g.claims = ComputeClaims(g);
  if (g.weights_from != 0) {
    Vouch(g, item,
          absl::StrCat("the piece's composition by weight", SealedAt(item, g.weights_from)));
  }
  RETURN_IF_ERROR(CheckClaims(item, g));
  if (!trade) return absl::OkStatus();
  RETURN_IF_ERROR(CheckHallmark(item, g));
  return CheckDisclosure(item, g);
}

[[nodiscard]] absl::Status RecheckPieceClaims(const Item& item, Graph& g) {
  g.claims = ComputeClaims(g);
  if (!TradeRules(item.policy)) return absl::OkStatus();
  return CheckClaims(item, g);
}

}  // namespace touchstone::bundle
