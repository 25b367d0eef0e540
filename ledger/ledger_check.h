// A dry run of the append path (Ledger::StartCheck): records checked exactly as
// Submit would append them (parse, limits, signature, record id, the provenance
// rules), each against the log's committed state plus the session's own
// earlier accepted records, and never appended. `touchstone import --dry-run`
// runs a whole file through one session over Ledger.CheckStream, so a row that
// ships a lot an earlier row creates is checked as the real import would be.
#ifndef TOUCHSTONE_LEDGER_LEDGER_CHECK_H_
#define TOUCHSTONE_LEDGER_LEDGER_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "ledger/provenance/state_view.h"

namespace touchstone {

// What a checked record would be. Value type.
struct CheckOutcome {
  // For a record that would be appended: how many records the log held when
  // the session started plus those the session accepted before it, i.e. the
  // index it would get were nothing else appended meanwhile. For a
  // duplicate, the index of the entry (or of the session's record) it repeats.
  uint64_t index = 0;
  // The same bytes under the same record id are already in the log
  // (`in_log`) or earlier in this session: an idempotent retry.
  bool duplicate = false;
  bool in_log = false;
};

// The most bytes of signed records one session keeps (what later records'
// rules read back): 256 MiB.
inline constexpr uint64_t kMaxCheckSessionBytes = 256ull << 20;

// Thread-compatible: one caller at a time. Must not outlive its Ledger.
// Committed state is read as it is when each record is checked, so records
// others append meanwhile are seen from then on. The rules see the session's
// records at indices of their own, above any the log can reach (kSessionBase
// + i), so that an entry appended by others meanwhile is never mistaken for
// one of the session's; the outcome reports base size + i instead.
class Ledger::CheckSession {
 public:
  // Where the rules see the session's records: above any real index.
  static constexpr uint64_t kSessionBase = uint64_t{1} << 62;

  // Use Ledger::StartCheck.
  CheckSession(const Ledger& ledger, uint64_t base_size, std::optional<v1::LogPolicy> policy);
  CheckSession(const CheckSession&) = delete;
  CheckSession& operator=(const CheckSession&) = delete;

  // Checks one submission as Submit would. The outcome if it would be
  // appended (then kept, so that later records see its state changes) or is
  // a duplicate; otherwise the error Submit would return (its codes:
  // proto/ledger_service.proto), and the session is as it was.
  // RESOURCE_EXHAUSTED once the session holds kMaxCheckSessionBytes.
  [[nodiscard]] absl::StatusOr<CheckOutcome> Check(std::string record, std::string signature,
                                                   std::optional<v1::Opening> opening);

  // How many records the session accepted (not counting duplicates).
  uint64_t accepted() const { return records_.size(); }

 private:
  // A duplicate of an earlier record under the same id, ALREADY_EXISTS for
  // other bytes, or nullopt if the id is new (to the log and the session).
  [[nodiscard]] absl::StatusOr<std::optional<CheckOutcome>> Settle(const Prepared& p,
                                                                   const std::string& id_key);

  const Ledger& ledger_;
  const uint64_t base_size_;  // the log's size when the session started
  std::optional<v1::LogPolicy> policy_;
  StateView state_;
  // The signed bytes of the records the session accepted, in order: what
  // record_at_ reads back (a sealed record as its public bytes, as the log's
  // entries give it) and what a repeat is compared with.
  std::vector<std::string> records_;
  uint64_t bytes_ = 0;
  // Record id key (scope, 0x00, id) -> index in records_.
  absl::flat_hash_map<std::string, uint64_t> ids_;
  RecordReader record_at_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LEDGER_CHECK_H_
