// Tests of a client's trusted heads (ledger/trusted_head_store.h), driven
// through a LogReader over a real Ledger that the test can make lie: first use
// pins the key, a consistent newer head advances, a rewound or forked log is
// refused and changes nothing, a checkpoint key handover is followed, and an
// update stopped between its file writes leaves a state the next one carries
// on from.
#include "ledger/trusted_head_store.h"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/files.h"
#include "ledger/ledger.h"
#include "ledger/log/note.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

constexpr char kOrigin[] = "test.example/ledger";

using ::testing::HasSubstr;
using testing::Identity;
using ::testing::Not;
using ::testing::StartsWith;
using testing::TempDir;

// The test's log as a client reads it. It serves the ledger's latest
// checkpoint, or `serve` when set (a lie the test tells).
class FakeReader final : public LogReader {
 public:
  explicit FakeReader(const Ledger& ledger) : ledger_(ledger) {}

  std::optional<std::string> serve;

  [[nodiscard]] absl::StatusOr<std::string> GetCheckpoint() override {
    return serve ? *serve : ledger_.LatestCheckpoint().second;
  }
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> GetConsistencyProof(uint64_t old_size,
                                                                      uint64_t new_size) override {
    absl::StatusOr<std::string> note = ledger_.GetCheckpoint(new_size);
    if (!note.ok()) return note.status();
    return ledger_.ConsistencyProof(old_size, *note);
  }
  [[nodiscard]] absl::StatusOr<std::vector<uint64_t>> GetKeyHandoverIndices() override {
    return ledger_.Info().key_handovers;
  }
  [[nodiscard]] absl::StatusOr<std::string> GetEntry(uint64_t index) override {
    return ledger_.GetEntry(index);
  }
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> GetInclusionProof(uint64_t index,
                                                                    uint64_t tree_size) override {
    absl::StatusOr<std::string> note = ledger_.GetCheckpoint(tree_size);
    if (!note.ok()) return note.status();
    return ledger_.InclusionProof(index, *note);
  }

 private:
  const Ledger& ledger_;
};

class TrustedHeadStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions o;
    o.data_dir = data_.path();
    o.origin = kOrigin;
    absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(o);
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = *std::move(l);
    op_.emplace(
        Identity{"operator", PrivateKey::LoadPemFile(data_.path() + "/operator.pem").value()});
    // A refiner registered by the operator, who records lots from then on.
    refiner_.emplace(testing::NewIdentity("refiner-1"));
    auto [bytes, sig] = testing::Signed(
        *op_, testing::RegisterRecord(*op_, *refiner_, v1::ROLE_REFINER, "reg-refiner-1"), kOrigin);
    ASSERT_TRUE(ledger_->Submit(bytes, sig).ok());
    vkey_ = ledger_->Info().verifier_key;
    reader_ = std::make_unique<FakeReader>(*ledger_);
  }

  // Appends one record (a lot of the refiner's); returns the new size.
  uint64_t Append() {
    auto [bytes, sig] = testing::Signed(
        *refiner_, testing::LotRecord(*refiner_, absl::StrCat("lot-", ++appended_)), kOrigin);
    absl::StatusOr<Receipt> r = ledger_->Submit(bytes, sig);
    EXPECT_TRUE(r.ok()) << r.status();
    return ledger_->Size();
  }

  // Hands the checkpoint key over to a new key; returns its verifier key.
  std::string Rotate() {
    const std::string path = keys_.path() + "/next.pem";
    PrivateKey next = PrivateKey::Generate().value();
    EXPECT_TRUE(next.SavePemFile(path).ok());
    absl::StatusOr<Receipt> r = ledger_->RotateOperatorKey(path, "scheduled rotation");
    EXPECT_TRUE(r.ok()) << r.status();
    return ledger_->Info().verifier_key;
  }

  // A checkpoint of this log at `size` with another root, signed by the log's
  // current key: what a log that forked would present.
  std::string Forged(uint64_t size) const {
    Hash root{};
    root[0] = 0x42;
    const std::string text = Checkpoint{kOrigin, size, root, {}}.ToText();
    return ledger_->signer()->Sign(text).value();
  }

  // The bytes of the store's files, to show that a refusal changes nothing.
  std::map<std::string, std::string> Files() const {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(state_.path())) {
      out[e.path().filename().string()] = ReadWholeFile(e.path().string()).value();
    }
    return out;
  }

  TempDir data_, keys_, state_;
  std::unique_ptr<Ledger> ledger_;
  std::optional<Identity> op_;
  std::optional<Identity> refiner_;
  std::string vkey_;
  std::unique_ptr<FakeReader> reader_;
  int appended_ = 0;
};

TEST_F(TrustedHeadStoreTest, FirstUsePinsTheKeyAndLaterUpdatesUseIt) {
  TrustedHeadStore store(state_.path());
  EXPECT_EQ(store.PinnedKey(kOrigin), std::nullopt);
  EXPECT_EQ(store.Update(*reader_, "").status().code(), absl::StatusCode::kInvalidArgument);

  absl::StatusOr<TrustedHeadUpdate> first = store.Update(*reader_, vkey_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->report,
            absl::StrCat("first use: now trusting ", kOrigin, " at size ", ledger_->Size()));
  EXPECT_EQ(first->previous_size, std::nullopt);
  EXPECT_EQ(first->head.size, ledger_->Size());
  EXPECT_EQ(first->vkey, vkey_);
  EXPECT_EQ(first->checkpoint_key, vkey_);
  EXPECT_EQ(store.PinnedKey(kOrigin), vkey_);

  // Pinned: no key needed any more, and another key is refused.
  absl::StatusOr<TrustedHeadUpdate> again = store.Update(*reader_, "");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(again->report, StartsWith("unchanged: "));
  const std::string other = FormatVerifierKey(kOrigin, PrivateKey::Generate().value().public_key());
  absl::StatusOr<TrustedHeadUpdate> refused = store.Update(*reader_, other);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("is pinned to " + vkey_));
}

TEST_F(TrustedHeadStoreTest, AConsistentNewerHeadAdvances) {
  TrustedHeadStore store(state_.path());
  ASSERT_TRUE(store.Update(*reader_, vkey_).ok());
  const uint64_t before = ledger_->Size();
  Append();
  const uint64_t size = Append();
  absl::StatusOr<TrustedHeadUpdate> next = store.Update(*reader_, "");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->previous_size, before);
  EXPECT_EQ(next->head.size, size);
  EXPECT_EQ(next->head.root,
            VerifyCheckpoint(ledger_->LatestCheckpoint().second, ledger_->verifier()).value().root);
  EXPECT_EQ(next->report, absl::StrCat("advanced: ", kOrigin, " from size ", before, " to ", size,
                                       ", consistency proof verified"));
}

TEST_F(TrustedHeadStoreTest, AnInconsistentHeadIsRefusedAndChangesNothing) {
  TrustedHeadStore store(state_.path());
  Append();
  const uint64_t trusted = Append();
  ASSERT_TRUE(store.Update(*reader_, vkey_).ok());
  const auto kept = Files();
  const uint64_t newer = Append();

  // A bigger tree that does not extend the trusted one.
  reader_->serve = Forged(newer);
  absl::StatusOr<TrustedHeadUpdate> fork = store.Update(*reader_, "");
  EXPECT_EQ(fork.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(fork.status().message()), StartsWith("LOG INCONSISTENT"));
  // Another tree at the trusted size.
  reader_->serve = Forged(trusted);
  EXPECT_THAT(std::string(store.Update(*reader_, "").status().message()), HasSubstr("it forked"));
  // A smaller tree than the one trusted.
  reader_->serve = ledger_->GetCheckpoint(1).value();
  EXPECT_THAT(std::string(store.Update(*reader_, "").status().message()), HasSubstr("it rewound"));
  EXPECT_EQ(Files(), kept);

  // The real log still advances from the head kept.
  reader_->serve.reset();
  absl::StatusOr<TrustedHeadUpdate> real = store.Update(*reader_, "");
  ASSERT_TRUE(real.ok()) << real.status();
  EXPECT_EQ(real->previous_size, trusted);
  EXPECT_EQ(real->head.size, newer);
}

TEST_F(TrustedHeadStoreTest, AKeyHandoverIsFollowedAndKept) {
  TrustedHeadStore store(state_.path());
  ASSERT_TRUE(store.Update(*reader_, vkey_).ok());
  Append();
  const std::string next_key = Rotate();
  ASSERT_NE(next_key, vkey_);
  const uint64_t size = Append();  // signed by the new key only

  absl::StatusOr<TrustedHeadUpdate> followed = store.Update(*reader_, "");
  ASSERT_TRUE(followed.ok()) << followed.status();
  EXPECT_EQ(followed->head.size, size);
  EXPECT_EQ(followed->vkey, vkey_);  // the pin stays
  EXPECT_EQ(followed->checkpoint_key, next_key);
  EXPECT_THAT(followed->report,
              HasSubstr("; followed the log's checkpoint key handover to " + next_key));
  EXPECT_EQ(store.PinnedKey(kOrigin), vkey_);

  // From now on the new key verifies directly: no handover needed.
  Append();
  absl::StatusOr<TrustedHeadUpdate> later = store.Update(*reader_, "");
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_EQ(later->checkpoint_key, next_key);
  EXPECT_THAT(later->report, StartsWith("advanced: "));
  EXPECT_THAT(later->report, Not(HasSubstr("followed")));
}

// A writer that "crashes" (fails, writing nothing) at its n-th write.
TrustedHeadStore::FileWriter CrashAtWrite(int n, std::vector<std::string>* written) {
  return [n, written, count = 0](const std::string& path, std::string_view data) mutable {
    if (++count == n) return absl::UnavailableError("crashed before writing " + path);
    written->push_back(std::filesystem::path(path).extension().string());
    return ReplaceFileDurably(path, data, 0644);
  };
}

TEST_F(TrustedHeadStoreTest, AnUpdateStoppedAfterTheNewKeyIsKeptRecovers) {
  ASSERT_TRUE(TrustedHeadStore(state_.path()).Update(*reader_, vkey_).ok());
  Append();
  const std::string next_key = Rotate();
  const uint64_t size = Append();

  std::vector<std::string> written;
  TrustedHeadStore crashing(state_.path(), CrashAtWrite(2, &written));
  EXPECT_EQ(crashing.Update(*reader_, "").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(written, std::vector<std::string>{".ckey"});  // the old head is still kept

  // The next update verifies the old head with a key on the list and advances.
  absl::StatusOr<TrustedHeadUpdate> next = TrustedHeadStore(state_.path()).Update(*reader_, "");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->head.size, size);
  EXPECT_EQ(next->checkpoint_key, next_key);
  EXPECT_EQ(next->vkey, vkey_);
}

TEST_F(TrustedHeadStoreTest, AFirstUseStoppedBeforeThePinRecovers) {
  std::vector<std::string> written;
  TrustedHeadStore crashing(state_.path(), CrashAtWrite(2, &written));
  EXPECT_FALSE(crashing.Update(*reader_, vkey_).ok());
  EXPECT_EQ(written, std::vector<std::string>{".checkpoint"});

  TrustedHeadStore store(state_.path());
  EXPECT_EQ(store.PinnedKey(kOrigin), std::nullopt);
  EXPECT_EQ(store.Update(*reader_, "").status().code(), absl::StatusCode::kInvalidArgument);
  const uint64_t size = Append();
  absl::StatusOr<TrustedHeadUpdate> next = store.Update(*reader_, vkey_);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->head.size, size);
  EXPECT_EQ(store.PinnedKey(kOrigin), vkey_);
}

TEST_F(TrustedHeadStoreTest, ABundleCheckpointIsCheckedAgainstTheHead) {
  TrustedHeadStore store(state_.path());
  const Checkpoint older =
      VerifyCheckpoint(ledger_->LatestCheckpoint().second, ledger_->verifier()).value();
  Append();
  Append();
  absl::StatusOr<TrustedHeadUpdate> head = store.Update(*reader_, vkey_);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_TRUE(CheckAgainstHead(*reader_, older, head->head).ok());
  Checkpoint other = older;
  other.root[0] ^= 1;
  EXPECT_EQ(CheckAgainstHead(*reader_, other, head->head).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace touchstone
