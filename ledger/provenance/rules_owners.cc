// Owner records (OwnershipAccepted, OwnershipTransferred, OwnerReport,
// OwnerKeyReplaced): the rules of owners who hold their own keys. A piece is
// "owner-keyed" once a sale named a buyer's key (rules_pieces.cc); from then on
// its ownership records chain by prev_index (each names the piece's newest
// one, PieceState.owner_index), and who may sign each is fixed by the owner
// key and the terms its owner chose (docs/owners.md).
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {
namespace {

// Longest note of a report or reason of a key replacement.
constexpr size_t kMaxOwnerTextBytes = 512;

[[nodiscard]] absl::Status RequireShortText(const std::string& text, std::string_view what) {
  if (text.size() <= kMaxOwnerTextBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(what), " must be at most ", kMaxOwnerTextBytes, " bytes, got ", text.size()));
}

// The piece an owner record is about: it exists (NOT_FOUND), is owner-keyed and
// not repurposed, and `prev_index` is its newest ownership record
// (FAILED_PRECONDITION). The returned state already has this entry as its
// newest ownership record and in its history.
[[nodiscard]] absl::StatusOr<v1::PieceState> OwnersPiece(const Env& env,
                                                         const std::string& piece_id,
                                                         uint64_t prev_index) {
  ASSIGN_OR_RETURN(v1::PieceState piece, GetPiece(env, piece_id));
  if (piece.repurposed_index() != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("owner rule: piece '", piece_id, "' was repurposed by heirloom intake '",
                     piece.repurposed_intake(), "' (entry ", piece.repurposed_index(),
                     "): it takes no more records"));
  }
  if (!piece.has_owner()) {
    return absl::FailedPreconditionError(
        absl::StrCat("owner rule: piece '", piece_id,
                     "' has no owner key: no sale named a buyer's key (PieceLifecycle.buyer)"));
  }
  if (prev_index != piece.owner_index()) {
    return absl::FailedPreconditionError(
        absl::StrCat("owner rule: piece '", piece_id, "': prev_index ", prev_index,
                     " is not the piece's newest ownership record ", piece.owner_index()));
  }
  piece.set_owner_index(env.index());
  piece.add_history(env.index());
  return piece;
}

// OK if the record is signed by the owner key `key` alone (owner-only, its
// owner signature by `key`); PERMISSION_DENIED otherwise.
[[nodiscard]] absl::Status RequireOwnerAlone(const Env& env, const v1::OwnerKey& key,
                                             std::string_view what) {
  if (!IsOwnerOnly(env.record())) {
    return absl::PermissionDeniedError(
        absl::StrCat("owner rule: ", Sv(what), " must be signed by the owner key ", OwnerKeyId(key),
                     " alone; this one is signed by participant '", env.record().signer(), "'"));
  }
  return RequireOwnerSignature(env, key, what);
}

std::string StatusWord(v1::PieceEvent e) {
  switch (e) {
    case v1::PIECE_EVENT_LOST:
      return "lost";
    case v1::PIECE_EVENT_STOLEN:
      return "stolen";
    case v1::PIECE_EVENT_RECOVERED:
      return "recovered";
    default:
      return v1::PieceEvent_Name(e);
  }
}

// OK if `id`, named by the owner's terms as `what`, is a registered participant.
[[nodiscard]] absl::Status RequireParticipant(const Env& env, const std::string& id,
                                              std::string_view what) {
  absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> p = env.state.Participant(id);
  if (absl::IsNotFound(p.status())) {
    return absl::NotFoundError(
        absl::StrCat("owner rule: ", Sv(what), " '", id, "' is not a registered participant"));
  }
  return p.status();
}

[[nodiscard]] absl::Status ApplyAccepted(const Env& env) {
  const v1::OwnershipAccepted& a = env.record().ownership_accepted();
  ASSIGN_OR_RETURN(v1::PieceState piece, OwnersPiece(env, a.piece_id(), a.prev_index()));
  const std::string what = absl::StrCat("accepting piece '", a.piece_id(), "'");
  RETURN_IF_ERROR(RequireOwnerAlone(env, piece.owner(), what));
  if (piece.owner_accepted()) {
    return absl::FailedPreconditionError(
        absl::StrCat("owner rule: owner key ", OwnerKeyId(piece.owner()),
                     " has already accepted piece '", a.piece_id(), "'"));
  }
  const v1::OwnerTerms& t = a.terms();
  if (t.has_recovery_key()) {
    RETURN_IF_ERROR(ValidateOwnerKey(t.recovery_key(), "terms.recovery_key"));
    if (SameOwnerKey(t.recovery_key(), piece.owner())) {
      return absl::InvalidArgumentError(
          "terms.recovery_key must be a second key, not the owner key itself");
    }
  }
  if (!t.recovery_agent().empty()) {
    RETURN_IF_ERROR(RequireParticipant(env, t.recovery_agent(), "terms.recovery_agent"));
  }
  if (!t.insurer().empty()) RETURN_IF_ERROR(RequireParticipant(env, t.insurer(), "terms.insurer"));
  *piece.mutable_terms() = t;
  piece.set_owner_accepted(true);
  env.state.Put(PieceKey(piece.piece_id()), piece);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyTransferred(const Env& env) {
  const v1::OwnershipTransferred& t = env.record().ownership_transferred();
  ASSIGN_OR_RETURN(v1::PieceState piece, OwnersPiece(env, t.piece_id(), t.prev_index()));
  RETURN_IF_ERROR(RequireOwnerAlone(env, piece.owner(),
                                    absl::StrCat("a transfer of piece '", t.piece_id(), "'")));
  if (piece.owner_status() == v1::PIECE_EVENT_LOST ||
      piece.owner_status() == v1::PIECE_EVENT_STOLEN) {
    return absl::FailedPreconditionError(
        absl::StrCat("owner rule: piece '", t.piece_id(), "' is reported ",
                     StatusWord(piece.owner_status()), ": it cannot be transferred"));
  }
  RETURN_IF_ERROR(ValidateOwnerKey(t.new_owner(), "new_owner"));
  if (SameOwnerKey(t.new_owner(), piece.owner())) {
    return absl::InvalidArgumentError("new_owner is the piece's owner key already");
  }
  *piece.mutable_owner() = t.new_owner();
  piece.set_owner_accepted(false);
  piece.clear_terms();
  env.state.Put(PieceKey(piece.piece_id()), piece);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyReport(const Env& env) {
  const v1::OwnerReport& rep = env.record().owner_report();
  if (rep.event() != v1::PIECE_EVENT_LOST && rep.event() != v1::PIECE_EVENT_STOLEN &&
      rep.event() != v1::PIECE_EVENT_RECOVERED) {
    return absl::InvalidArgumentError(
        "an owner report's event must be PIECE_EVENT_LOST, PIECE_EVENT_STOLEN or "
        "PIECE_EVENT_RECOVERED");
  }
  RETURN_IF_ERROR(RequireShortText(rep.note(), "owner_report.note"));
  ASSIGN_OR_RETURN(v1::PieceState piece, OwnersPiece(env, rep.piece_id(), rep.prev_index()));
  const std::string what = absl::StrCat("a report of piece '", rep.piece_id(), "'");
  if (IsOwnerOnly(env.record())) {
    RETURN_IF_ERROR(RequireOwnerSignature(env, piece.owner(), what));
  } else if (piece.terms().insurer().empty() || piece.terms().insurer() != env.record().signer()) {
    return absl::PermissionDeniedError(
        absl::StrCat("owner rule: ", what, " must be signed by its owner key ",
                     OwnerKeyId(piece.owner()), " or by the insurer its owner's terms name (",
                     piece.terms().insurer().empty() ? "none" : piece.terms().insurer(), "); '",
                     env.record().signer(), "' is neither"));
  }
  const bool missing = piece.owner_status() == v1::PIECE_EVENT_LOST ||
                       piece.owner_status() == v1::PIECE_EVENT_STOLEN;
  if (rep.event() == v1::PIECE_EVENT_RECOVERED && !missing) {
    return absl::FailedPreconditionError(
        absl::StrCat("owner rule: piece '", rep.piece_id(), "' is not reported lost or stolen"));
  }
  if (rep.event() != v1::PIECE_EVENT_RECOVERED && missing) {
    return absl::FailedPreconditionError(absl::StrCat("owner rule: piece '", rep.piece_id(),
                                                      "' is already reported ",
                                                      StatusWord(piece.owner_status())));
  }
  RETURN_IF_ERROR(RequireNotBefore(env, piece.last_event_micros(), "the piece's last event"));
  piece.set_owner_status(rep.event() == v1::PIECE_EVENT_RECOVERED ? v1::PIECE_EVENT_UNSPECIFIED
                                                                  : rep.event());
  piece.set_last_event(rep.event());
  piece.set_last_event_micros(env.t());
  env.state.Put(PieceKey(piece.piece_id()), piece);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ApplyKeyReplaced(const Env& env) {
  const v1::OwnerKeyReplaced& k = env.record().owner_key_replaced();
  RETURN_IF_ERROR(RequireShortText(k.reason(), "owner_key_replaced.reason"));
  ASSIGN_OR_RETURN(v1::PieceState piece, OwnersPiece(env, k.piece_id(), k.prev_index()));
  const std::string what = absl::StrCat("replacing the owner key of piece '", k.piece_id(), "'");
  if (!piece.owner_accepted()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "owner rule: piece '", k.piece_id(), "': its owner key ", OwnerKeyId(piece.owner()),
        " has not accepted it, so no terms name who may replace that key"));
  }
  const v1::OwnerTerms& terms = piece.terms();
  if (IsOwnerOnly(env.record())) {
    if (!terms.has_recovery_key()) {
      return absl::PermissionDeniedError(
          absl::StrCat("owner rule: ", what, ": its owner's terms name no recovery key"));
    }
    RETURN_IF_ERROR(RequireOwnerSignature(env, terms.recovery_key(), what));
  } else if (terms.recovery_agent().empty() || terms.recovery_agent() != env.record().signer()) {
    return absl::PermissionDeniedError(
        absl::StrCat("owner rule: ", what, " needs the recovery agent its owner's terms name (",
                     terms.recovery_agent().empty() ? "none" : terms.recovery_agent(), "); '",
                     env.record().signer(), "' is not"));
  }
  RETURN_IF_ERROR(ValidateOwnerKey(k.new_key(), "new_key"));
  if (SameOwnerKey(k.new_key(), piece.owner())) {
    return absl::InvalidArgumentError("new_key is the piece's owner key already");
  }
  *piece.mutable_owner() = k.new_key();
  piece.set_owner_accepted(true);  // the terms stay: the owner chose them
  env.state.Put(PieceKey(piece.piece_id()), piece);
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyOwnerRecord(const Env& env) {
  switch (env.record().body_case()) {
    case v1::Record::kOwnershipAccepted:
      return ApplyAccepted(env);
    case v1::Record::kOwnershipTransferred:
      return ApplyTransferred(env);
    case v1::Record::kOwnerReport:
      return ApplyReport(env);
    case v1::Record::kOwnerKeyReplaced:
      return ApplyKeyReplaced(env);
    default:
      return absl::InternalError("not an owner record");
  }
}

}  // namespace touchstone::rules
