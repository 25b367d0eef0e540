// Helpers shared by the rule files (rules_*.cc). Not part of the public API.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_RULES_INTERNAL_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_RULES_INTERNAL_H_

#include <memory>
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
};

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
// CertificateValidAt at the record's event time, and at the time the log records
// it (now) unless no policy is in force or the record is an import of history
// (ledger/provenance/log_policy.h); then only not suspended or revoked now.
[[nodiscard]] absl::Status CertificateInForce(const Env& env, const v1::CertificateState& cert);

bool IsRecycled(v1::OriginClass c);

// Record families (rules_participants.cc, rules_certificates.cc, rules_material.cc,
// rules_pieces.cc).
[[nodiscard]] absl::Status ApplyParticipantRecord(const Env& env);
// A LogPolicy record: by the operator, a valid policy (rules_participants.cc).
[[nodiscard]] absl::Status ApplyLogPolicy(const Env& env);
[[nodiscard]] absl::Status ApplyCertificateRecord(const Env& env);
[[nodiscard]] absl::Status ApplyMaterialRecord(const Env& env);
[[nodiscard]] absl::Status ApplyPieceRecord(const Env& env);

}  // namespace touchstone::rules

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_RULES_INTERNAL_H_
