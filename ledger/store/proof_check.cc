// Checking proofs before they are served, and naming what a failed one rests on.
#include "ledger/store/proof_check.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/log/merkle.h"

namespace touchstone {
namespace {

struct NodeId {
  int level;
  uint64_t index;
};

// A reader over the store (never the node cache: what is stored is in question)
// that notes every node asked for, the one that fails included.
NodeReader Recording(const Store& store, std::vector<NodeId>* read) {
  return [&store, read](int level, uint64_t index) -> absl::StatusOr<Hash> {
    read->push_back({level, index});
    return store.GetNode(level, index);
  };
}

// The first damage under any of `nodes`; nullopt if each agrees with its
// children. An error while looking ends the search and is reported as text.
std::optional<Damage> FirstNodeDamage(const Store& store, uint64_t log_size,
                                      const std::vector<NodeId>& nodes, uint64_t entry_index) {
  for (const NodeId& n : nodes) {
    absl::StatusOr<std::optional<Damage>> d = LocateNodeDamage(store, n.level, n.index, log_size);
    if (!d.ok()) {
      return Damage{
          .column_family = "",
          .key = "",
          .entry_index = entry_index,
          .what = absl::StrCat("the damage could not be located: ", d.status().ToString())};
    }
    if (*d) return **d;
  }
  return std::nullopt;
}

}  // namespace

Damage LocateInclusionDamage(const Store& store, uint64_t log_size, uint64_t index, uint64_t size,
                             const Hash& leaf_hash, const Hash& root) {
  // The leaf hash served must be the stored entry's (it is not when the leaf
  // index sent a lookup by hash to the wrong entry).
  if (absl::StatusOr<std::string> entry = store.GetEntry(index);
      entry.ok() && LeafHash(*entry) != leaf_hash) {
    if (absl::StatusOr<Hash> leaf = store.GetNode(0, index);
        leaf.ok() && *leaf == LeafHash(*entry)) {
      return Damage{
          .column_family = "index",
          .key = LeafIndexKey(leaf_hash),
          .entry_index = index,
          .what = absl::StrCat("the leaf index sends leaf hash ", HashToHex(leaf_hash),
                               " to entry ", index, ", whose leaf hash is ", HashToHex(*leaf))};
    }
  }
  std::vector<NodeId> nodes = {{0, index}};
  const absl::StatusOr<std::vector<Hash>> stored_proof =
      InclusionProof(index, size, Recording(store, &nodes));
  if (std::optional<Damage> d = FirstNodeDamage(store, log_size, nodes, index)) return *d;
  if (stored_proof.ok() && VerifyInclusion(index, size, leaf_hash, *stored_proof, root).ok()) {
    // Storage agrees with the checkpoint now; the proof served was made otherwise.
    return Damage{.column_family = "",
                  .key = "",
                  .entry_index = index,
                  .what =
                      "every stored value the proof rests on is sound and a proof made from "
                      "them now verifies: a tree node held in memory was wrong"};
  }
  return CheckpointDamage(size, absl::StrCat("the checkpoint of size ", size,
                                             " does not have the root of the stored tree (every "
                                             "stored value the proof rests on is sound)"));
}

Damage LocateConsistencyDamage(const Store& store, uint64_t log_size, uint64_t old_size,
                               uint64_t new_size, const Hash& old_root, const Hash& new_root) {
  std::vector<NodeId> nodes;
  const NodeReader read = Recording(store, &nodes);
  (void)ConsistencyProof(old_size, new_size, read);
  const absl::StatusOr<Hash> stored_old = RootFromNodes(old_size, read);
  const absl::StatusOr<Hash> stored_new = RootFromNodes(new_size, read);
  if (std::optional<Damage> d = FirstNodeDamage(store, log_size, nodes, old_size - 1)) return *d;
  if (stored_old.ok() && *stored_old != old_root) {
    return CheckpointDamage(old_size, absl::StrCat("the checkpoint of size ", old_size,
                                                   " does not have the root of the stored tree"));
  }
  if (stored_new.ok() && *stored_new != new_root) {
    return CheckpointDamage(new_size, absl::StrCat("the checkpoint of size ", new_size,
                                                   " does not have the root of the stored tree"));
  }
  return Damage{.column_family = "",
                .key = "",
                .entry_index = old_size - 1,
                .what =
                    "every stored value the proof rests on is sound and both roots match "
                    "the stored tree: a tree node held in memory was wrong"};
}

[[nodiscard]] absl::Status CheckInclusionProof(const Store& store, uint64_t log_size,
                                               uint64_t index, uint64_t size, const Hash& leaf_hash,
                                               std::span<const Hash> proof, const Hash& root,
                                               Damage* damage) {
  if (VerifyInclusion(index, size, leaf_hash, proof, root).ok()) return absl::OkStatus();
  *damage = LocateInclusionDamage(store, log_size, index, size, leaf_hash, root);
  return absl::DataLossError(absl::StrCat(
      "the inclusion proof of entry ", index, " at tree size ", size,
      " does not verify against its checkpoint and was not served: ", damage->Describe()));
}

[[nodiscard]] absl::Status CheckConsistencyProof(const Store& store, uint64_t log_size,
                                                 uint64_t old_size, uint64_t new_size,
                                                 const Hash& old_root, const Hash& new_root,
                                                 std::span<const Hash> proof, Damage* damage) {
  if (VerifyConsistency(old_size, new_size, old_root, new_root, proof).ok()) {
    return absl::OkStatus();
  }
  *damage = LocateConsistencyDamage(store, log_size, old_size, new_size, old_root, new_root);
  return absl::DataLossError(absl::StrCat(
      "the consistency proof from tree size ", old_size, " to ", new_size,
      " does not verify against its checkpoints and was not served: ", damage->Describe()));
}

}  // namespace touchstone
