// Tests that the ledger never hands out a proof that fails against the
// checkpoint it is served with: one stored value is altered under a closed
// ledger (as `ldb` would), and every proof that rests on it is DATA_LOSS naming
// that value, counted and reported, while every other proof is served and verifies.
#include "ledger/store/proof_check.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::Identity;
using testing::LotRecord;
using testing::Signed;

constexpr uint64_t kSize = 40;
constexpr char kOrigin[] = "test.example/ledger";

class ProofCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
    refiner_ = testing::NewIdentity("refiner-1");
    auto reg =
        Signed(op_, testing::RegisterRecord(op_, refiner_, v1::ROLE_REFINER, "reg"), kOrigin);
    ASSERT_TRUE(ledger_->Submit(reg.first, reg.second).ok());
    while (ledger_->Size() < kSize) {  // one checkpoint per size
      records_.push_back(
          Signed(refiner_, LotRecord(refiner_, "lot-" + std::to_string(ledger_->Size())), kOrigin));
      ASSERT_TRUE(ledger_->Submit(records_.back().first, records_.back().second).ok());
    }
  }

  void Open() {
    LedgerOptions o;
    o.data_dir = dir_.path();
    o.origin = kOrigin;
    o.scrub_entries_per_second = 0;  // scrub_test.cc tests the scrub
    // The start-up check re-hashes the newest entries against their leaf hashes:
    // keep it off the entries these tests alter (20, 21), as it is off a long log's old ones.
    o.verify_tail_entries = 5;
    o.on_damage = [this](const DamageReport& r) {
      absl::MutexLock lock(&mu_);
      reports_.push_back(r);
    };
    ledger_ = Ledger::Open(o).value();
  }

  // Closes the ledger, changes its storage with `tamper`, and opens it again.
  void Tamper(const std::function<void(StoreBatch&)>& tamper) {
    ledger_.reset();
    {
      std::unique_ptr<Store> store = Store::Open({.path = dir_.path() + "/db"}).value();
      StoreBatch batch = store->NewBatch();
      tamper(batch);
      ASSERT_TRUE(store->Commit(batch).ok());
    }
    Open();
  }

  std::vector<DamageReport> Reports() {
    absl::MutexLock lock(&mu_);
    return reports_;
  }

  Checkpoint Latest() {
    return VerifyCheckpoint(ledger_->LatestCheckpoint().second, ledger_->verifier()).value();
  }

  // The inclusion proof of entry `index` at the latest checkpoint: served and
  // verified as a client would, or the status it was refused with.
  [[nodiscard]] absl::Status ServedInclusion(uint64_t index) {
    const std::string note = ledger_->LatestCheckpoint().second;
    absl::StatusOr<std::vector<Hash>> proof = ledger_->InclusionProof(index, note);
    if (!proof.ok()) return proof.status();
    const Hash leaf = LeafHash(ledger_->GetEntry(index).value());
    const Checkpoint cp = VerifyCheckpoint(note, ledger_->verifier()).value();
    EXPECT_TRUE(VerifyInclusion(index, cp.size, leaf, *proof, cp.root).ok())
        << "a proof that does not verify was served for entry " << index;
    return absl::OkStatus();
  }

  testing::TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  Identity op_{"", PrivateKey::Generate().value()};
  Identity refiner_{"", PrivateKey::Generate().value()};
  std::vector<std::pair<std::string, std::string>> records_;  // entry i + 2
  absl::Mutex mu_;
  std::vector<DamageReport> reports_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ProofCheckTest, AnAlteredInteriorNodeRefusesExactlyTheProofsThatRestOnIt) {
  Tamper([](StoreBatch& b) { b.PutNode(1, 12, LeafHash("not the hash of leaves 24 and 25")); });
  std::vector<uint64_t> refused;
  for (uint64_t i = 0; i < kSize; ++i) {
    const absl::Status s = ServedInclusion(i);
    if (s.ok()) continue;
    refused.push_back(i);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(s.message(),
                AllOf(HasSubstr(absl::StrCat("inclusion proof of entry ", i, " at tree size 40")),
                      HasSubstr("tree node level 1 index 12 (entries 24 to 25) is not the hash of "
                                "its children (level 0 indices 24 and 25)"),
                      HasSubstr("column family \"tree\", key 0x01000000000000000C")));
  }
  // Node (1, 12) is the sibling on the paths of leaves 26 and 27 only.
  EXPECT_THAT(refused, ::testing::ElementsAre(26, 27));
  EXPECT_EQ(ledger_->metrics().proof_verify_failures(/*consistency=*/false), 2u);
  const std::vector<DamageReport> reports = Reports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].source, "inclusion_proof");
  EXPECT_EQ(reports[0].damage.column_family, "tree");
  EXPECT_EQ(reports[0].damage.key, TreeNodeKey(1, 12));
  EXPECT_EQ(reports[0].damage.entry_index, 24u);
  EXPECT_EQ(reports[0].tree_size, kSize);
  EXPECT_THAT(ledger_->metrics().Prometheus(kSize, 0, absl::Now()),
              HasSubstr("touchstone_proof_verify_failures_total{kind=\"inclusion\"} 2\n"));
}

TEST_F(ProofCheckTest, ConsistencyProofsOverAnAlteredNodeAreRefusedAndTheRestVerify) {
  Tamper([](StoreBatch& b) { b.PutNode(1, 12, LeafHash("not the hash of leaves 24 and 25")); });
  const std::string note = ledger_->LatestCheckpoint().second;
  const Checkpoint latest = Latest();
  uint64_t refused = 0;
  for (uint64_t old_size = 1; old_size <= kSize; ++old_size) {
    const Checkpoint old =
        VerifyCheckpoint(ledger_->GetCheckpoint(old_size).value(), ledger_->verifier()).value();
    absl::StatusOr<std::vector<Hash>> proof = ledger_->ConsistencyProof(old_size, note);
    if (proof.ok()) {
      EXPECT_TRUE(VerifyConsistency(old_size, kSize, old.root, latest.root, *proof).ok())
          << "a consistency proof that does not verify was served from " << old_size;
      continue;
    }
    ++refused;
    EXPECT_EQ(proof.status().code(), absl::StatusCode::kDataLoss) << proof.status();
    EXPECT_THAT(
        proof.status().message(),
        AllOf(HasSubstr(absl::StrCat("consistency proof from tree size ", old_size, " to 40")),
              HasSubstr("tree node level 1 index 12 (entries 24 to 25)")));
  }
  // From size 26 the old tree's last part is node (1, 12) itself.
  EXPECT_GE(refused, 1u);
  EXPECT_TRUE(ledger_->ConsistencyProof(26, note).status().code() == absl::StatusCode::kDataLoss);
  EXPECT_EQ(ledger_->metrics().proof_verify_failures(/*consistency=*/true), refused + 1);
}

TEST_F(ProofCheckTest, TheReceiptOfARetryOverAnAlteredNodeIsRefusedNewReceiptsAreNot) {
  Tamper([](StoreBatch& b) { b.PutNode(1, 12, LeafHash("not the hash of leaves 24 and 25")); });
  const auto& [bytes, sig] = records_[26 - 2];  // entry 26
  absl::StatusOr<Receipt> retry = ledger_->Submit(bytes, sig);
  EXPECT_EQ(retry.status().code(), absl::StatusCode::kDataLoss) << retry.status();
  EXPECT_THAT(retry.status().message(),
              AllOf(HasSubstr("inclusion proof of entry 26"), HasSubstr("level 1 index 12")));
  auto fresh = Signed(refiner_, LotRecord(refiner_, "fresh"), kOrigin);
  absl::StatusOr<Receipt> r = ledger_->Submit(fresh.first, fresh.second);
  ASSERT_TRUE(r.ok()) << r.status();
  const Checkpoint cp = VerifyCheckpoint(r->checkpoint, ledger_->verifier()).value();
  EXPECT_TRUE(
      VerifyInclusion(r->index, r->tree_size, r->leaf_hash, r->inclusion_proof, cp.root).ok());
  EXPECT_EQ(ledger_->metrics().proof_verify_failures(false), 1u);
}

TEST_F(ProofCheckTest, AnAlteredEntryIsNamedAsTheEntry) {
  std::string entry = ledger_->GetEntry(20).value();
  entry[80] ^= 1;  // inside the record
  Tamper([&](StoreBatch& b) { b.PutEntry(20, entry); });
  const absl::Status s = ServedInclusion(20);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), AllOf(HasSubstr("entry 20 was altered"),
                                 HasSubstr("column family \"entries\", key 0x0000000000000014")));
  EXPECT_TRUE(ServedInclusion(21).ok());  // its proof uses the stored leaf hash of 20
}

TEST_F(ProofCheckTest, AnAlteredLeafHashIsNamedAsTheTreeNode) {
  Tamper([](StoreBatch& b) { b.PutNode(0, 21, LeafHash("not entry 21")); });
  const absl::Status s = ServedInclusion(20);  // leaf 21 is the first hash of its proof
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(),
              HasSubstr("tree node level 0 index 21 (entry 21's leaf hash) was altered"));
  EXPECT_TRUE(ServedInclusion(21).ok());
}

TEST_F(ProofCheckTest, AnAlteredCheckpointIsNamedAsTheCheckpoint) {
  Checkpoint cp = VerifyCheckpoint(ledger_->GetCheckpoint(30).value(), ledger_->verifier()).value();
  cp.root = LeafHash("another root");
  const std::string forged = ledger_->signer()->Sign(cp.ToText()).value();
  Tamper([&](StoreBatch& b) { b.PutCheckpoint(30, forged); });
  absl::StatusOr<std::vector<Hash>> proof =
      ledger_->InclusionProof(5, ledger_->GetCheckpoint(30).value());
  EXPECT_EQ(proof.status().code(), absl::StatusCode::kDataLoss) << proof.status();
  EXPECT_THAT(
      proof.status().message(),
      AllOf(HasSubstr("the checkpoint of size 30 does not have the root of the stored tree"),
            HasSubstr("column family \"checkpoints\", key 0x000000000000001E")));
}

TEST_F(ProofCheckTest, ALeafHashThatIsNotTheEntrysIsNamedAsTheLeafIndex) {
  const Hash other = LeafHash(ledger_->GetEntry(6).value());
  absl::StatusOr<std::vector<Hash>> proof =
      ledger_->InclusionProof(5, other, ledger_->LatestCheckpoint().second);
  EXPECT_EQ(proof.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(proof.status().message(),
              AllOf(HasSubstr("the leaf index sends leaf hash " + HashToHex(other) + " to entry 5"),
                    HasSubstr("column family \"index\"")));
}

TEST_F(ProofCheckTest, AnUntouchedLogServesEveryProofAndCountsNoFailure) {
  for (uint64_t i = 0; i < kSize; ++i) EXPECT_TRUE(ServedInclusion(i).ok()) << i;
  EXPECT_EQ(ledger_->metrics().proof_verify_failures(false), 0u);
  EXPECT_TRUE(Reports().empty());
}

TEST(ProofCheckFunctionsTest, AWrongProofIsDataLossAndARightOneIsOk) {
  testing::TempDir dir;
  std::unique_ptr<Store> store = Store::Open({.path = dir.path() + "/db"}).value();
  CompactRange tree;
  std::vector<NewNode> nodes;
  StoreBatch batch = store->NewBatch();
  for (uint64_t i = 0; i < 8; ++i) {
    const std::string entry = EncodeEntry(i, 0, Hash{}, "r" + std::to_string(i), "");
    batch.PutEntry(i, entry);
    tree.Append(LeafHash(entry), &nodes);
  }
  for (const NewNode& n : nodes) batch.PutNode(n.level, n.index, n.hash);
  ASSERT_TRUE(store->Commit(batch).ok());
  const NodeReader read = [&](int l, uint64_t i) { return store->GetNode(l, i); };
  std::vector<Hash> proof = InclusionProof(3, 8, read).value();
  const Hash leaf = read(0, 3).value();
  Damage damage;
  EXPECT_TRUE(CheckInclusionProof(*store, 8, 3, 8, leaf, proof, tree.Root(), &damage).ok());
  proof[1] = Hash{};  // what node (1, 0) would be if it were altered
  const absl::Status s = CheckInclusionProof(*store, 8, 3, 8, leaf, proof, tree.Root(), &damage);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  // Storage is sound, so the proof itself (not storage) is what was wrong.
  EXPECT_THAT(s.message(), HasSubstr("a tree node held in memory was wrong"));
}

}  // namespace
}  // namespace touchstone
