// Counting the ledger's work and writing it in Prometheus' text format.
#include "ledger/metrics.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace touchstone {

template <size_t N>
void LedgerMetrics::Histogram<N>::Observe(const std::array<double, N>& bounds, double v) {
  size_t i = 0;
  while (i < N && v > bounds[i]) ++i;
  counts[i].fetch_add(1, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
  double s = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(s, s + v, std::memory_order_relaxed)) {
  }
}

template <size_t N>
void LedgerMetrics::Histogram<N>::Render(std::string* out, const std::string& name,
                                         const std::array<double, N>& bounds) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= N; ++i) {
    cumulative += counts[i].load(std::memory_order_relaxed);
    const std::string le = i < N ? absl::StrFormat("%g", bounds[i]) : "+Inf";
    absl::StrAppend(out, name, "_bucket{le=\"", le, "\"} ", cumulative, "\n");
  }
  absl::StrAppend(out, name, "_sum ", absl::StrFormat("%.6f", sum.load()), "\n", name, "_count ",
                  count.load(), "\n");
}

void LedgerMetrics::CountOutcome(const absl::Status& status, bool duplicate) {
  if (status.ok()) {
    (duplicate ? duplicates_ : appended_).fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const size_t code = static_cast<size_t>(status.code());
  refused_[code < refused_.size() ? code : static_cast<size_t>(absl::StatusCode::kUnknown)]
      .fetch_add(1, std::memory_order_relaxed);
}

void LedgerMetrics::CountCommit(size_t group_size, size_t appended, absl::Duration took,
                                absl::Time at) {
  groups_.fetch_add(1, std::memory_order_relaxed);
  group_size_.Observe(kGroupSizeBuckets, static_cast<double>(group_size));
  if (appended > 0) {
    commit_seconds_.Observe(kCommitSecondsBuckets, absl::ToDoubleSeconds(took));
    last_commit_micros_.store(absl::ToUnixMicros(at), std::memory_order_relaxed);
  }
}

void LedgerMetrics::CountProofVerifyFailure(bool consistency) {
  proof_failures_[consistency ? 1 : 0].fetch_add(1, std::memory_order_relaxed);
}

void LedgerMetrics::ScrubChecked(uint64_t entries, uint64_t next, uint64_t pass_size) {
  scrub_entries_.fetch_add(entries, std::memory_order_relaxed);
  scrub_next_.store(next, std::memory_order_relaxed);
  scrub_pass_size_.store(pass_size, std::memory_order_relaxed);
}

void LedgerMetrics::ScrubPassDone(absl::Time at) {
  scrub_last_pass_micros_.store(absl::ToUnixMicros(at), std::memory_order_relaxed);
  scrub_passes_.fetch_add(1, std::memory_order_relaxed);
}

void LedgerMetrics::CountScrubDamage() { scrub_damage_.fetch_add(1, std::memory_order_relaxed); }

std::string LedgerMetrics::Prometheus(uint64_t log_size, uint64_t witnessed_size,
                                      absl::Time now) const {
  std::string out;
  absl::StrAppend(&out,
                  "# HELP touchstone_appended_total Records appended to the log (receipts given).\n"
                  "# TYPE touchstone_appended_total counter\n"
                  "touchstone_appended_total ",
                  appended_.load(), "\n",
                  "# HELP touchstone_duplicates_total Idempotent retries of records already "
                  "appended (answered with the original receipt).\n"
                  "# TYPE touchstone_duplicates_total counter\n"
                  "touchstone_duplicates_total ",
                  duplicates_.load(), "\n",
                  "# HELP touchstone_refused_total Submissions refused, by gRPC status code.\n"
                  "# TYPE touchstone_refused_total counter\n");
  for (size_t code = 1; code < refused_.size(); ++code) {
    absl::StrAppend(
        &out, "touchstone_refused_total{code=\"",
        absl::AsciiStrToUpper(absl::StatusCodeToString(static_cast<absl::StatusCode>(code))),
        "\"} ", refused_[code].load(), "\n");
  }
  absl::StrAppend(&out,
                  "# HELP touchstone_commit_groups_total Commit groups the sequencer ran.\n"
                  "# TYPE touchstone_commit_groups_total counter\n"
                  "touchstone_commit_groups_total ",
                  groups_.load(), "\n",
                  "# HELP touchstone_commit_group_size Submissions per commit group.\n"
                  "# TYPE touchstone_commit_group_size histogram\n");
  group_size_.Render(&out, "touchstone_commit_group_size", kGroupSizeBuckets);
  absl::StrAppend(&out,
                  "# HELP touchstone_commit_seconds Time to check, sign and durably write a "
                  "commit group that appended records.\n"
                  "# TYPE touchstone_commit_seconds histogram\n");
  commit_seconds_.Render(&out, "touchstone_commit_seconds", kCommitSecondsBuckets);
  const int64_t last = last_commit_micros_.load();
  absl::StrAppend(
      &out,
      "# HELP touchstone_log_size Entries in the log.\n"
      "# TYPE touchstone_log_size gauge\n"
      "touchstone_log_size ",
      log_size, "\n",
      "# HELP touchstone_witnessed_size Size of the newest checkpoint a witness "
      "quorum cosigned (0: none).\n"
      "# TYPE touchstone_witnessed_size gauge\n"
      "touchstone_witnessed_size ",
      witnessed_size, "\n",
      "# HELP touchstone_checkpoint_age_seconds Seconds since the newest checkpoint "
      "was signed by this process (-1: none since start).\n"
      "# TYPE touchstone_checkpoint_age_seconds gauge\n"
      "touchstone_checkpoint_age_seconds ",
      last == 0 ? std::string("-1")
                : absl::StrFormat("%.3f", absl::ToDoubleSeconds(now - absl::FromUnixMicros(last))),
      "\n");
  absl::StrAppend(&out,
                  "# HELP touchstone_proof_verify_failures_total Proofs that failed verification "
                  "against the checkpoint they were to be served with, refused with DATA_LOSS "
                  "(damaged storage), by kind.\n"
                  "# TYPE touchstone_proof_verify_failures_total counter\n"
                  "touchstone_proof_verify_failures_total{kind=\"inclusion\"} ",
                  proof_failures_[0].load(), "\n",
                  "touchstone_proof_verify_failures_total{kind=\"consistency\"} ",
                  proof_failures_[1].load(), "\n");
  const int64_t scrubbed = scrub_last_pass_micros_.load();
  absl::StrAppend(&out,
                  "# HELP touchstone_scrub_entries_total Entries the background scrub re-hashed "
                  "and checked with their tree nodes and checkpoints.\n"
                  "# TYPE touchstone_scrub_entries_total counter\n"
                  "touchstone_scrub_entries_total ",
                  scrub_entries_.load(), "\n",
                  "# HELP touchstone_scrub_damage_total Damaged stored values the scrub found "
                  "(each logged once, as an error).\n"
                  "# TYPE touchstone_scrub_damage_total counter\n"
                  "touchstone_scrub_damage_total ",
                  scrub_damage_.load(), "\n",
                  "# HELP touchstone_scrub_passes_total Full passes of the scrub over the log.\n"
                  "# TYPE touchstone_scrub_passes_total counter\n"
                  "touchstone_scrub_passes_total ",
                  scrub_passes_.load(), "\n",
                  "# HELP touchstone_scrub_position Entries checked so far by the scrub's "
                  "current pass.\n"
                  "# TYPE touchstone_scrub_position gauge\n"
                  "touchstone_scrub_position ",
                  scrub_next_.load(), "\n",
                  "# HELP touchstone_scrub_pass_size Entries the scrub's current pass checks "
                  "(the log's size when it began).\n"
                  "# TYPE touchstone_scrub_pass_size gauge\n"
                  "touchstone_scrub_pass_size ",
                  scrub_pass_size_.load(), "\n",
                  "# HELP touchstone_scrub_last_full_pass_timestamp_seconds When the scrub last "
                  "finished a full pass, in Unix seconds (0: not since start).\n"
                  "# TYPE touchstone_scrub_last_full_pass_timestamp_seconds gauge\n"
                  "touchstone_scrub_last_full_pass_timestamp_seconds ",
                  absl::StrFormat("%.3f", static_cast<double>(scrubbed) / 1e6), "\n");
  return out;
}

}  // namespace touchstone
