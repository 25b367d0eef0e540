// Tests of the background scrub: one stored value altered under a closed
// ledger (as `ldb` would) is reported once, precisely, by a pass over the
// store; a sound log reports nothing while appends go on; and the ledger's
// scrub thread reports through on_damage and the metrics and stops on Shutdown.
#include "ledger/scrub.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/log/checkpoint.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;
using testing::LotRecord;
using testing::Signed;

constexpr uint64_t kSize = 40;

// A log of kSize entries (one checkpoint per size) in a temporary directory.
class ScrubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::unique_ptr<Ledger> ledger = OpenLedger(0);
    const Identity op{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
    refiner_ = testing::NewIdentity("refiner-1");
    auto reg =
        Signed(op, testing::RegisterRecord(op, refiner_, v1::ROLE_REFINER, "reg"), kDefaultOrigin);
    ASSERT_TRUE(ledger->Submit(reg.first, reg.second).ok());
    while (ledger->Size() < kSize) {
      auto [b, s] = Signed(refiner_, LotRecord(refiner_, "lot-" + std::to_string(ledger->Size())),
                           kDefaultOrigin);
      ASSERT_TRUE(ledger->Submit(b, s).ok());
    }
  }

  std::unique_ptr<Ledger> OpenLedger(double scrub_rate) {
    LedgerOptions o;
    o.data_dir = dir_.path();
    o.scrub_entries_per_second = scrub_rate;
    o.on_damage = [this](const DamageReport& r) {
      absl::MutexLock lock(&mu_);
      ledger_reports_.push_back(r);
    };
    return Ledger::Open(o).value();
  }

  std::unique_ptr<Store> OpenStore() { return Store::Open({.path = dir_.path() + "/db"}).value(); }

  void Tamper(const std::function<void(StoreBatch&)>& tamper) {
    std::unique_ptr<Store> store = OpenStore();
    StoreBatch batch = store->NewBatch();
    tamper(batch);
    ASSERT_TRUE(store->Commit(batch).ok());
  }

  // Runs `passes` whole passes of a ScrubPass over the closed store; returns what it reported.
  std::vector<Damage> Scrub(int passes = 2) {
    std::unique_ptr<Store> store = OpenStore();
    std::vector<Damage> found;
    ScrubPass pass(ScrubSource{.store = store.get(),
                               .size = [&] { return store->ReadTreeSize().value(); },
                               .key_handovers = [] { return std::vector<uint64_t>(); },
                               .report = [&](const Damage& d, uint64_t) { found.push_back(d); },
                               .metrics = &metrics_});
    for (int done = 0; done < passes;) {
      absl::StatusOr<uint64_t> checked = pass.Step(7);  // steps that end mid-tree
      EXPECT_TRUE(checked.ok()) << checked.status();
      if (!checked.ok()) break;
      if (pass.pass_size() == 0) ++done;
    }
    return found;
  }

  testing::TempDir dir_;
  Identity refiner_{"", PrivateKey::Generate().value()};
  LedgerMetrics metrics_;
  absl::Mutex mu_;
  std::vector<DamageReport> ledger_reports_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ScrubTest, ASoundLogScrubsCleanPassAfterPass) {
  EXPECT_TRUE(Scrub(3).empty());
  EXPECT_EQ(metrics_.scrub_passes(), 3u);
  EXPECT_EQ(metrics_.scrub_entries(), 3 * kSize);
  EXPECT_EQ(metrics_.scrub_damage(), 0u);
}

TEST_F(ScrubTest, AnAlteredInteriorNodeIsReportedOnceAsThatNode) {
  Tamper([](StoreBatch& b) { b.PutNode(1, 12, LeafHash("not the hash of leaves 24 and 25")); });
  const std::vector<Damage> found = Scrub();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].column_family, "tree");
  EXPECT_EQ(found[0].key, TreeNodeKey(1, 12));
  EXPECT_EQ(found[0].entry_index, 24u);
  EXPECT_EQ(found[0].Describe(),
            "tree node level 1 index 12 (entries 24 to 25) is not the hash of the entries under "
            "it (column family \"tree\", key 0x01000000000000000C)");
  EXPECT_EQ(metrics_.scrub_damage(), 1u);
}

TEST_F(ScrubTest, AnAlteredEntryIsReportedAsTheEntryNotItsTreeOrCheckpoints) {
  std::string entry = OpenStore()->GetEntry(20).value();
  entry[80] ^= 1;
  Tamper([&](StoreBatch& b) { b.PutEntry(20, entry); });
  const std::vector<Damage> found = Scrub();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].column_family, "entries");
  EXPECT_EQ(found[0].key, EntryKey(20));
  EXPECT_THAT(found[0].what, HasSubstr("entry 20 was altered"));
}

TEST_F(ScrubTest, AnAlteredLeafHashIsReportedAsTheLeafNode) {
  Tamper([](StoreBatch& b) { b.PutNode(0, 33, LeafHash("not entry 33")); });
  const std::vector<Damage> found = Scrub();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].key, TreeNodeKey(0, 33));
  EXPECT_THAT(found[0].what,
              HasSubstr("tree node level 0 index 33 (entry 33's leaf hash) was altered"));
}

TEST_F(ScrubTest, AnAlteredCheckpointIsReportedAsThatCheckpoint) {
  std::string note = OpenStore()->GetCheckpoint(30).value();
  note[note.find('\n') + 5] ^= 1;  // inside the root line ("<origin>\n30\n<root>\n")
  Tamper([&](StoreBatch& b) { b.PutCheckpoint(30, note); });
  const std::vector<Damage> found = Scrub();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].column_family, "checkpoints");
  EXPECT_EQ(found[0].key, CheckpointKey(30));
  EXPECT_THAT(found[0].what, HasSubstr("the checkpoint of size 30 does not verify"));
}

TEST_F(ScrubTest, BytesThatAreNotAnEntryAreReportedOnceAndThePassGoesOn) {
  Tamper([](StoreBatch& b) { b.PutEntry(7, "not an entry"); });
  const std::vector<Damage> found = Scrub();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].key, EntryKey(7));
  EXPECT_EQ(metrics_.scrub_passes(), 2u);
}

TEST_F(ScrubTest, TheLedgersScrubReportsThroughOnDamageAndMetrics) {
  Tamper([](StoreBatch& b) { b.PutNode(1, 12, LeafHash("not the hash of leaves 24 and 25")); });
  std::unique_ptr<Ledger> ledger = OpenLedger(1e6);
  // Appends go on while it scrubs.
  for (int i = 0; i < 20; ++i) {
    auto [b, s] =
        Signed(refiner_, LotRecord(refiner_, "more-" + std::to_string(i)), kDefaultOrigin);
    ASSERT_TRUE(ledger->Submit(b, s).ok());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (ledger->metrics().scrub_passes() < 3 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_GE(ledger->metrics().scrub_passes(), 3u);
  {
    absl::MutexLock lock(&mu_);
    ASSERT_EQ(ledger_reports_.size(), 1u);  // reported once, however many passes
    EXPECT_EQ(ledger_reports_[0].source, "scrub");
    EXPECT_EQ(ledger_reports_[0].damage.key, TreeNodeKey(1, 12));
    EXPECT_THAT(ledger_reports_[0].message,
                HasSubstr("tree node level 1 index 12 (entries 24 to 25) is not the hash of the "
                          "entries under it"));
  }
  EXPECT_EQ(ledger->metrics().scrub_damage(), 1u);
  const std::string text = ledger->metrics().Prometheus(ledger->Size(), 0, absl::Now());
  EXPECT_THAT(text, HasSubstr("touchstone_scrub_damage_total 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE touchstone_scrub_last_full_pass_timestamp_seconds gauge"));
}

TEST_F(ScrubTest, ShutdownStopsAScrubBetweenBatches) {
  // One entry every 1000 s: the thread sleeps far longer than any test runs,
  // so this returns only if Shutdown wakes it.
  std::unique_ptr<Ledger> ledger = OpenLedger(0.001);
  ledger->Shutdown();
  ledger.reset();
  SUCCEED();
}

}  // namespace
}  // namespace touchstone
