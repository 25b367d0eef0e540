// Tests that a log survives close and reopen intact, and that opening checks
// the operator key and origin.
#include "ledger/store/store.h"

#include <signal.h>
#include <sys/resource.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;
using testing::Signed;
using testing::TempDir;

LedgerOptions Options(const TempDir& dir) {
  LedgerOptions o;
  o.data_dir = dir.path();
  return o;
}

TEST(StoreTest, ReopenPreservesSizeRootChainAndCheckpoints) {
  TempDir dir;
  std::vector<std::string> entries;
  std::vector<std::string> checkpoints;
  {
    auto ledger = Ledger::Open(Options(dir)).value();
    Identity op{"operator", PrivateKey::LoadPemFile(dir.path() + "/operator.pem").value()};
    Identity refiner = testing::NewIdentity("refiner-1");
    auto reg =
        Signed(op, testing::RegisterRecord(op, refiner, v1::ROLE_REFINER, "reg"), kDefaultOrigin);
    ASSERT_TRUE(ledger->Submit(reg.first, reg.second).ok());
    for (int i = 0; i < 37; ++i) {
      auto lot =
          Signed(refiner, testing::LotRecord(refiner, "lot-" + std::to_string(i)), kDefaultOrigin);
      ASSERT_TRUE(ledger->Submit(lot.first, lot.second).ok());
    }
    for (uint64_t i = 0; i < ledger->Size(); ++i) entries.push_back(ledger->GetEntry(i).value());
    ASSERT_TRUE(ledger->store()
                    .ScanCheckpoints([&](uint64_t, std::string_view n) {
                      checkpoints.emplace_back(n);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  auto ledger = Ledger::Open(Options(dir)).value();
  ASSERT_EQ(ledger->Size(), entries.size());
  Hash prev{};
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < entries.size(); ++i) {
    const std::string e = ledger->GetEntry(i).value();
    EXPECT_EQ(e, entries[i]) << "entry " << i << " changed across reopen";
    EXPECT_EQ(DecodeEntry(e)->prev_leaf_hash, prev) << "chain broken at " << i;
    prev = LeafHash(e);
    leaves.push_back(prev);
  }
  auto [size, note] = ledger->LatestCheckpoint();
  EXPECT_EQ(note, checkpoints.back());
  Checkpoint cp = VerifyCheckpoint(note, ledger->verifier()).value();
  EXPECT_EQ(cp.size, entries.size());
  EXPECT_EQ(cp.root, RootFromLeafHashes(leaves));
  size_t i = 0;
  ASSERT_TRUE(ledger->store()
                  .ScanCheckpoints([&](uint64_t, std::string_view n) {
                    EXPECT_EQ(n, checkpoints[i++]);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(i, checkpoints.size());

  // It keeps appending where it left off, chained to the last entry.
  Identity op{"operator", PrivateKey::LoadPemFile(dir.path() + "/operator.pem").value()};
  Identity more = testing::NewIdentity("jeweler-1");
  auto reg =
      Signed(op, testing::RegisterRecord(op, more, v1::ROLE_JEWELER, "reg-j"), kDefaultOrigin);
  auto r = ledger->Submit(reg.first, reg.second).value();
  EXPECT_EQ(r.index, entries.size());
  EXPECT_EQ(DecodeEntry(ledger->GetEntry(r.index).value())->prev_leaf_hash, prev);
}

TEST(StoreTest, OpeningWithAnotherOperatorKeyIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(Ledger::Open(Options(dir)).ok()); }
  TempDir other;
  const std::string key_path = other.path() + "/other.pem";
  ASSERT_TRUE(PrivateKey::Generate()->SavePemFile(key_path).ok());
  LedgerOptions o = Options(dir);
  o.operator_key_path = key_path;
  auto l = Ledger::Open(o);
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(l.status().message(), HasSubstr("does not sign this log's checkpoints"));
}

TEST(StoreTest, OpeningWithAnotherOriginIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(Ledger::Open(Options(dir)).ok()); }
  LedgerOptions o = Options(dir);
  o.origin = "somewhere.else/log";
  EXPECT_EQ(Ledger::Open(o).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(StoreTest, OpeningALogWhoseOperatorKeyIsGoneIsRefused) {
  TempDir dir;
  { ASSERT_TRUE(Ledger::Open(Options(dir)).ok()); }
  std::filesystem::remove(dir.path() + "/operator.pem");
  auto l = Ledger::Open(Options(dir));
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(l.status().message(), HasSubstr("missing"));
}

TEST(StoreTest, BatchIsAtomicAndReadsSeeIt) {
  TempDir dir;
  auto store = Store::Open({.path = dir.path() + "/db"}).value();
  EXPECT_EQ(store->ReadTreeSize().value(), 0u);
  StoreBatch b = store->NewBatch();
  b.PutEntry(0, "zero");
  b.PutNode(3, 7, LeafHash("x"));
  b.PutCheckpoint(1, "note");
  b.PutRecordId("alice", "r1", 0);
  b.PutLeafIndex(LeafHash("zero"), 0);
  b.PutTreeSize(1);
  EXPECT_EQ(store->GetEntry(0).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->Commit(b).ok());
  EXPECT_EQ(store->GetEntry(0).value(), "zero");
  EXPECT_EQ(store->GetNode(3, 7).value(), LeafHash("x"));
  EXPECT_EQ(store->GetNode(3, 8).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetCheckpoint(1).value(), "note");
  EXPECT_EQ(store->FindRecordId("alice", "r1").value(), std::optional<uint64_t>(0));
  EXPECT_EQ(store->FindRecordId("alice", "r2").value(), std::nullopt);
  EXPECT_EQ(store->FindLeaf(LeafHash("zero")).value(), std::optional<uint64_t>(0));
  EXPECT_EQ(store->ReadTreeSize().value(), 1u);
}

TEST(StoreTest, ScanReportsAGapInTheEntries) {
  TempDir dir;
  auto store = Store::Open({.path = dir.path() + "/db"}).value();
  StoreBatch b = store->NewBatch();
  b.PutEntry(0, "a");
  b.PutEntry(2, "c");
  ASSERT_TRUE(store->Commit(b).ok());
  auto s = store->ScanEntries(0, 3, [](uint64_t, std::string_view) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("entry 1 is missing"));
}

// While alive, no file of this process may grow past `bytes` (RLIMIT_FSIZE), and a
// write past it fails with EFBIG instead of raising SIGXFSZ, as in touchstoned.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    const struct rlimit limit = {bytes, saved_.rlim_max};
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    ::signal(SIGXFSZ, old_handler_);
  }

 private:
  struct rlimit saved_;
  sighandler_t old_handler_;
};

// RocksDB's own info log aborted the process (Debian's RocksDB asserts) at the
// first line it logged after one of its writes had failed: here, opening the
// database again while no file can grow.
TEST(StoreTest, ReopenWhileNoFileCanGrowKeepsReadsAndLosesNothing) {
  TempDir dir;
  auto store = Store::Open({.path = dir.path() + "/db"}).value();
  StoreBatch b = store->NewBatch();
  b.PutEntry(0, "zero");
  ASSERT_TRUE(store->Commit(b).ok());
  {
    FileSizeLimit full(1);
    const absl::Status reopened = store->Reopen();
    EXPECT_FALSE(reopened.ok());
    EXPECT_FALSE(store->WriteError().ok());
    EXPECT_EQ(store->GetEntry(0).value(), "zero");
    StoreBatch refused = store->NewBatch();
    refused.PutEntry(1, "one");
    EXPECT_FALSE(store->Commit(refused).ok());
    EXPECT_FALSE(store->Reopen().ok());
  }
  ASSERT_TRUE(store->Reopen().ok());
  StoreBatch next = store->NewBatch();
  next.PutEntry(1, "one");
  ASSERT_TRUE(store->Commit(next).ok());
  store.reset();
  store = Store::Open({.path = dir.path() + "/db"}).value();
  EXPECT_EQ(store->GetEntry(0).value(), "zero");
  EXPECT_EQ(store->GetEntry(1).value(), "one");
}

}  // namespace
}  // namespace touchstone
