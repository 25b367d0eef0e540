// The background scrub (see scrub.h).
#include "ledger/scrub.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"

namespace touchstone {

void ScrubPass::Report(Damage damage) {
  if (!reported_.emplace(damage.column_family, damage.key).second) return;
  source_.metrics->CountScrubDamage();
  if (source_.report) source_.report(damage, end_);
}

absl::StatusOr<uint64_t> ScrubPass::Step(uint64_t max) {
  if (end_ == 0) {  // a new pass over the log as it is now
    end_ = source_.size();
    next_ = 0;
    tree_ = CompactRange();
    prev_leaf_ = Hash{};
    keys_.reset();
    saw_end_checkpoint_ = false;
    if (end_ == 0) return 0;
  }
  const uint64_t stop = std::min(end_, next_ + std::max<uint64_t>(max, 1));
  const std::vector<uint64_t> handovers = source_.key_handovers();
  handovers_.insert(handovers.begin(), handovers.end());
  notes_.clear();
  absl::Status scanned = source_.store->ScanCheckpoints(
      next_ + 1, stop + 1, [&](uint64_t size, std::string_view note) -> absl::Status {
        notes_.emplace_back(size, std::string(note));
        return absl::OkStatus();
      });
  if (!scanned.ok()) {
    if (!IsDamageStatus(scanned)) return scanned;
    Report(CheckpointDamage(next_ + 1, absl::StrCat("the checkpoints from size ", next_ + 1,
                                                    " on cannot be read: ", scanned.message())));
    notes_.clear();
  }
  const uint64_t start = next_;
  bool in_check = false;  // a non-OK scan status from CheckEntry, not from reading
  scanned = source_.store->ScanEntries(start, stop, [&](uint64_t index, std::string_view bytes) {
    absl::Status s = CheckEntry(index, bytes);
    in_check = !s.ok();
    return s;
  });
  if (!scanned.ok() && !in_check && IsDamageStatus(scanned) && next_ < stop) {
    // Reading failed somewhere in the chunk that starts at next_: one entry at
    // a time from here names the entry that cannot be read.
    absl::StatusOr<std::string> one = source_.store->GetEntry(next_);
    if (one.ok()) {
      scanned = CheckEntry(next_, *one);
    } else if (IsDamageStatus(one.status())) {
      scanned = SkipUnreadableEntry(next_, one.status());
    } else {
      scanned = one.status();
    }
  }
  source_.metrics->ScrubChecked(next_ - start, next_, end_);
  if (!scanned.ok()) return scanned;
  if (next_ == end_) {
    if (!saw_end_checkpoint_) {
      Report(CheckpointDamage(end_, absl::StrCat("no checkpoint is stored at size ", end_,
                                                 ", a size the log was committed at")));
    }
    source_.metrics->ScrubPassDone(absl::Now());
    end_ = 0;
  }
  return next_ - start;
}

absl::Status ScrubPass::CheckEntry(uint64_t index, std::string_view bytes) {
  const Hash leaf = LeafHash(bytes);
  Hash original = leaf;  // the leaf hash the rest of the log was built on
  absl::StatusOr<Hash> stored = source_.store->GetNode(0, index);
  if (!stored.ok()) {
    if (!IsDamageStatus(stored.status())) return stored.status();
    Report(
        TreeNodeDamage(0, index,
                       absl::StrCat("the leaf hash of entry ", index, " (tree node level 0 index ",
                                    index, ") cannot be read: ", stored.status().message())));
  } else if (*stored != leaf) {
    ASSIGN_OR_RETURN(LeafVerdict verdict,
                     JudgeLeafMismatch(*source_.store, index, end_, leaf, *stored));
    Report(std::move(verdict.damage));
    original = verdict.original_leaf;
  }
  absl::StatusOr<EntryView> view = DecodeEntry(bytes);
  if (!view.ok()) {
    Report(EntryDamage(
        index, absl::StrCat("entry ", index, " does not decode: ", view.status().message())));
  } else if (absl::Status link = CheckEntryLink(*view, index, &prev_leaf_); !link.ok()) {
    Report(EntryDamage(index, absl::StrCat("entry ", index, link.message())));
  }
  if (index == 0) {
    absl::StatusOr<CheckpointKeys> keys = CheckpointKeys::FromGenesisEntry(bytes);
    if (keys.ok()) {
      keys_ = std::move(*keys);
    } else {
      Report(EntryDamage(
          0, absl::StrCat("the genesis entry names no checkpoint key: ", keys.status().message())));
    }
  } else if (keys_ && handovers_.contains(index)) {
    if (absl::Status s = keys_->Follow(index, bytes); !s.ok()) {
      Report(EntryDamage(index, absl::StrCat("the key handover at entry ", index,
                                             " cannot be followed: ", s.message())));
    }
  }
  RETURN_IF_ERROR(AddLeaf(original));
  for (const auto& [size, note] : notes_) {
    if (size == index + 1) CheckCheckpoint(size, note);
  }
  return absl::OkStatus();
}

absl::Status ScrubPass::SkipUnreadableEntry(uint64_t index, const absl::Status& why) {
  Report(EntryDamage(index, absl::StrCat("entry ", index, " cannot be read: ", why.message())));
  absl::StatusOr<Hash> stored = source_.store->GetNode(0, index);
  if (!stored.ok() && !IsDamageStatus(stored.status())) return stored.status();
  // Without the entry or its leaf hash nothing above it can be recomputed:
  // this pass checks no more of the tree, and the next one starts afresh.
  if (!stored.ok()) {
    Report(TreeNodeDamage(0, index,
                          absl::StrCat("the leaf hash of entry ", index,
                                       " cannot be read: ", stored.status().message())));
    next_ = end_;
    saw_end_checkpoint_ = true;
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(AddLeaf(*stored));
  for (const auto& [size, note] : notes_) {
    if (size == index + 1) CheckCheckpoint(size, note);
  }
  return absl::OkStatus();
}

absl::Status ScrubPass::AddLeaf(const Hash& leaf) {
  std::vector<NewNode> nodes;
  tree_.Append(leaf, &nodes);
  for (const NewNode& n : nodes) {
    if (n.level == 0) continue;  // the leaf: checked against its entry
    absl::StatusOr<Hash> stored = source_.store->GetNode(n.level, n.index);
    if (!stored.ok() && !IsDamageStatus(stored.status())) return stored.status();
    const uint64_t first = n.index << n.level;
    const std::string name =
        absl::StrCat("tree node level ", n.level, " index ", n.index, " (entries ", first, " to ",
                     first + (uint64_t{1} << n.level) - 1, ")");
    if (!stored.ok()) {
      Report(TreeNodeDamage(n.level, n.index,
                            absl::StrCat(name, " cannot be read: ", stored.status().message())));
    } else if (*stored != n.hash) {
      Report(TreeNodeDamage(n.level, n.index,
                            absl::StrCat(name, " is not the hash of the entries under it")));
    }
  }
  prev_leaf_ = leaf;
  ++next_;
  return absl::OkStatus();
}

void ScrubPass::CheckCheckpoint(uint64_t size, std::string_view note) {
  if (size == end_) saw_end_checkpoint_ = true;
  const std::string at = absl::StrCat("the checkpoint of size ", size);
  absl::StatusOr<Checkpoint> cp =
      keys_ ? keys_->VerifyAtSize(note, size) : ParseCheckpointNote(note);
  if (!cp.ok()) {
    Report(CheckpointDamage(size, absl::StrCat(at, " does not verify: ", cp.status().message())));
  } else if (cp->size != size) {
    Report(CheckpointDamage(size, absl::StrCat(at, " says it is of size ", cp->size)));
  } else if (cp->root != tree_.Root()) {
    Report(CheckpointDamage(size, absl::StrCat(at, " does not have the root of the entries")));
  }
}

Scrub::Scrub(ScrubSource source, ScrubOptions options)
    : options_(options), pass_(std::move(source)) {
  if (options_.entries_per_second > 0) thread_ = std::thread([this] { Loop(); });
}

Scrub::~Scrub() { Stop(); }

void Scrub::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void Scrub::Loop() {
  pthread_setname_np(pthread_self(), "ts-scrub");
  // Linux: the nice value of this thread only. Appends' threads keep theirs.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  const double rate = options_.entries_per_second;
  const uint64_t batch = std::clamp<uint64_t>(static_cast<uint64_t>(rate / 10), 1,
                                              std::max<uint64_t>(options_.max_batch, 1));
  absl::Time next = absl::Now();
  for (;;) {
    absl::StatusOr<uint64_t> done = pass_.Step(batch);
    // An empty log, or storage away for a moment: wait as long as a full batch would take.
    const uint64_t paced = done.ok() && *done > 0 ? *done : batch;
    next += absl::Seconds(static_cast<double>(paced) / rate);
    const absl::Time now = absl::Now();
    if (next < now - absl::Seconds(1)) next = now;  // fell behind: no burst to catch up
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithDeadline(absl::Condition(&stopping_), next)) return;
  }
}

}  // namespace touchstone
