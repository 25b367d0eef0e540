// The log's record policy (proto/record.proto LogPolicy): which policy is in
// force at an entry, and the rules it sets. One definition, shared by the rules
// (live appends and rebuilds, so also the audit), the ledger and the offline
// bundle verifier (ledger/bundle/bundle_times.cc), so all of them decide alike; the
// page's verifier (services/web/verify.js checkTimes) mirrors it.
//
// The policy in force at an entry is the one the entry carries itself (a
// LogPolicy record, or a genesis with a policy), or else the one of the newest
// earlier entry that carried one. Entries before a log's first policy have
// none ("legacy"): logs created before LogPolicy existed.
//
// Under a policy P, for the record R of an entry recorded at recorded_at
// (the entry header's server time, ledger/log/entry_format.h):
//   - signature: R's signature is over RecordSigningMessage(
//     P.record_signature_version, origin, R's bytes) (ledger/provenance/record.h);
//   - history import rule: if R is marked history_import, P allows imports
//     (history_import_allowed), else FAILED_PRECONDITION;
//   - backdating rule: unless R is such an import, R.event_time >=
//     recorded_at - P.max_backdate_micros, else FAILED_PRECONDITION;
//   - certificates R relies on are in force (ledger/provenance/rules.h
//     CertificateStatusAt "valid") at R's event time and, unless R is an
//     import, at recorded_at too.
// Under no policy (legacy entries) records are checked as they were when they
// were appended: signatures in the legacy form, no backdating bound, no
// imports, and certificates in force at the event time and not suspended or
// revoked at recorded_at.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_LOG_POLICY_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_LOG_POLICY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ledger/store/storage_map.h"
#include "proto/record.pb.h"

namespace touchstone {

// kLogPolicyStateKey, where the rules keep the LogPolicyState: ledger/store/storage_map.h.

// The default backdating bound of a new policy: 3 days.
inline constexpr int64_t kDefaultMaxBackdateMicros = 3 * 24 * 3600 * int64_t{1'000'000};

// The policy `record` carries itself (its LogPolicy body, or its genesis's
// policy); nullptr if none.
const v1::LogPolicy* CarriedPolicy(const v1::Record& record);

// The policy in force at the entry holding `record`, given `before`, the one
// in force at the entry before it (nullptr: none).
inline const v1::LogPolicy* PolicyInForce(const v1::Record& record, const v1::LogPolicy* before) {
  const v1::LogPolicy* own = CarriedPolicy(record);
  return own != nullptr ? own : before;
}

// The rules version of the trade rules (LogPolicy.rules_version): new logs
// start under it, and an older log opened by this version gets a LogPolicy
// entry that puts it in force from then on (entries before it keep the
// legacy rules).
inline constexpr uint32_t kTradeRulesVersion = 2;

// The rules version in force under `policy`: its rules_version, 0 under none.
inline uint32_t RulesVersion(const v1::LogPolicy* policy) {
  return policy == nullptr ? 0 : policy->rules_version();
}

// True if the trade rules hold under `policy`.
inline bool TradeRules(const v1::LogPolicy* policy) {
  return RulesVersion(policy) >= kTradeRulesVersion;
}

// The record signature version under `policy` (ledger/provenance/record.h): its
// record_signature_version, or the legacy version 1 under no policy.
uint32_t SignatureVersion(const v1::LogPolicy* policy);

// OK if `policy` may be put in force: record_signature_version 2,
// max_backdate_micros > 0, and rules_version 0 or kTradeRulesVersion. INVALID_ARGUMENT naming the
// field otherwise.
[[nodiscard]] absl::Status ValidatePolicy(const v1::LogPolicy& policy);

// The history import and backdating rules (file comment) for `record`
// recorded at `recorded_at` under `policy` (nullptr: none). FAILED_PRECONDITION
// with a message starting "history import rule" or "backdating rule".
[[nodiscard]] absl::Status CheckRecordTime(const v1::Record& record, int64_t recorded_at,
                                           const v1::LogPolicy* policy);

// True if the certificates `record` relies on must be in force at its
// recorded time too: a policy is in force and the record is not an import.
inline bool CertificatesCheckedWhenRecorded(const v1::Record& record, const v1::LogPolicy* policy) {
  return policy != nullptr && !record.history_import();
}

// A duration in words for messages: "45 s", "3 days", "2 days 4 h", "90 min".
std::string DurationText(int64_t micros);

// The policy in words: "record signatures bind the log's origin; a record may
// be dated at most 3 days before it is recorded; imports of history are not allowed".
std::string PolicyText(const v1::LogPolicy& policy);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_LOG_POLICY_H_
