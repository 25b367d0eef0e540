// Tests of the client's scratch copy of a log (ledger/log_mirror.h): entries appended are in its
// store once flushed, its roots at every size and its inclusion proofs are those of RFC 9162
// computed from the entries alone, and sizes beyond what it holds are OUT_OF_RANGE.
#include "ledger/log_mirror.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/log/hash.h"
#include "ledger/log/merkle.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kEntries = 37;  // not a power of two: the tree has a ragged right edge

std::vector<std::string> Entries(uint64_t n) {
  std::vector<std::string> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back("entry " + std::to_string(i));
  return out;
}

std::vector<Hash> LeafHashes(const std::vector<std::string>& entries, uint64_t n) {
  std::vector<Hash> out;
  for (uint64_t i = 0; i < n; ++i) out.push_back(LeafHash(entries[i]));
  return out;
}

class LogMirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<LogMirror>> mirror = LogMirror::Create();
    ASSERT_TRUE(mirror.ok()) << mirror.status();
    mirror_ = *std::move(mirror);
  }

  // Appends the first `n` of entries_ and flushes.
  void Fill(uint64_t n) {
    for (uint64_t i = mirror_->size(); i < n; ++i) ASSERT_TRUE(mirror_->Append(entries_[i]).ok());
    ASSERT_TRUE(mirror_->Flush().ok());
  }

  const std::vector<std::string> entries_ = Entries(kEntries);
  std::unique_ptr<LogMirror> mirror_;
};

TEST_F(LogMirrorTest, FlushedEntriesAreInItsStoreInOrder) {
  EXPECT_EQ(mirror_->size(), 0u);
  ASSERT_TRUE(mirror_->Append(entries_[0]).ok());
  ASSERT_TRUE(mirror_->Append(entries_[1]).ok());
  EXPECT_EQ(mirror_->size(), 2u);
  // Buffered until Flush.
  EXPECT_EQ(mirror_->store().GetEntry(0).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(mirror_->Flush().ok());
  ASSERT_NO_FATAL_FAILURE(Fill(kEntries));
  EXPECT_EQ(mirror_->size(), kEntries);
  for (uint64_t i = 0; i < kEntries; ++i) {
    absl::StatusOr<std::string> e = mirror_->store().GetEntry(i);
    ASSERT_TRUE(e.ok()) << i << ": " << e.status();
    EXPECT_EQ(*e, entries_[i]);
  }
  EXPECT_FALSE(mirror_->store().GetEntry(kEntries).ok());
}

TEST_F(LogMirrorTest, TheRootAtEverySizeIsTheRootOfThoseEntries) {
  ASSERT_NO_FATAL_FAILURE(Fill(kEntries));
  for (uint64_t n = 0; n <= kEntries; ++n) {
    absl::StatusOr<Hash> root = mirror_->RootAt(n);
    ASSERT_TRUE(root.ok()) << n << ": " << root.status();
    EXPECT_EQ(*root, RootFromLeafHashes(LeafHashes(entries_, n))) << "size " << n;
  }
}

TEST_F(LogMirrorTest, InclusionProofsVerifyAgainstTheRootsOfTheEntries) {
  ASSERT_NO_FATAL_FAILURE(Fill(kEntries));
  for (uint64_t n : {1ul, 2ul, 5ul, 16ul, 17ul, kEntries}) {
    const Hash root = RootFromLeafHashes(LeafHashes(entries_, n));
    for (uint64_t i = 0; i < n; ++i) {
      absl::StatusOr<std::vector<Hash>> proof = mirror_->InclusionProof(i, n);
      ASSERT_TRUE(proof.ok()) << i << " in " << n << ": " << proof.status();
      EXPECT_TRUE(VerifyInclusion(i, n, LeafHash(entries_[i]), *proof, root).ok())
          << i << " in " << n;
      // ...and for no other entry.
      EXPECT_FALSE(VerifyInclusion(i, n, LeafHash("not " + entries_[i]), *proof, root).ok());
    }
  }
}

TEST_F(LogMirrorTest, SizesBeyondWhatItHoldsAreOutOfRange) {
  ASSERT_NO_FATAL_FAILURE(Fill(10));
  EXPECT_EQ(mirror_->RootAt(11).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(mirror_->RootAt(11).status().message(), HasSubstr("holds 10 entries, not 11"));
  EXPECT_EQ(mirror_->InclusionProof(10, 10).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(mirror_->InclusionProof(3, 11).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(mirror_->InclusionProof(0, 0).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(mirror_->InclusionProof(9, 10).ok());
}

TEST(LogMirrorLifetimeTest, EachMirrorHasItsOwnStoreRemovedWithIt) {
  auto a = LogMirror::Create();
  auto b = LogMirror::Create();
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->Append("only in a").ok());
  ASSERT_TRUE((*a)->Flush().ok());
  EXPECT_EQ((*b)->size(), 0u);
  EXPECT_FALSE((*b)->store().GetEntry(0).ok());
  a->reset();  // must not disturb b
  ASSERT_TRUE((*b)->Append("only in b").ok());
  ASSERT_TRUE((*b)->Flush().ok());
  EXPECT_EQ(*(*b)->store().GetEntry(0), "only in b");
}

}  // namespace
}  // namespace touchstone
