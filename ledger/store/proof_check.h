// The check every proof the ledger serves passes first: RFC 9162 verification
// against the root of the checkpoint it is served with, exactly as a client
// will verify it. A proof that fails is never served: the failure is DATA_LOSS,
// and since the proof was made from stored tree nodes, the stored values it
// rests on are re-checked to name the one that is damaged (damage.h).
#ifndef TOUCHSTONE_LEDGER_STORE_PROOF_CHECK_H_
#define TOUCHSTONE_LEDGER_STORE_PROOF_CHECK_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "ledger/log/hash.h"
#include "ledger/store/damage.h"
#include "ledger/store/store.h"

namespace touchstone {

// What in `store` (a log of `log_size` entries) makes the inclusion proof of
// `leaf_hash` at `index` in the tree of `size` fail against `root`: the entry
// and its leaf node, every stored node the proof reads (and, under one that
// disagrees with its children, the one altered), then the checkpoint's root.
// Never fails: an error while looking is named in the Damage's text.
Damage LocateInclusionDamage(const Store& store, uint64_t log_size, uint64_t index, uint64_t size,
                             const Hash& leaf_hash, const Hash& root);

// The same for a consistency proof from old_size (root old_root) to new_size
// (root new_root): every stored node the proof and the two roots read, then
// the two checkpoints.
Damage LocateConsistencyDamage(const Store& store, uint64_t log_size, uint64_t old_size,
                               uint64_t new_size, const Hash& old_root, const Hash& new_root);

// OK if `proof` proves `leaf_hash` at `index` in the tree of `size` with
// `root` (VerifyInclusion). Otherwise sets *damage (LocateInclusionDamage) and
// returns DATA_LOSS saying which proof failed and what is damaged.
[[nodiscard]] absl::Status CheckInclusionProof(const Store& store, uint64_t log_size,
                                               uint64_t index, uint64_t size, const Hash& leaf_hash,
                                               std::span<const Hash> proof, const Hash& root,
                                               Damage* damage);

// OK if `proof` proves the tree of old_size with old_root a prefix of the tree
// of new_size with new_root (VerifyConsistency). Otherwise sets *damage
// (LocateConsistencyDamage) and returns DATA_LOSS as above.
[[nodiscard]] absl::Status CheckConsistencyProof(const Store& store, uint64_t log_size,
                                                 uint64_t old_size, uint64_t new_size,
                                                 const Hash& old_root, const Hash& new_root,
                                                 std::span<const Hash> proof, Damage* damage);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_STORE_PROOF_CHECK_H_
