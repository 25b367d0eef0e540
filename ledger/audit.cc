// Re-verifying a stored log from genesis.
#include "ledger/audit.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "ledger/checkpoint.h"
#include "ledger/compact_range.h"
#include "ledger/entry_format.h"
#include "ledger/note.h"
#include "ledger/rebuild.h"
#include "ledger/status_macros.h"

namespace touchstone {
namespace {

// The log's identity as its genesis entry states it.
absl::StatusOr<NoteVerifier> GenesisVerifier(const Store& store) {
  ASSIGN_OR_RETURN(std::string bytes, store.GetEntry(0));
  ASSIGN_OR_RETURN(EntryView e, DecodeEntry(bytes));
  v1::Record r;
  if (!r.ParseFromArray(e.record.data(), static_cast<int>(e.record.size())) || !r.has_genesis() ||
      r.genesis().operator_().keys().empty()) {
    return absl::DataLossError("entry 0: not a genesis record");
  }
  ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromRaw(r.genesis().operator_().keys(0).ed25519()));
  return NoteVerifier::Parse(FormatVerifierKey(r.genesis().origin(), key));
}

}  // namespace

absl::StatusOr<AuditReport> AuditStore(const Store& store, const AuditOptions& options) {
  AuditReport report;
  ASSIGN_OR_RETURN(const uint64_t size, store.ReadTreeSize());
  if (size == 0) return absl::FailedPreconditionError("the log is empty");
  ASSIGN_OR_RETURN(NoteVerifier verifier, GenesisVerifier(store));
  report.origin = verifier.name;
  report.verifier_key = FormatVerifierKey(verifier.name, verifier.key);

  // Every stored checkpoint, checked when the recomputed tree reaches its size.
  std::map<uint64_t, Checkpoint> checkpoints;
  RETURN_IF_ERROR(store.ScanCheckpoints([&](uint64_t s, std::string_view note) -> absl::Status {
    absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(note, verifier);
    if (!cp.ok()) {
      return absl::DataLossError(
          absl::StrCat("checkpoint at size ", s, ": ", cp.status().message()));
    }
    if (cp->size != s) {
      return absl::DataLossError(
          absl::StrCat("checkpoint stored at size ", s, " says size ", cp->size));
    }
    checkpoints.emplace(s, *std::move(cp));
    return absl::OkStatus();
  }));
  if (!checkpoints.count(size)) {
    return absl::DataLossError(absl::StrCat("no checkpoint at the log's size ", size));
  }
  if (checkpoints.rbegin()->first > size) {
    return absl::DataLossError(
        absl::StrCat("a checkpoint claims size ", checkpoints.rbegin()->first, ", beyond the log"));
  }

  CompactRange tree;
  std::vector<NewNode> nodes;
  auto on_entry = [&](uint64_t index, const Hash& leaf) -> absl::Status {
    nodes.clear();
    tree.Append(leaf, &nodes);
    for (const NewNode& n : nodes) {
      absl::StatusOr<Hash> stored = store.GetNode(n.level, n.index);
      if (!stored.ok() || *stored != n.hash) {
        return absl::DataLossError(
            absl::StrCat("tree node level ", n.level, " index ", n.index, " (entry ", index, ") ",
                         stored.ok() ? "differs from the entries'" : stored.status().message()));
      }
      ++report.tree_nodes;
    }
    if (auto it = checkpoints.find(tree.size()); it != checkpoints.end()) {
      if (it->second.root != tree.Root()) {
        return absl::DataLossError(absl::StrCat("checkpoint at size ", tree.size(),
                                                ": its root is not the root of the entries"));
      }
      ++report.checkpoints;
    }
    ++report.entries;
    if (options.progress && report.entries % options.progress_every == 0) {
      options.progress(report.entries, size);
    }
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(MemoryState rebuilt, RebuildState(store, size, options.rules, on_entry));
  RETURN_IF_ERROR(CompareState(rebuilt, store));
  report.state_keys = rebuilt.values().size();
  return report;
}

absl::StatusOr<AuditReport> AuditMirror(const Store& mirror, const Checkpoint& checkpoint,
                                        const AuditOptions& options, MemoryState* rebuilt_out) {
  AuditReport report;
  ASSIGN_OR_RETURN(NoteVerifier genesis, GenesisVerifier(mirror));
  if (genesis.name != checkpoint.origin) {
    return absl::DataLossError(absl::StrCat("entry 0 starts log '", genesis.name,
                                            "', the checkpoint is of '", checkpoint.origin, "'"));
  }
  report.origin = genesis.name;
  report.verifier_key = FormatVerifierKey(genesis.name, genesis.key);
  CompactRange tree;
  auto on_entry = [&](uint64_t, const Hash& leaf) -> absl::Status {
    tree.Append(leaf, nullptr);
    ++report.entries;
    if (options.progress && report.entries % options.progress_every == 0) {
      options.progress(report.entries, checkpoint.size);
    }
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(MemoryState rebuilt,
                   RebuildState(mirror, checkpoint.size, options.rules, on_entry));
  if (tree.Root() != checkpoint.root) {
    return absl::DataLossError(absl::StrCat("the entries' root at size ", checkpoint.size,
                                            " is not the checkpoint's root"));
  }
  report.checkpoints = 1;
  report.state_keys = rebuilt.values().size();
  if (rebuilt_out != nullptr) *rebuilt_out = std::move(rebuilt);
  return report;
}

}  // namespace touchstone
