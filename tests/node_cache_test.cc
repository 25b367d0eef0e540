// Tests of the node cache (ledger/store/node_cache.h) and the worker pool
// (ledger/worker_pool.h) that the append path uses.
#include "ledger/store/node_cache.h"

#include <atomic>
#include <map>

#include "gtest/gtest.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/merkle.h"
#include "ledger/worker_pool.h"

namespace touchstone {
namespace {

TEST(NodeCacheTest, ProofsOfTheNewestLeavesNeedNoStorageReadsAndMatchStoredOnes) {
  constexpr uint64_t kLeaves = 64;
  NodeCache cache(kLeaves);
  std::map<std::pair<int, uint64_t>, Hash> stored;
  CompactRange range;
  std::vector<NewNode> nodes;
  for (uint64_t i = 0; i < 5000; ++i) {
    nodes.clear();
    range.Append(LeafHash(std::to_string(i)), &nodes);
    for (const NewNode& n : nodes) {
      stored[{n.level, n.index}] = n.hash;
      cache.Put(n.level, n.index, n.hash);
    }
  }
  int storage_reads = 0;
  const NodeReader storage = [&](int level, uint64_t index) -> absl::StatusOr<Hash> {
    ++storage_reads;
    auto it = stored.find({level, index});
    if (it == stored.end()) return absl::NotFoundError("no node");
    return it->second;
  };
  const NodeReader cached = cache.ReaderWithFallback(storage);
  const uint64_t size = range.size();
  for (uint64_t index = size - kLeaves; index < size; ++index) {
    storage_reads = 0;
    const std::vector<Hash> from_cache = InclusionProof(index, size, cached).value();
    EXPECT_EQ(storage_reads, 0) << "leaf " << index;
    EXPECT_EQ(from_cache, InclusionProof(index, size, storage).value());
  }
  // An old leaf misses and falls back to storage, with the same proof.
  storage_reads = 0;
  EXPECT_EQ(InclusionProof(7, size, cached).value(), InclusionProof(7, size, storage).value());
  EXPECT_GT(storage_reads, 0);
}

TEST(NodeCacheTest, AnOverwrittenSlotIsAMissNotAWrongHash) {
  NodeCache cache(4);
  cache.Put(0, 1, Sha256("one"));
  for (uint64_t i = 2; i < 100; ++i) cache.Put(0, i, Sha256(std::to_string(i)));
  EXPECT_FALSE(cache.Get(0, 1).has_value());
  EXPECT_EQ(cache.Get(0, 99), Sha256("99"));
}

TEST(NodeCacheTest, ZeroLeavesCachesNothing) {
  NodeCache cache(0);
  cache.Put(0, 0, Sha256("x"));
  EXPECT_FALSE(cache.Get(0, 0).has_value());
}

TEST(WorkerPoolTest, ParallelForRunsEveryIndexOnceFromManyCallers) {
  WorkerPool pool(2, "test-pool");
  std::vector<std::atomic<int>> counts(1000);
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] { pool.ParallelFor(counts.size(), [&](size_t i) { counts[i]++; }); });
  }
  for (auto& t : callers) t.join();
  for (const auto& c : counts) EXPECT_EQ(c.load(), 4);
}

}  // namespace
}  // namespace touchstone
