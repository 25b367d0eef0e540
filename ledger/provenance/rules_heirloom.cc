// HeirloomReceived: a customer's own old jewelry enters the ledger as the
// owner's material (ledger/provenance/heirloom.h; docs in the issue 15 spec):
// the jeweler signs, the owner key co-signs; the intake makes one metal lot
// of the owner's material and, for an old piece in the ledger, closes that
// piece and releases its stones as the owner's stones.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/provenance/heirloom.h"
#include "ledger/provenance/lot_trace_state.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {
namespace {

constexpr size_t kMaxDescriptionBytes = 512;
constexpr int kMaxPhotos = 16;

bool IsMetal(const std::string& material) {
  return material == "gold" || material == "silver" || material == "platinum" ||
         material == "palladium";
}

// The record's fields on their own: INVALID_ARGUMENT "heirloom rule: ..."
// naming the first that is wrong.
[[nodiscard]] absl::Status ValidateIntake(const v1::HeirloomReceived& h) {
  auto bad = [](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("heirloom rule: ", what));
  };
  if (h.description().empty() || h.description().size() > kMaxDescriptionBytes) {
    return bad(absl::StrCat("an intake's description must be 1 to ", kMaxDescriptionBytes,
                            " bytes (the object only, never a person)"));
  }
  if (h.photo_sha256_size() > kMaxPhotos) {
    return bad(absl::StrCat("an intake names at most ", kMaxPhotos, " photos"));
  }
  for (const std::string& photo : h.photo_sha256()) {
    if (photo.size() != 32) return bad("each photo_sha256 must be 32 bytes");
  }
  if (h.gross_weight_mg() <= 0 || h.gross_weight_mg() > kMaxQuantity) {
    return bad(absl::StrCat("gross_weight_mg must be 1 to ", kMaxQuantity));
  }
  if (h.metal_mg() <= 0 || h.metal_mg() > h.gross_weight_mg()) {
    return bad(absl::StrCat("metal_mg must be 1 to the gross weight (", h.gross_weight_mg(),
                            " mg); it is ", h.metal_mg()));
  }
  if (h.fineness_ptt() < 1 || h.fineness_ptt() > 10000) {
    return bad("fineness_ptt must be 1 to 10000 (parts per ten thousand, as assayed)");
  }
  if (h.assay_method() == v1::ASSAY_METHOD_UNSPECIFIED ||
      !v1::AssayMethod_IsValid(h.assay_method())) {
    return bad("an intake states its assay method (XRF or fire assay)");
  }
  if (!IsMetal(h.material())) {
    return bad(
        absl::StrCat("material '", h.material(),
                     "' is not a metal an intake takes (gold, silver, platinum, palladium)"));
  }
  return absl::OkStatus();
}

// The old piece `h` repurposes, checked: owner-keyed by the intake's owner,
// not reported lost or stolen, not repurposed before, and `h` lists its
// stones exactly.
[[nodiscard]] absl::StatusOr<v1::PieceState> RepurposedPiece(const Env& env,
                                                             const v1::HeirloomReceived& h,
                                                             const std::string& owner_id) {
  ASSIGN_OR_RETURN(v1::PieceState piece, GetPiece(env, h.repurposed_piece_id()));
  const std::string& id = piece.piece_id();
  if (!piece.has_owner()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "heirloom rule: piece '", id,
        "' has no owner key (no sale named a buyer's key): only its owner's key may give it for "
        "an intake"));
  }
  if (!SameOwnerKey(piece.owner(), h.owner())) {
    return absl::PermissionDeniedError(
        absl::StrCat("heirloom rule: piece '", id, "' belongs to owner key ",
                     OwnerKeyId(piece.owner()), ", not to the intake's owner key ", owner_id));
  }
  if (piece.repurposed_index() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("heirloom rule: piece '", id, "' was already repurposed by intake '",
                     piece.repurposed_intake(), "' (entry ", piece.repurposed_index(), ")"));
  }
  for (v1::PieceEvent e : {piece.owner_status(), piece.last_event()}) {
    if (e == v1::PIECE_EVENT_LOST || e == v1::PIECE_EVENT_STOLEN) {
      return absl::FailedPreconditionError(
          absl::StrCat("heirloom rule: piece '", id, "' is reported ",
                       e == v1::PIECE_EVENT_LOST ? "lost" : "stolen",
                       ": it cannot be repurposed until it is recovered"));
    }
  }
  RETURN_IF_ERROR(RequireNotBefore(env, piece.last_event_micros(), "the piece's last event"));
  std::set<std::string> holds(piece.stone_lot_ids().begin(), piece.stone_lot_ids().end());
  for (const v1::ParcelStones& ps : piece.parcel_stones()) holds.insert(ps.lot_id());
  const std::set<std::string> listed(h.stone_lot_ids().begin(), h.stone_lot_ids().end());
  if (listed != holds) {
    return absl::FailedPreconditionError(
        absl::StrCat("heirloom rule: piece '", id, "' holds the stones [",
                     absl::StrJoin(holds, ", "), "]; the intake lists [",
                     absl::StrJoin(h.stone_lot_ids(), ", "), "]: it lists all of them, no other"));
  }
  return piece;
}

}  // namespace

absl::Status ApplyHeirloomRecord(const Env& env) {
  if (!env.record().has_heirloom_received()) return absl::InternalError("not an heirloom record");
  const v1::HeirloomReceived& h = env.record().heirloom_received();
  RETURN_IF_ERROR(RequireRole(env, "an heirloom intake"));
  RETURN_IF_ERROR(ValidId(h.intake_id(), "intake_id"));
  const std::string intake_key = IntakeKey(h.intake_id());
  ASSIGN_OR_RETURN(std::optional<v1::IntakeState> used, env.state.Get<v1::IntakeState>(intake_key));
  if (used) {
    return absl::AlreadyExistsError(
        absl::StrCat("intake id '", h.intake_id(), "' was already used at entry ", used->index()));
  }
  RETURN_IF_ERROR(ValidateIntake(h));
  RETURN_IF_ERROR(RequireNewLot(env, h.lot_id()));
  RETURN_IF_ERROR(ValidateOwnerKey(h.owner(), "owner"));
  RETURN_IF_ERROR(RequireOwnerSignature(env, h.owner(), "an heirloom intake"));
  const std::string owner_id = OwnerKeyId(h.owner());

  if (h.repurposed_piece_id().empty()) {
    if (!h.stone_lot_ids().empty()) {
      return absl::InvalidArgumentError(
          "heirloom rule: stone_lot_ids are the stones of a repurposed piece: an intake that "
          "repurposes none lists none");
    }
  } else {
    std::set<std::string> seen;
    for (const std::string& id : h.stone_lot_ids()) {
      if (!seen.insert(id).second) {
        return absl::InvalidArgumentError(absl::StrCat("stone '", id, "' is listed twice"));
      }
    }
    ASSIGN_OR_RETURN(v1::PieceState piece, RepurposedPiece(env, h, owner_id));
    // The old piece is closed (its status and history stay)...
    piece.set_repurposed_index(env.index());
    piece.set_repurposed_intake(h.intake_id());
    piece.set_last_event(v1::PIECE_EVENT_REPURPOSED);
    piece.set_last_event_micros(env.t());
    piece.add_history(env.index());
    env.state.Put(PieceKey(piece.piece_id()), piece);
    // ...and its stones become the owner's stones in the jeweler's custody.
    for (const std::string& id : h.stone_lot_ids()) {
      ASSIGN_OR_RETURN(v1::LotState stone, GetLot(env, id));
      stone.clear_active_piece();
      stone.set_custodian(env.record().signer());
      StoreHeirloom(0, true, owner_id, {h.intake_id()}, false, stone);
      stone.set_last_event_micros(env.t());
      stone.add_history(env.index());
      env.state.Put(LotKey(id), stone);
    }
  }

  v1::LotState lot;
  lot.set_lot_id(h.lot_id());
  lot.set_material(h.material());
  lot.set_form("heirloom");
  lot.set_origin_class(v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  lot.set_unit(v1::UNIT_MILLIGRAM);
  lot.set_fineness_ptt(h.fineness_ptt());
  lot.set_quantity(h.metal_mg());
  lot.set_balance(h.metal_mg());
  lot.set_custodian(env.record().signer());
  lot.set_created_index(env.index());
  lot.set_created_micros(env.t());
  lot.set_last_event_micros(env.t());
  lot.add_sources(h.lot_id());
  lot.add_history(env.index());
  StoreHeirloom(h.metal_mg() * static_cast<int64_t>(h.fineness_ptt()), false, owner_id,
                {h.intake_id()}, false, lot);
  env.state.Put(LotKey(lot.lot_id()), lot);

  v1::IntakeState intake;
  intake.set_intake_id(h.intake_id());
  intake.set_index(env.index());
  intake.set_jeweler(env.record().signer());
  intake.set_lot_id(h.lot_id());
  intake.set_owner_key_id(owner_id);
  intake.set_repurposed_piece_id(h.repurposed_piece_id());
  env.state.Put(intake_key, intake);
  return absl::OkStatus();
}

}  // namespace touchstone::rules
