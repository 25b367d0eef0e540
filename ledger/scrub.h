// The background scrub: re-reads the whole stored log at a bounded rate, pass
// after pass, so that damage to values no request happens to read (an old
// entry, an interior tree node, a checkpoint) is found while backups that
// predate it still exist.
//
// One pass covers the log as it was when the pass began (size N; later
// entries wait for the next pass). For every entry it checks that its bytes
// hash to its stored leaf node, that it decodes and says its own index, and
// that it chains to the leaf hash of the entry before it; it recomputes the
// tree from the leaves and compares every stored interior node the moment it
// completes; and it checks every stored checkpoint up to N, when the tree
// reaches its size, for its signature (by the key in force at that size,
// following key handovers from the genesis key) and its root. A damaged value
// is reported once per process (its column family and key, damage.h) and the
// pass goes on from the value the rest of the log was built on, so that one
// altered value is reported as one finding.
//
// It reads only what is committed (below the ledger's size), takes no lock an
// append takes, and runs on a thread of lowered priority in batches of a few
// milliseconds: it never holds up an append.
#ifndef TOUCHSTONE_LEDGER_SCRUB_H_
#define TOUCHSTONE_LEDGER_SCRUB_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/log/compact_range.h"
#include "ledger/metrics.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/store/damage.h"
#include "ledger/store/store.h"

namespace touchstone {

// What the scrub reads and whom it tells. The ledger provides one.
struct ScrubSource {
  const Store* store = nullptr;
  // The committed size: every entry, node and checkpoint below it is durable.
  std::function<uint64_t()> size;
  // Indices of the checkpoint key handovers (ledger/provenance/key_handover.h), in order.
  std::function<std::vector<uint64_t>()> key_handovers;
  // A damaged value found, with the size the pass checks up to.
  std::function<void(const Damage&, uint64_t pass_size)> report;
  // Progress and findings are counted here. Required.
  LedgerMetrics* metrics = nullptr;
};

// The scrub's position in its pass and what it has seen. Thread-compatible.
class ScrubPass {
 public:
  explicit ScrubPass(ScrubSource source) : source_(std::move(source)) {}

  // Checks up to `max` entries from where the pass is (starting a new pass at
  // the log's current size if the last one ended) and reports what is
  // damaged. Returns how many entries it checked. Errors that are not damage
  // (the database closed or unavailable) end the step early; the pass resumes
  // from the same entry on the next one.
  [[nodiscard]] absl::StatusOr<uint64_t> Step(uint64_t max);

  // The next entry to check and the size the pass checks up to (0: between passes).
  uint64_t next() const { return next_; }
  uint64_t pass_size() const { return end_; }

 private:
  // The checks of one entry; then the tree and checkpoint checks at size index + 1.
  [[nodiscard]] absl::Status CheckEntry(uint64_t index, std::string_view bytes);
  // An entry that cannot be read: reported, and the pass goes on from its stored leaf.
  [[nodiscard]] absl::Status SkipUnreadableEntry(uint64_t index, const absl::Status& why);
  // Appends the leaf the log was built on and checks the interior nodes it completes.
  [[nodiscard]] absl::Status AddLeaf(const Hash& leaf);
  void CheckCheckpoint(uint64_t size, std::string_view note);
  void Report(Damage damage);

  ScrubSource source_;
  uint64_t next_ = 0;
  uint64_t end_ = 0;
  CompactRange tree_;
  Hash prev_leaf_{};
  std::optional<CheckpointKeys> keys_;
  std::set<uint64_t> handovers_;
  // Checkpoints issued at sizes the current step reaches.
  std::vector<std::pair<uint64_t, std::string>> notes_;
  bool saw_end_checkpoint_ = false;
  // Column family and key of every damaged value reported.
  std::set<std::pair<std::string, std::string>> reported_;
};

struct ScrubOptions {
  // Entries checked per second; 0 turns the scrub off. At 200 a pass over
  // 10^7 entries takes under 14 hours. Default: 200
  double entries_per_second = 200;
  // Most entries checked in one go before the thread sleeps. Default: 256
  uint64_t max_batch = 256;
};

// Runs a ScrubPass on its own thread at options.entries_per_second, in batches
// of a tenth of a second's worth (at most max_batch). Thread-safe.
class Scrub {
 public:
  // Starts the thread (named "ts-scrub", nice 10) unless entries_per_second is 0.
  Scrub(ScrubSource source, ScrubOptions options);
  // Stop().
  ~Scrub();
  // Stops the thread within one batch. Idempotent.
  void Stop();

 private:
  void Loop();

  const ScrubOptions options_;
  ScrubPass pass_;  // owned by the thread
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_SCRUB_H_
