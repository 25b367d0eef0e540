// Replicated mode of the core (ledger/ledger_replica.cc): a leader's groups as
// LedgerOptions::replicate gets them, a follower applying them to a
// byte-identical log, and one forged group per check ApplyGroup makes, each
// refused with nothing written (the follower then still takes the real group).
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using testing::Identity;
using testing::NewIdentity;
using testing::Signed;
using testing::TempDir;

constexpr char kOrigin[] = "replica.example/log";

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const TempDir* d : {&leader_dir_, &follower_dir_}) {
      ASSERT_TRUE(op_.key.SavePemFile(d->path() + "/operator.pem").ok());
    }
  }

  LedgerOptions Options(const TempDir& dir) {
    LedgerOptions o;
    o.data_dir = dir.path();
    o.origin = kOrigin;
    o.replica = true;
    o.scrub_entries_per_second = 0;
    return o;
  }

  // The leader: every group it hands over is kept (or refused with `refuse_`).
  std::unique_ptr<Ledger> OpenLeader() {
    LedgerOptions o = Options(leader_dir_);
    o.replicate = [this](const v1::ReplicatedGroup& g) -> absl::Status {
      absl::MutexLock lock(&mu_);
      if (!refuse_.ok()) return refuse_;
      groups_.push_back(g);
      return absl::OkStatus();
    };
    o.max_group_bytes = max_group_bytes_;
    auto l = Ledger::Open(std::move(o));
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *std::move(l) : nullptr;
  }
  std::unique_ptr<Ledger> OpenFollower() {
    auto l = Ledger::Open(Options(follower_dir_));
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *std::move(l) : nullptr;
  }
  std::vector<v1::ReplicatedGroup> Groups() {
    absl::MutexLock lock(&mu_);
    return groups_;
  }

  // Registers `n` refiners (one submission each) on the leader.
  void Register(Ledger& leader, int n, const std::string& tag) {
    for (int i = 0; i < n; ++i) {
      const Identity who = NewIdentity(tag + std::to_string(i));
      auto [bytes, sig] = Signed(
          op_, testing::RegisterRecord(op_, who, v1::ROLE_REFINER, "register-" + who.id), kOrigin);
      ASSERT_TRUE(leader.Submit(bytes, sig).ok());
    }
  }

  const Identity op_{"operator", PrivateKey::Generate().value()};
  TempDir leader_dir_, follower_dir_;
  absl::Mutex mu_;
  std::vector<v1::ReplicatedGroup> groups_ ABSL_GUARDED_BY(mu_);
  absl::Status refuse_ ABSL_GUARDED_BY(mu_);
  size_t max_group_bytes_ = 0;
};

TEST_F(ReplicaTest, AReplicaOpensEmptyAndItsLeaderCreatesTheLogThroughTheHook) {
  auto leader = OpenLeader();
  ASSERT_NE(leader, nullptr);
  EXPECT_EQ(leader->Size(), 0u);
  EXPECT_TRUE(Groups().empty());
  ASSERT_TRUE(leader->StartWriting().ok());
  ASSERT_EQ(leader->Size(), 1u);
  const auto groups = Groups();
  ASSERT_EQ(groups.size(), 1u);  // the genesis carries the policy: nothing else appended
  EXPECT_EQ(groups[0].first_index(), 0u);
  ASSERT_EQ(groups[0].entries_size(), 1);
  EXPECT_EQ(groups[0].entries(0), leader->GetEntry(0).value());
  EXPECT_EQ(groups[0].checkpoint(), leader->LatestCheckpoint().second);
}

TEST_F(ReplicaTest, AReplicaWithoutTheSharedKeyDoesNotStart) {
  std::filesystem::remove(follower_dir_.path() + "/operator.pem");
  auto l = Ledger::Open(Options(follower_dir_));
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(l.status().message().find("every replica holds the log's operator key"),
            std::string::npos)
      << l.status();
}

TEST_F(ReplicaTest, AFollowerAppliesEveryGroupToAByteIdenticalLog) {
  auto leader = OpenLeader();
  ASSERT_TRUE(leader->StartWriting().ok());
  Register(*leader, 5, "a");
  auto follower = OpenFollower();
  for (const v1::ReplicatedGroup& g : Groups()) {
    ASSERT_TRUE(follower->ApplyGroup(g).ok()) << follower->ApplyGroup(g);
  }
  ASSERT_EQ(follower->Size(), leader->Size());
  for (uint64_t i = 0; i < leader->Size(); ++i) {
    EXPECT_EQ(follower->GetEntry(i).value(), leader->GetEntry(i).value());
  }
  uint64_t at = 0;
  for (const v1::ReplicatedGroup& g : Groups()) {
    at = g.first_index() + g.entries_size();
    EXPECT_EQ(follower->GetCheckpoint(at).value(), leader->GetCheckpoint(at).value());
  }
  EXPECT_EQ(follower->LatestCheckpoint(), leader->LatestCheckpoint());
  // The follower's state is the leader's: the registered refiners are there.
  EXPECT_TRUE(follower->GetParticipant("a4").ok());
  // A group again, or out of order: FAILED_PRECONDITION, nothing written.
  const absl::Status again = follower->ApplyGroup(Groups()[1]);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition) << again;
  EXPECT_EQ(follower->Size(), leader->Size());
}

TEST_F(ReplicaTest, AFollowerAppliesRecordsWhoseRulesReadEarlierRecords) {
  // An error declaration's rules read the record it declares wrong (Group::record_at).
  auto leader = OpenLeader();
  ASSERT_TRUE(leader->StartWriting().ok());
  Register(*leader, 1, "e");
  const uint64_t wrong = leader->Size() - 1;
  v1::Record declared;
  declared.set_record_id("declared-1");
  declared.set_signer(op_.id);
  declared.set_key_id(op_.key.public_key().Fingerprint());
  declared.set_event_time_micros(testing::NowMicros());
  declared.mutable_error_declared()->set_wrong_index(wrong);
  declared.mutable_error_declared()->set_reason("registered with the wrong legal name");
  auto [bytes, sig] = Signed(op_, declared, kOrigin);
  ASSERT_TRUE(leader->Submit(bytes, sig).ok());
  auto follower = OpenFollower();
  for (const v1::ReplicatedGroup& g : Groups()) {
    const absl::Status st = follower->ApplyGroup(g);
    ASSERT_TRUE(st.ok()) << st;
  }
  EXPECT_EQ(follower->GetEntry(wrong + 1).value(), leader->GetEntry(wrong + 1).value());
  EXPECT_EQ(follower->LatestCheckpoint(), leader->LatestCheckpoint());
}

TEST_F(ReplicaTest, AGroupTheHookRefusesIsNotAppendedOrAcknowledged) {
  auto leader = OpenLeader();
  ASSERT_TRUE(leader->StartWriting().ok());
  {
    absl::MutexLock lock(&mu_);
    refuse_ = absl::UnavailableError("not the leader");
  }
  const Identity who = NewIdentity("refused");
  auto [bytes, sig] =
      Signed(op_, testing::RegisterRecord(op_, who, v1::ROLE_REFINER, "r-1"), kOrigin);
  absl::StatusOr<Receipt> r = leader->Submit(bytes, sig);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "not the leader");
  EXPECT_EQ(leader->Size(), 1u);
  {
    absl::MutexLock lock(&mu_);
    refuse_ = absl::OkStatus();
  }
  // The same bytes once the hook takes them: entry 1 (the refused group left no trace).
  r = leader->Submit(bytes, sig);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->index, 1u);
  EXPECT_FALSE(r->duplicate);
}

TEST_F(ReplicaTest, GroupsStayUnderTheByteBound) {
  max_group_bytes_ = 600;  // about two registrations
  auto leader = OpenLeader();
  ASSERT_TRUE(leader->StartWriting().ok());
  std::vector<Ledger::Submission> batch;
  size_t total = 0;
  for (int i = 0; i < 20; ++i) {
    const Identity who = NewIdentity("b" + std::to_string(i));
    auto [bytes, sig] =
        Signed(op_, testing::RegisterRecord(op_, who, v1::ROLE_REFINER, "reg-" + who.id), kOrigin);
    total += bytes.size();
    batch.push_back({bytes, sig, std::nullopt});
  }
  auto results = leader->SubmitBatch(std::move(batch));
  ASSERT_TRUE(results.ok());
  for (const auto& r : *results) ASSERT_TRUE(r.ok()) << r.status();
  const auto groups = Groups();
  // One batch, queued at once, yet split: the genesis, then at least total / 600 groups.
  EXPECT_GE(groups.size() - 1, total / 600) << total;
  EXPECT_GT(groups.size() - 1, 1u);
  for (size_t i = 1; i < groups.size(); ++i) {
    size_t record_bytes = 0;
    for (const std::string& e : groups[i].entries()) record_bytes += DecodeEntry(e)->record.size();
    EXPECT_TRUE(groups[i].entries_size() == 1 || record_bytes <= 600) << record_bytes;
  }
}

// One forged group per check; each refused (DATA_LOSS, nothing written), and then
// the real group applies.
class ReplicaForgeryTest : public ReplicaTest {
 protected:
  void SetUp() override {
    ReplicaTest::SetUp();
    leader_ = OpenLeader();
    ASSERT_TRUE(leader_->StartWriting().ok());
    Register(*leader_, 2, "p");
    follower_ = OpenFollower();
    const auto groups = Groups();
    for (size_t i = 0; i + 1 < groups.size(); ++i)
      ASSERT_TRUE(follower_->ApplyGroup(groups[i]).ok());
    real_ = groups.back();
    ASSERT_EQ(real_.entries_size(), 1);
    view_ = DecodeEntry(real_.entries(0)).value();
  }

  // Refused, naming `why`; the follower unchanged; the real group still applies.
  void ExpectRefused(const v1::ReplicatedGroup& forged, const std::string& why) {
    const uint64_t size = follower_->Size();
    const std::string checkpoint = follower_->LatestCheckpoint().second;
    const absl::Status st = follower_->ApplyGroup(forged);
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_NE(st.message().find("does not verify"), std::string::npos) << st;
    EXPECT_NE(st.message().find(why), std::string::npos) << st;
    EXPECT_EQ(follower_->Size(), size);
    EXPECT_EQ(follower_->LatestCheckpoint().second, checkpoint);
    EXPECT_EQ(follower_->GetEntry(size).status().code(), absl::StatusCode::kOutOfRange);
    ASSERT_TRUE(follower_->ApplyGroup(real_).ok());
    EXPECT_EQ(follower_->GetEntry(size).value(), leader_->GetEntry(size).value());
  }
  v1::ReplicatedGroup WithEntry(std::string entry) {
    v1::ReplicatedGroup g = real_;
    g.set_entries(0, std::move(entry));
    return g;
  }
  std::string Encode(uint64_t index, int64_t at, const Hash& prev, std::string_view record,
                     std::string_view sig) {
    return EncodeEntry(index, at, prev, record, sig);
  }

  std::unique_ptr<Ledger> leader_, follower_;
  v1::ReplicatedGroup real_;
  EntryView view_;
};

TEST_F(ReplicaForgeryTest, AlteredRecordBytes) {
  std::string record(view_.record);
  record.back() ^= 1;
  ExpectRefused(WithEntry(Encode(view_.index, view_.recorded_at_micros, view_.prev_leaf_hash,
                                 record, view_.signature)),
                "bad signature");
}

TEST_F(ReplicaForgeryTest, AnotherIndex) {
  ExpectRefused(WithEntry(Encode(view_.index + 1, view_.recorded_at_micros, view_.prev_leaf_hash,
                                 view_.record, view_.signature)),
                "says it is entry");
}

TEST_F(ReplicaForgeryTest, ABrokenChainLink) {
  Hash prev = view_.prev_leaf_hash;
  prev[0] ^= 1;
  ExpectRefused(
      WithEntry(Encode(view_.index, view_.recorded_at_micros, prev, view_.record, view_.signature)),
      "entry " + std::to_string(view_.index));
}

TEST_F(ReplicaForgeryTest, TwoTimesInOneGroup) {
  // A second entry (the first again, renumbered and linked) at another recorded time.
  const std::string first = real_.entries(0);
  v1::ReplicatedGroup g = real_;
  g.add_entries(Encode(view_.index + 1, view_.recorded_at_micros + 1, LeafHash(first), view_.record,
                       view_.signature));
  ExpectRefused(g, "one group, one time");
}

TEST_F(ReplicaForgeryTest, ARecordTheLogHolds) {
  // The previous record again as the next entry: the rules here see its id is used.
  const std::string earlier = follower_->GetEntry(view_.index - 1).value();
  const EntryView e = DecodeEntry(earlier).value();
  ExpectRefused(WithEntry(Encode(view_.index, view_.recorded_at_micros, view_.prev_leaf_hash,
                                 e.record, e.signature)),
                "repeats a record id");
}

TEST_F(ReplicaForgeryTest, ACheckpointOfAnotherTree) {
  v1::ReplicatedGroup g = real_;
  g.set_checkpoint(follower_->LatestCheckpoint().second);  // the size before the group
  ExpectRefused(g, "its checkpoint is not the checkpoint of this replica's tree");
}

TEST_F(ReplicaForgeryTest, ACheckpointUnderAnotherKey) {
  const PrivateKey other = PrivateKey::Generate().value();
  const NoteSigner signer = NoteSigner::Create(kOrigin, other).value();
  const std::string text(real_.checkpoint().substr(0, real_.checkpoint().find("\n\n") + 1));
  v1::ReplicatedGroup g = real_;
  g.set_checkpoint(signer.Sign(text).value());
  ExpectRefused(g, "not the one this log's key signs for that tree");
}

TEST_F(ReplicaForgeryTest, ACheckpointWithALineAdded) {
  // Still verifies with the log's key (a verifier skips unknown signers), but is not the
  // note the log's key signs: stored, it would make this replica's bytes differ.
  const PrivateKey other = PrivateKey::Generate().value();
  const NoteSigner signer = NoteSigner::Create("someone.example/else", other).value();
  const std::string text(real_.checkpoint().substr(0, real_.checkpoint().find("\n\n") + 1));
  v1::ReplicatedGroup g = real_;
  g.set_checkpoint(real_.checkpoint() + signer.SignatureLine(text).value());
  ExpectRefused(g, "not the one this log's key signs for that tree");
}

TEST_F(ReplicaForgeryTest, AnOpeningForAnEntryNotInTheGroup) {
  v1::ReplicatedGroup g = real_;
  v1::GroupOpening* o = g.add_openings();
  o->set_index(view_.index + 5);
  o->set_opening("x");
  ExpectRefused(g, "opening for entry");
}

TEST_F(ReplicaForgeryTest, AnEmptyGroup) {
  v1::ReplicatedGroup g = real_;
  g.clear_entries();
  ExpectRefused(g, "holds no entry");
}

// The genesis group a new replica set's leader hands over, for `key` and `origin`.
v1::ReplicatedGroup GenesisGroupOf(const PrivateKey& key, const std::string& origin) {
  TempDir dir;
  EXPECT_TRUE(key.SavePemFile(dir.path() + "/operator.pem").ok());
  std::vector<v1::ReplicatedGroup> captured;
  LedgerOptions o;
  o.data_dir = dir.path();
  o.origin = origin;
  o.replica = true;
  o.scrub_entries_per_second = 0;
  o.replicate = [&captured](const v1::ReplicatedGroup& g) {
    captured.push_back(g);
    return absl::OkStatus();
  };
  auto leader = Ledger::Open(o);
  EXPECT_TRUE(leader.ok() && (*leader)->StartWriting().ok());
  EXPECT_EQ(captured.size(), 1u);
  return captured.empty() ? v1::ReplicatedGroup() : captured[0];
}

TEST_F(ReplicaTest, AGenesisOfAnotherOperatorOrOriginIsRefused) {
  auto follower = OpenFollower();
  // Another log's leader, with its own key: a follower holding this log's key refuses it.
  absl::Status st = follower->ApplyGroup(GenesisGroupOf(PrivateKey::Generate().value(), kOrigin));
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("not the operator key this replica holds"), std::string::npos) << st;
  EXPECT_EQ(follower->Size(), 0u);
  // The same key under another origin.
  st = follower->ApplyGroup(GenesisGroupOf(op_.key, "elsewhere.example/log"));
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("origin is 'elsewhere.example/log'"), std::string::npos) << st;
  EXPECT_EQ(follower->Size(), 0u);
  // And the real one applies.
  EXPECT_TRUE(follower->ApplyGroup(GenesisGroupOf(op_.key, kOrigin)).ok());
  EXPECT_EQ(follower->Size(), 1u);
}

}  // namespace
}  // namespace touchstone
