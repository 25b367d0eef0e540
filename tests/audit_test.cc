// Tests of the audit (ledger/audit.h) on a real ledger's store, closed, and on mirrors of it:
// a sound log audits clean with what it holds counted; one stored value altered below the
// ledger (an entry, a tree node, a checkpoint, a state value), or a checkpoint the operator's
// key signed over another root, is DATA_LOSS naming it; a mirror audits against a checkpoint
// note and the key its user pins, and is refused for another key, a malformed note or a root
// its entries do not make.
#include "ledger/audit.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"
#include "ledger/log_mirror.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;
using ::testing::IsEmpty;
using testing::LotRecord;
using testing::Signed;

constexpr uint64_t kSize = 24;

// A log of kSize entries (one checkpoint per size, as each is submitted alone), closed.
class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions o;
    o.data_dir = dir_.path();
    std::unique_ptr<Ledger> ledger = Ledger::Open(o).value();
    const Identity op = Operator();
    const Identity refiner = testing::NewIdentity("refiner-1");
    auto reg =
        Signed(op, testing::RegisterRecord(op, refiner, v1::ROLE_REFINER, "reg"), kDefaultOrigin);
    ASSERT_TRUE(ledger->Submit(reg.first, reg.second).ok());
    while (ledger->Size() < kSize) {
      auto [b, s] = Signed(refiner, LotRecord(refiner, "lot-" + std::to_string(ledger->Size())),
                           kDefaultOrigin);
      ASSERT_TRUE(ledger->Submit(b, s).ok());
    }
    verifier_.emplace(ledger->verifier());
  }

  Identity Operator() const {
    return Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
  }

  std::unique_ptr<Store> OpenStore() { return Store::Open({.path = dir_.path() + "/db"}).value(); }

  // Alters the closed store the way `tamper` writes.
  void Tamper(const std::function<void(const Store&, StoreBatch&)>& tamper) {
    std::unique_ptr<Store> store = OpenStore();
    StoreBatch batch = store->NewBatch();
    tamper(*store, batch);
    ASSERT_TRUE(store->Commit(batch).ok());
  }

  [[nodiscard]] absl::StatusOr<AuditReport> Audit() {
    return AuditStore(*OpenStore(), AuditOptions());
  }

  // A checkpoint note at `size` over `root`, signed with the operator's (checkpoint) key.
  std::string OperatorSignedNote(uint64_t size, const Hash& root) {
    const NoteSigner signer = NoteSigner::Create(kDefaultOrigin, Operator().key).value();
    return signer.Sign(Checkpoint{kDefaultOrigin, size, root, {}}.ToText()).value();
  }

  // A mirror of the first `n` entries of the store.
  std::unique_ptr<LogMirror> Mirror(uint64_t n) {
    std::unique_ptr<Store> store = OpenStore();
    std::unique_ptr<LogMirror> mirror = LogMirror::Create().value();
    for (uint64_t i = 0; i < n; ++i) EXPECT_TRUE(mirror->Append(store->GetEntry(i).value()).ok());
    EXPECT_TRUE(mirror->Flush().ok());
    return mirror;
  }

  std::string Note(uint64_t size) { return OpenStore()->GetCheckpoint(size).value(); }

  testing::TempDir dir_;
  std::optional<NoteVerifier> verifier_;
};

TEST_F(AuditTest, ASoundLogAuditsCleanWithWhatItHoldsCounted) {
  uint64_t progress_calls = 0;
  AuditOptions options;
  options.progress_every = 5;
  options.progress = [&](uint64_t done, uint64_t total) {
    ++progress_calls;
    EXPECT_EQ(done % 5, 0u);
    EXPECT_EQ(total, kSize);
  };
  absl::StatusOr<AuditReport> r = AuditStore(*OpenStore(), options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->origin, kDefaultOrigin);
  EXPECT_EQ(r->entries, kSize);
  EXPECT_EQ(r->checkpoints, kSize);  // one per size
  // Every complete node of the tree, leaves included: sum over levels of size >> level.
  EXPECT_EQ(r->tree_nodes, 2 * kSize - __builtin_popcountll(kSize));
  EXPECT_GT(r->state_keys, 0u);
  EXPECT_THAT(r->key_handovers, IsEmpty());
  EXPECT_EQ(r->verifier_key, r->checkpoint_key);
  EXPECT_THAT(r->non_canonical, IsEmpty());
  EXPECT_EQ(progress_calls, kSize / 5);
}

TEST_F(AuditTest, AnAlteredEntryIsDataLossNamingIt) {
  Tamper([](const Store& s, StoreBatch& b) {
    std::string entry = s.GetEntry(9).value();
    entry.back() ^= 1;  // in the signature
    b.PutEntry(9, entry);
  });
  absl::StatusOr<AuditReport> r = Audit();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("entry 9: bad signature"));
}

TEST_F(AuditTest, AnAlteredTreeNodeIsDataLossNamingIt) {
  Tamper([](const Store&, StoreBatch& b) { b.PutNode(1, 3, Sha256("not the node")); });
  absl::StatusOr<AuditReport> r = Audit();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(),
              HasSubstr("tree node level 1 index 3 (entry 7) differs from the entries'"));
}

TEST_F(AuditTest, ACheckpointStoredAtAnotherSizeIsDataLossNamingIt) {
  Tamper([](const Store& s, StoreBatch& b) { b.PutCheckpoint(10, s.GetCheckpoint(11).value()); });
  absl::StatusOr<AuditReport> r = Audit();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("checkpoint stored at size 10 says size 11"));
}

TEST_F(AuditTest, ACheckpointTheKeySignedOverAnotherRootIsDataLoss) {
  const std::string forged = OperatorSignedNote(12, Sha256("another tree"));
  Tamper([&](const Store&, StoreBatch& b) { b.PutCheckpoint(12, forged); });
  absl::StatusOr<AuditReport> r = Audit();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(),
              HasSubstr("checkpoint at size 12: its root is not the root of the entries"));
}

TEST_F(AuditTest, AnAlteredStateValueIsDataLossNamingIt) {
  std::string key;
  {
    std::unique_ptr<Store> store = OpenStore();
    ASSERT_TRUE(store
                    ->ScanState([&](std::string_view k, std::string_view) {
                      if (key.empty()) key = std::string(k);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  ASSERT_FALSE(key.empty());
  Tamper([&](const Store&, StoreBatch& b) { b.PutState(key, "not what the records say"); });
  absl::StatusOr<AuditReport> r = Audit();
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(),
              HasSubstr("stored state '" + key + "' differs from what the log produces"));
}

TEST_F(AuditTest, AMirrorAuditsAgainstTheNoteAtItsSizeAndThePinnedKey) {
  for (uint64_t n : {kSize, uint64_t{7}}) {
    SCOPED_TRACE(n);
    std::unique_ptr<LogMirror> mirror = Mirror(n);
    MemoryState rebuilt;
    absl::StatusOr<AuditReport> r =
        AuditMirror(mirror->store(), Note(n), *verifier_, AuditOptions(), &rebuilt);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->entries, n);
    EXPECT_EQ(r->checkpoint.size, n);
    EXPECT_EQ(r->checkpoint.root, mirror->RootAt(n).value());
    EXPECT_EQ(r->origin, kDefaultOrigin);
    EXPECT_GT(r->state_keys, 0u);
    EXPECT_EQ(rebuilt.values().size(), r->state_keys);
  }
  // The whole log's state is the one the ledger stored.
  absl::StatusOr<AuditReport> full = Audit();
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(
      AuditMirror(Mirror(kSize)->store(), Note(kSize), *verifier_, AuditOptions())->state_keys,
      full->state_keys);
}

TEST_F(AuditTest, AMirrorIsRefusedForAnotherKeyAMalformedNoteOrAnotherRoot) {
  std::unique_ptr<LogMirror> mirror = Mirror(kSize);
  const NoteSigner other =
      NoteSigner::Create(kDefaultOrigin, PrivateKey::Generate().value()).value();
  const NoteVerifier stranger = NoteVerifier::Parse(other.VerifierKey()).value();
  absl::StatusOr<AuditReport> r =
      AuditMirror(mirror->store(), Note(kSize), stranger, AuditOptions());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("is not one of this log's checkpoint keys"));

  // The note signed by another key than the log's.
  r = AuditMirror(
      mirror->store(),
      other.Sign(Checkpoint{kDefaultOrigin, kSize, *mirror->RootAt(kSize), {}}.ToText()).value(),
      *verifier_, AuditOptions());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("checkpoint: no signature by"));

  r = AuditMirror(mirror->store(), "not a checkpoint note", *verifier_, AuditOptions());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();

  // The log's own key over a root the entries do not make.
  r = AuditMirror(mirror->store(), OperatorSignedNote(kSize, Sha256("another tree")), *verifier_,
                  AuditOptions());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("is not the checkpoint's root"));
}

}  // namespace
}  // namespace touchstone
