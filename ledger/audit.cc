// Re-verifying a stored log from genesis.
#include "ledger/audit.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/note.h"
#include "ledger/provenance/canonical.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/provenance/rebuild.h"

namespace touchstone {
namespace {

// The log's first checkpoint key, as its genesis entry states it.
[[nodiscard]] absl::StatusOr<CheckpointKeys> GenesisKeys(const Store& store) {
  ASSIGN_OR_RETURN(std::string bytes, store.GetEntry(0));
  return CheckpointKeys::FromGenesisEntry(bytes);
}

// Notes in `report` if entry `index` holds a record that is not canonically encoded.
void CheckEncoding(uint64_t index, std::string_view entry, AuditReport& report) {
  absl::StatusOr<EntryView> view = DecodeEntry(entry);
  if (!view.ok()) return;  // the replay reports a malformed entry
  if (absl::Status s = CheckCanonicalEncoding(*v1::Record::descriptor(), view->record); !s.ok()) {
    report.non_canonical.push_back(absl::StrCat("entry ", index, ": ", s.message()));
  }
}

// `openings` (or, if null, the store's own), counting what it gives into `report`.
OpeningSource Counting(const Store& store, const OpeningSource& openings, AuditReport& report) {
  OpeningSource source = openings ? openings : StoredOpenings(store);
  return [source, &report](uint64_t index) -> absl::StatusOr<std::optional<v1::Opening>> {
    absl::StatusOr<std::optional<v1::Opening>> o = source(index);
    if (o.ok() && o->has_value()) ++report.sealed;
    return o;
  };
}

}  // namespace

[[nodiscard]] absl::StatusOr<std::string> CosignAudit(const AuditReport& report,
                                                      const CosignatureSigner& signer,
                                                      uint64_t timestamp) {
  if (report.checkpoint_note.empty()) {
    return absl::InvalidArgumentError("the audit reached no checkpoint to cosign");
  }
  ASSIGN_OR_RETURN(const ParsedNote note, ParseNote(report.checkpoint_note));
  ASSIGN_OR_RETURN(const std::string line, signer.SignatureLine(note.text, timestamp));
  return absl::StrCat(report.checkpoint_note, line);
}

[[nodiscard]] absl::StatusOr<AuditReport> AuditStore(const Store& store,
                                                     const AuditOptions& options) {
  AuditReport report;
  ASSIGN_OR_RETURN(const uint64_t size, store.ReadTreeSize());
  if (size == 0) return absl::FailedPreconditionError("the log is empty");
  ASSIGN_OR_RETURN(CheckpointKeys keys, GenesisKeys(store));
  report.origin = keys.Latest().name;
  report.verifier_key = FormatVerifierKey(keys.Latest().name, keys.Latest().key);

  // Every stored checkpoint, checked when the recomputed tree reaches its size:
  // by then every handover before it has been followed.
  std::map<uint64_t, std::string> notes;
  RETURN_IF_ERROR(store.ScanCheckpoints([&](uint64_t s, std::string_view note) -> absl::Status {
    notes.emplace(s, std::string(note));
    return absl::OkStatus();
  }));
  if (!notes.count(size)) {
    return absl::DataLossError(absl::StrCat("no checkpoint at the log's size ", size));
  }
  if (notes.rbegin()->first > size) {
    return absl::DataLossError(
        absl::StrCat("a checkpoint claims size ", notes.rbegin()->first, ", beyond the log"));
  }

  CompactRange tree;
  std::vector<NewNode> nodes;
  auto on_entry = [&](uint64_t index, const Hash& leaf, std::string_view entry,
                      const v1::Record& record) -> absl::Status {
    RETURN_IF_ERROR(keys.FollowIfHandover(index, entry, record));
    CheckEncoding(index, entry, report);
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
    if (auto it = notes.find(tree.size()); it != notes.end()) {
      const uint64_t s = tree.size();
      absl::StatusOr<Checkpoint> cp = keys.VerifyAtSize(it->second, s);
      if (!cp.ok()) {
        return absl::DataLossError(
            absl::StrCat("checkpoint at size ", s, ": ", cp.status().message()));
      }
      if (cp->size != s) {
        return absl::DataLossError(
            absl::StrCat("checkpoint stored at size ", s, " says size ", cp->size));
      }
      if (cp->root != tree.Root()) {
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
  ASSIGN_OR_RETURN(MemoryState rebuilt, RebuildState(store, size, options.rules, on_entry,
                                                     Counting(store, options.openings, report)));
  RETURN_IF_ERROR(CompareState(rebuilt, store));
  report.checkpoint_note = notes.at(size);
  ASSIGN_OR_RETURN(report.checkpoint, keys.VerifyAtSize(report.checkpoint_note, size));
  report.state_keys = rebuilt.values().size();
  report.checkpoint_key = FormatVerifierKey(keys.Latest().name, keys.Latest().key);
  report.key_handovers = keys.Handovers();
  return report;
}

[[nodiscard]] absl::StatusOr<AuditReport> AuditMirror(const Store& mirror, std::string_view note,
                                                      const NoteVerifier& pinned,
                                                      const AuditOptions& options,
                                                      MemoryState* rebuilt_out) {
  AuditReport report;
  ASSIGN_OR_RETURN(const Checkpoint claimed, ParseCheckpointNote(note));
  ASSIGN_OR_RETURN(CheckpointKeys keys, GenesisKeys(mirror));
  if (keys.Latest().name != claimed.origin) {
    return absl::DataLossError(absl::StrCat("entry 0 starts log '", keys.Latest().name,
                                            "', the checkpoint is of '", claimed.origin, "'"));
  }
  report.origin = keys.Latest().name;
  report.verifier_key = FormatVerifierKey(keys.Latest().name, keys.Latest().key);
  CompactRange tree;
  auto on_entry = [&](uint64_t index, const Hash& leaf, std::string_view entry,
                      const v1::Record& record) -> absl::Status {
    RETURN_IF_ERROR(keys.FollowIfHandover(index, entry, record));
    CheckEncoding(index, entry, report);
    tree.Append(leaf, nullptr);
    ++report.entries;
    if (options.progress && report.entries % options.progress_every == 0) {
      options.progress(report.entries, claimed.size);
    }
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(MemoryState rebuilt, RebuildState(mirror, claimed.size, options.rules, on_entry,
                                                     Counting(mirror, options.openings, report)));
  const NoteVerifier& in_force = keys.ForSize(claimed.size);
  absl::StatusOr<Checkpoint> cp = keys.VerifyAtSize(note, claimed.size);
  if (!cp.ok()) {
    return absl::Status(cp.status().code(), absl::StrCat("checkpoint: ", cp.status().message()));
  }
  RETURN_IF_ERROR(keys.RequirePinned(pinned, claimed.size));
  if (tree.Root() != cp->root) {
    return absl::DataLossError(
        absl::StrCat("the entries' root at size ", cp->size, " is not the checkpoint's root"));
  }
  report.checkpoints = 1;
  report.state_keys = rebuilt.values().size();
  report.checkpoint_key = FormatVerifierKey(in_force.name, in_force.key);
  report.key_handovers = keys.Handovers();
  report.checkpoint = *std::move(cp);
  report.checkpoint_note = std::string(note);
  if (rebuilt_out != nullptr) *rebuilt_out = std::move(rebuilt);
  return report;
}

}  // namespace touchstone
