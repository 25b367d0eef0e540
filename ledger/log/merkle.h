// RFC 9162 Merkle tree: proof verification (pure functions) and proof
// generation over stored interior hashes.
//
// Node addressing: node (level L, index I) is the root of the perfect subtree
// over leaves [I * 2^L, (I + 1) * 2^L). Level 0 nodes are leaf hashes. Only
// perfect subtrees are ever stored (they never change once complete); hashes of
// ragged right-edge subtrees are recomputed from O(log n) stored nodes.
#ifndef TOUCHSTONE_LEDGER_LOG_MERKLE_H_
#define TOUCHSTONE_LEDGER_LOG_MERKLE_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/log/hash.h"

namespace touchstone {

// Reads the stored hash of the complete node (level, index). Returns NOT_FOUND
// if absent (or any storage error). Must be callable from the calling thread.
using NodeReader = std::function<absl::StatusOr<Hash>(int level, uint64_t index)>;

// Root of the tree over the given leaf hashes (reference implementation, O(n)).
Hash RootFromLeafHashes(std::span<const Hash> leaf_hashes);

// Root of the tree of `size` leaves, read from stored nodes with O(log size) reads.
// REQUIRES: every complete node of that tree is readable.
[[nodiscard]] absl::StatusOr<Hash> RootFromNodes(uint64_t size, const NodeReader& read);

// RFC 9162 section 2.1.3 inclusion proof (audit path) for leaf `index` in a tree
// of `size` leaves. INVALID_ARGUMENT if index >= size. O(log size) reads.
[[nodiscard]] absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size,
                                                               const NodeReader& read);

// RFC 9162 section 2.1.4 consistency proof from old_size to new_size.
// INVALID_ARGUMENT unless 0 < old_size <= new_size. Empty when equal. O(log n) reads.
[[nodiscard]] absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size,
                                                                 uint64_t new_size,
                                                                 const NodeReader& read);

// Recomputes the root implied by an inclusion proof. INVALID_ARGUMENT if
// index >= size or the proof has the wrong length.
[[nodiscard]] absl::StatusOr<Hash> RootFromInclusionProof(uint64_t index, uint64_t size,
                                                          const Hash& leaf_hash,
                                                          std::span<const Hash> proof);

// OK if `proof` proves leaf_hash at `index` in the tree of `size` with `root`;
// otherwise INVALID_ARGUMENT when malformed (index >= size, wrong proof length)
// or FAILED_PRECONDITION ("root mismatch") when well-formed but wrong.
[[nodiscard]] absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf_hash,
                                           std::span<const Hash> proof, const Hash& root);

// OK if `proof` shows the tree of old_size with old_root is a prefix of the tree
// of new_size with new_root. Follows the transparency-dev conventions: old_size
// must be > 0 (else INVALID_ARGUMENT); old_size == new_size needs an empty proof
// and equal roots. Wrong proof length: INVALID_ARGUMENT; mismatch: FAILED_PRECONDITION.
[[nodiscard]] absl::Status VerifyConsistency(uint64_t old_size, uint64_t new_size,
                                             const Hash& old_root, const Hash& new_root,
                                             std::span<const Hash> proof);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_MERKLE_H_
