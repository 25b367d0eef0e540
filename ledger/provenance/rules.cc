// Rule dispatch and the checks every record passes: a registered, unsuspended
// signer whose key was active at the record's event time (a record an owner
// key signs alone has none: rules_owners.cc checks its owner signature), and a
// sane event time.
#include "ledger/provenance/rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/origin.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules_internal.h"
#include "ledger/provenance/writer_roles.h"

namespace touchstone {
namespace rules {

std::string RoleName(v1::Role role) {
  std::string name = v1::Role_Name(role);
  return name.size() > 5 ? absl::AsciiStrToLower(name.substr(5)) : name;
}

[[nodiscard]] absl::Status RequireRole(const Env& env, std::string_view what) {
  const std::vector<v1::Role> roles = WriterRoles(env.record());
  for (v1::Role r : roles) {
    if (HasRole(env.signer, r)) return absl::OkStatus();
  }
  std::string names;
  for (v1::Role r : roles) absl::StrAppend(&names, names.empty() ? "" : " or ", RoleName(r));
  return absl::PermissionDeniedError(absl::StrCat("role rule: ", Sv(what), " needs the role ",
                                                  names, "; '", env.signer.participant_id(),
                                                  "' does not hold it"));
}

[[nodiscard]] absl::Status RequireNotBefore(const Env& env, int64_t earliest,
                                            std::string_view what) {
  if (env.t() >= earliest) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "event time rule: the record's event time ", absl::FormatTime(absl::FromUnixMicros(env.t())),
      " is before ", Sv(what), " (", absl::FormatTime(absl::FromUnixMicros(earliest)), ")"));
}

bool IsRecycled(v1::OriginClass c) { return IsRecycledOrigin(c); }

absl::Status RequireOwnerSignature(const Env& env, const v1::OwnerKey& key, std::string_view what) {
  const v1::Record& r = env.record();
  if (!r.has_owner_signature()) {
    return absl::PermissionDeniedError(
        absl::StrCat("owner rule: ", Sv(what), " must be signed by the owner key ", OwnerKeyId(key),
                     "; it carries no owner signature"));
  }
  ASSIGN_OR_RETURN(std::string_view part, OwnerSignedPart(env.ctx.record_bytes));
  return VerifyOwnerSignature(key, r.owner_signature(), OwnerSigningMessage(env.ctx.origin, part));
}

}  // namespace rules

namespace {

using rules::Env;

[[nodiscard]] absl::Status CheckSignerKey(const RecordContext& ctx,
                                          const v1::ParticipantState& signer) {
  const v1::Record& r = ctx.record;
  if (signer.suspended()) {
    return absl::PermissionDeniedError(
        absl::StrCat("participant '", r.signer(), "' is suspended and may not write records"));
  }
  const v1::KeyState* key = FindKey(signer, r.key_id());
  if (key == nullptr || ctx.signer_key == nullptr || key->ed25519() != ctx.signer_key->raw()) {
    return absl::NotFoundError(
        absl::StrCat("unknown key: participant '", r.signer(), "' has no key ", r.key_id()));
  }
  const int64_t t = r.event_time_micros();
  if (t < key->added_micros()) {
    return absl::PermissionDeniedError(
        absl::StrCat("key rule: key ", r.key_id(), " of '", r.signer(), "' was added at ",
                     absl::FormatTime(absl::FromUnixMicros(key->added_micros())),
                     ", after the record's event time"));
  }
  // Once a revocation is in the log the key signs nothing more, whatever event
  // time a record claims (a stolen key could backdate); records appended before
  // the revocation stay valid.
  if (key->revoked()) {
    return absl::PermissionDeniedError(absl::StrCat("key rule: key ", r.key_id(), " of '",
                                                    r.signer(), "' was revoked at index ",
                                                    key->revoked_index()));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {
// Applies the record's body by its kind (the dispatch below).
[[nodiscard]] absl::Status ApplyBody(const rules::Env& env);
}  // namespace

[[nodiscard]] absl::Status CheckAndApply(const RecordContext& ctx, const RuleOptions& options,
                                         StateView& state) {
  const v1::Record& r = ctx.record;
  // A record an owner key signs alone has no participant to look up: its
  // rules check the owner signature (rules_owners.cc).
  const bool owner_only = IsOwnerOnly(r);
  static const v1::ParticipantState* const kNobody = new v1::ParticipantState();
  std::shared_ptr<const v1::ParticipantState> held;
  const v1::ParticipantState* signer = kNobody;
  if (!owner_only) {
    absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> found =
        state.Participant(r.signer());
    if (absl::IsNotFound(found.status())) {
      return absl::NotFoundError(absl::StrCat("unknown signer: no participant '", r.signer(), "'"));
    }
    if (!found.ok()) return found.status();
    held = *std::move(found);
    signer = held.get();
  }
  if (r.event_time_micros() <= 0) {
    return absl::InvalidArgumentError("event_time_micros is required");
  }
  // Subtracting cannot overflow (event time > 0, slack >= 0); adding could, when
  // now_micros is an entry's recorded-at time read back from storage (rebuild, audit).
  if (r.event_time_micros() - options.max_future_micros > ctx.now_micros) {
    return absl::FailedPreconditionError(
        absl::StrCat("event time rule: the record's event time ",
                     absl::FormatTime(absl::FromUnixMicros(r.event_time_micros())),
                     " is in the future (server time ",
                     absl::FormatTime(absl::FromUnixMicros(ctx.now_micros)), ")"));
  }
  // The log policy's backdating and history import rules (ledger/provenance/log_policy.h).
  RETURN_IF_ERROR(CheckRecordTime(r, ctx.now_micros, PolicyInForce(r, ctx.policy)));
  const Env env{ctx, options, state, *signer};
  if (!owner_only) {
    RETURN_IF_ERROR(CheckSignerKey(ctx, *signer));
    RETURN_IF_ERROR(
        rules::RequireNotBefore(env, signer->registered_micros(), "the signer's registration"));
  }
  RETURN_IF_ERROR(ApplyBody(env));
  // What a sealed record touched holds committed-derived values: public reads
  // redact it (ledger/provenance/redaction.h).
  if (r.has_sealed()) RETURN_IF_ERROR(state.MarkRecordSealed());
  return absl::OkStatus();
}

namespace {

[[nodiscard]] absl::Status ApplyBody(const rules::Env& env) {
  switch (env.record().body_case()) {
    case v1::Record::kGenesis:
      return absl::InvalidArgumentError("a genesis record can only be entry 0");
    case v1::Record::kParticipantRegistered:
    case v1::Record::kKeyAdded:
    case v1::Record::kKeyRevoked:
    case v1::Record::kRoleGranted:
    case v1::Record::kParticipantSuspended:
    case v1::Record::kParticipantReinstated:
    case v1::Record::kOperatorKeyRotated:
      return rules::ApplyParticipantRecord(env);
    case v1::Record::kLogPolicy:
      return rules::ApplyLogPolicy(env);
    case v1::Record::kCertificateIssued:
    case v1::Record::kCertificateStatusChanged:
      return rules::ApplyCertificateRecord(env);
    case v1::Record::kLotCreated:
    case v1::Record::kTransformation:
    case v1::Record::kCustodyShipped:
    case v1::Record::kCustodyReceived:
      return rules::ApplyMaterialRecord(env);
    case v1::Record::kSchemeRegistered:
    case v1::Record::kCreditAccountOpened:
    case v1::Record::kCreditBooked:
    case v1::Record::kCreditAllocated:
      return rules::ApplyTradeRecord(env);
    case v1::Record::kOwnershipAccepted:
    case v1::Record::kOwnershipTransferred:
    case v1::Record::kOwnerReport:
    case v1::Record::kOwnerKeyReplaced:
      return rules::ApplyOwnerRecord(env);
    case v1::Record::kHeirloomReceived:
      return rules::ApplyHeirloomRecord(env);
    case v1::Record::kPieceRegistered:
    case v1::Record::kPieceLifecycle:
    case v1::Record::kStoneReplaced:
    case v1::Record::kErrorDeclared:
      return rules::ApplyPieceRecord(env);
    case v1::Record::BODY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("record has no body");
}

}  // namespace
}  // namespace touchstone
