// An in-memory cache of the newest complete Merkle tree nodes, so that the
// receipt of a fresh entry (its inclusion proof against the checkpoint that
// covers it) is built without storage reads.
//
// Every level keeps a ring of its newest nodes: for a tree of n leaves and any
// leaf among its newest `leaves`, every node an inclusion proof reads (the
// siblings on the path, the perfect parts of the ragged right edge and the left
// frontier) is at most (leaves >> level) + 2 nodes behind the newest node of its
// level, so the rings hold them all. Older nodes miss and are read from storage.
#ifndef TOUCHSTONE_LEDGER_STORE_NODE_CACHE_H_
#define TOUCHSTONE_LEDGER_STORE_NODE_CACHE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ledger/log/hash.h"
#include "ledger/log/merkle.h"

namespace touchstone {

// Thread-safe.
class NodeCache {
 public:
  // Enough for proofs of the newest `leaves` leaves (0: caches nothing).
  // Default: 2^14, about 1 MiB.
  explicit NodeCache(uint64_t leaves = uint64_t{1} << 14);

  // Remembers the hash of complete node (level, index).
  // REQUIRES: the node is committed (a cached hash is never taken back).
  void Put(int level, uint64_t index, const Hash& hash);
  // The hash of node (level, index) if it is still cached.
  std::optional<Hash> Get(int level, uint64_t index) const;

  // A reader that looks here first and calls `fallback` on a miss.
  NodeReader ReaderWithFallback(NodeReader fallback) const;

 private:
  struct Slot {
    uint64_t index_plus_one = 0;  // 0: empty
    Hash hash{};
  };
  static constexpr int kLevels = 64;
  const uint64_t leaves_;
  mutable absl::Mutex mu_;
  // rings_[level] has a power-of-two size; node i sits at i & (size - 1).
  std::vector<Slot> rings_[kLevels] ABSL_GUARDED_BY(mu_);
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_STORE_NODE_CACHE_H_
