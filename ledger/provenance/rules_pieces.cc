// Rules for finished pieces (stones, metal, derived claims, lifecycle) and for
// error declarations.
#include <set>

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/claims.h"
#include "ledger/provenance/gs1.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {
namespace {

bool IsValidPieceId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~';
    if (!ok) return false;
  }
  return true;
}

// Takes a graded stone into `piece_id`: held by the signer, graded by a report
// valid now, not set in another piece.
[[nodiscard]] absl::StatusOr<v1::LotState> TakeStone(const Env& env, const std::string& lot_id,
                                                     const std::string& piece_id) {
  ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, lot_id));
  if (!lot.active_piece().empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "stone rule: stone '", lot_id, "' is already set in piece '", lot.active_piece(), "'"));
  }
  if (lot.unit() != v1::UNIT_CARAT_THOUSANDTH) {
    return absl::InvalidArgumentError(absl::StrCat("lot '", lot_id, "' is not a stone"));
  }
  if (lot.shipment_id().empty() && lot.custodian() != env.record().signer()) {
    return absl::PermissionDeniedError(
        absl::StrCat("custody rule: stone '", lot_id, "' is held by '", lot.custodian(), "'"));
  }
  if (!lot.shipment_id().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("custody rule: stone '", lot_id, "' is in transit"));
  }
  // After the custody checks: what is left of a sealed lot is its custodian's to know.
  if (lot.balance() == 0) {
    return absl::InvalidArgumentError(absl::StrCat("lot '", lot_id, "' is not a stone"));
  }
  if (lot.grading_report_id().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("stone rule: stone '", lot_id, "' has no grading report"));
  }
  ASSIGN_OR_RETURN(v1::CertificateState report, GetCertificate(env, lot.grading_report_id()));
  RETURN_IF_ERROR(CertificateInForce(env, report));
  RETURN_IF_ERROR(RequireNotBefore(env, lot.last_event_micros(),
                                   absl::StrCat("the last event of stone '", lot_id, "'")));
  lot.set_active_piece(piece_id);
  lot.set_last_event_micros(env.t());
  lot.add_history(env.index());
  return lot;
}

// The claims a piece's inputs support (ledger/provenance/claims.h), from the lots' state.
[[nodiscard]] absl::StatusOr<DerivedClaims> DeriveClaims(const Env& env,
                                                         const v1::PieceState& piece) {
  std::vector<ClaimInput> metal, stones;
  for (const v1::MetalInput& m : piece.metal_inputs()) {
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, m.lot_id()));
    metal.push_back(
        {.lot_id = lot.lot_id(), .origin = lot.origin_class(), .certified = lot.certified()});
  }
  for (const std::string& id : piece.stone_lot_ids()) {
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, id));
    stones.push_back(
        {.lot_id = id, .stone_origin = lot.stone_origin(), .certified = lot.certified()});
  }
  return DeriveClaims(metal, stones);
}

[[nodiscard]] absl::Status SetDerivedClaims(const Env& env, v1::PieceState& piece,
                                            const google::protobuf::RepeatedField<int>& asserted) {
  ASSIGN_OR_RETURN(DerivedClaims c, DeriveClaims(env, piece));
  for (int claim : asserted) {
    const auto cl = static_cast<v1::Claim>(claim);
    if (cl == v1::CLAIM_UNSPECIFIED || !v1::Claim_IsValid(claim)) {
      return absl::InvalidArgumentError(absl::StrCat("claim ", claim, " is not a known claim"));
    }
    if (!c.held.count(cl)) {
      return absl::FailedPreconditionError(
          absl::StrCat("claim rule: ", v1::Claim_Name(cl), " is not supported: ", c.why_not[cl]));
    }
  }
  piece.clear_claims();
  for (v1::Claim cl : c.held) piece.add_claims(cl);
  return absl::OkStatus();
}

// A piece's GS1 identification (PieceRegistered.gtin, .serial; ledger/provenance/gs1.h):
// both or neither, the GTIN in its canonical GTIN-14 form, the pair naming this
// piece only; bound in the search index (storage_map.h GtinKey) and kept in
// *piece. INVALID_ARGUMENT for a malformed one; FAILED_PRECONDITION "gtin
// rule: ..." if another piece has it.
[[nodiscard]] absl::Status BindGtin(const Env& env, const v1::PieceRegistered& p,
                                    v1::PieceState& piece) {
  if (p.gtin().empty() && p.serial().empty()) return absl::OkStatus();
  if (p.gtin().empty() || p.serial().empty()) {
    return absl::InvalidArgumentError(
        "a piece's GTIN and serial go together: give both or neither");
  }
  if (!IsCanonicalGtin14(p.gtin())) {
    absl::StatusOr<std::string> canonical = Gtin14(p.gtin());
    return absl::InvalidArgumentError(canonical.ok()
                                          ? absl::StrCat("a piece's GTIN is written as GTIN-14: '",
                                                         *canonical, "', not '", p.gtin(), "'")
                                          : std::string(canonical.status().message()));
  }
  RETURN_IF_ERROR(CheckGs1Serial(p.serial()));
  const std::string key = GtinKey(p.gtin(), p.serial());
  ASSIGN_OR_RETURN(std::optional<v1::IndexedName> bound, env.state.Get<v1::IndexedName>(key));
  if (bound) {
    return absl::FailedPreconditionError(
        absl::StrCat("gtin rule: GTIN ", p.gtin(), " serial '", p.serial(),
                     "' already names piece '", bound->id(), "' (entry ", bound->index(), ")"));
  }
  v1::IndexedName name;
  name.set_id(p.piece_id());
  name.set_index(env.index());
  env.state.Put(key, name);
  piece.set_gtin(p.gtin());
  piece.set_serial(p.serial());
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyPieceRegistered(const Env& env) {
  const v1::PieceRegistered& p = env.record().piece_registered();
  RETURN_IF_ERROR(RequireRole(env, "registering a piece"));
  if (!IsValidPieceId(p.piece_id())) {
    return absl::InvalidArgumentError(
        "piece_id must be 1 to 64 characters of A-Z a-z 0-9 - . _ ~ (it goes in a URL)");
  }
  ASSIGN_OR_RETURN(std::optional<v1::PieceState> existing,
                   env.state.Get<v1::PieceState>(PieceKey(p.piece_id())));
  if (existing) {
    return absl::AlreadyExistsError(absl::StrCat("piece '", p.piece_id(), "' already exists"));
  }
  if (p.stone_lot_ids().empty() && p.metal_inputs().empty() && p.parcel_stones().empty()) {
    return absl::InvalidArgumentError("a piece needs stones or metal");
  }
  std::set<std::string> seen;
  for (const std::string& id : p.stone_lot_ids()) {
    if (!seen.insert(id).second) {
      return absl::InvalidArgumentError(absl::StrCat("stone '", id, "' is listed twice"));
    }
    ASSIGN_OR_RETURN(v1::LotState stone, TakeStone(env, id, p.piece_id()));
    env.state.Put(LotKey(id), stone);
  }
  for (const v1::MetalInput& m : p.metal_inputs()) {
    if (!seen.insert(m.lot_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("lot '", m.lot_id(), "' is listed twice"));
    }
    ASSIGN_OR_RETURN(v1::LotState lot, GetLot(env, m.lot_id()));
    if (lot.unit() != v1::UNIT_MILLIGRAM) {
      return absl::InvalidArgumentError(absl::StrCat("lot '", m.lot_id(), "' is not metal"));
    }
    if (m.quantity() <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("metal quantity of lot '", m.lot_id(), "' must be positive"));
    }
    RETURN_IF_ERROR(RequireCustody(env, lot, "used in a piece"));
    if (m.quantity() > lot.balance()) {
      return absl::FailedPreconditionError(absl::StrCat("balance rule: lot '", m.lot_id(),
                                                        "' holds ", lot.balance(),
                                                        "; the piece takes ", m.quantity()));
    }
    lot.set_balance(lot.balance() - m.quantity());
    lot.set_last_event_micros(env.t());
    lot.add_history(env.index());
    env.state.Put(LotKey(lot.lot_id()), lot);
  }
  v1::PieceState piece;
  piece.set_piece_id(p.piece_id());
  piece.set_jeweler(env.record().signer());
  *piece.mutable_stone_lot_ids() = p.stone_lot_ids();
  *piece.mutable_metal_inputs() = p.metal_inputs();
  piece.set_registered_index(env.index());
  piece.set_registered_micros(env.t());
  piece.set_last_event_micros(env.t());
  piece.add_history(env.index());
  for (const v1::ParcelStones& ps : p.parcel_stones()) {
    if (!seen.insert(ps.lot_id()).second) {
      return absl::InvalidArgumentError(absl::StrCat("lot '", ps.lot_id(), "' is listed twice"));
    }
  }
  RETURN_IF_ERROR(ApplyPieceTrade(env, p, piece));
  RETURN_IF_ERROR(SetDerivedClaims(env, piece, p.claims()));
  RETURN_IF_ERROR(BindGtin(env, p, piece));
  env.state.Put(PieceKey(piece.piece_id()), piece);
  return absl::OkStatus();
}

[[nodiscard]] absl::StatusOr<v1::PieceState> JewelersPiece(const Env& env, const std::string& id) {
  RETURN_IF_ERROR(RequireRole(env, "a piece record"));
  ASSIGN_OR_RETURN(v1::PieceState piece, GetPiece(env, id));
  if (piece.jeweler() != env.record().signer()) {
    return absl::PermissionDeniedError(absl::StrCat("piece '", id, "' was registered by '",
                                                    piece.jeweler(),
                                                    "'; only that jeweler records it"));
  }
  if (piece.repurposed_index() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("owner rule: piece '", id, "' was repurposed by heirloom intake '",
                     piece.repurposed_intake(), "' (entry ", piece.repurposed_index(),
                     "): it takes no more records"));
  }
  RETURN_IF_ERROR(RequireNotBefore(env, piece.last_event_micros(), "the piece's last event"));
  piece.set_last_event_micros(env.t());
  piece.add_history(env.index());
  return piece;
}

// The owner rules of a lifecycle record (rules_owners.cc): on an owner-keyed
// piece the jeweler records only repairs, which the owner key may co-sign; a
// sale may name the buyer's key (`buyer`), which makes the piece owner-keyed.
[[nodiscard]] absl::Status ApplyLifecycleOwner(const Env& env, const v1::PieceLifecycle& l,
                                               v1::PieceState& piece) {
  if (piece.has_owner() && l.event() != v1::PIECE_EVENT_REPAIRED) {
    return absl::FailedPreconditionError(absl::StrCat(
        "owner rule: piece '", l.piece_id(), "' belongs to owner key ", OwnerKeyId(piece.owner()),
        ": only its owner records sales, losses, thefts and recoveries; its jeweler records "
        "only repairs"));
  }
  if (l.has_buyer() && l.event() != v1::PIECE_EVENT_SOLD) {
    return absl::InvalidArgumentError("only a sale names a buyer");
  }
  if (env.record().has_owner_signature()) {
    // ParseRecord admits an owner signature on a lifecycle record only for REPAIRED.
    if (!piece.has_owner()) {
      return absl::FailedPreconditionError(
          absl::StrCat("owner rule: piece '", l.piece_id(),
                       "' has no owner key: its repair carries no owner signature"));
    }
    RETURN_IF_ERROR(RequireOwnerSignature(
        env, piece.owner(), absl::StrCat("the repair of piece '", l.piece_id(), "'")));
  }
  if (l.event() == v1::PIECE_EVENT_SOLD && l.has_buyer()) {
    RETURN_IF_ERROR(ValidateOwnerKey(l.buyer(), "buyer"));
    *piece.mutable_owner() = l.buyer();
    piece.set_owner_accepted(false);
    piece.set_owner_index(env.index());
    piece.clear_terms();
    piece.set_owner_status(v1::PIECE_EVENT_UNSPECIFIED);
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status RequireNotMissing(const v1::PieceState& piece) {
  if (piece.last_event() == v1::PIECE_EVENT_LOST || piece.last_event() == v1::PIECE_EVENT_STOLEN) {
    return absl::FailedPreconditionError(absl::StrCat("piece '", piece.piece_id(), "' is ",
                                                      v1::PieceEvent_Name(piece.last_event()),
                                                      "; record its recovery first"));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyLifecycle(const Env& env) {
  const v1::PieceLifecycle& l = env.record().piece_lifecycle();
  ASSIGN_OR_RETURN(v1::PieceState piece, JewelersPiece(env, l.piece_id()));
  RETURN_IF_ERROR(ApplyLifecycleOwner(env, l, piece));
  const bool missing =
      piece.last_event() == v1::PIECE_EVENT_LOST || piece.last_event() == v1::PIECE_EVENT_STOLEN;
  switch (l.event()) {
    case v1::PIECE_EVENT_SOLD:
      // A sale names the buyer's key, or the owner's salted hash, or both.
      if (l.owner_salted_sha256().size() != 32 &&
          !(l.has_buyer() && l.owner_salted_sha256().empty())) {
        return absl::InvalidArgumentError(
            "a sale records the owner only as a 32-byte salted SHA-256, never a name (or names "
            "the buyer's key: buyer)");
      }
      if (!l.owner_salted_sha256().empty()) piece.set_owner_salted_sha256(l.owner_salted_sha256());
      [[fallthrough]];
    case v1::PIECE_EVENT_REPAIRED:
    case v1::PIECE_EVENT_LOST:
    case v1::PIECE_EVENT_STOLEN:
      if (missing) {
        return absl::FailedPreconditionError(absl::StrCat("piece '", l.piece_id(), "' is ",
                                                          v1::PieceEvent_Name(piece.last_event()),
                                                          "; record its recovery first"));
      }
      break;
    case v1::PIECE_EVENT_RECOVERED:
      if (!missing) {
        return absl::FailedPreconditionError(
            absl::StrCat("piece '", l.piece_id(), "' is not lost or stolen"));
      }
      break;
    default:
      return absl::InvalidArgumentError("a lifecycle record needs a known event");
  }
  if (l.event() != v1::PIECE_EVENT_SOLD && !l.owner_salted_sha256().empty()) {
    return absl::InvalidArgumentError("only a sale records an owner hash");
  }
  piece.set_last_event(l.event());
  env.state.Put(PieceKey(piece.piece_id()), piece);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyStoneReplaced(const Env& env) {
  const v1::StoneReplaced& s = env.record().stone_replaced();
  ASSIGN_OR_RETURN(v1::PieceState piece, JewelersPiece(env, s.piece_id()));
  RETURN_IF_ERROR(RequireNotMissing(piece));
  int at = -1;
  for (int i = 0; i < piece.stone_lot_ids_size(); ++i) {
    if (piece.stone_lot_ids(i) == s.old_stone_lot_id()) at = i;
  }
  if (at < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("stone '", s.old_stone_lot_id(), "' is not in piece '", s.piece_id(), "'"));
  }
  ASSIGN_OR_RETURN(v1::LotState old_stone, GetLot(env, s.old_stone_lot_id()));
  old_stone.clear_active_piece();  // released: the jeweler holds it again
  old_stone.set_custodian(env.record().signer());
  old_stone.set_last_event_micros(env.t());
  old_stone.add_history(env.index());
  env.state.Put(LotKey(old_stone.lot_id()), old_stone);
  ASSIGN_OR_RETURN(v1::LotState new_stone, TakeStone(env, s.new_stone_lot_id(), s.piece_id()));
  env.state.Put(LotKey(new_stone.lot_id()), new_stone);
  piece.set_stone_lot_ids(at, s.new_stone_lot_id());
  if (env.trade()) RETURN_IF_ERROR(RecheckMaterialClaims(env, piece));
  RETURN_IF_ERROR(SetDerivedClaims(env, piece, {}));
  env.state.Put(PieceKey(piece.piece_id()), piece);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyErrorDeclared(const Env& env) {
  const v1::ErrorDeclared& e = env.record().error_declared();
  if (e.wrong_index() == 0 || e.wrong_index() >= env.index()) {
    return absl::InvalidArgumentError(
        absl::StrCat("wrong_index must name an earlier record (1 to ", env.index() - 1, ")"));
  }
  ASSIGN_OR_RETURN(v1::Record wrong, env.ctx.record_at(e.wrong_index()));
  RETURN_IF_ERROR(RequireNotBefore(env, wrong.event_time_micros(),
                                   absl::StrCat("entry ", e.wrong_index(), "'s event time")));
  const bool is_operator = HasRole(env.signer, v1::ROLE_OPERATOR);
  if (wrong.signer() != env.record().signer() && !is_operator) {
    return absl::PermissionDeniedError(absl::StrCat("only '", wrong.signer(),
                                                    "' (who signed entry ", e.wrong_index(),
                                                    ") or the operator may declare it wrong"));
  }
  if (e.has_replacement_index()) {
    if (e.replacement_index() <= e.wrong_index() || e.replacement_index() >= env.index()) {
      return absl::InvalidArgumentError(
          "replacement_index must name a record after the wrong one and before this one");
    }
    ASSIGN_OR_RETURN(v1::Record replacement, env.ctx.record_at(e.replacement_index()));
    RETURN_IF_ERROR(
        RequireNotBefore(env, replacement.event_time_micros(),
                         absl::StrCat("entry ", e.replacement_index(), "'s event time")));
    if (replacement.signer() != wrong.signer()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the replacement (entry ", e.replacement_index(), ") is signed by '",
                       replacement.signer(), "', the wrong record by '", wrong.signer(), "'"));
    }
  }
  const std::string key = ErrorKey(e.wrong_index());
  ASSIGN_OR_RETURN(std::optional<v1::ErrorState> existing, env.state.Get<v1::ErrorState>(key));
  v1::ErrorState s = existing.value_or(v1::ErrorState());
  s.set_wrong_index(e.wrong_index());
  s.add_declared_at(env.index());
  env.state.Put(key, s);
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::StatusOr<v1::PieceState> GetPiece(const Env& env, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<v1::PieceState> p, env.state.Get<v1::PieceState>(PieceKey(id)));
  if (!p) return absl::NotFoundError(absl::StrCat("reference rule: no piece '", id, "'"));
  return std::move(*p);
}

[[nodiscard]] absl::Status ApplyPieceRecord(const Env& env) {
  switch (env.record().body_case()) {
    case v1::Record::kPieceRegistered:
      return ApplyPieceRegistered(env);
    case v1::Record::kPieceLifecycle:
      return ApplyLifecycle(env);
    case v1::Record::kStoneReplaced:
      return ApplyStoneReplaced(env);
    case v1::Record::kErrorDeclared:
      return ApplyErrorDeclared(env);
    default:
      return absl::InternalError("not a piece record");
  }
}

}  // namespace touchstone::rules
