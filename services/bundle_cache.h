// The HTTP pages' cache of piece bundles (serialized PieceBundle bytes), so that
// repeated requests for a piece's bundle do not rebuild it: least recently used
// first out, bounded by the bytes it holds.
//
// A bundle is kept under its piece id and the ledger's latest checkpoint size
// and newest cosigned size when it was built: the checkpoints BuildPieceBundle
// chooses between. A new checkpoint (an append, a new cosignature) makes a new
// key, so a cached bundle is never served against an older checkpoint than the
// one a fresh build would use at that key.
#ifndef TOUCHSTONE_SERVICES_BUNDLE_CACHE_H_
#define TOUCHSTONE_SERVICES_BUNDLE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace touchstone {

struct BundleKey {
  std::string piece_id;
  uint64_t checkpoint_size = 0;  // the ledger's latest checkpoint
  uint64_t cosigned_size = 0;    // its newest cosigned checkpoint; 0 if none
  // The audited checkpoint the bundle carries, verbatim ("" if none): a second
  // auditor's line at the same size changes it.
  std::string audited_note;
  auto operator<=>(const BundleKey&) const = default;
};

// Thread-safe.
class BundleCache {
 public:
  // Holds at most `max_bytes` of bundles (0: caches nothing).
  explicit BundleCache(size_t max_bytes) : max_bytes_(max_bytes) {}

  // The bundle cached under `key` (counted as a hit and made the most recently
  // used), or nullptr (counted as a miss).
  std::shared_ptr<const std::string> Get(const BundleKey& key);
  // Caches `bundle` under `key`, replacing what was there, then drops the least
  // recently used bundles until the cache holds at most max_bytes. A bundle
  // bigger than max_bytes by itself is not kept.
  void Put(const BundleKey& key, std::shared_ptr<const std::string> bundle);

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t evictions = 0;
    size_t bytes = 0;    // held now
    size_t entries = 0;  // held now
  };
  Stats stats() const;

 private:
  struct Item {
    BundleKey key;
    std::shared_ptr<const std::string> bundle;
  };
  // What an item counts against max_bytes: its bytes and its key's.
  static size_t Cost(const Item& item) { return item.bundle->size() + item.key.piece_id.size(); }
  void Erase(std::map<BundleKey, std::list<Item>::iterator>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  std::list<Item> lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  std::map<BundleKey, std::list<Item>::iterator> index_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_BUNDLE_CACHE_H_
