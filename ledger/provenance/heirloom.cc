// The owner's material through transformations and pieces (see heirloom.h).
#include "ledger/provenance/heirloom.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"

namespace touchstone {
namespace {

constexpr int64_t kFinePerMilligram = 10000;  // fine units of 1 mg of pure metal

std::string Int128Text(__int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string s;
  for (; v != 0; v /= 10) {
    const int digit = static_cast<int>(v % 10);
    s.insert(s.begin(), static_cast<char>('0' + (negative ? -digit : digit)));
  }
  return negative ? "-" + s : s;
}

// Grams of fine metal, rounded down (towards zero) to the milligram.
std::string GramsText(__int128 fine_units) {
  const bool negative = fine_units < 0;
  const __int128 mg = (negative ? -fine_units : fine_units) / kFinePerMilligram;
  std::string frac = Int128Text(mg % 1000);
  frac.insert(frac.begin(), 3 - frac.size(), '0');
  return absl::StrCat(negative && mg != 0 ? "-" : "", Int128Text(mg / 1000), ".", frac, " g");
}

// "5.117 g (51170000 fine units)": a figure in grams and exactly.
std::string Figure(__int128 fine_units) {
  return absl::StrCat(GramsText(fine_units), " (", Int128Text(fine_units), " fine units)");
}

// Whether a lot carries an owner's material: metal with heirloom_fine > 0,
// or an owner's stone.
bool Carries(const HeirloomLot& lot) {
  return lot.heirloom_fine > 0 || (lot.stone && !lot.owner.empty());
}

// "fine gold" / "the owner's stone" for a lot's message.
std::string LotMaterialText(const HeirloomLot& lot) {
  if (lot.stone) return absl::StrCat("the owner's ", lot.material);
  return absl::StrCat(GramsText(lot.heirloom_fine), " of the owner's fine ", lot.material);
}

// "[a, b]"; "[]" for none.
std::string ListText(const std::vector<std::string>& ids) {
  return absl::StrCat("[", absl::StrJoin(ids, ", "), "]");
}

// Adds `lot`'s owner to `owner` (first carrying lot `owner_lot`):
// FAILED_PRECONDITION if it is another owner.
[[nodiscard]] absl::Status JoinOwner(const HeirloomLot& lot, std::string& owner,
                                     std::string& owner_lot) {
  if (owner.empty()) {
    owner = lot.owner;
    owner_lot = lot.lot_id;
    return absl::OkStatus();
  }
  if (owner == lot.owner) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("heirloom rule: lot '", owner_lot, "' carries the material of owner key ", owner,
                   " and lot '", lot.lot_id, "' that of owner key ", lot.owner,
                   ": two owners' material never mix"));
}

[[nodiscard]] absl::Status RequireWhole(const HeirloomLot& lot, std::string_view by) {
  if (lot.whole || lot.heirloom_fine <= 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "heirloom rule: lot '", lot.lot_id, "' carries ", LotMaterialText(lot), ": ", Sv(by),
      " takes it whole (its whole remaining quantity); the owner's material is never split off "
      "silently"));
}

}  // namespace

absl::StatusOr<HeirloomFlow> CombineHeirloomInputs(std::span<const HeirloomLot> same,
                                                   std::span<const HeirloomLot> alloying) {
  HeirloomFlow flow;
  std::string owner_lot;
  std::set<std::string> intakes;
  __int128 heirloom = 0, fine = 0;
  for (const HeirloomLot& lot : same) {
    RETURN_IF_ERROR(RequireWhole(lot, "a transformation"));
    if (Carries(lot)) {
      RETURN_IF_ERROR(JoinOwner(lot, flow.owner, owner_lot));
      intakes.insert(lot.intakes.begin(), lot.intakes.end());
    }
    heirloom += std::max<int64_t>(lot.heirloom_fine, 0);
    fine += std::max<int64_t>(lot.fine, 0);
  }
  for (const HeirloomLot& lot : alloying) {
    if (Carries(lot)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "heirloom rule: lot '", lot.lot_id, "' carries ", LotMaterialText(lot),
          ": it cannot be an alloying input of another metal (its lineage would end)"));
    }
  }
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
  if (heirloom > kMax || fine > kMax) {
    return absl::InvalidArgumentError(
        "heirloom rule: the inputs' fine weight is beyond what a lot can hold");
  }
  flow.heirloom = static_cast<int64_t>(heirloom);
  flow.fine = static_cast<int64_t>(fine);
  flow.intakes.assign(intakes.begin(), intakes.end());
  if (flow.heirloom > 0) {
    for (const HeirloomLot& lot : same) {
      if (lot.mixed || lot.heirloom_fine < lot.fine) flow.mixed = true;
    }
  }
  flow.stones_all_owner = !same.empty() && !flow.owner.empty() &&
                          std::all_of(same.begin(), same.end(), [](const HeirloomLot& lot) {
                            return lot.stone && !lot.owner.empty();
                          });
  return flow;
}

int64_t HeirloomAfterLoss(int64_t heirloom, int64_t fine, int64_t loss) {
  if (heirloom <= 0 || fine <= 0) return 0;
  if (loss <= 0) return heirloom;
  const __int128 product = static_cast<__int128>(loss) * heirloom;
  const __int128 share = (product + fine - 1) / fine;  // rounded against the owner
  const __int128 left = static_cast<__int128>(heirloom) - share;
  return left <= 0 ? 0 : static_cast<int64_t>(left);
}

absl::Status CheckHeirloomOutputs(const v1::Transformation& t, const HeirloomFlow& flow,
                                  int64_t loss, std::span<const int64_t> output_fine) {
  if (output_fine.size() != static_cast<size_t>(t.outputs_size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("heirloom rule: transformation '", t.transformation_id(), "' has ",
                     t.outputs_size(), " outputs; ", output_fine.size(), " fine weights given"));
  }
  if (loss < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("heirloom rule: the declared loss of transformation '", t.transformation_id(),
                     "' must not be negative"));
  }
  for (int i = 0; i < t.outputs_size(); ++i) {
    if (t.outputs(i).heirloom_fine() < 0 || output_fine[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "heirloom rule: output '", t.outputs(i).lot_id(), "' states a negative heirloom_fine"));
    }
  }
  const std::string& m = t.material();
  __int128 stated = 0;
  for (int i = 0; i < t.outputs_size(); ++i) {
    const v1::OutputLot& out = t.outputs(i);
    if (out.heirloom_fine() == 0) continue;
    if (flow.heirloom <= 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("heirloom rule: output '", out.lot_id(), "' of transformation '",
                       t.transformation_id(), "' states ", Figure(out.heirloom_fine()),
                       " of the owner's fine ", m, "; its inputs carry none"));
    }
    if (out.heirloom_fine() > output_fine[i]) {
      return absl::FailedPreconditionError(absl::StrCat(
          "heirloom rule: output '", out.lot_id(), "' of transformation '", t.transformation_id(),
          "' states ", Figure(out.heirloom_fine()), " of the owner's fine ", m, "; it holds ",
          Figure(output_fine[i]), " of fine ", m, " in all"));
    }
    stated += out.heirloom_fine();
  }
  const int64_t gives = HeirloomAfterLoss(flow.heirloom, flow.fine, loss);
  if (stated != gives) {
    return absl::FailedPreconditionError(absl::StrCat(
        "heirloom rule: the outputs of transformation '", t.transformation_id(), "' state ",
        Figure(stated), " of the owner's fine ", m, "; its lineage gives ", Figure(gives), ": ",
        Figure(flow.heirloom), " in, less its share of the declared loss ", Figure(loss), " of ",
        Figure(flow.fine), " (rounded against the owner)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::HeirloomClaim> ComputeHeirloomClaim(std::span<const HeirloomLot> metal,
                                                       std::span<const HeirloomLot> stones) {
  v1::HeirloomClaim claim;
  std::string owner, owner_lot, material, material_lot;
  std::set<std::string> intakes, owner_stones;
  __int128 owner_fine = 0;
  for (const HeirloomLot& lot : metal) {
    RETURN_IF_ERROR(RequireWhole(lot, "a piece"));
    if (!Carries(lot)) continue;
    RETURN_IF_ERROR(JoinOwner(lot, owner, owner_lot));
    if (material.empty()) {
      material = lot.material;
      material_lot = lot.lot_id;
    } else if (material != lot.material) {
      return absl::FailedPreconditionError(
          absl::StrCat("heirloom rule: lot '", material_lot, "' carries the owner's ", material,
                       " and lot '", lot.lot_id, "' the owner's ", lot.material,
                       ": a piece's claim is about the owner's material of one metal"));
    }
    owner_fine += lot.heirloom_fine;
    intakes.insert(lot.intakes.begin(), lot.intakes.end());
  }
  for (const HeirloomLot& lot : stones) {
    if (!Carries(lot)) continue;
    RETURN_IF_ERROR(JoinOwner(lot, owner, owner_lot));
    owner_stones.insert(lot.lot_id);
    intakes.insert(lot.intakes.begin(), lot.intakes.end());
  }
  if (owner.empty()) return claim;
  __int128 material_fine = 0;
  if (!material.empty()) {
    for (const HeirloomLot& lot : metal) {
      if (lot.material == material) material_fine += std::max<int64_t>(lot.fine, 0);
    }
  }
  constexpr __int128 kMax = std::numeric_limits<int64_t>::max();
  if (owner_fine > kMax || material_fine > kMax) {
    return absl::InvalidArgumentError(
        "heirloom rule: the piece's fine weight is beyond what a lot can hold");
  }
  claim.set_owner_key_id(owner);
  claim.set_material(material);
  claim.set_owner_fine(static_cast<int64_t>(owner_fine));
  claim.set_material_fine(static_cast<int64_t>(material_fine));
  for (const std::string& id : owner_stones) claim.add_owner_stone_lot_ids(id);
  for (const std::string& id : intakes) claim.add_intake_ids(id);
  return claim;
}

absl::Status CheckHeirloomClaim(const v1::PieceRegistered& piece,
                                const v1::HeirloomClaim& computed) {
  if (!piece.has_heirloom()) return absl::OkStatus();
  const v1::HeirloomClaim& a = piece.heirloom();
  const v1::HeirloomClaim& c = computed;
  auto refuse = [](const std::string& claims, const std::string& gives) {
    return absl::FailedPreconditionError(
        absl::StrCat("heirloom rule: the piece claims ", claims, " but its lineage gives ", gives));
  };
  if (c.owner_key_id().empty()) {
    return refuse(absl::StrCat("the material of owner key ", a.owner_key_id()),
                  "none: no input carries an owner's material");
  }
  if (a.owner_key_id() != c.owner_key_id()) {
    return refuse(absl::StrCat("the material of owner key ", a.owner_key_id()),
                  absl::StrCat("owner key ", c.owner_key_id()));
  }
  auto metal = [](const std::string& m) { return m.empty() ? std::string("no metal") : m; };
  if (a.material() != c.material()) {
    return refuse(absl::StrCat("the owner's ", metal(a.material())), metal(c.material()));
  }
  if (a.owner_fine() != c.owner_fine() || a.material_fine() != c.material_fine()) {
    return refuse(
        absl::StrCat(Figure(a.owner_fine()), " of the owner's ", metal(a.material()), " of its ",
                     Figure(a.material_fine()), " fine ", metal(a.material())),
        absl::StrCat(Figure(c.owner_fine()), " of ", Figure(c.material_fine())));
  }
  auto list = [](const google::protobuf::RepeatedPtrField<std::string>& ids) {
    return ListText(std::vector<std::string>(ids.begin(), ids.end()));
  };
  if (!std::equal(a.owner_stone_lot_ids().begin(), a.owner_stone_lot_ids().end(),
                  c.owner_stone_lot_ids().begin(), c.owner_stone_lot_ids().end())) {
    return refuse(absl::StrCat("the owner's stones ", list(a.owner_stone_lot_ids())),
                  list(c.owner_stone_lot_ids()));
  }
  if (!std::equal(a.intake_ids().begin(), a.intake_ids().end(), c.intake_ids().begin(),
                  c.intake_ids().end())) {
    return refuse(absl::StrCat("the intakes ", list(a.intake_ids())), list(c.intake_ids()));
  }
  return absl::OkStatus();
}

std::string HeirloomGramsText(int64_t fine_units) { return GramsText(fine_units); }

std::string HeirloomClaimText(const v1::HeirloomClaim& claim) {
  std::vector<std::string> parts;
  if (claim.owner_fine() > 0) {
    parts.push_back(absl::StrCat("made from the owner's ", claim.material(), ": ",
                                 GramsText(claim.owner_fine()), " of its ",
                                 GramsText(claim.material_fine()), " fine ", claim.material()));
  }
  if (!claim.owner_stone_lot_ids().empty()) {
    parts.push_back(
        absl::StrCat("the owner's stones: ", absl::StrJoin(claim.owner_stone_lot_ids(), ", ")));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace touchstone
