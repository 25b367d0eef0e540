// Replicated mode (LedgerOptions::replica, docs/replication.md): the leader's
// side of a commit group (handing it, sealed, to LedgerOptions::replicate
// before it is written here) and a follower's (ApplyGroup: a group the leader
// made durable, checked as completely as this replica checks its own
// submissions, then written with its exact entry and checkpoint bytes, so
// every replica holds byte-identical entries and checkpoints).
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules.h"
#include "ledger/store/storage_map.h"

namespace touchstone {
namespace {

// The refusal of a group that does not verify.
absl::Status Unverified(uint64_t first_index, absl::string_view why) {
  return absl::DataLossError(
      absl::StrCat("replicated group at entry ", first_index, " does not verify: ", why));
}

}  // namespace

absl::Status Ledger::ReplicaError() const {
  absl::MutexLock lock(&replica_mu_);
  return replica_error_;
}

void Ledger::StopReplica(const absl::Status& why) {
  absl::MutexLock lock(&replica_mu_);
  if (!replica_error_.ok()) return;
  replica_error_ = absl::FailedPreconditionError(absl::StrCat(
      "this replica stopped: the replica set holds a group this replica could not write (",
      why.message(), "); restart it, and it applies the group from the set"));
}

v1::ReplicatedGroup Ledger::ToReplicate(Group& g, uint64_t first_index, const std::string& note) {
  v1::ReplicatedGroup out;
  out.set_first_index(first_index);
  for (std::string& entry : g.entries) out.add_entries(std::move(entry));
  g.entries.clear();
  for (auto& [index, opening] : g.openings) {
    v1::GroupOpening* o = out.add_openings();
    o->set_index(index);
    o->set_opening(std::move(opening));
  }
  g.openings.clear();
  out.set_checkpoint(note);
  return out;
}

absl::Status Ledger::Replicate(Group& g, uint64_t first_index, const std::string& note) {
  if (!options_.replicate) return absl::OkStatus();
  return options_.replicate(ToReplicate(g, first_index, note));
}

absl::Status Ledger::SealGivenCheckpoint(StoreBatch& batch, const std::vector<NewNode>& nodes,
                                         const StateView& state, const std::string& note) const {
  StageTree(batch, nodes, state);
  const std::string text = Checkpoint{
      .origin = origin_,
      .size = tree_.size(),
      .root = tree_.Root(),
      .extensions = {}}.ToText();
  // The note's text, then the blank line before its signatures (C2SP signed-note).
  if (!absl::StartsWith(note, text) || note.size() <= text.size() || note[text.size()] != '\n') {
    return absl::DataLossError(absl::StrCat(
        "its checkpoint is not the checkpoint of this replica's tree of the group's entries (size ",
        tree_.size(), ")"));
  }
  // Byte for byte the note this replica's key (the log's, which every replica
  // holds) signs for this text: Ed25519 is deterministic, so a note with
  // another signature, or with any line added, is not it. Every replica then
  // stores and serves the same bytes.
  ASSIGN_OR_RETURN(const std::string expected, signer()->Sign(text));
  if (note != expected) {
    return absl::DataLossError(
        "its checkpoint note is not the one this log's key signs for that tree (other "
        "signature bytes, or lines added)");
  }
  batch.PutCheckpoint(tree_.size(), note);
  return absl::OkStatus();
}

absl::Status Ledger::ApplyGroup(const v1::ReplicatedGroup& group) {
  absl::MutexLock commit_lock(&commit_mu_);
  RETURN_IF_ERROR(ReplicaError());
  // After a failed write, the storage is reopened (and the head reloaded) first.
  RETURN_IF_ERROR(EnsureWritable());
  const uint64_t first = group.first_index();
  if (first != tree_.size()) {
    return absl::FailedPreconditionError(absl::StrCat("the replicated group starts at entry ",
                                                      first, " but this replica holds ",
                                                      tree_.size(), " entries"));
  }
  if (group.entries().empty()) return Unverified(first, "it holds no entry");
  if (first == 0) return ApplyGenesisGroup(group);

  absl::StatusOr<EntryView> head = DecodeEntry(group.entries(0));
  if (!head.ok())
    return Unverified(first, absl::StrCat("entry ", first, ": ", head.status().message()));
  Group g(*this, head->recorded_at_micros);
  absl::flat_hash_map<uint64_t, const std::string*> openings;
  for (const v1::GroupOpening& o : group.openings()) {
    if (o.index() < first || o.index() - first >= static_cast<uint64_t>(group.entries_size()) ||
        !openings.emplace(o.index(), &o.opening()).second) {
      return Unverified(first, absl::StrCat("it holds an opening for entry ", o.index(),
                                            " that is not one of its entries, or twice"));
    }
  }
  std::vector<std::unique_ptr<Pending>> pendings;
  absl::Status verdict;
  for (int i = 0; i < group.entries_size() && verdict.ok(); ++i) {
    const std::string& bytes = group.entries(i);
    const uint64_t index = first + i;
    auto refuse = [&](absl::string_view why) {
      return Unverified(first, absl::StrCat("entry ", index, ": ", why));
    };
    absl::StatusOr<EntryView> view = DecodeEntry(bytes);
    if (!view.ok()) {
      verdict = refuse(view.status().message());
      break;
    }
    if (absl::Status link = CheckEntryLink(*view, index, &last_leaf_hash_); !link.ok()) {
      verdict = Unverified(first, absl::StrCat("entry ", index, link.message()));
      break;
    }
    if (view->recorded_at_micros != g.now) {
      verdict = refuse("its recorded time is not the group's (one group, one time)");
      break;
    }
    std::optional<v1::Opening> opening;
    if (const auto it = openings.find(index); it != openings.end()) {
      opening.emplace();
      if (!opening->ParseFromString(*it->second)) {
        verdict = refuse("its opening does not parse");
        break;
      }
    }
    absl::StatusOr<Prepared> prepared =
        Prepare(std::string(view->record), std::string(view->signature), std::move(opening),
                /*internal=*/true);
    if (!prepared.ok()) {
      verdict = refuse(prepared.status().message());
      break;
    }
    if (prepared->record.has_operator_key_rotated()) {
      verdict = absl::UnimplementedError(
          absl::StrCat("replicated group at entry ", first, ": entry ", index,
                       " hands the checkpoint key over, which replicated mode does not carry yet"));
      break;
    }
    Pending& p = *pendings.emplace_back(std::make_unique<Pending>());
    p.in = *std::move(prepared);
    Sequence(g, p);
    if (!p.status.ok()) {
      verdict = refuse(absl::StrCat("the rules here refuse it: ", p.status.message()));
    } else if (g.appended.empty() || g.appended.back() != &p) {
      verdict = refuse("it repeats a record id the log holds");
    } else if (p.leaf_hash != LeafHash(bytes)) {
      verdict = refuse("its bytes are not the entry of its record here");
    }
  }
  if (verdict.ok()) {
    if (absl::Status sealed = SealGivenCheckpoint(g.batch, g.nodes, g.state, group.checkpoint());
        !sealed.ok()) {
      verdict = Unverified(first, sealed.message());
    }
  }
  if (verdict.ok()) {
    verdict = store_->Commit(g.batch);
    if (!verdict.ok()) verdict = ledger_internal::NotAppended(verdict);
  }
  if (!verdict.ok()) {
    tree_ = g.saved_tree;
    last_leaf_hash_ = g.saved_last;
    return verdict;
  }
  PublishCommit(g.state, g.nodes, std::move(g.policy), group.checkpoint(), /*rotate_to=*/nullptr,
                /*handovers=*/{});
  return absl::OkStatus();
}

absl::Status Ledger::ApplyGenesisGroup(const v1::ReplicatedGroup& group) {
  auto refuse = [](absl::string_view why) { return Unverified(0, why); };
  if (group.entries_size() != 1 || !group.openings().empty()) {
    return refuse("a log's first group holds its genesis alone");
  }
  const std::string& bytes = group.entries(0);
  absl::StatusOr<EntryView> decoded = DecodeEntry(bytes);
  if (!decoded.ok()) return refuse(decoded.status().message());
  if (decoded->index != 0 || decoded->prev_leaf_hash != Hash{}) {
    return refuse("entry 0 says it is another entry or links to one");
  }
  const EntryView& view = *decoded;
  absl::StatusOr<v1::Record> record = RecordOfEntry(0, bytes);
  if (!record.ok()) return refuse(record.status().message());
  if (!record->has_genesis()) return refuse("entry 0 is not a genesis record");
  const v1::Genesis& genesis = record->genesis();
  if (genesis.origin() != origin_) {
    return refuse(absl::StrCat("its log's origin is '", genesis.origin(), "', this replica's '",
                               origin_, "'"));
  }
  const PublicKey& key = signer()->key().public_key();
  if (genesis.operator_().keys_size() != 1 || genesis.operator_().keys(0).ed25519() != key.raw()) {
    return refuse("its operator key is not the operator key this replica holds");
  }
  const uint32_t version = SignatureVersion(genesis.has_policy() ? &genesis.policy() : nullptr);
  if (!key.Verify(RecordSigningMessage(version, origin_, view.record), view.signature)) {
    return refuse("its genesis record is not signed by the operator key");
  }
  Group g(*this, view.recorded_at_micros);
  if (absl::Status st = ApplyGenesis(*record, 0, g.state); !st.ok()) return refuse(st.message());
  g.state.CommitRecord();
  const Hash leaf =
      AppendEntry(g.batch, g.nodes, view.recorded_at_micros, *record, view.record, view.signature);
  absl::Status verdict = leaf == LeafHash(bytes)
                             ? absl::OkStatus()
                             : refuse("its bytes are not the entry of its record here");
  if (verdict.ok()) {
    g.batch.PutMeta(kOriginMetaKey, origin_);
    g.batch.PutMeta(kStateFormatMetaKey, kStateFormat);
    if (absl::Status sealed = SealGivenCheckpoint(g.batch, g.nodes, g.state, group.checkpoint());
        !sealed.ok()) {
      verdict = refuse(sealed.message());
    }
  }
  if (verdict.ok()) verdict = store_->Commit(g.batch);
  if (!verdict.ok()) {
    tree_ = g.saved_tree;
    last_leaf_hash_ = g.saved_last;
    return verdict;
  }
  PublishCommit(g.state, g.nodes,
                genesis.has_policy() ? std::optional(genesis.policy()) : std::nullopt,
                group.checkpoint(), /*rotate_to=*/nullptr, /*handovers=*/{});
  return absl::OkStatus();
}

absl::Status Ledger::StartWriting() {
  if (!options_.replica) {
    return absl::FailedPreconditionError("StartWriting is for a replica (LedgerOptions::replica)");
  }
  if (Size() == 0) RETURN_IF_ERROR(CreateGenesis(signer()->key()));
  const v1::LogPolicy wanted = WantedPolicy();
  bool append = false;
  {
    absl::MutexLock commit_lock(&commit_mu_);
    append = !options_.legacy_log &&
             (!policy_ || policy_->SerializeAsString() != wanted.SerializeAsString());
  }
  if (append) RETURN_IF_ERROR(AppendPolicy(wanted));
  return absl::OkStatus();
}

}  // namespace touchstone
