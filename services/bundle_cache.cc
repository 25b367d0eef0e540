// The HTTP pages' bundle cache (see bundle_cache.h).
#include "services/bundle_cache.h"

namespace touchstone {

std::shared_ptr<const std::string> BundleCache::Get(const BundleKey& key) {
  absl::MutexLock lock(&mu_);
  const auto it = index_.find(key);
  if (it == index_.end()) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->bundle;
}

void BundleCache::Put(const BundleKey& key, std::shared_ptr<const std::string> bundle) {
  Item item{key, std::move(bundle)};
  absl::MutexLock lock(&mu_);
  if (const auto it = index_.find(key); it != index_.end()) Erase(it);
  if (Cost(item) > max_bytes_) return;
  stats_.bytes += Cost(item);
  ++stats_.entries;
  lru_.push_front(std::move(item));
  index_.emplace(key, lru_.begin());
  while (stats_.bytes > max_bytes_) {
    Erase(index_.find(lru_.back().key));
    ++stats_.evictions;
  }
}

BundleCache::Stats BundleCache::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void BundleCache::Erase(std::map<BundleKey, std::list<Item>::iterator>::iterator it) {
  stats_.bytes -= Cost(*it->second);
  --stats_.entries;
  lru_.erase(it->second);
  index_.erase(it);
}

}  // namespace touchstone
