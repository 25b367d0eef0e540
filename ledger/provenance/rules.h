// The provenance rules: what a record must satisfy against the log's state
// before it is appended, and the state changes it makes
// (../shared/reference/provenance-domain.md). Pure logic over a StateView; no I/O
// of its own, so the same code checks live submissions and rebuilds state from
// the log.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_RULES_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_RULES_H_

#include <array>
#include <cstdint>
#include <functional>

#include "absl/status/status.h"
#include "ledger/log/keys.h"
#include "ledger/provenance/certificate_status.h"  // CertificateStatusAt, which the rules use
#include "ledger/provenance/state_view.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"

namespace touchstone {

struct RuleOptions {
  // Largest declared loss per process, in parts per thousand of the input fine
  // weight, indexed by v1::Process. Default: refine 50, alloy 20, cast 30,
  // cut and polish 700 (rough loses most of its weight), split 0, merge 0.
  std::array<int64_t, 7> loss_tolerance_ppt = {0, 50, 20, 30, 700, 0, 0};
  // How far a record's event time may lie ahead of the server clock.
  // Default: 5 minutes.
  int64_t max_future_micros = 5 * 60 * 1'000'000LL;
};

// Reads the record stored at an earlier index (NOT_FOUND if none).
using RecordReader = std::function<absl::StatusOr<v1::Record>(uint64_t index)>;

// The record being checked and where it will land.
struct RecordContext {
  const v1::Record& record;
  // The key its entry signature was verified with; nullptr for a record an
  // owner key signs alone (IsOwnerOnly, ledger/provenance/record.h).
  const PublicKey* signer_key;
  uint64_t index;                 // the index it gets if accepted
  int64_t now_micros;             // server clock: the entry's recorded_at
  const RecordReader& record_at;  // earlier records (for error declarations)
  // The log's policy in force at the entry before this one (ledger/provenance/log_policy.h);
  // nullptr if none (entries of an old log before its first LogPolicy).
  const v1::LogPolicy* policy = nullptr;
  // The record's exact bytes and the log's origin: what an owner signature
  // covers (ledger/provenance/owner_signature.h).
  std::string_view record_bytes = {};
  std::string_view origin = {};
};

// Checks `record` against `state` and stages its effects there. On error the
// caller rolls the record back (StateView::RollbackRecord). Errors:
//   PERMISSION_DENIED  the signer, key or role may not write this record
//   NOT_FOUND          a referenced participant, key, lot, certificate or piece is unknown
//   ALREADY_EXISTS     an id that must be new is taken
//   FAILED_PRECONDITION a rule of the domain (custody, balance, conservation,
//                      claims, certificate validity, event time, the log policy's
//                      backdating and history import rules) is broken
//   INVALID_ARGUMENT   the record is malformed (missing or out-of-range fields)
// Each message names the rule and the record or object involved.
[[nodiscard]] absl::Status CheckAndApply(const RecordContext& ctx, const RuleOptions& options,
                                         StateView& state);

// Applies the genesis record (entry 0) to empty state. INVALID_ARGUMENT if it
// is not a well-formed genesis (or carries an invalid policy).
[[nodiscard]] absl::Status ApplyGenesis(const v1::Record& record, uint64_t index, StateView& state);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_RULES_H_
