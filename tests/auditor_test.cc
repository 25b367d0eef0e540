// Auditors who cosign (issue 16): an audit with openings re-checks the rules of
// sealed records on their opened values and cosigns only a clean log; the
// ledger keeps auditor cosignatures of configured keys, durably, and serves
// the newest checkpoint with the quorum; bundles carry it and the verifier
// checks it against pinned auditor keys (rule "auditors").
//
// The operator's log that lets a broken sealed record through is built here
// the way the audit tamper tests build one: entries copied from a real ledger
// into a mirror, then one more entry (a sealed transformation, signed by the
// refiner's real key, whose opening makes fine gold out of nothing) and a
// checkpoint over it signed with the operator's real key. Nothing in the
// product lets it through.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/ledger.h"
#include "ledger/log/audit_note.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"
#include "ledger/log_mirror.h"
#include "ledger/provenance/commitments.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using testing::LotRecord;
using testing::Signed;

// A refiner's public gold lot of 1,000,000 mg, then (in the forged tail) a
// sealed split of it.
class AuditorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions o;
    o.data_dir = dir_.path();
    std::unique_ptr<Ledger> ledger = Ledger::Open(o).value();
    const Identity op = Operator();
    auto reg =
        Signed(op, testing::RegisterRecord(op, refiner_, v1::ROLE_REFINER, "reg"), kDefaultOrigin);
    ASSERT_TRUE(ledger->Submit(reg.first, reg.second).ok());
    auto lot = Signed(refiner_, LotRecord(refiner_, "gold"), kDefaultOrigin);
    ASSERT_TRUE(ledger->Submit(lot.first, lot.second).ok());
    verifier_.emplace(ledger->verifier());
  }

  Identity Operator() const {
    return Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
  }

  // The refiner's split of its lot into `out_mg` of the same fineness, sealed:
  // the public record and its opening.
  SealedRecord SealedSplit(int64_t out_mg) const {
    v1::Record r;
    r.set_record_id("split-1");
    r.set_signer(refiner_.id);
    r.set_key_id(refiner_.key.public_key().Fingerprint());
    r.set_event_time_micros(testing::NowMicros());
    v1::Transformation* t = r.mutable_transformation();
    t->set_transformation_id("t-1");
    t->set_process(v1::PROCESS_SPLIT);
    t->set_material("gold");
    v1::LotQuantity* in = t->add_inputs();
    in->set_lot_id("lot-gold");
    in->set_quantity(1'000'000);
    v1::OutputLot* out = t->add_outputs();
    out->set_lot_id("lot-gold-split");
    out->set_form("grain");
    out->set_quantity(out_mg);
    out->set_fineness_ptt(9999);
    t->set_location("Refinery 7, Pforzheim, DE");
    return SealRecord(r, std::string(kOpeningSaltBytes, '\x5a')).value();
  }

  // The operator's log: the real ledger's entries, then `sealed` signed by the
  // refiner, under a checkpoint the operator's key signs. Its note and the index
  // of the sealed entry.
  std::pair<std::string, uint64_t> OperatorLog(const SealedRecord& sealed) {
    std::unique_ptr<Store> store = Store::Open({.path = dir_.path() + "/db"}).value();
    const uint64_t n = store->ReadTreeSize().value();
    Hash prev{};
    for (uint64_t i = 0; i < n; ++i) {
      const std::string entry = store->GetEntry(i).value();
      EXPECT_TRUE(mirror_->Append(entry).ok());
      prev = LeafHash(entry);
    }
    auto [bytes, sig] = Signed(refiner_, sealed.record, kDefaultOrigin);
    const std::string entry = EncodeEntry(n, testing::NowMicros(), prev, bytes, sig);
    EXPECT_TRUE(mirror_->Append(entry).ok());
    EXPECT_TRUE(mirror_->Flush().ok());
    const NoteSigner signer = NoteSigner::Create(kDefaultOrigin, Operator().key).value();
    const std::string note =
        signer.Sign(Checkpoint{kDefaultOrigin, n + 1, mirror_->RootAt(n + 1).value(), {}}.ToText())
            .value();
    return {note, n};
  }

  // An audit of the operator's log whose openings are `openings`.
  absl::StatusOr<AuditReport> AuditWith(const std::string& note,
                                        std::map<uint64_t, v1::Opening> openings) {
    AuditOptions options;
    options.openings = [openings](uint64_t index) -> absl::StatusOr<std::optional<v1::Opening>> {
      auto it = openings.find(index);
      if (it == openings.end()) return std::nullopt;
      return it->second;
    };
    return AuditMirror(mirror_->store(), note, *verifier_, options);
  }

  testing::TempDir dir_;
  const Identity refiner_ = testing::NewIdentity("refiner-1");
  std::optional<NoteVerifier> verifier_;
  std::unique_ptr<LogMirror> mirror_ = LogMirror::Create().value();
};

TEST_F(AuditorTest, AnAuditWithOpeningsCatchesAMassBalanceBreakInASealedRecordAndCosignsNothing) {
  // 1,500,000 mg out of 1,000,000 mg in: the public record shows no quantity at all.
  const SealedRecord forged = SealedSplit(1'500'000);
  EXPECT_EQ(forged.record.transformation().outputs(0).quantity(), 0);
  const auto [note, index] = OperatorLog(forged);

  absl::StatusOr<AuditReport> r = AuditWith(note, {{index, forged.opening}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(),
              HasSubstr("entry " + std::to_string(index) + ": breaks a rule"));
  EXPECT_THAT(r.status().message(), HasSubstr("fine"));  // the conservation of fine weight
  // Nothing to cosign: a cosignature is only ever made from a passed audit's report.
}

TEST_F(AuditorTest, ASealedRecordWithoutItsOpeningOrWithAnotherFailsTheAuditNamingIt) {
  const SealedRecord honest = SealedSplit(1'000'000);
  const auto [note, index] = OperatorLog(honest);
  absl::StatusOr<AuditReport> missing = AuditWith(note, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              HasSubstr("entry " + std::to_string(index) +
                        ": the record is sealed and its opening is missing"));
  v1::Opening other = honest.opening;
  other.set_salt(std::string(kOpeningSaltBytes, '\x00'));
  absl::StatusOr<AuditReport> lying = AuditWith(note, {{index, other}});
  ASSERT_FALSE(lying.ok());
  EXPECT_THAT(lying.status().message(), HasSubstr("does not match the record's commitment"));
}

TEST_F(AuditorTest, ACleanAuditWithOpeningsCosignsTheCheckpointItReached) {
  const SealedRecord honest = SealedSplit(1'000'000);
  const auto [note, index] = OperatorLog(honest);
  absl::StatusOr<AuditReport> r = AuditWith(note, {{index, honest.opening}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->sealed, 1u);
  EXPECT_EQ(r->checkpoint.size, index + 1);
  const CosignatureSigner auditor =
      CosignatureSigner::Create("auditor-a", PrivateKey::Generate().value()).value();
  const std::string cosigned = CosignAudit(*r, auditor, 1'800'000'000).value();
  EXPECT_THAT(CosigningAuditors(cosigned, {auditor.Verifier()}).value(), ElementsAre("auditor-a"));
  EXPECT_EQ(VerifyNote(cosigned, *verifier_).value(), ParseNote(note).value().text);
}

// The ledger's side: a running log with two configured auditors.
class AuditedLedgerTest : public ::testing::Test {
 protected:
  void Open(size_t quorum) {
    ledger_.reset();
    LedgerOptions o;
    o.data_dir = dir_.path();
    o.auditors = {a_.Verifier(), b_.Verifier()};
    o.auditor_quorum = quorum;
    ledger_ = Ledger::Open(o).value();
  }
  void SetUp() override {
    Open(0);
    const Identity op{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
    auto reg =
        Signed(op, testing::RegisterRecord(op, refiner_, v1::ROLE_REFINER, "reg"), kDefaultOrigin);
    ASSERT_TRUE(ledger_->Submit(reg.first, reg.second).ok());
    auto lot = Signed(refiner_, LotRecord(refiner_, "gold"), kDefaultOrigin);
    ASSERT_TRUE(ledger_->Submit(lot.first, lot.second).ok());
  }
  // `signer`'s cosignature of the checkpoint issued at `size`.
  std::string Cosigned(const CosignatureSigner& signer, uint64_t size) {
    const std::string note = ledger_->GetCheckpoint(size).value();
    return note + signer.SignatureLine(ParseNote(note).value().text, 1'800'000'000).value();
  }

  testing::TempDir dir_;
  const Identity refiner_ = testing::NewIdentity("refiner-1");
  const CosignatureSigner a_ =
      CosignatureSigner::Create("auditor-a", PrivateKey::Generate().value()).value();
  const CosignatureSigner b_ =
      CosignatureSigner::Create("auditor-b", PrivateKey::Generate().value()).value();
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(AuditedLedgerTest, AQuorumOfAuditorsMakesTheAuditedCheckpointKeptAcrossARestart) {
  const uint64_t size = ledger_->Size();
  absl::StatusOr<AuditCosignResult> first = ledger_->AddAuditCosignature(Cosigned(a_, size));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->added, ElementsAre("auditor-a"));
  EXPECT_EQ(first->audited_size, 0u);  // quorum: both
  EXPECT_FALSE(ledger_->LatestAudited().has_value());
  // A retry adds nothing and is fine.
  EXPECT_TRUE(ledger_->AddAuditCosignature(Cosigned(a_, size)).value().added.empty());
  absl::StatusOr<AuditCosignResult> second = ledger_->AddAuditCosignature(Cosigned(b_, size));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->auditors, ElementsAre("auditor-a", "auditor-b"));
  EXPECT_EQ(second->audited_size, size);
  const auto audited = ledger_->LatestAudited();
  ASSERT_TRUE(audited.has_value());
  EXPECT_THAT(CosigningAuditors(audited->second, {a_.Verifier(), b_.Verifier()}).value(),
              ElementsAre("auditor-a", "auditor-b"));
  Open(0);
  ASSERT_TRUE(ledger_->LatestAudited().has_value());
  EXPECT_EQ(ledger_->LatestAudited()->second, audited->second);
}

TEST_F(AuditedLedgerTest, ACosignatureByAnUnconfiguredKeyOrOfAnotherTreeIsRefused) {
  const uint64_t size = ledger_->Size();
  const CosignatureSigner stranger =
      CosignatureSigner::Create("auditor-a", PrivateKey::Generate().value()).value();
  absl::StatusOr<AuditCosignResult> r = ledger_->AddAuditCosignature(Cosigned(stranger, size));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied) << r.status();
  // A configured key's line that does not verify.
  std::string bad = Cosigned(a_, size);
  bad[bad.size() - 10] = bad[bad.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(ledger_->AddAuditCosignature(bad).status().code(), absl::StatusCode::kPermissionDenied);
  // The text of another tree at that size, cosigned by a configured key.
  const std::string other = Checkpoint{kDefaultOrigin, size, Sha256("another tree"), {}}.ToText();
  const std::string forged = other + "\n" + a_.SignatureLine(other, 1'800'000'000).value();
  EXPECT_EQ(ledger_->AddAuditCosignature(forged).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ledger_->LatestAudited().has_value());
}

TEST_F(AuditedLedgerTest, BundlesCarryTheAuditedCheckpointAndItVerifiesWithThePinnedAuditorKeys) {
  Open(1);
  const uint64_t audited = ledger_->Size();
  ASSERT_TRUE(ledger_->AddAuditCosignature(Cosigned(a_, audited)).ok());
  // More records after the audit: the bundle's checkpoint extends the audited one.
  auto lot2 = Signed(refiner_, LotRecord(refiner_, "gold-2"), kDefaultOrigin);
  ASSERT_TRUE(ledger_->Submit(lot2.first, lot2.second).ok());
  ASSERT_GT(ledger_->Size(), audited);
  // The bundle machinery is exercised on the verifier alone: a bundle of the
  // audited checkpoint and a consistency proof to the latest one.
  v1::PieceBundle bundle;
  const auto [size, note] = ledger_->LatestCheckpoint();
  bundle.set_checkpoint(note);
  bundle.set_audited_checkpoint(ledger_->LatestAudited()->second);
  const std::vector<Hash> proof = ledger_->ConsistencyProof(audited, note).value();
  for (const Hash& h : proof) {
    bundle.add_audit_consistency(h.data(), h.size());
  }
  const Checkpoint cp = ParseCheckpointNote(note).value();
  BundleReport report;
  AuditorPins pins{.keys = {a_.Verifier()}, .quorum = 0, .required = true};
  const absl::Status ok =
      bundle::CheckAuditedCheckpoint(bundle, ledger_->verifier(), cp, pins, &report);
  ASSERT_TRUE(ok.ok()) << ok;
  EXPECT_THAT(report.auditors, ElementsAre("auditor-a"));
  EXPECT_EQ(report.audited_size, audited);
  EXPECT_EQ(AuditorsText(report.auditors, report.audited_size),
            "mass balance and custody re-checked by auditor auditor-a through entry " +
                std::to_string(audited - 1));
  // Another pinned key (not the one that cosigned): refused for rule "auditors".
  AuditorPins other{.keys = {b_.Verifier()}, .quorum = 0, .required = false};
  absl::Status s = bundle::CheckAuditedCheckpoint(bundle, ledger_->verifier(), cp, other, &report);
  EXPECT_EQ(rule::RuleOf(s), rule::kAuditors);
  // An altered cosignature: refused for rule "auditors".
  std::string altered = bundle.audited_checkpoint();
  altered[altered.size() - 10] = altered[altered.size() - 10] == 'A' ? 'B' : 'A';
  bundle.set_audited_checkpoint(altered);
  s = bundle::CheckAuditedCheckpoint(bundle, ledger_->verifier(), cp, pins, &report);
  EXPECT_EQ(rule::RuleOf(s), rule::kAuditors) << s;
  // A consistency proof that does not lead to the bundle's checkpoint.
  bundle.set_audited_checkpoint(ledger_->LatestAudited()->second);
  bundle.mutable_audit_consistency(0)->assign(32, '\x01');
  s = bundle::CheckAuditedCheckpoint(bundle, ledger_->verifier(), cp, pins, &report);
  EXPECT_EQ(rule::RuleOf(s), rule::kAuditors) << s;
}

}  // namespace
}  // namespace touchstone
