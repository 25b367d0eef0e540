// Per-level rings of the newest tree nodes.
#include "ledger/store/node_cache.h"

#include <bit>
#include <utility>

namespace touchstone {

NodeCache::NodeCache(uint64_t leaves) : leaves_(leaves) {}

void NodeCache::Put(int level, uint64_t index, const Hash& hash) {
  if (leaves_ == 0 || level < 0 || level >= kLevels) return;
  absl::MutexLock lock(&mu_);
  std::vector<Slot>& ring = rings_[level];
  if (ring.empty()) ring.resize(std::bit_ceil((leaves_ >> level) + 4));
  Slot& s = ring[index & (ring.size() - 1)];
  s.index_plus_one = index + 1;
  s.hash = hash;
}

std::optional<Hash> NodeCache::Get(int level, uint64_t index) const {
  if (level < 0 || level >= kLevels) return std::nullopt;
  absl::ReaderMutexLock lock(&mu_);
  const std::vector<Slot>& ring = rings_[level];
  if (ring.empty()) return std::nullopt;
  const Slot& s = ring[index & (ring.size() - 1)];
  if (s.index_plus_one != index + 1) return std::nullopt;
  return s.hash;
}

NodeReader NodeCache::ReaderWithFallback(NodeReader fallback) const {
  return [this, fallback = std::move(fallback)](int level, uint64_t index) -> absl::StatusOr<Hash> {
    if (std::optional<Hash> h = Get(level, index)) return *h;
    return fallback(level, index);
  };
}

}  // namespace touchstone
