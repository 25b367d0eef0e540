// Tests of the ledger's append path: genesis, receipts, rules on signers,
// idempotent retries, refusals that change nothing, and concurrency.
#include "ledger/ledger.h"

#include <sys/stat.h>

#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/log_policy.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

// The origin of the test log, which record signatures bind.
constexpr char kOrigin[] = "test.example/ledger";

using ::testing::HasSubstr;
using testing::Identity;
using testing::LotRecord;
using testing::RegisterRecord;
using testing::Signed;
using testing::TempDir;

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions o;
    o.data_dir = dir_.path();
    o.origin = kOrigin;
    ledger_ = Ledger::Open(o).value();
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
  }

  // Registers a participant with one role and returns it.
  Identity Register(const std::string& id, v1::Role role = v1::ROLE_REFINER) {
    Identity who = testing::NewIdentity(id);
    auto [bytes, sig] = Signed(op_, RegisterRecord(op_, who, role, "reg-" + id), kOrigin);
    EXPECT_TRUE(ledger_->Submit(bytes, sig).ok());
    return who;
  }

  // Checks a receipt as a client would: signed checkpoint, inclusion proof of
  // the stored entry, and that the entry holds exactly the submitted record.
  void ExpectReceiptVerifies(const Receipt& r, const std::string& record) {
    auto cp = VerifyCheckpoint(r.checkpoint, ledger_->verifier());
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_EQ(cp->size, r.tree_size);
    std::string entry = ledger_->GetEntry(r.index).value();
    EXPECT_EQ(LeafHash(entry), r.leaf_hash);
    EXPECT_TRUE(
        VerifyInclusion(r.index, r.tree_size, r.leaf_hash, r.inclusion_proof, cp->root).ok());
    EntryView v = DecodeEntry(entry).value();
    EXPECT_EQ(v.record, record);
    EXPECT_EQ(v.index, r.index);
  }

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  Identity op_{"", PrivateKey::Generate().value()};
};

TEST_F(LedgerTest, NewLogHasGenesisUnderASignedCheckpoint) {
  EXPECT_EQ(ledger_->Size(), 1u);
  auto [size, note] = ledger_->LatestCheckpoint();
  EXPECT_EQ(size, 1u);
  auto cp = VerifyCheckpoint(note, ledger_->verifier());
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->origin, "test.example/ledger");
  std::string entry = ledger_->GetEntry(0).value();
  EXPECT_EQ(cp->root, LeafHash(entry));
  EntryView v = DecodeEntry(entry).value();
  EXPECT_EQ(v.prev_leaf_hash, Hash{});
  v1::Record genesis;
  ASSERT_TRUE(genesis.ParseFromArray(v.record.data(), v.record.size()));
  ASSERT_TRUE(genesis.has_genesis());
  EXPECT_EQ(genesis.genesis().operator_().keys(0).ed25519(), op_.key.public_key().raw());
  // The genesis carries the log's policy and is signed in its origin-bound form.
  ASSERT_TRUE(genesis.genesis().has_policy());
  EXPECT_EQ(genesis.genesis().policy().record_signature_version(), kOriginBoundRecordSignatures);
  EXPECT_EQ(genesis.genesis().policy().max_backdate_micros(), kDefaultMaxBackdateMicros);
  EXPECT_FALSE(genesis.genesis().policy().history_import_allowed());
  EXPECT_TRUE(op_.key.public_key().Verify(
      RecordSigningMessage(kOriginBoundRecordSignatures, kOrigin, v.record), v.signature));
  EXPECT_FALSE(op_.key.public_key().Verify(
      RecordSigningMessage(kLegacyRecordSignatures, kOrigin, v.record), v.signature));
}

TEST_F(LedgerTest, RegisteredParticipantGetsAVerifiableReceipt) {
  Identity refiner = Register("refiner-1");
  auto [bytes, sig] = Signed(refiner, LotRecord(refiner, "lot-1"), kOrigin);
  auto r = ledger_->Submit(bytes, sig);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->index, 2u);
  EXPECT_FALSE(r->duplicate);
  ExpectReceiptVerifies(*r, bytes);
}

TEST_F(LedgerTest, SameSignedBytesAgainReturnTheOriginalReceipt) {
  Identity refiner = Register("refiner-1");
  auto [bytes, sig] = Signed(refiner, LotRecord(refiner, "lot-1"), kOrigin);
  auto first = ledger_->Submit(bytes, sig).value();
  auto second = ledger_->Submit(bytes, sig);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->index, first.index);
  EXPECT_EQ(second->leaf_hash, first.leaf_hash);
  EXPECT_EQ(ledger_->Size(), 3u);
  ExpectReceiptVerifies(*second, bytes);
}

TEST_F(LedgerTest, OtherBytesUnderAUsedRecordIdAreAlreadyExists) {
  Identity refiner = Register("refiner-1");
  const auto first = Signed(refiner, LotRecord(refiner, "lot-1"), kOrigin);
  ASSERT_TRUE(ledger_->Submit(first.first, first.second).ok());
  v1::Record other = LotRecord(refiner, "lot-1");
  other.mutable_lot_created()->set_quantity(5);
  auto [bytes, sig] = Signed(refiner, other, kOrigin);
  auto r = ledger_->Submit(bytes, sig);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(r.status().message(), HasSubstr("lot-1"));
  EXPECT_EQ(ledger_->Size(), 3u);
}

TEST_F(LedgerTest, DuplicatesInsideOneBatchAppendOnce) {
  Identity refiner = Register("refiner-1");
  auto a = Signed(refiner, LotRecord(refiner, "lot-a"), kOrigin);
  v1::Record conflicting = LotRecord(refiner, "lot-a");
  conflicting.mutable_lot_created()->set_note("different bytes");
  auto results = ledger_->SubmitBatch({a, a, Signed(refiner, conflicting, kOrigin)}).value();
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_TRUE(results[1]->duplicate);
  EXPECT_EQ(results[1]->index, results[0]->index);
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ledger_->Size(), 3u);
}

TEST_F(LedgerTest, RefusalsAreNamedPreciselyAndAppendNothing) {
  Identity refiner = Register("refiner-1");
  const uint64_t size = ledger_->Size();
  const auto checkpoint = ledger_->LatestCheckpoint();
  auto good = Signed(refiner, LotRecord(refiner, "lot-1"), kOrigin);

  struct Case {
    std::string name;
    std::string record, signature;
    absl::StatusCode code;
    std::string message;
  };
  Identity stranger = testing::NewIdentity("stranger");
  std::string flipped_sig = good.second;
  flipped_sig[5] ^= 1;
  std::string flipped_record = good.first;
  flipped_record.back() ^= 1;
  v1::Record no_body = LotRecord(refiner, "x");
  no_body.clear_lot_created();
  v1::Record bad_key_id = LotRecord(refiner, "x");
  bad_key_id.set_key_id("0011223344556677");
  v1::Record huge = LotRecord(refiner, "huge");
  huge.mutable_lot_created()->set_note(std::string(70 * 1024, 'x'));
  v1::Record reg_by_refiner = RegisterRecord(refiner, stranger, v1::ROLE_JEWELER, "r");
  const auto stranger_lot = Signed(stranger, LotRecord(stranger, "s"), kOrigin);
  v1::Record genesis = LotRecord(op_, "g");
  genesis.mutable_genesis()->set_origin("x");

  std::vector<Case> cases = {
      {"bad signature", good.first, flipped_sig, absl::StatusCode::kInvalidArgument,
       "bad signature"},
      {"altered record", flipped_record, good.second, absl::StatusCode::kInvalidArgument, ""},
      {"short signature", good.first, "abc", absl::StatusCode::kInvalidArgument, "64 bytes"},
      {"garbage bytes", "\xff\xff\xff", good.second, absl::StatusCode::kInvalidArgument,
       "non-canonical encoding: Record: a field key is truncated"},
      {"empty record", "", good.second, absl::StatusCode::kInvalidArgument, "empty"},
      {"unknown signer", stranger_lot.first, stranger_lot.second, absl::StatusCode::kNotFound,
       "unknown signer"},
      {"unknown key", Signed(refiner, bad_key_id, kOrigin).first,
       Signed(refiner, bad_key_id, kOrigin).second, absl::StatusCode::kNotFound, "unknown key"},
      {"no body", Signed(refiner, no_body, kOrigin).first, Signed(refiner, no_body, kOrigin).second,
       absl::StatusCode::kInvalidArgument, "no body"},
      {"oversized", Signed(refiner, huge, kOrigin).first, Signed(refiner, huge, kOrigin).second,
       absl::StatusCode::kInvalidArgument, "limit"},
      {"non-operator registers", Signed(refiner, reg_by_refiner, kOrigin).first,
       Signed(refiner, reg_by_refiner, kOrigin).second, absl::StatusCode::kPermissionDenied,
       "only the operator"},
      {"second genesis", Signed(op_, genesis, kOrigin).first, Signed(op_, genesis, kOrigin).second,
       absl::StatusCode::kInvalidArgument, "genesis"},
  };
  for (const Case& c : cases) {
    auto r = ledger_->Submit(c.record, c.signature);
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr(c.message)) << c.name;
  }
  EXPECT_EQ(ledger_->Size(), size);
  EXPECT_EQ(ledger_->LatestCheckpoint(), checkpoint);
}

TEST_F(LedgerTest, RevokedKeyCanNoLongerSignButAnAddedKeyCan) {
  Identity refiner = Register("refiner-1");
  Identity second{"refiner-1", PrivateKey::Generate().value()};
  v1::Record add;
  add.set_record_id("add-key");
  add.set_signer("refiner-1");
  add.set_key_id(refiner.key.public_key().Fingerprint());
  add.set_event_time_micros(testing::NowMicros());
  add.mutable_key_added()->set_participant_id("refiner-1");
  add.mutable_key_added()->mutable_key()->set_ed25519(second.key.public_key().raw());
  auto [ab, as] = Signed(refiner, add, kOrigin);
  ASSERT_TRUE(ledger_->Submit(ab, as).ok());

  v1::Record revoke;
  revoke.set_record_id("revoke-old");
  revoke.set_signer("refiner-1");
  revoke.set_key_id(second.key.public_key().Fingerprint());
  revoke.set_event_time_micros(testing::NowMicros());
  revoke.mutable_key_revoked()->set_participant_id("refiner-1");
  revoke.mutable_key_revoked()->set_key_id(refiner.key.public_key().Fingerprint());
  auto [rb, rs] = Signed(second, revoke, kOrigin);
  ASSERT_TRUE(ledger_->Submit(rb, rs).ok());

  const uint64_t size = ledger_->Size();
  auto [lb, ls] = Signed(refiner, LotRecord(refiner, "after-revoke"), kOrigin);
  auto refused = ledger_->Submit(lb, ls);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("revoked"));
  EXPECT_EQ(ledger_->Size(), size);

  auto [nb, ns] = Signed(second, LotRecord(second, "with-new-key"), kOrigin);
  EXPECT_TRUE(ledger_->Submit(nb, ns).ok());
}

TEST_F(LedgerTest, ParticipantCannotBeRegisteredTwice) {
  Register("refiner-1");
  Identity again = testing::NewIdentity("refiner-1");
  auto [b, s] = Signed(op_, RegisterRecord(op_, again, v1::ROLE_REFINER, "reg-again"), kOrigin);
  auto r = ledger_->Submit(b, s);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(LedgerTest, ConcurrentSubmittersEachAppearExactlyOnceWithDenseIndices) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 150;
  std::vector<Identity> who;
  for (int t = 0; t < 4; ++t) who.push_back(Register("refiner-" + std::to_string(t)));
  const uint64_t base = ledger_->Size();
  std::vector<std::vector<std::pair<std::string, Receipt>>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Identity& me = who[t % who.size()];
      for (int i = 0; i < kPerThread; ++i) {
        auto [b, s] =
            Signed(me, LotRecord(me, "t" + std::to_string(t) + "-" + std::to_string(i)), kOrigin);
        auto r = ledger_->Submit(b, s);
        ASSERT_TRUE(r.ok()) << r.status();
        got[t].emplace_back(b, *r);
      }
    });
  }
  for (auto& th : threads) th.join();

  std::set<uint64_t> indices;
  for (const auto& per : got) {
    for (const auto& [bytes, receipt] : per) {
      EXPECT_TRUE(indices.insert(receipt.index).second) << "index " << receipt.index << " twice";
      ExpectReceiptVerifies(receipt, bytes);
    }
  }
  const uint64_t n = uint64_t{kThreads} * kPerThread;
  ASSERT_EQ(indices.size(), n);
  EXPECT_EQ(*indices.begin(), base);
  EXPECT_EQ(*indices.rbegin(), base + n - 1);
  EXPECT_EQ(ledger_->Size(), base + n);

  // The chain: every entry names its predecessor's leaf hash.
  Hash prev{};
  ASSERT_TRUE(ledger_
                  ->ScanEntries(0, ledger_->Size(),
                                [&](uint64_t i, std::string_view e) {
                                  EntryView v = DecodeEntry(e).value();
                                  EXPECT_EQ(v.index, i);
                                  EXPECT_EQ(v.prev_leaf_hash, prev) << "chain broken at " << i;
                                  prev = LeafHash(e);
                                  return absl::OkStatus();
                                })
                  .ok());
}

TEST_F(LedgerTest, EveryCheckpointIsConsistentWithTheLatest) {
  Identity refiner = Register("refiner-1");
  for (int i = 0; i < 20; ++i) {
    auto [b, s] = Signed(refiner, LotRecord(refiner, "lot-" + std::to_string(i)), kOrigin);
    ASSERT_TRUE(ledger_->Submit(b, s).ok());
  }
  auto [size, note] = ledger_->LatestCheckpoint();
  Checkpoint latest = VerifyCheckpoint(note, ledger_->verifier()).value();
  int checked = 0;
  ASSERT_TRUE(ledger_->store()
                  .ScanCheckpoints([&](uint64_t s, std::string_view n) {
                    Checkpoint old = VerifyCheckpoint(n, ledger_->verifier()).value();
                    EXPECT_EQ(old.size, s);
                    auto proof = ledger_->ConsistencyProof(s, note).value();
                    EXPECT_TRUE(VerifyConsistency(s, size, old.root, latest.root, proof).ok()) << s;
                    ++checked;
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(checked, 22);  // genesis, registration, 20 lots: one checkpoint per commit
}

TEST_F(LedgerTest, ReadsOutsideTheLogAreOutOfRange) {
  EXPECT_EQ(ledger_->GetEntry(1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ledger_->GetCheckpoint(2).status().code(), absl::StatusCode::kOutOfRange);
  const std::string note = ledger_->LatestCheckpoint().second;  // size 1
  EXPECT_EQ(ledger_->InclusionProof(1, note).status().code(), absl::StatusCode::kOutOfRange);
  // A checkpoint of a size the log has not reached.
  const Checkpoint beyond{
      .origin = "test.example/ledger", .size = 5, .root = Hash{}, .extensions = {}};
  EXPECT_EQ(ledger_->ConsistencyProof(1, ledger_->signer()->Sign(beyond.ToText()).value())
                .status()
                .code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ledger_->ConsistencyProof(0, note).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger_->InclusionProof(0, "not a note").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger_->FindLeaf(Hash{}).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LedgerTest, BatchOverTheLimitIsRefusedWhole) {
  Identity refiner = Register("refiner-1");
  std::vector<std::pair<std::string, std::string>> many;
  for (size_t i = 0; i <= ledger_->options().max_batch; ++i) {
    many.push_back(Signed(refiner, LotRecord(refiner, "b" + std::to_string(i)), kOrigin));
  }
  const uint64_t size = ledger_->Size();
  EXPECT_EQ(ledger_->SubmitBatch(many).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ledger_->Size(), size);
  many.pop_back();
  auto results = ledger_->SubmitBatch(many).value();
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    EXPECT_EQ(results[i]->index, size + i);  // a batch keeps its order
  }
}

TEST_F(LedgerTest, ARecordIdIsNeverAppendedTwiceAcrossReopens) {
  Identity refiner = Register("refiner-1");
  const auto first = Signed(refiner, LotRecord(refiner, "lot-1"), kOrigin);
  const Receipt original = ledger_->Submit(first.first, first.second).value();
  v1::Record other = LotRecord(refiner, "lot-1");
  other.mutable_lot_created()->set_note("other bytes, same record id");
  const auto changed = Signed(refiner, other, kOrigin);
  // The same participant may reuse nobody's id but its own: another signer's "lot-1" is new.
  Identity second = Register("refiner-2");
  v1::Record theirs = LotRecord(second, "lot-1");
  theirs.mutable_lot_created()->set_lot_id("lot-of-refiner-2");
  const auto other_signer = Signed(second, theirs, kOrigin);
  for (int reopen = 0; reopen < 2; ++reopen) {
    ledger_.reset();
    LedgerOptions o;
    o.data_dir = dir_.path();
    ledger_ = Ledger::Open(o).value();
    const uint64_t size = ledger_->Size();
    auto again = ledger_->Submit(first.first, first.second);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->duplicate);
    EXPECT_EQ(again->index, original.index);
    EXPECT_EQ(again->leaf_hash, original.leaf_hash);
    auto refused = ledger_->Submit(changed.first, changed.second);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_THAT(refused.status().message(),
                HasSubstr(absl::StrCat("already used by entry ", original.index)));
    auto in_batch = ledger_->SubmitBatch({first, changed}).value();
    ASSERT_TRUE(in_batch[0].ok()) << in_batch[0].status();
    EXPECT_EQ(in_batch[0]->index, original.index);
    EXPECT_EQ(in_batch[1].status().code(), absl::StatusCode::kAlreadyExists);
    EXPECT_EQ(ledger_->Size(), size);
    auto theirs_receipt = ledger_->Submit(other_signer.first, other_signer.second);
    ASSERT_TRUE(theirs_receipt.ok()) << theirs_receipt.status();
    EXPECT_EQ(theirs_receipt->duplicate, reopen > 0);
  }
  // Exactly one entry holds refiner-1's lot-1.
  int holding = 0;
  ASSERT_TRUE(ledger_
                  ->ScanEntries(0, ledger_->Size(),
                                [&](uint64_t, std::string_view bytes) {
                                  v1::Record r;
                                  const EntryView v = DecodeEntry(bytes).value();
                                  r.ParseFromArray(v.record.data(), v.record.size());
                                  if (r.signer() == "refiner-1" && r.record_id() == "lot-1") {
                                    ++holding;
                                  }
                                  return absl::OkStatus();
                                })
                  .ok());
  EXPECT_EQ(holding, 1);
}

TEST_F(LedgerTest, AnOperatorKeyFileOthersCanReadIsRefused) {
  ledger_.reset();
  const std::string key = dir_.path() + "/operator.pem";
  ASSERT_EQ(::chmod(key.c_str(), 0644), 0);
  LedgerOptions o;
  o.data_dir = dir_.path();
  auto refused = Ledger::Open(o);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("has mode 0644"));
  ASSERT_EQ(::chmod(key.c_str(), 0400), 0);
  EXPECT_TRUE(Ledger::Open(o).ok());
}

TEST_F(LedgerTest, TooLittleFreeSpaceRefusesAppendsWithResourceExhaustedAndChangesNothing) {
  Identity refiner = Register("refiner-1");
  const auto checkpoint = ledger_->LatestCheckpoint();
  ledger_.reset();
  LedgerOptions o;
  o.data_dir = dir_.path();
  o.min_free_bytes = uint64_t{1} << 62;  // more than any disk has
  ledger_ = Ledger::Open(o).value();
  auto [bytes, sig] = Signed(refiner, LotRecord(refiner, "lot-1"), kOrigin);
  for (int i = 0; i < 2; ++i) {
    auto r = ledger_->Submit(bytes, sig);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(r.status().message(), HasSubstr("nothing was appended"));
    EXPECT_THAT(r.status().message(), HasSubstr("disk full: "));
    EXPECT_EQ(ledger_->LatestCheckpoint(), checkpoint);
  }
  EXPECT_TRUE(ledger_->GetEntry(checkpoint.first - 1).ok());
  ledger_.reset();
  o.min_free_bytes = 0;
  ledger_ = Ledger::Open(o).value();
  auto r = ledger_->Submit(bytes, sig);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->index, checkpoint.first);
}

}  // namespace
}  // namespace touchstone
