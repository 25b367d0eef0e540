// The frontier ("compact range") of an append-only Merkle tree: one hash per
// set bit of the tree size. Appending a leaf touches only the frontier and
// reports every node that became complete, so the caller can store it.
#ifndef TOUCHSTONE_LEDGER_LOG_COMPACT_RANGE_H_
#define TOUCHSTONE_LEDGER_LOG_COMPACT_RANGE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/hash.h"
#include "ledger/log/merkle.h"

namespace touchstone {

// A complete node of the tree that an append produced.
struct NewNode {
  int level;
  uint64_t index;
  Hash hash;
};

// Thread-compatible.
class CompactRange {
 public:
  // The empty tree.
  CompactRange() = default;

  // Rebuilds the frontier of a tree of `size` leaves from stored nodes:
  // popcount(size) reads. Errors from `read` are returned as they are.
  [[nodiscard]] static absl::StatusOr<CompactRange> FromNodes(uint64_t size,
                                                              const NodeReader& read);

  uint64_t size() const { return size_; }

  // Appends a leaf hash. Appends to *out the leaf itself (level 0) and every
  // interior node it completed, bottom up.
  void Append(const Hash& leaf_hash, std::vector<NewNode>* out);

  // The RFC 9162 root of the current tree (EmptyRoot() when empty).
  Hash Root() const;

 private:
  uint64_t size_ = 0;
  // Roots of the perfect subtrees, left to right (largest first); one per set bit of size_.
  std::vector<Hash> hashes_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_COMPACT_RANGE_H_
