// The ledger's counters and histograms (submissions appended, refused by
// reason, commit group sizes, commit latency, checkpoint time, proofs refused
// for failing their check, the background scrub's progress and findings), and their
// Prometheus text exposition (format 0.0.4), served by touchstoned's HTTP port
// at /metrics. No dependencies: plain atomics and strings.
#ifndef TOUCHSTONE_LEDGER_METRICS_H_
#define TOUCHSTONE_LEDGER_METRICS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace touchstone {

// Thread-safe: every method may be called from any thread.
class LedgerMetrics {
 public:
  // Upper bounds of the histogram buckets (+Inf is implied).
  static constexpr std::array<double, 11> kGroupSizeBuckets = {1,  2,   4,   8,    16,  32,
                                                               64, 128, 512, 2048, 4096};
  static constexpr std::array<double, 12> kCommitSecondsBuckets = {
      0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5};

  // One submission's outcome: appended (OK and not a retry), an idempotent
  // retry (OK and duplicate), or refused with the status's code.
  void CountOutcome(const absl::Status& status, bool duplicate);
  // One commit group that appended `appended` of its `group_size` submissions
  // and was durable after `took` (signing, writing and syncing included).
  void CountCommit(size_t group_size, size_t appended, absl::Duration took, absl::Time at);

  // A proof that failed its check against its checkpoint and was refused
  // with DATA_LOSS (ledger/store/proof_check.h): a consistency or an inclusion proof.
  void CountProofVerifyFailure(bool consistency);
  // The scrub (ledger/scrub.h) checked `entries` more entries and is at entry
  // `next` of a pass over `pass_size` entries.
  void ScrubChecked(uint64_t entries, uint64_t next, uint64_t pass_size);
  // The scrub finished a pass at `at`.
  void ScrubPassDone(absl::Time at);
  // The scrub found a damaged value (each one once).
  void CountScrubDamage();

  uint64_t proof_verify_failures(bool consistency) const {
    return proof_failures_[consistency ? 1 : 0].load();
  }
  uint64_t scrub_entries() const { return scrub_entries_.load(); }
  uint64_t scrub_passes() const { return scrub_passes_.load(); }
  uint64_t scrub_damage() const { return scrub_damage_.load(); }

  // The exposition: every metric above, plus the gauges given (the log's size,
  // the newest witnessed size).
  std::string Prometheus(uint64_t log_size, uint64_t witnessed_size, absl::Time now) const;

 private:
  template <size_t N>
  struct Histogram {
    std::array<std::atomic<uint64_t>, N + 1> counts{};  // last: above every bound
    std::atomic<uint64_t> count{0};
    std::atomic<double> sum{0};
    void Observe(const std::array<double, N>& bounds, double v);
    void Render(std::string* out, const std::string& name,
                const std::array<double, N>& bounds) const;
  };

  std::atomic<uint64_t> appended_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::array<std::atomic<uint64_t>, 17> refused_{};  // by absl::StatusCode (0..16)
  std::atomic<uint64_t> groups_{0};
  std::atomic<int64_t> last_commit_micros_{0};
  Histogram<kGroupSizeBuckets.size()> group_size_;
  Histogram<kCommitSecondsBuckets.size()> commit_seconds_;
  std::array<std::atomic<uint64_t>, 2> proof_failures_{};  // inclusion, consistency
  std::atomic<uint64_t> scrub_entries_{0};
  std::atomic<uint64_t> scrub_passes_{0};
  std::atomic<uint64_t> scrub_damage_{0};
  std::atomic<uint64_t> scrub_next_{0};
  std::atomic<uint64_t> scrub_pass_size_{0};
  std::atomic<int64_t> scrub_last_pass_micros_{0};
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_METRICS_H_
