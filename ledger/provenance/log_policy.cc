// The log's record policy: which one is in force, and its time rules.
#include "ledger/provenance/log_policy.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/provenance/record.h"

namespace touchstone {
namespace {

std::string Time(int64_t micros) { return absl::FormatTime(absl::FromUnixMicros(micros)); }

}  // namespace

const v1::LogPolicy* CarriedPolicy(const v1::Record& record) {
  if (record.has_log_policy()) return &record.log_policy();
  if (record.has_genesis() && record.genesis().has_policy()) return &record.genesis().policy();
  return nullptr;
}

uint32_t SignatureVersion(const v1::LogPolicy* policy) {
  return policy == nullptr ? kLegacyRecordSignatures : policy->record_signature_version();
}

[[nodiscard]] absl::Status ValidatePolicy(const v1::LogPolicy& policy) {
  if (policy.record_signature_version() != kOriginBoundRecordSignatures) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a log policy's record_signature_version must be ", kOriginBoundRecordSignatures,
        " (origin-bound signatures), not ", policy.record_signature_version()));
  }
  if (policy.max_backdate_micros() <= 0) {
    return absl::InvalidArgumentError("a log policy's max_backdate_micros must be above 0");
  }
  if (policy.rules_version() != 0 && policy.rules_version() != kTradeRulesVersion) {
    return absl::InvalidArgumentError(absl::StrCat("a log policy's rules_version must be 0 or ",
                                                   kTradeRulesVersion, ", not ",
                                                   policy.rules_version()));
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckRecordTime(const v1::Record& record, int64_t recorded_at,
                                           const v1::LogPolicy* policy) {
  if (record.history_import()) {
    if (policy != nullptr && policy->history_import_allowed()) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "history import rule: the record is marked history_import, and the log's policy ",
        policy == nullptr ? "(none: the entry comes before the log's first LogPolicy)"
                          : "does not allow imports of history",
        "; the operator allows them for an import with touchstoned --allow_history_import"));
  }
  if (policy == nullptr) return absl::OkStatus();
  // A policy in force has a bound > 0 (ValidatePolicy); a record carrying a
  // policy that is not valid is refused by its own rule, so it has no bound
  // here. recorded_at - bound is formed only when recorded_at >= bound > 0,
  // so it cannot underflow; below that every event time is within it.
  const int64_t bound = policy->max_backdate_micros();
  const int64_t t = record.event_time_micros();
  if (bound <= 0 || recorded_at < bound || t >= recorded_at - bound) return absl::OkStatus();
  // recorded_at - t overflows only for an event time far before 1970.
  const int64_t late = t < recorded_at - INT64_MAX ? INT64_MAX : recorded_at - t;
  return absl::FailedPreconditionError(absl::StrCat(
      "backdating rule: the record's event time ", Time(t), " is ", DurationText(late),
      " before the log records it (", Time(recorded_at), "); the log's policy allows at most ",
      DurationText(bound),
      " (an import of history must be marked history_import, while the operator allows imports)"));
}

std::string DurationText(int64_t micros) {
  const bool negative = micros < 0;
  const uint64_t m = negative ? 0 - static_cast<uint64_t>(micros) : static_cast<uint64_t>(micros);
  const uint64_t s = m / 1'000'000;
  std::string text;
  if (s >= 86400) {
    const uint64_t days = s / 86400, hours = (s % 86400) / 3600;
    text = absl::StrCat(days, days == 1 ? " day" : " days",
                        hours ? absl::StrCat(" ", hours, " h") : "");
  } else if (s >= 3600) {
    const uint64_t hours = s / 3600, minutes = (s % 3600) / 60;
    text = absl::StrCat(hours, " h", minutes ? absl::StrCat(" ", minutes, " min") : "");
  } else if (s >= 60) {
    text = absl::StrCat(s / 60, " min", s % 60 ? absl::StrCat(" ", s % 60, " s") : "");
  } else if (s > 0) {
    text = absl::StrCat(s, " s");
  } else {
    text = absl::StrCat(m, " us");
  }
  return negative ? absl::StrCat("-", text) : text;
}

std::string PolicyText(const v1::LogPolicy& policy) {
  return absl::StrCat(
      policy.record_signature_version() == kOriginBoundRecordSignatures
          ? "record signatures bind the log's origin"
          : absl::StrCat("record signatures of version ", policy.record_signature_version()),
      "; a record may be dated at most ", DurationText(policy.max_backdate_micros()),
      " before it is recorded; imports of history are ",
      policy.history_import_allowed() ? "allowed" : "not allowed",
      TradeRules(&policy) ? "; the trade rules hold (rules version 2)" : "");
}

}  // namespace touchstone
