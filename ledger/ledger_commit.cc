// The group commit: the sequencer's work on one group of queued submissions,
// as a sequence of named steps (CommitGroup), and the one batch-writing path
// (AppendEntry, SealCheckpoint, PublishCommit) that genesis shares.
//
// Crash safety: everything a group appends (entries, their index keys, tree
// nodes, state, the tree size and the checkpoint) goes into one WriteBatch,
// written synced; nothing is published to readers or completed before it is
// durable, and a failed write restores the in-memory head.
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"

namespace touchstone {

void Ledger::CommitGroup(std::vector<std::shared_ptr<Pending>>& group) {
  const absl::Time started = absl::Now();
  absl::MutexLock commit_lock(&commit_mu_);
  absl::Status writable = ReplicaError();
  if (writable.ok()) writable = EnsureWritable();
  if (!writable.ok()) {
    RefuseGroup(group, writable, started);
    return;
  }
  Group g(*this, options_.now_micros());
  for (auto& sp : group) Sequence(g, *sp);
  const absl::Status commit = g.appended.empty() ? absl::OkStatus() : WriteGroup(g);
  for (auto& [retry, original] : g.retries) {
    retry->status = original->status;
    retry->duplicate = true;
    retry->index = original->index;
    retry->leaf_hash = original->leaf_hash;
  }
  CompleteGroup(group, commit, commit.ok() ? g.appended.size() : 0, started);
}

void Ledger::RefuseGroup(std::vector<std::shared_ptr<Pending>>& group, const absl::Status& why,
                         absl::Time started) {
  for (auto& sp : group) {
    sp->status = why;
    metrics_.CountOutcome(sp->status, false);
    sp->done.Notify();
  }
  metrics_.CountCommit(group.size(), 0, absl::Now() - started, absl::Now());
}

void Ledger::Sequence(Group& g, Pending& p) {
  const v1::Record& rec = p.in.record;
  std::string id_key =
      absl::StrCat(RecordIdScope(rec), absl::string_view("\0", 1), rec.record_id());
  if (SettleRepeatInGroup(g, p, id_key) || SettleRepeatInLog(p)) return;
  const uint64_t index = tree_.size();
  if (absl::Status refused = ApplyRules(g, p, index); !refused.ok()) {
    p.status = std::move(refused);
    return;
  }
  p.index = index;
  std::string* entry = nullptr;
  if (options_.replicate) entry = &g.entries.emplace_back();
  p.leaf_hash = AppendEntry(g.batch, g.nodes, g.now, rec, p.in.record_bytes, p.in.signature, entry);
  // Never an entry without its opening: both are in the group's one synced batch.
  if (p.in.opening) {
    std::string opening = p.in.opening->SerializeAsString();
    g.batch.PutOpening(index, opening);
    if (options_.replicate) g.openings.emplace_back(index, std::move(opening));
  }
  g.ids.emplace(std::move(id_key), &p);
  g.appended.push_back(&p);
  if (p.in.rotate_to) g.rotate_to = p.in.rotate_to;
}

bool Ledger::SettleRepeatInGroup(Group& g, Pending& p, const std::string& id_key) {
  const auto it = g.ids.find(id_key);
  if (it == g.ids.end()) return false;
  if (it->second->in.record_bytes == p.in.record_bytes) {
    g.retries.emplace_back(&p, it->second);
  } else {
    p.status =
        absl::AlreadyExistsError(absl::StrCat("record id '", p.in.record.record_id(), "' of '",
                                              RecordIdScope(p.in.record), "' is already used"));
  }
  return true;
}

absl::StatusOr<std::optional<Ledger::Repeat>> Ledger::FindRepeat(
    const v1::Record& rec, std::string_view record_bytes) const {
  ASSIGN_OR_RETURN(std::optional<uint64_t> existing,
                   store_->FindRecordId(RecordIdScope(rec), rec.record_id()));
  if (!existing.has_value()) return std::nullopt;
  ASSIGN_OR_RETURN(std::string entry, store_->GetEntry(*existing));
  ASSIGN_OR_RETURN(EntryView view, DecodeEntry(entry));
  if (view.record != record_bytes) {
    return absl::AlreadyExistsError(absl::StrCat("record id '", rec.record_id(), "' of '",
                                                 RecordIdScope(rec), "' is already used by entry ",
                                                 *existing, " with other bytes"));
  }
  return Repeat{*existing, LeafHash(entry)};
}

bool Ledger::SettleRepeatInLog(Pending& p) {
  absl::StatusOr<std::optional<Repeat>> repeat = FindRepeat(p.in.record, p.in.record_bytes);
  if (!repeat.ok()) {
    p.status = repeat.status();
    return true;
  }
  if (!repeat->has_value()) return false;
  p.duplicate = true;
  p.index = (*repeat)->index;
  p.leaf_hash = (*repeat)->leaf_hash;
  return true;
}

absl::Status Ledger::ApplyRules(Group& g, Pending& p, uint64_t index) {
  const v1::Record& rec = p.in.record;
  const v1::LogPolicy* before = g.policy ? &*g.policy : nullptr;
  if (p.in.key && p.in.signature_version != SignatureVersion(PolicyInForce(rec, before))) {
    // Cannot happen while the policy changes only in Open, before any submission.
    return absl::FailedPreconditionError(
        "the log's record signature policy changed while the record was being verified; "
        "sign it again for this log's policy and submit it again");
  }
  // An owner-only record has no participant key (IsOwnerOnly).
  const PublicKey* key = p.in.key ? &*p.in.key : nullptr;
  const RecordContext ctx{rec, key, index, g.now, g.record_at, before, p.in.record_bytes, origin_};
  if (absl::Status st = CheckAndApply(ctx, options_.rules, g.state); !st.ok()) {
    g.state.RollbackRecord();
    return st;
  }
  g.state.CommitRecord();
  if (const v1::LogPolicy* carried = CarriedPolicy(rec)) g.policy = *carried;
  return absl::OkStatus();
}

absl::Status Ledger::WriteGroup(Group& g) {
  absl::StatusOr<std::string> note =
      SealCheckpoint(g.batch, g.nodes, g.state, *g.signer, g.rotate_to.get());
  absl::Status commit = note.status();
  // Replicated mode: durable in the replica set first, then here.
  if (commit.ok()) commit = Replicate(g, g.saved_tree.size(), *note);
  const bool replicated = commit.ok() && options_.replicate;
  if (commit.ok()) {
    if (options_.commit_delay > absl::ZeroDuration()) absl::SleepFor(options_.commit_delay);
    commit = store_->Commit(g.batch);
    if (!commit.ok() && replicated) {
      // Not "nothing was appended": the replica set holds the group.
      StopReplica(commit);
      commit = absl::UnavailableError(absl::StrCat(
          "the replica set holds this commit group but this replica could not write it (",
          commit.message(),
          ") and stops: submit the same bytes again, to the leader, for the "
          "receipt"));
    } else if (!commit.ok()) {
      commit = ledger_internal::NotAppended(commit);
    }
  }
  if (!commit.ok()) {
    tree_ = g.saved_tree;
    last_leaf_hash_ = g.saved_last;
    for (Pending* p : g.appended) p->status = commit;
    return commit;
  }
  std::vector<uint64_t> handovers;
  if (g.rotate_to) {
    for (Pending* p : g.appended) {
      if (p->in.rotate_to == g.rotate_to) handovers.push_back(p->index);
    }
  }
  PublishCommit(g.state, g.nodes, std::move(g.policy), *std::move(note), std::move(g.rotate_to),
                handovers);
  return absl::OkStatus();
}

void Ledger::CompleteGroup(std::vector<std::shared_ptr<Pending>>& group, const absl::Status& commit,
                           size_t appended, absl::Time started) {
  const auto [size, latest] = LatestCheckpoint();
  // Read back from the note every receipt carries: what its proof is checked against.
  const absl::StatusOr<Checkpoint> latest_cp = ParseCheckpointNote(latest);
  const absl::Time done = absl::Now();
  metrics_.CountCommit(group.size(), commit.ok() ? appended : 0, done - started, done);
  for (auto& sp : group) {
    if (sp->status.ok()) {
      sp->tree_size = size;
      sp->checkpoint = latest;
      if (latest_cp.ok()) sp->root = latest_cp->root;
    }
    metrics_.CountOutcome(sp->status, sp->duplicate);
    sp->done.Notify();
  }
}

Hash Ledger::AppendEntry(StoreBatch& batch, std::vector<NewNode>& nodes, int64_t recorded_at,
                         const v1::Record& record, std::string_view record_bytes,
                         std::string_view signature, std::string* encoded) {
  const uint64_t index = tree_.size();
  const std::string entry =
      EncodeEntry(index, recorded_at, last_leaf_hash_, record_bytes, signature);
  const Hash leaf = LeafHash(entry);
  batch.PutEntry(index, entry);
  if (encoded != nullptr) *encoded = entry;
  batch.PutLeafIndex(leaf, index);
  batch.PutRecordId(RecordIdScope(record), record.record_id(), index);
  tree_.Append(leaf, &nodes);
  last_leaf_hash_ = leaf;
  return leaf;
}

void Ledger::StageTree(StoreBatch& batch, const std::vector<NewNode>& nodes,
                       const StateView& state) const {
  for (const NewNode& n : nodes) batch.PutNode(n.level, n.index, n.hash);
  for (const auto& [key, value] : state.changes()) batch.PutState(key, value);
  batch.PutTreeSize(tree_.size());
}

absl::StatusOr<std::string> Ledger::SealCheckpoint(StoreBatch& batch,
                                                   const std::vector<NewNode>& nodes,
                                                   const StateView& state, const NoteSigner& signer,
                                                   const NoteSigner* also) const {
  StageTree(batch, nodes, state);
  const Checkpoint cp{
      .origin = signer.name(), .size = tree_.size(), .root = tree_.Root(), .extensions = {}};
  const std::string text = cp.ToText();
  ASSIGN_OR_RETURN(std::string note, signer.Sign(text));
  if (also != nullptr) {
    ASSIGN_OR_RETURN(std::string line, also->SignatureLine(text));
    note.append(line);
  }
  batch.PutCheckpoint(tree_.size(), note);
  return note;
}

void Ledger::PublishCommit(const StateView& state, const std::vector<NewNode>& nodes,
                           std::optional<v1::LogPolicy> policy, std::string note,
                           std::shared_ptr<const NoteSigner> rotate_to,
                           const std::vector<uint64_t>& handovers) {
  state.Publish(&registry_);
  for (const NewNode& n : nodes) node_cache_.Put(n.level, n.index, n.hash);
  policy_ = std::move(policy);
  signature_version_ = SignatureVersion(policy_ ? &*policy_ : nullptr);
  absl::MutexLock lock(&head_mu_);
  size_ = tree_.size();
  checkpoint_ = std::move(note);
  if (rotate_to) {
    // Later checkpoints are signed by the new key only.
    key_handovers_.insert(key_handovers_.end(), handovers.begin(), handovers.end());
    verifier_ = *NoteVerifier::Parse(rotate_to->VerifierKey());
    signer_ = std::move(rotate_to);
  }
}

}  // namespace touchstone
