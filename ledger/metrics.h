// The ledger's counters and histograms (submissions appended, refused by
// reason, commit group sizes, commit latency, checkpoint time), and their
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
    void Render(std::string* out, const std::string& name, const std::array<double, N>& bounds)
        const;
  };

  std::atomic<uint64_t> appended_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::array<std::atomic<uint64_t>, 17> refused_{};  // by absl::StatusCode (0..16)
  std::atomic<uint64_t> groups_{0};
  std::atomic<int64_t> last_commit_micros_{0};
  Histogram<kGroupSizeBuckets.size()> group_size_;
  Histogram<kCommitSecondsBuckets.size()> commit_seconds_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_METRICS_H_
