// Tests of the client's trusted head: a newer checkpoint is accepted only with a
// valid consistency proof; a rewound or forked log is reported as such.
#include "ledger/log/trusted_head.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/merkle.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;

// A small in-memory log whose leaves are "<prefix><i>".
struct Log {
  explicit Log(const std::string& prefix, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<NewNode> made;
      range.Append(LeafHash(prefix + std::to_string(i)), &made);
      for (const NewNode& m : made) nodes[{m.level, m.index}] = m.hash;
    }
  }
  Checkpoint At(uint64_t size) const {
    return Checkpoint{"test/log", size, RootFromNodes(size, Reader()).value(), {}};
  }
  std::vector<Hash> Proof(uint64_t from, uint64_t to) const {
    return ConsistencyProof(from, to, Reader()).value();
  }
  NodeReader Reader() const {
    return [this](int level, uint64_t index) -> absl::StatusOr<Hash> {
      auto it = nodes.find({level, index});
      if (it == nodes.end()) return absl::NotFoundError("no node");
      return it->second;
    };
  }
  CompactRange range;
  std::map<std::pair<int, uint64_t>, Hash> nodes;
};

TEST(TrustedHeadTest, FirstCheckpointIsTrustedAndAGrowingLogAdvancesWithAProof) {
  Log log("a", 40);
  auto first = AdvanceTrustedHead(std::nullopt, log.At(10), {});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->size, 10u);
  auto next = AdvanceTrustedHead(*first, log.At(40), log.Proof(10, 40));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->size, 40u);
  EXPECT_TRUE(AdvanceTrustedHead(*next, log.At(40), {}).ok());  // unchanged
}

TEST(TrustedHeadTest, ARewoundLogIsReported) {
  Log log("a", 40);
  auto s = AdvanceTrustedHead(log.At(40), log.At(30), {});
  EXPECT_EQ(s.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.status().message(), HasSubstr("LOG INCONSISTENT"));
  EXPECT_THAT(s.status().message(), HasSubstr("rewound"));
}

TEST(TrustedHeadTest, AForkedLogIsReportedAtTheSameOrALargerSize) {
  Log honest("a", 40);
  Log forked("a", 20);
  for (int i = 20; i < 40; ++i) {  // same first 20 leaves, then others
    std::vector<NewNode> made;
    forked.range.Append(LeafHash("b" + std::to_string(i)), &made);
    for (const NewNode& m : made) forked.nodes[{m.level, m.index}] = m.hash;
  }
  auto same_size = AdvanceTrustedHead(honest.At(30), forked.At(30), {});
  EXPECT_EQ(same_size.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(same_size.status().message(), HasSubstr("forked"));
  // The fork's own proof does not connect it to the honest head.
  auto larger = AdvanceTrustedHead(honest.At(30), forked.At(40), forked.Proof(30, 40));
  EXPECT_EQ(larger.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(larger.status().message(), HasSubstr("does not extend"));
  // A head from before the fork point is extended by the fork: consistent.
  EXPECT_TRUE(AdvanceTrustedHead(honest.At(20), forked.At(40), forked.Proof(20, 40)).ok());
}

TEST(TrustedHeadTest, AnotherLogsCheckpointIsRefused) {
  Log log("a", 5);
  Checkpoint other = log.At(5);
  other.origin = "other/log";
  EXPECT_EQ(AdvanceTrustedHead(log.At(3), other, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A bundle's (older) checkpoint must be part of the trusted head.
TEST(TrustedHeadTest, AnOlderCheckpointIsAcceptedOnlyAsAPrefixOfTheHead) {
  Log log("a", 40);
  Log fork("a", 20);
  for (uint64_t i = 0; i < 20; ++i) {  // same first 20 leaves, then others
    std::vector<NewNode> made;
    fork.range.Append(LeafHash("b" + std::to_string(i)), &made);
    for (const NewNode& m : made) fork.nodes[{m.level, m.index}] = m.hash;
  }
  EXPECT_TRUE(CheckPrefixOfHead(log.At(25), log.At(40), log.Proof(25, 40)).ok());
  EXPECT_TRUE(CheckPrefixOfHead(log.At(40), log.At(40), {}).ok());
  EXPECT_TRUE(CheckPrefixOfHead(fork.At(20), log.At(40), log.Proof(20, 40)).ok());  // shared

  auto expect_inconsistent = [](const absl::Status& s, const std::string& why) {
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(s.message(), HasSubstr("LOG INCONSISTENT"));
    EXPECT_THAT(s.message(), HasSubstr(why));
  };
  // The fork's checkpoint at 25 with the fork's own proof, or the honest proof.
  expect_inconsistent(CheckPrefixOfHead(fork.At(25), log.At(40), fork.Proof(25, 40)),
                      "not part of the trusted head of size 40");
  expect_inconsistent(CheckPrefixOfHead(fork.At(25), log.At(40), log.Proof(25, 40)),
                      "not part of the trusted head of size 40");
  expect_inconsistent(CheckPrefixOfHead(fork.At(40), log.At(40), {}), "a different tree");
  expect_inconsistent(CheckPrefixOfHead(log.At(40), log.At(30), {}), "larger than the newest");
  Checkpoint other = log.At(30);
  other.origin = "other/log";
  EXPECT_EQ(CheckPrefixOfHead(other, log.At(40), log.Proof(30, 40)).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace touchstone
