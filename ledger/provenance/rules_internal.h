// Helpers shared by the rule files (rules_*.cc). Not part of the public API.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_RULES_INTERNAL_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_RULES_INTERNAL_H_

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/rules.h"

namespace touchstone::rules {

// What every rule function gets.
struct Env {
  const RecordContext& ctx;
  const RuleOptions& options;
  StateView& state;
  const v1::ParticipantState& signer;

  const v1::Record& record() const { return ctx.record; }
  // The log policy in force at this record's entry (ledger/provenance/log_policy.h); nullptr if
  // none.
  const v1::LogPolicy* policy() const { return PolicyInForce(ctx.record, ctx.policy); }
  int64_t t() const { return ctx.record.event_time_micros(); }
  uint64_t index() const { return ctx.index; }
  // True if the trade rules hold for this record (log_policy.h TradeRules).
  bool trade() const { return TradeRules(policy()); }
};

// Bounds that keep fine-weight arithmetic (quantity x fineness) far from overflow.
inline constexpr int64_t kMaxQuantity = 1'000'000'000'000;  // a thousand tonnes in mg
inline constexpr size_t kMaxLots = 1000;

// INVALID_ARGUMENT "<what> must be 1 to 128 bytes" unless 1..128 bytes.
[[nodiscard]] absl::Status ValidId(const std::string& id, std::string_view what);
// INVALID_ARGUMENT unless `q` is 1..kMaxQuantity and a stone (`unit` carats)
// has full fineness (`fineness_ptt` 10000), naming `what`.
[[nodiscard]] absl::Status ValidQuantity(int64_t q, int32_t fineness_ptt, v1::Unit unit,
                                         std::string_view what);
// A valid id of no lot yet; ALREADY_EXISTS otherwise.
[[nodiscard]] absl::Status RequireNewLot(const Env& env, const std::string& id);
// The registered scheme `name` (SchemeRegistered); nullopt if none.
[[nodiscard]] absl::StatusOr<std::optional<v1::SchemeState>> FindScheme(const Env& env,
                                                                        const std::string& name);
// The record of the earlier entry `index` (RecordContext::record_at).
[[nodiscard]] absl::StatusOr<v1::Record> RecordAt(const Env& env, uint64_t index);

std::string RoleName(v1::Role role);

// PERMISSION_DENIED unless the signer holds one of the roles that may write
// the record (ledger/provenance/writer_roles.h, the one table the verifiers read too).
[[nodiscard]] absl::Status RequireRole(const Env& env, std::string_view what);
// FAILED_PRECONDITION if the record's event time is before `earliest` (the
// event time of something it refers to).
[[nodiscard]] absl::Status RequireNotBefore(const Env& env, int64_t earliest,
                                            std::string_view what);

// Lookups that fail with NOT_FOUND naming the object.
[[nodiscard]] absl::StatusOr<v1::LotState> GetLot(const Env& env, const std::string& id);
// The signer holds the lot, it is not in transit and not set in a piece, and the
// record is not older than the lot's last event. PERMISSION_DENIED (custodian)
// or FAILED_PRECONDITION, naming the lot and `action` ("shipped", ...).
[[nodiscard]] absl::Status RequireCustody(const Env& env, const v1::LotState& lot,
                                          std::string_view action);
// Marks `id` of a kind that must be used once ("transformation", "shipment");
// ALREADY_EXISTS if it was used before.
[[nodiscard]] absl::Status UseIdOnce(const Env& env, std::string_view kind, const std::string& id);
[[nodiscard]] absl::StatusOr<v1::CertificateState> GetCertificate(const Env& env,
                                                                  const std::string& id);
[[nodiscard]] absl::StatusOr<v1::PieceState> GetPiece(const Env& env, const std::string& id);

// OK if the certificate is valid at time t (within its window, not suspended or
// revoked by a status change effective at or before t); FAILED_PRECONDITION otherwise.
[[nodiscard]] absl::Status CertificateValidAt(const v1::CertificateState& cert, int64_t t);
// What a certificate cited by a record may be about: the signer itself, the
// facility the record names, or one of the lots it uses.
struct CertificateSubjects {
  std::string facility;
  std::set<std::string> lots;
};

// Checks each id exists, is about one of `subjects` (PERMISSION_DENIED), is in
// force as CertificateInForce says (FAILED_PRECONDITION), and that the record is
// not older than its issuance.
[[nodiscard]] absl::Status RequireValidCertificates(
    const Env& env, const google::protobuf::RepeatedPtrField<std::string>& ids,
    const CertificateSubjects& subjects);
// Adds the current record's index to each certificate's relied_by (the
// recall index: ledger/impact.h), once. NOT_FOUND for an unknown id.
[[nodiscard]] absl::Status NoteReliance(const Env& env,
                                        const google::protobuf::RepeatedPtrField<std::string>& ids);
// CertificateValidAt at the record's event time, and at the time the log records
// it (now) unless no policy is in force or the record is an import of history
// (ledger/provenance/log_policy.h); then only not suspended or revoked now.
[[nodiscard]] absl::Status CertificateInForce(const Env& env, const v1::CertificateState& cert);

bool IsRecycled(v1::OriginClass c);

// OK if the record carries an owner signature (Record.owner_signature) by
// `key` over its signed part in this log (ledger/provenance/owner_signature.h).
// PERMISSION_DENIED "owner rule: <what> must be signed by the owner key K..."
// if it carries none, or "owner signature: ..." if it does not verify.
[[nodiscard]] absl::Status RequireOwnerSignature(const Env& env, const v1::OwnerKey& key,
                                                 std::string_view what);

// Record families (rules_participants.cc, rules_certificates.cc, rules_material.cc,
// rules_pieces.cc).
[[nodiscard]] absl::Status ApplyParticipantRecord(const Env& env);
// A LogPolicy record: by the operator, a valid policy (rules_participants.cc).
[[nodiscard]] absl::Status ApplyLogPolicy(const Env& env);
[[nodiscard]] absl::Status ApplyCertificateRecord(const Env& env);
[[nodiscard]] absl::Status ApplyMaterialRecord(const Env& env);
[[nodiscard]] absl::Status ApplyPieceRecord(const Env& env);
// LotCreated (rules_lots.cc) and Transformation (rules_transform.cc).
[[nodiscard]] absl::Status ApplyLotCreated(const Env& env);
[[nodiscard]] absl::Status ApplyTransformation(const Env& env);
// SchemeRegistered and the mass-balance records (rules_trade.cc).
[[nodiscard]] absl::Status ApplyTradeRecord(const Env& env);
// OwnershipAccepted, OwnershipTransferred, OwnerReport, OwnerKeyReplaced
// (rules_owners.cc).
[[nodiscard]] absl::Status ApplyOwnerRecord(const Env& env);
// HeirloomReceived (rules_heirloom.cc).
[[nodiscard]] absl::Status ApplyHeirloomRecord(const Env& env);
// The trade rules' checks of a piece's registration (rules_piece_trade.cc):
// parcel_stones taken whole (the lots are updated in state), material claims
// against its inputs, hallmark and lab-grown disclosure. Material claims are
// checked under every rules version; the rest (and `claims` refused) under
// the trade rules. Sets piece's material_claims and parcel_stones. Errors as
// rules.h, with the rule's name.
[[nodiscard]] absl::Status ApplyPieceTrade(const Env& env, const v1::PieceRegistered& p,
                                           v1::PieceState& piece);
// The material claims of `piece` (its registered material_claims) against
// its inputs now: FAILED_PRECONDITION "claim rule: ..." if one no longer holds
// (a stone replaced by one that breaks it).
[[nodiscard]] absl::Status RecheckMaterialClaims(const Env& env, const v1::PieceState& piece);

}  // namespace touchstone::rules

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_RULES_INTERNAL_H_
