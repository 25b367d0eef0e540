// The Ledger's append pipeline up to the sequencer: preparing a submission on
// its caller's thread (parse, limits, signature), queueing it, the sequencer
// loop that takes queued submissions as groups (ledger_commit.cc commits
// them), and waiting for a submission's receipt.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"

namespace touchstone {

absl::StatusOr<Ledger::Prepared> Ledger::Prepare(std::string record, std::string signature,
                                                 std::optional<v1::Opening> opening,
                                                 bool internal) const {
  // Cheapest checks first: a malformed or oversized record costs a parse, not
  // a key lookup and an Ed25519 verification. An empty signature is that of a
  // record an owner key signs alone (ledger/provenance/owner_signature.h).
  if (!signature.empty() && signature.size() != kEd25519SignatureSize) {
    return absl::InvalidArgumentError(absl::StrCat("signature must be ", kEd25519SignatureSize,
                                                   " bytes, got ", signature.size()));
  }
  ASSIGN_OR_RETURN(v1::Record parsed, ParseRecord(record, options_.max_record_bytes));
  // A sealed record is checked as the record its opening opens (commitments.h);
  // its entry keeps the public bytes, which the signatures cover.
  if (parsed.has_sealed() != opening.has_value()) {
    return absl::InvalidArgumentError(
        parsed.has_sealed()
            ? absl::StrCat("record is sealed: its opening must come with it (record '",
                           parsed.record_id(), "')")
            : absl::StrCat("record '", parsed.record_id(),
                           "' is not sealed: an opening comes only with a sealed record"));
  }
  if (opening) {
    ASSIGN_OR_RETURN(parsed, OpenRecord(parsed, *opening, options_.max_record_bytes));
    v1::Opening kept;  // only its two fields: nothing else of the request is stored
    kept.set_salt(std::move(*opening->mutable_salt()));
    kept.set_fields(std::move(*opening->mutable_fields()));
    opening = std::move(kept);
  }
  if (parsed.has_genesis()) {
    return absl::InvalidArgumentError("a genesis record can only be entry 0");
  }
  if (parsed.has_operator_key_rotated() && !internal) {
    return absl::FailedPreconditionError(
        "a checkpoint key handover is appended by the ledger itself, with the new private key "
        "at hand: run touchstoned --rotate_operator_key NEW.pem on the server");
  }
  if (parsed.has_log_policy() && !internal) {
    return absl::FailedPreconditionError(
        "the log's policy is appended by the ledger itself: start touchstoned with the "
        "policy's options (--max_backdate, --allow_history_import)");
  }
  RETURN_IF_ERROR(CheckFieldLimits(parsed, options_.field_limits));
  if (IsOwnerOnly(parsed)) {
    // No participant signs it: the rules verify its owner signature against the
    // piece's owner key (rules_owners.cc).
    if (!signature.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "record '", parsed.record_id(),
          "' is signed by an owner key alone (no signer): its entry signature must be empty, got ",
          signature.size(), " bytes"));
    }
    return Prepared{std::move(record), std::move(signature),      std::move(parsed),
                    std::nullopt,      signature_version_.load(), nullptr,
                    std::move(opening)};
  }
  if (signature.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature must be ", kEd25519SignatureSize,
                     " bytes, got 0 (only a record an owner key signs alone has no signature)"));
  }
  ASSIGN_OR_RETURN(PublicKey key, registry_.SigningKey(parsed.signer(), parsed.key_id()));
  // The form the policy in force at the entry sets (ledger/provenance/log_policy.h): a
  // policy entry's own, else the log's (after Open, always the origin-bound form).
  const v1::LogPolicy* carried = CarriedPolicy(parsed);
  const uint32_t version =
      carried != nullptr ? SignatureVersion(carried) : signature_version_.load();
  if (!key.Verify(RecordSigningMessage(version, origin_, record), signature)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad signature: record '", parsed.record_id(), "' is not signed by key ",
                     parsed.key_id(), " of '", parsed.signer(), "'",
                     SignatureMismatch(key, version, origin_, record, signature)));
  }
  return Prepared{
      std::move(record), std::move(signature), std::move(parsed), std::move(key), version,
      nullptr,           std::move(opening)};
}

std::vector<std::shared_ptr<Ledger::Pending>> Ledger::Enqueue(std::vector<Prepared> prepared,
                                                              int started) {
  std::vector<std::shared_ptr<Pending>> out;
  out.reserve(prepared.size());
  for (Prepared& p : prepared) {
    auto pending = std::make_shared<Pending>();
    pending->in = std::move(p);
    out.push_back(std::move(pending));
  }
  absl::MutexLock lock(&queue_mu_);
  preparing_ -= started;
  for (auto& p : out) {
    if (stopping_) {
      p->status = absl::UnavailableError("the ledger is shutting down");
      p->done.Notify();
    } else {
      queue_.push_back(p);
    }
  }
  return out;
}

absl::StatusOr<Receipt> Ledger::Await(Pending& p, absl::Time deadline) const {
  if (!p.done.WaitForNotificationWithDeadline(deadline)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "record '", p.in.record.record_id(),
        "' was not committed before the call's deadline; it may still be appended: submit the "
        "same bytes again for its receipt"));
  }
  if (!p.status.ok()) return p.status;
  Receipt r;
  r.index = p.index;
  r.leaf_hash = p.leaf_hash;
  r.tree_size = p.tree_size;
  r.checkpoint = p.checkpoint;
  r.duplicate = p.duplicate;
  // Checked against the checkpoint's root before it is handed out (ledger_proofs.cc).
  ASSIGN_OR_RETURN(r.inclusion_proof, ProveInclusion(p.index, p.tree_size, p.leaf_hash, p.root));
  return r;
}

namespace {

[[nodiscard]] absl::Status PastDeadline(absl::Time deadline) {
  if (absl::Now() < deadline) return absl::OkStatus();
  return absl::DeadlineExceededError(
      "the call's deadline passed before the submission was queued; nothing was appended");
}

}  // namespace

absl::StatusOr<Receipt> Ledger::Submit(std::string record, std::string signature,
                                       absl::Time deadline) {
  return Submit(std::move(record), std::move(signature), std::nullopt, deadline);
}

absl::StatusOr<Receipt> Ledger::Submit(std::string record, std::string signature,
                                       std::optional<v1::Opening> opening, absl::Time deadline) {
  Ticket ticket = Start(std::move(record), std::move(signature), std::move(opening), deadline);
  return Finish(ticket, deadline);
}

Ledger::Ticket Ledger::Start(std::string record, std::string signature, absl::Time deadline) {
  return Start(std::move(record), std::move(signature), std::nullopt, deadline);
}

Ledger::Ticket Ledger::Start(std::string record, std::string signature,
                             std::optional<v1::Opening> opening, absl::Time deadline) {
  Ticket ticket;
  {
    absl::MutexLock lock(&queue_mu_);
    ++preparing_;  // the sequencer may wait for it (group_linger)
  }
  absl::StatusOr<Prepared> prepared =
      Prepare(std::move(record), std::move(signature), std::move(opening));
  absl::Status refused = prepared.status();
  if (refused.ok()) refused = PastDeadline(deadline);
  if (!refused.ok()) {
    {
      absl::MutexLock lock(&queue_mu_);
      --preparing_;
    }
    ticket.refused = std::move(refused);
    metrics_.CountOutcome(ticket.refused, false);
    return ticket;
  }
  std::vector<Prepared> one;
  one.push_back(std::move(*prepared));
  ticket.pending = std::move(Enqueue(std::move(one), /*started=*/1)[0]);
  return ticket;
}

absl::StatusOr<Receipt> Ledger::Finish(Ticket& ticket, absl::Time deadline) const {
  if (ticket.pending == nullptr) {
    return ticket.refused.ok() ? absl::FailedPreconditionError("this ticket was finished")
                               : ticket.refused;
  }
  std::shared_ptr<Pending> pending = std::move(ticket.pending);
  ticket.refused = absl::FailedPreconditionError("this ticket was finished");
  return Await(*pending, deadline);
}

absl::StatusOr<std::vector<absl::StatusOr<Receipt>>> Ledger::SubmitBatch(
    std::vector<std::pair<std::string, std::string>> records, absl::Time deadline) {
  std::vector<Submission> submissions;
  submissions.reserve(records.size());
  for (auto& [record, signature] : records) {
    submissions.push_back({std::move(record), std::move(signature), std::nullopt});
  }
  return SubmitBatch(std::move(submissions), deadline);
}

absl::StatusOr<std::vector<absl::StatusOr<Receipt>>> Ledger::SubmitBatch(
    std::vector<Submission> records, absl::Time deadline) {
  if (records.size() > options_.max_batch) {
    return absl::InvalidArgumentError(absl::StrCat("batch limit: a batch holds at most ",
                                                   options_.max_batch, " records (max_batch), got ",
                                                   records.size()));
  }
  const size_t n = records.size();
  std::vector<absl::StatusOr<Prepared>> prepared(n, absl::UnknownError("not prepared"));
  auto prepare = [&](size_t i) {
    prepared[i] = Prepare(std::move(records[i].record), std::move(records[i].signature),
                          std::move(records[i].opening));
  };
  // Verify signatures on every core (the pool's and this thread) for large batches.
  if (n >= 16) {
    verify_pool_.ParallelFor(n, prepare);
  } else {
    for (size_t i = 0; i < n; ++i) prepare(i);
  }

  RETURN_IF_ERROR(PastDeadline(deadline));
  std::vector<Prepared> ok;
  for (auto& p : prepared) {
    if (p.ok()) {
      ok.push_back(std::move(*p));
    } else {
      metrics_.CountOutcome(p.status(), false);
    }
  }
  auto pending = Enqueue(std::move(ok));
  std::vector<absl::StatusOr<Receipt>> results;
  results.reserve(n);
  size_t next = 0;
  for (auto& p : prepared) {
    if (!p.ok()) {
      results.push_back(p.status());
    } else {
      results.push_back(Await(*pending[next++], deadline));
    }
  }
  return results;
}

void Ledger::SequencerLoop() {
  for (;;) {
    std::vector<std::shared_ptr<Pending>> group;
    {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(
          +[](Ledger* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->queue_mu_) {
            return !l->queue_.empty() || l->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping, and drained
      if (options_.group_linger > absl::ZeroDuration() && preparing_ > 0 && !stopping_ &&
          queue_.size() < options_.max_group) {
        // More single submissions are on their way: let them join this group.
        queue_mu_.AwaitWithTimeout(absl::Condition(
                                       +[](Ledger* l) ABSL_EXCLUSIVE_LOCKS_REQUIRED(l->queue_mu_) {
                                         return l->preparing_ == 0 || l->stopping_ ||
                                                l->queue_.size() >= l->options_.max_group;
                                       },
                                       this),
                                   options_.group_linger);
      }
      size_t n = std::min(queue_.size(), options_.max_group);
      if (options_.max_group_bytes != 0) {
        // At least one record; then as many as fit (replicated mode: etcd's request
        // limit), counting what the group carries of each: its entry (the record,
        // framing and signature) and its opening.
        auto carried = [](const Pending& p) {
          constexpr size_t kEntryOverhead = 192;  // entry header, signature, field tags
          return p.in.record_bytes.size() + kEntryOverhead +
                 (p.in.opening ? p.in.opening->ByteSizeLong() : 0);
        };
        size_t bytes = carried(*queue_[0]);
        for (size_t i = 1; i < n; ++i) {
          bytes += carried(*queue_[i]);
          if (bytes > options_.max_group_bytes) {
            n = i;
            break;
          }
        }
      }
      group.assign(queue_.begin(), queue_.begin() + n);
      queue_.erase(queue_.begin(), queue_.begin() + n);
    }
    CommitGroup(group);
  }
}

}  // namespace touchstone
