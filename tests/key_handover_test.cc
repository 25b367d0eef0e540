// Tests of the checkpoint key handover (ledger/provenance/key_handover.h): the ledger
// rotates its key with a signed record, signs with the new key from then on,
// survives a crash in the middle, and every verifier (client, audit, tiles)
// follows the handovers from the genesis key, witnesses included.
#include "ledger/provenance/key_handover.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit.h"
#include "ledger/base/strings.h"
#include "ledger/ledger.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/record.h"
#include "ledger/tiles.h"
#include "ledger/witness.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

// The origin of the test log, which record signatures bind.
constexpr char kOrigin[] = "test.example/ledger";

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using testing::LotRecord;
using testing::RegisterRecord;
using testing::Signed;
using testing::TempDir;
using Code = absl::StatusCode;

class KeyHandoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Open();
    op_holder_.emplace(Identity{"operator", PrivateKey::LoadPemFile(KeyPath()).value()});
    genesis_holder_.emplace(ledger_->verifier());
  }

  void Open() {
    LedgerOptions o;
    o.data_dir = dir_.path();
    o.origin = kOrigin;
    absl::StatusOr<std::unique_ptr<Ledger>> l = Ledger::Open(o);
    ASSERT_TRUE(l.ok()) << l.status();
    ledger_ = *std::move(l);
  }

  // The operator's genesis identity and the genesis checkpoint key (set in SetUp).
  const Identity& op() const { return *op_holder_; }
  const NoteVerifier& genesis_key() const { return *genesis_holder_; }

  std::string KeyPath() const { return dir_.path() + "/operator.pem"; }

  // A new private key in its own owner-only file.
  std::pair<std::string, PrivateKey> NewKeyFile(const std::string& name) {
    PrivateKey key = PrivateKey::Generate().value();
    const std::string path = absl::StrCat(keys_.path(), "/", name, ".pem");
    EXPECT_TRUE(key.SavePemFile(path).ok());
    return {path, key};
  }

  // Rotates to a new key; returns the handover's receipt and the new key.
  std::pair<Receipt, PrivateKey> Rotate(const std::string& name) {
    auto [path, key] = NewKeyFile(name);
    absl::StatusOr<Receipt> r = ledger_->RotateOperatorKey(path, "scheduled rotation");
    EXPECT_TRUE(r.ok()) << r.status();
    return {r.ok() ? *r : Receipt{}, key};
  }

  // A refiner's lot, a handover to k1, another lot, a handover to k2, a last lot.
  struct TwoHandovers {
    Receipt h1;
    PrivateKey k1;
    Receipt h2;
    PrivateKey k2;
    Receipt last;  // of the last lot
  };
  TwoHandovers RotateTwice() {
    Identity refiner = RegisterRefiner(op(), "refiner-1");
    auto [h1, k1] = Rotate("k1");
    EXPECT_TRUE(SubmitLot(refiner, "a").ok());
    auto [h2, k2] = Rotate("k2");
    absl::StatusOr<Receipt> last = SubmitLot(refiner, "b");
    EXPECT_TRUE(last.ok()) << last.status();
    return TwoHandovers{h1, k1, h2, k2, last.value_or(Receipt{})};
  }

  [[nodiscard]] absl::StatusOr<Receipt> SubmitLot(const Identity& who, const std::string& id) {
    auto [bytes, sig] = Signed(who, LotRecord(who, id), kOrigin);
    return ledger_->Submit(bytes, sig);
  }

  Identity RegisterRefiner(const Identity& op, const std::string& id) {
    Identity who = testing::NewIdentity(id);
    auto [bytes, sig] = Signed(op, RegisterRecord(op, who, v1::ROLE_REFINER, "reg-" + id), kOrigin);
    absl::StatusOr<Receipt> r = ledger_->Submit(bytes, sig);
    EXPECT_TRUE(r.ok()) << r.status();
    return who;
  }

  NoteVerifier VerifierOf(const PrivateKey& key) const {
    return NoteVerifier::Parse(FormatVerifierKey(genesis_key().name, key.public_key())).value();
  }

  // What a client fetches to follow the log's handovers: each entry and its
  // inclusion proof at `size`.
  std::vector<HandoverProof> Handovers(uint64_t size) const {
    std::vector<HandoverProof> out;
    for (uint64_t h : ledger_->Info().key_handovers) {
      if (h >= size) continue;
      out.push_back(
          HandoverProof{h, ledger_->GetEntry(h).value(),
                        ledger_->InclusionProof(h, ledger_->GetCheckpoint(size).value()).value()});
    }
    return out;
  }

  TempDir dir_, keys_;
  std::unique_ptr<Ledger> ledger_;
  std::optional<Identity> op_holder_;
  std::optional<NoteVerifier> genesis_holder_;
};

TEST_F(KeyHandoverTest, CheckpointsAfterTheHandoverAreSignedByTheNewKeyOnly) {
  Identity refiner = RegisterRefiner(op(), "refiner-1");
  ASSERT_TRUE(SubmitLot(refiner, "before").ok());
  auto [handover, next] = Rotate("next");
  const NoteVerifier next_key = VerifierOf(next);

  // The checkpoint the handover commits in carries both signatures.
  EXPECT_TRUE(VerifyCheckpoint(handover.checkpoint, genesis_key()).ok());
  EXPECT_TRUE(VerifyCheckpoint(handover.checkpoint, next_key).ok());
  EXPECT_EQ(handover.tree_size, handover.index + 1);

  absl::StatusOr<Receipt> after = SubmitLot(refiner, "after");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(VerifyCheckpoint(after->checkpoint, next_key).ok());
  EXPECT_EQ(VerifyCheckpoint(after->checkpoint, genesis_key()).status().code(),
            Code::kPermissionDenied);

  const LogInfo info = ledger_->Info();
  EXPECT_EQ(info.verifier_key, FormatVerifierKey(next_key.name, next_key.key));
  EXPECT_THAT(info.key_handovers, ElementsAre(handover.index));
  // The key file now holds the new key; nothing is left staged.
  EXPECT_EQ(PrivateKey::LoadPemFile(KeyPath())->public_key().raw(), next.public_key().raw());
  EXPECT_FALSE(std::filesystem::exists(KeyPath() + ".next"));
  struct stat st {};
  ASSERT_EQ(::stat(KeyPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 077, 0u);

  // The handover record: signed by the old key, naming the new one.
  v1::Record r = ledger_->ReadRecord(handover.index).value();
  ASSERT_TRUE(r.has_operator_key_rotated());
  EXPECT_EQ(r.key_id(), op().key.public_key().Fingerprint());
  EXPECT_EQ(r.operator_key_rotated().new_key().ed25519(), next.public_key().raw());
  EXPECT_EQ(r.operator_key_rotated().reason(), "scheduled rotation");
}

TEST_F(KeyHandoverTest, TheRetiredKeySignsNothingMoreAndTheNewKeySignsForTheOperator) {
  auto [handover, next] = Rotate("next");
  {
    Identity who = testing::NewIdentity("late");
    auto [bytes, sig] =
        Signed(op(), RegisterRecord(op(), who, v1::ROLE_REFINER, "reg-late"), kOrigin);
    absl::StatusOr<Receipt> r = ledger_->Submit(bytes, sig);
    EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
    EXPECT_THAT(r.status().message(), HasSubstr(absl::StrCat("revoked at index ", handover.index)));
  }
  Identity op_now{"operator", next};
  Identity refiner = RegisterRefiner(op_now, "refiner-2");
  EXPECT_TRUE(SubmitLot(refiner, "lot").ok());
}

TEST_F(KeyHandoverTest, AHandoverSubmittedFromOutsideIsRefusedAndChangesNothing) {
  const uint64_t size = ledger_->Size();
  v1::Record r;
  r.set_record_id("sneaky");
  r.set_signer("operator");
  r.set_key_id(op().key.public_key().Fingerprint());
  r.set_event_time_micros(testing::NowMicros());
  r.mutable_operator_key_rotated()->mutable_new_key()->set_ed25519(
      PrivateKey::Generate()->public_key().raw());
  auto [bytes, sig] = Signed(op(), r, kOrigin);
  absl::StatusOr<Receipt> refused = ledger_->Submit(bytes, sig);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("--rotate_operator_key"));
  EXPECT_EQ(ledger_->Size(), size);
  EXPECT_TRUE(ledger_->Info().key_handovers.empty());
}

TEST_F(KeyHandoverTest, RotationRefusesAWorldReadableKeyFileAndTheKeyInForce) {
  auto [path, key] = NewKeyFile("loose");
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(ledger_->RotateOperatorKey(path, "").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(ledger_->RotateOperatorKey(KeyPath(), "").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(ledger_->RotateOperatorKey(keys_.path() + "/missing.pem", "").status().code(),
            Code::kNotFound);
  EXPECT_TRUE(ledger_->Info().key_handovers.empty());
  EXPECT_FALSE(std::filesystem::exists(KeyPath() + ".next"));
}

TEST_F(KeyHandoverTest, ReopensWithTheNewKeyAndFinishesARotationCutShortByACrash) {
  auto [first, k1] = Rotate("k1");
  ledger_.reset();
  Open();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(ledger_->verifier().key.raw(), k1.public_key().raw());

  // A crash after the second handover was durable but before its key file
  // was moved into place: the old key file and the staged new key.
  auto [second, k2] = Rotate("k2");
  ledger_.reset();
  std::filesystem::rename(KeyPath(), KeyPath() + ".next");
  ASSERT_TRUE(k1.SavePemFile(KeyPath()).ok());
  Open();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_EQ(ledger_->verifier().key.raw(), k2.public_key().raw());
  EXPECT_EQ(PrivateKey::LoadPemFile(KeyPath())->public_key().raw(), k2.public_key().raw());
  EXPECT_FALSE(std::filesystem::exists(KeyPath() + ".next"));
  EXPECT_THAT(ledger_->Info().key_handovers, ElementsAre(first.index, second.index));

  // A retired key alone is refused, naming the key the log needs.
  ledger_.reset();
  std::filesystem::remove(KeyPath());
  ASSERT_TRUE(k1.SavePemFile(KeyPath()).ok());
  LedgerOptions o;
  o.data_dir = dir_.path();
  absl::StatusOr<std::unique_ptr<Ledger>> refused = Ledger::Open(o);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(),
              HasSubstr(absl::StrCat("its checkpoint key is ", k2.public_key().Fingerprint(),
                                     " since the handover at entry ", second.index)));
}

TEST_F(KeyHandoverTest, ALogFromBeforeRotationExistedGetsItsKeyStateFromGenesis) {
  Identity refiner = RegisterRefiner(op(), "refiner-1");
  ASSERT_TRUE(SubmitLot(refiner, "a").ok());
  ledger_.reset();
  // As such a log was stored: no checkpoint key state (removed with rocksdb-tools' ldb).
  const std::string ldb =
      absl::StrCat("ldb --db=", dir_.path(), "/db --column_family=state delete ",
                   Sv(kCheckpointKeyStateKey), " >/dev/null 2>&1");
  ASSERT_EQ(std::system(ldb.c_str()), 0) << ldb;
  {
    auto store = Store::Open({.path = dir_.path() + "/db", .read_only = true}).value();
    ASSERT_FALSE(store->GetState(std::string(kCheckpointKeyStateKey)).value().has_value());
    // The audit sees the state lacks what the log produces, until the ledger opens once.
    EXPECT_EQ(AuditStore(*store, AuditOptions()).status().code(), Code::kDataLoss);
  }
  Open();
  ASSERT_NE(ledger_, nullptr);
  EXPECT_TRUE(AuditStore(ledger_->store(), AuditOptions()).ok());
  auto [handover, next] = Rotate("next");
  EXPECT_EQ(ledger_->verifier().key.raw(), next.public_key().raw());
  EXPECT_TRUE(AuditStore(ledger_->store(), AuditOptions()).ok());
}

TEST_F(KeyHandoverTest, AClientFollowsTheHandoversFromTheKeyItHolds) {
  const TwoHandovers t = RotateTwice();
  ASSERT_FALSE(HasFailure());
  const auto& [h1, k1, h2, k2, last_receipt] = t;
  const Receipt* last = &last_receipt;
  const std::vector<HandoverProof> all = Handovers(last->tree_size);
  ASSERT_EQ(all.size(), 2u);

  // From the genesis key, from the middle key and from the newest key.
  for (const NoteVerifier& known : {genesis_key(), VerifierOf(k1), VerifierOf(k2)}) {
    auto v = VerifyCheckpointWithHandovers(last->checkpoint, known, all);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_EQ(v->first.size, last->tree_size);
    EXPECT_EQ(v->second.key.raw(), k2.public_key().raw());
  }
  // A handover left out breaks the chain.
  auto skipped = VerifyCheckpointWithHandovers(last->checkpoint, genesis_key(),
                                               std::span<const HandoverProof>(all).subspan(1));
  EXPECT_EQ(skipped.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(skipped.status().message(), HasSubstr("a handover is missing"));
  auto none = VerifyCheckpointWithHandovers(last->checkpoint, genesis_key(), {});
  EXPECT_EQ(none.status().code(), Code::kPermissionDenied);

  // A forged handover: a record naming the forger's key, signed by it.
  Identity forger = testing::NewIdentity("operator");
  v1::Record r;
  r.set_record_id("forged");
  r.set_signer("operator");
  r.set_key_id(forger.key.public_key().Fingerprint());
  r.set_event_time_micros(testing::NowMicros());
  r.mutable_operator_key_rotated()->mutable_new_key()->set_ed25519(forger.key.public_key().raw());
  auto [bytes, sig] = Signed(forger, r, kOrigin);
  absl::StatusOr<NoteVerifier> forged = FollowHandover(genesis_key(), r, bytes, sig);
  EXPECT_EQ(forged.status().code(), Code::kPermissionDenied);
  // The real one, signed by the genesis key, with a flipped signature byte.
  EntryView e = DecodeEntry(all[0].entry).value();
  v1::Record real = RecordOfEntry(all[0].index, all[0].entry).value();
  std::string bad_sig(e.signature);
  bad_sig[0] ^= 1;
  EXPECT_EQ(FollowHandover(genesis_key(), real, e.record, bad_sig).status().code(),
            Code::kPermissionDenied);
  EXPECT_TRUE(FollowHandover(genesis_key(), real, e.record, e.signature).ok());

  // A wrong inclusion proof for a handover.
  std::vector<HandoverProof> tampered = all;
  tampered[1].proof[0][0] ^= 1;
  EXPECT_EQ(
      VerifyCheckpointWithHandovers(last->checkpoint, genesis_key(), tampered).status().code(),
      Code::kDataLoss);
}

TEST_F(KeyHandoverTest, TheAuditFollowsTheHandoversAndRefusesACheckpointByTheRetiredKey) {
  const TwoHandovers t = RotateTwice();
  ASSERT_FALSE(HasFailure());
  const auto& [h1, k1, h2, k2, last_receipt] = t;
  const Receipt* last = &last_receipt;

  absl::StatusOr<AuditReport> report = AuditStore(ledger_->store(), AuditOptions());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->key_handovers, ElementsAre(h1.index, h2.index));
  EXPECT_EQ(report->verifier_key, FormatVerifierKey(genesis_key().name, genesis_key().key));
  EXPECT_EQ(report->checkpoint_key, FormatVerifierKey(genesis_key().name, k2.public_key()));

  // The retired genesis key signs the latest tree: the audit names that checkpoint.
  const uint64_t size = ledger_->Size();
  const Checkpoint latest = VerifyCheckpoint(last->checkpoint, VerifierOf(k2)).value();
  const std::string forged =
      NoteSigner::Create(genesis_key().name, op().key)->Sign(latest.ToText()).value();
  ledger_.reset();
  {
    auto store = Store::Open({.path = dir_.path() + "/db"}).value();
    StoreBatch batch = store->NewBatch();
    batch.PutCheckpoint(size, forged);
    ASSERT_TRUE(store->Commit(batch).ok());
    absl::StatusOr<AuditReport> caught = AuditStore(*store, AuditOptions());
    EXPECT_EQ(caught.status().code(), Code::kDataLoss);
    EXPECT_THAT(caught.status().message(), HasSubstr(absl::StrCat("checkpoint at size ", size)));
  }
}

TEST_F(KeyHandoverTest, ATilesExportVerifiesFromTheGenesisKeyOrALaterOneAndNoOther) {
  Identity refiner = RegisterRefiner(op(), "refiner-1");
  auto [h1, k1] = Rotate("k1");
  ASSERT_TRUE(SubmitLot(refiner, "a").ok());
  const std::string out = dir_.path() + "/tiles";
  ASSERT_TRUE(ExportTiles(ledger_->store(), out).ok());

  for (const NoteVerifier& pinned : {genesis_key(), VerifierOf(k1)}) {
    absl::StatusOr<TilesVerifyReport> v = VerifyTilesDir(out, pinned);
    ASSERT_TRUE(v.ok()) << v.status();
    EXPECT_THAT(v->key_handovers, ElementsAre(h1.index));
    EXPECT_EQ(v->checkpoint_key, FormatVerifierKey(genesis_key().name, k1.public_key()));
    absl::StatusOr<MirroredExport> exp = MirrorTiles(out, pinned);
    ASSERT_TRUE(exp.ok()) << exp.status();
    absl::StatusOr<AuditReport> audit =
        AuditMirror(exp->mirror->store(), exp->note, pinned, AuditOptions());
    ASSERT_TRUE(audit.ok()) << audit.status();
    EXPECT_EQ(audit->checkpoint.size, ledger_->Size());
  }
  const NoteVerifier stranger = VerifierOf(PrivateKey::Generate().value());
  EXPECT_EQ(VerifyTilesDir(out, stranger).status().code(), Code::kPermissionDenied);
}

TEST_F(KeyHandoverTest, AWitnessFollowsTheHandoverAndKeepsTheNewKeyAcrossRestarts) {
  const std::string state = dir_.path() + "/witness.state";
  const PrivateKey witness_key = PrivateKey::Generate().value();
  auto start = [&] {
    return Witness::Create(CosignatureSigner::Create("witness.example/w", witness_key).value(),
                           {genesis_key()}, state)
        .value();
  };
  std::unique_ptr<Witness> w = start();
  const auto [before_size, before] = ledger_->LatestCheckpoint();
  ASSERT_TRUE(w->AddCheckpoint(AddCheckpointRequest{0, {}, before}).ok());

  Identity refiner = RegisterRefiner(op(), "refiner-1");
  auto [handover, next] = Rotate("next");
  ASSERT_TRUE(SubmitLot(refiner, "after").ok());
  const auto [size, note] = ledger_->LatestCheckpoint();
  const AddCheckpointRequest add{before_size, ledger_->ConsistencyProof(before_size, note).value(),
                                 note};
  EXPECT_EQ(w->AddCheckpoint(add).kind, AddCheckpointResult::Kind::kBadSignature);

  KeyHandoverRequest req{Handovers(size), note};
  // Malformed, and a handover whose proof does not match, change nothing.
  EXPECT_EQ(w->AddKeyHandover("handover 1\n").code(), Code::kInvalidArgument);
  KeyHandoverRequest bad = req;
  bad.handovers[0].proof[0][0] ^= 1;
  EXPECT_EQ(KeyHandoverHttpStatus(w->AddKeyHandover(bad.ToText())), 422);
  EXPECT_EQ(w->AddCheckpoint(add).kind, AddCheckpointResult::Kind::kBadSignature);
  // The request round-trips through its text form.
  absl::StatusOr<KeyHandoverRequest> parsed = KeyHandoverRequest::FromText(req.ToText());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->handovers[0].entry, req.handovers[0].entry);
  EXPECT_EQ(parsed->handovers[0].proof, req.handovers[0].proof);

  absl::Status followed = w->AddKeyHandover(req.ToText());
  ASSERT_TRUE(followed.ok()) << followed;
  EXPECT_TRUE(w->AddCheckpoint(add).ok());

  // Restarted with only the genesis key configured, it still holds the new key
  // and no longer takes the retired one.
  w = start();
  ASSERT_TRUE(SubmitLot(refiner, "later").ok());
  const auto [later_size, later] = ledger_->LatestCheckpoint();
  EXPECT_TRUE(w->AddCheckpoint(AddCheckpointRequest{
                                   size, ledger_->ConsistencyProof(size, later).value(), later})
                  .ok());
  const std::string by_retired_key =
      NoteSigner::Create(genesis_key().name, op().key)
          ->Sign(VerifyCheckpoint(later, VerifierOf(next)).value().ToText())
          .value();
  EXPECT_EQ(w->AddCheckpoint(AddCheckpointRequest{later_size, {}, by_retired_key}).kind,
            AddCheckpointResult::Kind::kBadSignature);
}

}  // namespace
}  // namespace touchstone
