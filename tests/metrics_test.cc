// Tests of the ledger's metrics (ledger/metrics.h) through their Prometheus text: every counter
// counts what it names, histograms are cumulative per bucket with their sum and count, the
// gauges show what they are given, and counts from many threads are all kept.
#include "ledger/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace touchstone {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kAt = absl::FromUnixSeconds(1'767'225'600);

// The exposition's lines that are not comments.
std::vector<std::string> Samples(const LedgerMetrics& m, uint64_t log_size = 0,
                                 uint64_t witnessed = 0, absl::Time now = kAt) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(m.Prometheus(log_size, witnessed, now), '\n')) {
    if (!line.empty() && line[0] != '#') out.emplace_back(line);
  }
  return out;
}

TEST(MetricsTest, AFreshSetCountsNothingAndHasNoCheckpointAge) {
  LedgerMetrics m;
  const std::string text = m.Prometheus(0, 0, kAt);
  const std::vector<std::string> s = Samples(m);
  EXPECT_THAT(s, Contains("touchstone_appended_total 0"));
  EXPECT_THAT(s, Contains("touchstone_duplicates_total 0"));
  EXPECT_THAT(s, Contains("touchstone_commit_groups_total 0"));
  EXPECT_THAT(s, Contains("touchstone_checkpoint_age_seconds -1"));
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_count 0"));
  EXPECT_THAT(s, Contains("touchstone_scrub_last_full_pass_timestamp_seconds 0.000"));
  // One refused counter per gRPC status code but OK, each zero.
  for (const char* code : {"CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                           "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                           "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                           "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}) {
    EXPECT_THAT(s, Contains(absl::StrCat("touchstone_refused_total{code=\"", code, "\"} 0")));
  }
  EXPECT_THAT(text, Not(HasSubstr("code=\"OK\"")));
  // Every sample has its HELP and TYPE.
  for (const char* name :
       {"touchstone_appended_total", "touchstone_refused_total", "touchstone_commit_seconds",
        "touchstone_log_size", "touchstone_scrub_position"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("# HELP ", name, " ")));
    EXPECT_THAT(text, HasSubstr(absl::StrCat("# TYPE ", name, " ")));
  }
}

TEST(MetricsTest, OutcomesAreCountedAsAppendedRetriedOrRefusedByCode) {
  LedgerMetrics m;
  m.CountOutcome(absl::OkStatus(), false);
  m.CountOutcome(absl::OkStatus(), false);
  m.CountOutcome(absl::OkStatus(), true);
  for (int i = 0; i < 3; ++i) m.CountOutcome(absl::InvalidArgumentError("bad"), false);
  m.CountOutcome(absl::PermissionDeniedError("no"), false);
  m.CountOutcome(absl::ResourceExhaustedError("full"), true);  // refused, whatever `duplicate`
  const std::vector<std::string> s = Samples(m);
  EXPECT_THAT(s, Contains("touchstone_appended_total 2"));
  EXPECT_THAT(s, Contains("touchstone_duplicates_total 1"));
  EXPECT_THAT(s, Contains("touchstone_refused_total{code=\"INVALID_ARGUMENT\"} 3"));
  EXPECT_THAT(s, Contains("touchstone_refused_total{code=\"PERMISSION_DENIED\"} 1"));
  EXPECT_THAT(s, Contains("touchstone_refused_total{code=\"RESOURCE_EXHAUSTED\"} 1"));
  EXPECT_THAT(s, Contains("touchstone_refused_total{code=\"NOT_FOUND\"} 0"));
}

TEST(MetricsTest, CommitHistogramsAreCumulativeWithSumAndCount) {
  LedgerMetrics m;
  m.CountCommit(3, 3, absl::Milliseconds(3), kAt);
  m.CountCommit(5000, 10, absl::Seconds(7), kAt + absl::Seconds(1));  // above every bound
  m.CountCommit(100, 0, absl::Seconds(9), kAt + absl::Seconds(5));    // appended nothing
  const std::vector<std::string> s = Samples(m, 0, 0, kAt + absl::Milliseconds(3500));
  EXPECT_THAT(s, Contains("touchstone_commit_groups_total 3"));
  // Group sizes 3, 100 and 5000.
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_bucket{le=\"2\"} 0"));
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_bucket{le=\"4\"} 1"));
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_bucket{le=\"64\"} 1"));
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_bucket{le=\"128\"} 2"));
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_bucket{le=\"4096\"} 2"));
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_bucket{le=\"+Inf\"} 3"));
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_sum 5103.000000"));
  EXPECT_THAT(s, Contains("touchstone_commit_group_size_count 3"));
  // Only the groups that appended are timed: 3 ms and 7 s.
  EXPECT_THAT(s, Contains("touchstone_commit_seconds_bucket{le=\"0.0005\"} 0"));
  EXPECT_THAT(s, Contains("touchstone_commit_seconds_bucket{le=\"0.002\"} 0"));
  EXPECT_THAT(s, Contains("touchstone_commit_seconds_bucket{le=\"0.005\"} 1"));
  EXPECT_THAT(s, Contains("touchstone_commit_seconds_bucket{le=\"5\"} 1"));
  EXPECT_THAT(s, Contains("touchstone_commit_seconds_bucket{le=\"+Inf\"} 2"));
  EXPECT_THAT(s, Contains("touchstone_commit_seconds_sum 7.003000"));
  EXPECT_THAT(s, Contains("touchstone_commit_seconds_count 2"));
  // The age is that of the last group that appended (signed a checkpoint), not the last group.
  EXPECT_THAT(s, Contains("touchstone_checkpoint_age_seconds 2.500"));
}

TEST(MetricsTest, GaugesShowWhatTheyAreGiven) {
  LedgerMetrics m;
  const std::vector<std::string> s = Samples(m, 1234, 1200);
  EXPECT_THAT(s, Contains("touchstone_log_size 1234"));
  EXPECT_THAT(s, Contains("touchstone_witnessed_size 1200"));
}

TEST(MetricsTest, ProofFailuresAreCountedByKind) {
  LedgerMetrics m;
  m.CountProofVerifyFailure(false);
  m.CountProofVerifyFailure(true);
  m.CountProofVerifyFailure(true);
  EXPECT_EQ(m.proof_verify_failures(false), 1u);
  EXPECT_EQ(m.proof_verify_failures(true), 2u);
  const std::vector<std::string> s = Samples(m);
  EXPECT_THAT(s, Contains("touchstone_proof_verify_failures_total{kind=\"inclusion\"} 1"));
  EXPECT_THAT(s, Contains("touchstone_proof_verify_failures_total{kind=\"consistency\"} 2"));
}

TEST(MetricsTest, TheScrubsProgressPassesAndFindingsAreShown) {
  LedgerMetrics m;
  m.ScrubChecked(100, 100, 250);
  m.ScrubChecked(150, 250, 250);
  m.ScrubPassDone(kAt + absl::Milliseconds(1500));
  m.ScrubChecked(40, 40, 300);  // the next pass has begun
  m.CountScrubDamage();
  EXPECT_EQ(m.scrub_entries(), 290u);
  EXPECT_EQ(m.scrub_passes(), 1u);
  EXPECT_EQ(m.scrub_damage(), 1u);
  const std::vector<std::string> s = Samples(m);
  EXPECT_THAT(s, Contains("touchstone_scrub_entries_total 290"));
  EXPECT_THAT(s, Contains("touchstone_scrub_passes_total 1"));
  EXPECT_THAT(s, Contains("touchstone_scrub_damage_total 1"));
  EXPECT_THAT(s, Contains("touchstone_scrub_position 40"));
  EXPECT_THAT(s, Contains("touchstone_scrub_pass_size 300"));
  EXPECT_THAT(s, Contains("touchstone_scrub_last_full_pass_timestamp_seconds 1767225601.500"));
}

TEST(MetricsTest, CountsFromManyThreadsAreAllKept) {
  LedgerMetrics m;
  constexpr int kThreads = 4;
  constexpr int kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < kEach; ++i) {
        m.CountOutcome(absl::OkStatus(), false);
        m.CountCommit(1, 1, absl::Microseconds(250), kAt);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::vector<std::string> s = Samples(m);
  const int total = kThreads * kEach;
  EXPECT_THAT(s, Contains(absl::StrCat("touchstone_appended_total ", total)));
  EXPECT_THAT(s, Contains(absl::StrCat("touchstone_commit_group_size_count ", total)));
  EXPECT_THAT(s, Contains(absl::StrCat("touchstone_commit_group_size_bucket{le=\"1\"} ", total)));
  // The sum is added with a compare-and-swap loop: none is lost.
  EXPECT_THAT(s, Contains(absl::StrCat("touchstone_commit_group_size_sum ", total, ".000000")));
  EXPECT_THAT(s, Contains("touchstone_commit_seconds_sum 5.000000"));  // 20000 x 250 us
}

}  // namespace
}  // namespace touchstone
