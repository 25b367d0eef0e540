// Ledger::CheckSession: the append path's checks, never its write.
#include "ledger/ledger_check.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger_internal.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules.h"

namespace touchstone {

absl::StatusOr<std::unique_ptr<Ledger::CheckSession>> Ledger::StartCheck() const {
  const uint64_t base_size = Size();
  // The policy as committed state holds it: policy_ belongs to the sequencer.
  ASSIGN_OR_RETURN(std::optional<v1::LogPolicyState> held, ReadLogPolicyState(*store_));
  std::optional<v1::LogPolicy> policy;
  if (held.has_value()) policy = held->policy();
  return std::make_unique<CheckSession>(*this, base_size, std::move(policy));
}

Ledger::CheckSession::CheckSession(const Ledger& ledger, uint64_t base_size,
                                   std::optional<v1::LogPolicy> policy)
    : ledger_(ledger),
      base_size_(base_size),
      policy_(std::move(policy)),
      state_(ledger.store_.get(), &ledger.registry_) {
  record_at_ = [this](uint64_t index) -> absl::StatusOr<v1::Record> {
    if (index < kSessionBase) return ledger_.ReadRecord(index);
    const uint64_t i = index - kSessionBase;
    if (i >= records_.size()) return absl::NotFoundError(absl::StrCat("no entry ", index));
    return ParseRecord(records_[i], ledger_.options_.max_record_bytes);
  };
}

absl::StatusOr<std::optional<CheckOutcome>> Ledger::CheckSession::Settle(
    const Prepared& p, const std::string& id_key) {
  const v1::Record& rec = p.record;
  ASSIGN_OR_RETURN(std::optional<Ledger::Repeat> in_log, ledger_.FindRepeat(rec, p.record_bytes));
  if (in_log.has_value()) return CheckOutcome{in_log->index, true, true};
  const auto it = ids_.find(id_key);
  if (it == ids_.end()) return std::nullopt;
  // A repeat is compared with the signed bytes the id first came with.
  if (records_[it->second] != p.record_bytes) {
    return absl::AlreadyExistsError(absl::StrCat("record id '", rec.record_id(), "' of '",
                                                 RecordIdScope(rec),
                                                 "' is already used earlier in this check (entry ",
                                                 base_size_ + it->second, ") with other bytes"));
  }
  return CheckOutcome{base_size_ + it->second, true, false};
}

absl::StatusOr<CheckOutcome> Ledger::CheckSession::Check(std::string record, std::string signature,
                                                         std::optional<v1::Opening> opening) {
  ASSIGN_OR_RETURN(Prepared p,
                   ledger_.Prepare(std::move(record), std::move(signature), std::move(opening)));
  const v1::Record& rec = p.record;
  std::string id_key =
      absl::StrCat(RecordIdScope(rec), absl::string_view("\0", 1), rec.record_id());
  ASSIGN_OR_RETURN(std::optional<CheckOutcome> repeat, Settle(p, id_key));
  if (repeat.has_value()) return *repeat;
  if (bytes_ + p.record_bytes.size() > kMaxCheckSessionBytes) {
    return absl::ResourceExhaustedError(absl::StrCat("a dry run holds at most ",
                                                     kMaxCheckSessionBytes >> 20,
                                                     " MiB of records; check the rest in another"));
  }
  const v1::LogPolicy* before = policy_ ? &*policy_ : nullptr;
  const uint64_t i = records_.size();
  const PublicKey* key = p.key ? &*p.key : nullptr;
  const RecordContext ctx{rec,        key,    kSessionBase + i, ledger_.options_.now_micros(),
                          record_at_, before, p.record_bytes,   ledger_.origin_};
  if (absl::Status st = CheckAndApply(ctx, ledger_.options_.rules, state_); !st.ok()) {
    state_.RollbackRecord();
    return st;
  }
  state_.CommitRecord();
  if (const v1::LogPolicy* carried = CarriedPolicy(rec)) policy_ = *carried;
  ids_.emplace(std::move(id_key), i);
  bytes_ += p.record_bytes.size();
  records_.push_back(std::move(p.record_bytes));
  return CheckOutcome{base_size_ + i, false, false};
}

}  // namespace touchstone
