// The Ledger's log policy (ledger/provenance/log_policy.h): the policy the
// options ask for, the one the log holds, and appending a new one.
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/state_view.h"

namespace touchstone {

v1::LogPolicy Ledger::WantedPolicy() const {
  v1::LogPolicy policy;
  policy.set_record_signature_version(kOriginBoundRecordSignatures);
  policy.set_max_backdate_micros(absl::ToInt64Microseconds(options_.max_backdate));
  policy.set_history_import_allowed(options_.allow_history_import);
  policy.set_rules_version(options_.rules_version);
  return policy;
}

absl::Status Ledger::LoadPolicy() {
  ASSIGN_OR_RETURN(std::optional<v1::LogPolicyState> state, ReadLogPolicyState(*store_));
  policy_.reset();
  if (state) policy_ = state->policy();
  signature_version_ = SignatureVersion(policy_ ? &*policy_ : nullptr);
  return absl::OkStatus();
}

absl::Status Ledger::AppendPolicy(const v1::LogPolicy& policy) {
  ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> ck, ReadCheckpointKeyState(*store_));
  if (!ck) return absl::DataLossError("the log has no checkpoint key state");
  const std::shared_ptr<const NoteSigner> key = signer();
  v1::Record record;
  record.set_record_id(absl::StrCat("log-policy-", Size()));
  record.set_signer(ck->operator_id());
  record.set_key_id(key->key().public_key().Fingerprint());
  record.set_event_time_micros(options_.now_micros());
  *record.mutable_log_policy() = policy;
  std::string bytes = SerializeRecord(record);
  std::string signature = SignRecord(key->key(), origin_, bytes);
  ASSIGN_OR_RETURN(Prepared prepared,
                   Prepare(std::move(bytes), std::move(signature), std::nullopt, true));
  std::vector<Prepared> one;
  one.push_back(std::move(prepared));
  absl::StatusOr<Receipt> receipt = Await(*Enqueue(std::move(one))[0], absl::InfiniteFuture());
  if (!receipt.ok()) {
    return absl::Status(receipt.status().code(),
                        absl::StrCat("cannot record the log's policy (", PolicyText(policy),
                                     "): ", receipt.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace touchstone
