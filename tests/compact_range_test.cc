// Tests for ledger/log/compact_range.h: appends report exactly the complete nodes,
// the root matches a naive RFC 9162 computation, and FromNodes rebuilds the frontier.
#include "ledger/log/compact_range.h"

#include <gtest/gtest.h>

#include <bit>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "ledger/log/hash.h"

namespace touchstone {
namespace {

using NodeMap = std::map<std::pair<int, uint64_t>, Hash>;

std::vector<Hash> MakeLeaves(int n) {
  std::vector<Hash> leaves;
  for (int i = 0; i < n; ++i) leaves.push_back(LeafHash("leaf " + std::to_string(i)));
  return leaves;
}

// Naive RFC 9162 MTH over leaves [begin, end), independent of the code under test.
Hash NaiveRoot(const std::vector<Hash>& leaves, uint64_t begin, uint64_t end) {
  if (end == begin) return Sha256("");
  if (end - begin == 1) return leaves[begin];
  uint64_t k = 1;
  while (2 * k < end - begin) k *= 2;
  return NodeHash(NaiveRoot(leaves, begin, begin + k), NaiveRoot(leaves, begin + k, end));
}

// Appends `leaves` and returns every node reported, checking each append's output shape.
NodeMap AppendAll(CompactRange& range, const std::vector<Hash>& leaves) {
  NodeMap nodes;
  for (const Hash& leaf : leaves) {
    const uint64_t index = range.size();
    std::vector<NewNode> out;
    range.Append(leaf, &out);
    EXPECT_EQ(range.size(), index + 1);
    // The leaf, then one node per trailing one bit of the old size, bottom up.
    EXPECT_EQ(out.size(), static_cast<size_t>(1 + std::countr_one(index)));
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i].level, static_cast<int>(i));
      EXPECT_EQ(out[i].index, index >> i);
      EXPECT_TRUE(nodes.emplace(std::make_pair(out[i].level, out[i].index), out[i].hash).second)
          << "node (" << out[i].level << ", " << out[i].index << ") reported twice";
    }
    EXPECT_EQ(out.front().hash, leaf);
  }
  return nodes;
}

NodeReader ReaderOf(const NodeMap& nodes, int* reads) {
  return [&nodes, reads](int level, uint64_t index) -> absl::StatusOr<Hash> {
    ++*reads;
    auto it = nodes.find({level, index});
    if (it == nodes.end()) return absl::NotFoundError("no such node");
    return it->second;
  };
}

TEST(CompactRangeTest, EmptyRangeHasTheEmptyRoot) {
  CompactRange range;
  EXPECT_EQ(range.size(), 0u);
  EXPECT_EQ(range.Root(), EmptyRoot());
  EXPECT_EQ(range.Root(), Sha256(""));
}

TEST(CompactRangeTest, AppendReportsEveryCompleteNodeExactlyOnceWithItsHash) {
  const std::vector<Hash> leaves = MakeLeaves(300);
  CompactRange range;
  NodeMap nodes;
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    const NodeMap added = AppendAll(range, {leaves[n - 1]});
    nodes.insert(added.begin(), added.end());
    ASSERT_EQ(range.Root(), NaiveRoot(leaves, 0, n)) << "size " << n;
    // Exactly the perfect subtrees inside [0, n) are known.
    size_t complete = 0;
    for (int level = 0; (uint64_t{1} << level) <= n; ++level) complete += n >> level;
    ASSERT_EQ(nodes.size(), complete) << "size " << n;
  }
  for (const auto& [key, hash] : nodes) {
    const auto [level, index] = key;
    const uint64_t begin = index << level;
    const uint64_t end = (index + 1) << level;
    ASSERT_LE(end, leaves.size());
    EXPECT_EQ(hash, NaiveRoot(leaves, begin, end)) << "node (" << level << ", " << index << ")";
  }
}

TEST(CompactRangeTest, FromNodesRebuildsTheSameFrontier) {
  const std::vector<Hash> leaves = MakeLeaves(200);
  const std::vector<Hash> more = MakeLeaves(40);
  CompactRange full;
  const NodeMap nodes = AppendAll(full, leaves);
  CompactRange appended;
  for (uint64_t size = 0; size <= leaves.size(); ++size) {
    SCOPED_TRACE(size);
    int reads = 0;
    absl::StatusOr<CompactRange> rebuilt = CompactRange::FromNodes(size, ReaderOf(nodes, &reads));
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(reads, std::popcount(size));
    EXPECT_EQ(rebuilt->size(), size);
    EXPECT_EQ(rebuilt->Root(), appended.Root());
    // Both continue identically.
    CompactRange original = appended;
    for (const Hash& leaf : more) {
      std::vector<NewNode> from_rebuilt;
      std::vector<NewNode> from_original;
      rebuilt->Append(leaf, &from_rebuilt);
      original.Append(leaf, &from_original);
      ASSERT_EQ(from_rebuilt.size(), from_original.size());
      for (size_t i = 0; i < from_rebuilt.size(); ++i) {
        EXPECT_EQ(from_rebuilt[i].level, from_original[i].level);
        EXPECT_EQ(from_rebuilt[i].index, from_original[i].index);
        EXPECT_EQ(from_rebuilt[i].hash, from_original[i].hash);
      }
      ASSERT_EQ(rebuilt->Root(), original.Root());
    }
    if (size < leaves.size()) appended.Append(leaves[size], nullptr);
  }
}

TEST(CompactRangeTest, FromNodesPropagatesReaderErrors) {
  const NodeReader broken = [](int, uint64_t) -> absl::StatusOr<Hash> {
    return absl::DataLossError("corrupt node");
  };
  EXPECT_EQ(CompactRange::FromNodes(5, broken).status(), absl::DataLossError("corrupt node"));

  CompactRange range;
  const NodeMap nodes = AppendAll(range, MakeLeaves(6));
  int reads = 0;
  // Size 7 needs node (0, 6), which a tree of 6 leaves does not have.
  EXPECT_EQ(CompactRange::FromNodes(7, ReaderOf(nodes, &reads)).status().code(),
            absl::StatusCode::kNotFound);
  // The empty tree needs no reads at all.
  absl::StatusOr<CompactRange> empty = CompactRange::FromNodes(0, broken);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->Root(), EmptyRoot());
}

}  // namespace
}  // namespace touchstone
