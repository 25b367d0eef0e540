// Bundles the ledger would never build, made with a log the test controls
// (tests/support/fake_log.h): every entry is perfectly proven under a checkpoint the
// verifier trusts, so each refusal here is for what the records say: a key
// revoked before it signed, a claim the inputs do not support, a grading report
// contradicting the stone's origin, a custody gap, a certificate revoked before
// use, a role the signer lacks, a record dated past the log policy's bound, an
// import the policy does not allow, a certificate expired when a record was
// recorded, a signature without the log's origin or for another log. Also
// witness cosignatures and quorums.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/log/cosignature.h"
#include "ledger/provenance/log_policy.h"
#include "tests/support/fake_log.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using testing::FakeLog;
using ::testing::HasSubstr;
using testing::Identity;
using testing::NewIdentity;
using Code = absl::StatusCode;

// A jeweler makes a ring from one gold lot a refiner made and shipped to it.
class ForgeryTest : public ::testing::Test {
 protected:
  ForgeryTest() {
    log_.Register(refiner_, {v1::ROLE_REFINER, v1::ROLE_MINER});
    log_.Register(jeweler_, {v1::ROLE_JEWELER});
  }

  static v1::Record GoldLotRecord(const std::string& id, v1::OriginClass origin,
                                  std::vector<std::string> certificates = {}) {
    v1::Record r;
    auto* l = r.mutable_lot_created();
    l->set_lot_id(id);
    l->set_material("gold");
    l->set_form("grain");
    l->set_origin_class(origin);
    l->set_quantity(10000);
    l->set_unit(v1::UNIT_MILLIGRAM);
    l->set_fineness_ppt(999);
    l->set_facility("refinery");
    for (const std::string& c : certificates) l->add_certificate_ids(c);
    return r;
  }
  uint64_t GoldLot(const std::string& id, v1::OriginClass origin,
                   std::vector<std::string> certificates = {}) {
    return log_.Append(refiner_, GoldLotRecord(id, origin, std::move(certificates)));
  }
  void Ship(const Identity& from, const Identity& to, const std::string& lot) {
    v1::Record s;
    s.mutable_custody_shipped()->set_shipment_id("shp-" + lot);
    s.mutable_custody_shipped()->set_lot_id(lot);
    s.mutable_custody_shipped()->set_to_participant(to.id);
    log_.Append(from, s);
    v1::Record r;
    r.mutable_custody_received()->set_shipment_id("shp-" + lot);
    r.mutable_custody_received()->set_lot_id(lot);
    log_.Append(to, r);
  }
  static v1::Record PieceRecord(const std::vector<std::string>& stones, const std::string& metal,
                                std::vector<v1::Claim> claims) {
    v1::Record r;
    auto* p = r.mutable_piece_registered();
    p->set_piece_id("RING-F");
    p->set_description("a ring");
    for (const std::string& s : stones) p->add_stone_lot_ids(s);
    if (!metal.empty()) {
      auto* m = p->add_metal_inputs();
      m->set_lot_id(metal);
      m->set_quantity(3000);
    }
    for (v1::Claim c : claims) p->add_claims(c);
    return r;
  }
  uint64_t Piece(const std::vector<std::string>& stones, const std::string& metal,
                 std::vector<v1::Claim> claims, const PrivateKey* key = nullptr) {
    return log_.Append(jeweler_, PieceRecord(stones, metal, std::move(claims)), key);
  }
  // A certificate about the refiner, valid from the epoch until `until`.
  void SchemeCertificate(const std::string& id, int64_t until) {
    const Identity scheme = NewIdentity("scheme");
    log_.Register(scheme, {v1::ROLE_CERTIFIER});
    v1::Record cert;
    cert.mutable_certificate_issued()->set_certificate_id(id);
    cert.mutable_certificate_issued()->set_scheme("rjc-coc");
    cert.mutable_certificate_issued()->set_subject_participant(refiner_.id);
    cert.mutable_certificate_issued()->set_valid_from_micros(1);
    cert.mutable_certificate_issued()->set_valid_until_micros(until);
    log_.Append(scheme, cert);
  }
  [[nodiscard]] absl::StatusOr<BundleReport> Verify(const std::vector<NoteVerifier>& witnesses = {},
                                                    size_t quorum = 0,
                                                    std::vector<std::string> lines = {}) {
    return VerifyPieceBundle(log_.Bundle("RING-F", {}, lines), log_.verifier(), witnesses, quorum);
  }
  void ExpectRefused(Code code, const std::string& message) {
    absl::StatusOr<BundleReport> r = Verify();
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(message));
  }

  FakeLog log_;
  Identity refiner_ = NewIdentity("refiner"), jeweler_ = NewIdentity("jeweler");
};

TEST_F(ForgeryTest, TheControlStoryVerifies) {
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {v1::CLAIM_RECYCLED_METAL});
  absl::StatusOr<BundleReport> r = Verify();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->origin, FakeLog::kOrigin);
  EXPECT_THAT(r->derived_claims, ElementsAre(v1::CLAIM_RECYCLED_METAL));  // no certificate
  EXPECT_EQ(r->timeline.size(), log_.size());
}

TEST_F(ForgeryTest, ARecordSignedWithAKeyRevokedBeforeItIsRefused) {
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Ship(refiner_, jeweler_, "gold-1");
  const PrivateKey second = PrivateKey::Generate().value();
  v1::Record add;
  add.mutable_key_added()->set_participant_id(jeweler_.id);
  add.mutable_key_added()->mutable_key()->set_ed25519(second.public_key().raw());
  log_.Append(jeweler_, add);
  v1::Record revoke;
  revoke.mutable_key_revoked()->set_participant_id(jeweler_.id);
  revoke.mutable_key_revoked()->set_key_id(jeweler_.key.public_key().Fingerprint());
  revoke.mutable_key_revoked()->set_reason("laptop stolen");
  const uint64_t revoked = log_.Append(log_.op(), revoke);
  FakeLog control = log_;
  const uint64_t piece = Piece({}, "gold-1", {v1::CLAIM_RECYCLED_METAL});  // the old key
  ExpectRefused(Code::kPermissionDenied,
                "entry " + std::to_string(piece) + " (piece_registered) is signed with key " +
                    jeweler_.key.public_key().Fingerprint() + " of 'jeweler', revoked at entry " +
                    std::to_string(revoked));
  log_ = control;  // the same piece signed with the key added before the revocation
  Piece({}, "gold-1", {v1::CLAIM_RECYCLED_METAL}, &second);
  EXPECT_TRUE(Verify().ok()) << Verify().status();
}

TEST_F(ForgeryTest, ARecordSignedWithAKeyTheOperatorAddedIsFlaggedNotHidden) {
  // The operator may add a key to any participant and then sign as it: the
  // bundle verifies (the operator may), but the timeline says whose word it is.
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Ship(refiner_, jeweler_, "gold-1");
  const PrivateKey added = PrivateKey::Generate().value();
  v1::Record add;
  add.mutable_key_added()->set_participant_id(jeweler_.id);
  add.mutable_key_added()->mutable_key()->set_ed25519(added.public_key().raw());
  const uint64_t added_at = log_.Append(log_.op(), add);
  const uint64_t piece = Piece({}, "gold-1", {v1::CLAIM_RECYCLED_METAL}, &added);
  absl::StatusOr<BundleReport> r = Verify();
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string flag = "signed with key " + added.public_key().Fingerprint() +
                           ", which 'operator' added for 'jeweler' at entry " +
                           std::to_string(added_at);
  EXPECT_EQ(r->timeline.at(piece).key_added_by_other, flag);
  EXPECT_THAT(r->warnings, ::testing::Contains("entry " + std::to_string(piece) + " is " + flag +
                                               ": it is theirs only on that word"));
  // No record signed with a key its own signer registered is flagged.
  for (const TimelineEntry& t : r->timeline) {
    if (t.index != piece) {
      EXPECT_EQ(t.key_added_by_other, "") << t.index;
    }
  }
}

TEST_F(ForgeryTest, AClaimTheRecordsDoNotSupportIsRefused) {
  GoldLot("mined", v1::ORIGIN_CLASS_MINED);
  GoldLot("recycled", v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER, {});
  v1::Record merge;  // recycled and mined gold make a mixed lot
  auto* t = merge.mutable_transformation();
  t->set_transformation_id("merge");
  t->set_process(v1::PROCESS_MERGE);
  t->set_material("gold");
  for (const char* in : {"mined", "recycled"}) {
    t->add_inputs()->set_lot_id(in);
    t->mutable_inputs()->rbegin()->set_quantity(10000);
  }
  auto* out = t->add_outputs();
  out->set_lot_id("mix");
  out->set_quantity(20000);
  out->set_fineness_ppt(999);
  log_.Append(refiner_, merge);
  Ship(refiner_, jeweler_, "mix");
  const uint64_t piece = Piece({}, "mix", {v1::CLAIM_RECYCLED_METAL});
  ExpectRefused(Code::kFailedPrecondition,
                "claim rule: entry " + std::to_string(piece) +
                    " (piece_registered) asserts CLAIM_RECYCLED_METAL, which its records do not "
                    "support: lot 'mix' is ORIGIN_CLASS_MIXED");
}

TEST_F(ForgeryTest, ACertifiedChainNeedsACertificateAllTheWayBack) {
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {v1::CLAIM_CERTIFIED_CHAIN});
  ExpectRefused(Code::kFailedPrecondition, "lot 'gold-1' is not certified all the way back");
}

TEST_F(ForgeryTest, AStoneIsWhatItsRecordsSayNotWhatItsReportOrClaimSays) {
  const Identity lab = NewIdentity("lab");
  log_.Register(lab, {v1::ROLE_CERTIFIER});
  v1::Record stone;
  auto* l = stone.mutable_lot_created();
  l->set_lot_id("stone-1");
  l->set_material("diamond");
  l->set_form("polished");
  l->set_origin_class(v1::ORIGIN_CLASS_MINED);
  l->set_quantity(500);
  l->set_unit(v1::UNIT_CARAT_THOUSANDTH);
  l->set_fineness_ppt(1000);
  log_.Append(refiner_, stone);
  v1::Record report;
  auto* c = report.mutable_certificate_issued();
  c->set_certificate_id("report-1");
  c->set_scheme("grading-report");
  c->set_subject_lot("stone-1");
  c->set_valid_from_micros(1);
  c->mutable_grading_report()->set_report_number("R1");
  c->mutable_grading_report()->set_origin(v1::STONE_ORIGIN_NATURAL);
  c->mutable_grading_report()->set_carats_thousandths(500);
  FakeLog natural = log_;
  c->mutable_grading_report()->set_origin(v1::STONE_ORIGIN_LAB_GROWN);
  const uint64_t lying = log_.Append(lab, report);
  Ship(refiner_, jeweler_, "stone-1");
  Piece({"stone-1"}, "", {});
  ExpectRefused(Code::kFailedPrecondition,
                "origin rule: entry " + std::to_string(lying) +
                    " (certificate_issued) calls lot 'stone-1' STONE_ORIGIN_LAB_GROWN");
  log_ = natural;  // an honest report, but the piece claims lab-grown
  c->mutable_grading_report()->set_origin(v1::STONE_ORIGIN_NATURAL);
  log_.Append(lab, report);
  Ship(refiner_, jeweler_, "stone-1");
  Piece({"stone-1"}, "", {v1::CLAIM_LAB_GROWN_DIAMONDS});
  ExpectRefused(Code::kFailedPrecondition, "stone 'stone-1' is STONE_ORIGIN_NATURAL");
}

TEST_F(ForgeryTest, CustodyPassesOnlyFromCustodianToCustodian) {
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);  // never shipped
  Piece({}, "gold-1", {});
  ExpectRefused(Code::kFailedPrecondition, "custody rule");
}

TEST_F(ForgeryTest, ACertificateRevokedBeforeItWasUsedIsRefused) {
  const Identity scheme = NewIdentity("scheme");
  log_.Register(scheme, {v1::ROLE_CERTIFIER});
  v1::Record cert;
  cert.mutable_certificate_issued()->set_certificate_id("coc-1");
  cert.mutable_certificate_issued()->set_scheme("rjc-coc");
  cert.mutable_certificate_issued()->set_subject_participant(refiner_.id);
  cert.mutable_certificate_issued()->set_valid_from_micros(1);
  log_.Append(scheme, cert);
  v1::Record revoke;
  revoke.mutable_certificate_status_changed()->set_certificate_id("coc-1");
  revoke.mutable_certificate_status_changed()->set_status(v1::CERTIFICATE_STATUS_REVOKED);
  revoke.mutable_certificate_status_changed()->set_effective_micros(2);
  log_.Append(scheme, revoke);
  const uint64_t lot = GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, {"coc-1"});
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {});
  ExpectRefused(Code::kFailedPrecondition,
                "certificate rule: entry " + std::to_string(lot) +
                    " (lot_created) relies on certificate 'coc-1', revoked at its event time");
}

TEST_F(ForgeryTest, ARoleTheSignerLacksIsRefused) {
  v1::Record r;
  r.mutable_lot_created()->set_lot_id("grown");
  r.mutable_lot_created()->set_origin_class(v1::ORIGIN_CLASS_LAB_GROWN);
  const uint64_t grown = log_.Append(refiner_, r);  // a refiner is no grower
  Piece({}, "", {});
  ExpectRefused(Code::kPermissionDenied, "entry " + std::to_string(grown) +
                                             " (lot_created): 'refiner' does not hold the role "
                                             "it needs (ROLE_GROWER)");
}

// ---------------------------------------------------------------- the log policy's rules

constexpr int64_t kDay = 24 * 3600 * int64_t{1'000'000};

TEST_F(ForgeryTest, TheTimelineShowsWhenEachRecordWasRecorded) {
  log_.AdvanceClock(10 * kDay);
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Ship(refiner_, jeweler_, "gold-1");
  log_.AppendForged(jeweler_, PieceRecord({}, "gold-1", {}),
                    {.event_time = log_.now() + 1000 - 2 * kDay});  // two days back: within
  absl::StatusOr<BundleReport> r = Verify();
  ASSERT_TRUE(r.ok()) << r.status();
  const TimelineEntry& piece = r->timeline.back();
  EXPECT_EQ(piece.recorded_at_micros, log_.now());
  EXPECT_EQ(piece.recorded_at_micros - piece.event_time_micros, 2 * kDay);
  EXPECT_EQ(piece.recorded_late, "");
  EXPECT_EQ(r->timeline.front().recorded_at_micros, r->timeline.front().event_time_micros);
}

TEST_F(ForgeryTest, ARecordDatedFurtherBackThanThePolicyAllowsIsRefused) {
  log_.AdvanceClock(10 * kDay);
  const uint64_t lot =
      log_.AppendForged(refiner_, GoldLotRecord("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER),
                        {.event_time = log_.now() + 1000 - 4 * kDay});
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {});
  ExpectRefused(
      Code::kFailedPrecondition,
      "entry " + std::to_string(lot) + " (lot_created): backdating rule: the record's event time");
  ExpectRefused(Code::kFailedPrecondition, "is 4 days before the log records it");
}

TEST_F(ForgeryTest, AnImportOfHistoryPassesOnlyWhereThePolicyAllowsIt) {
  log_.AdvanceClock(60 * kDay);
  FakeLog allowing = log_;
  v1::LogPolicy imports = FakeLog::DefaultPolicy();
  imports.set_history_import_allowed(true);
  allowing.AppendPolicy(imports);
  v1::Record old = GoldLotRecord("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  old.set_history_import(true);
  const uint64_t lot =
      log_.AppendForged(refiner_, old, {.event_time = log_.now() + 1000 - 40 * kDay});
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {});
  ExpectRefused(Code::kFailedPrecondition,
                "entry " + std::to_string(lot) +
                    " (lot_created): history import rule: the record is marked history_import");
  // The same record under a policy allowing imports verifies, marked in the timeline.
  log_ = allowing;
  const uint64_t imported =
      log_.AppendForged(refiner_, old, {.event_time = log_.now() + 1000 - 40 * kDay});
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {});
  absl::StatusOr<BundleReport> r = Verify();
  ASSERT_TRUE(r.ok()) << r.status();
  for (const TimelineEntry& t : r->timeline) {
    EXPECT_EQ(t.recorded_late.empty(), t.index != imported) << t.index;
    if (t.index == imported) {
      EXPECT_EQ(t.recorded_late, "recorded 40 days after its event time (an import of history)");
    }
  }
}

TEST_F(ForgeryTest, ACertificateExpiredWhenTheRecordWasRecordedIsRefused) {
  log_.AdvanceClock(kDay);
  // Expires 30 s before the lot is recorded; the lot claims an event time 45 s back.
  SchemeCertificate("coc-1", log_.now() + 3000 - 30'000'000);
  const uint64_t lot = log_.AppendForged(
      refiner_, GoldLotRecord("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, {"coc-1"}),
      {.event_time = log_.now() + 1000 - 45'000'000});
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {});
  ExpectRefused(Code::kFailedPrecondition,
                "certificate rule: entry " + std::to_string(lot) +
                    " (lot_created) relies on certificate 'coc-1', expired when appended");
}

TEST_F(ForgeryTest, ARecordSignedWithoutTheOriginOrForAnotherLogIsRefused) {
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Ship(refiner_, jeweler_, "gold-1");
  FakeLog control = log_;
  const uint64_t legacy = log_.AppendForged(jeweler_, PieceRecord({}, "gold-1", {}),
                                            {.signature_version = kLegacyRecordSignatures});
  ExpectRefused(Code::kPermissionDenied,
                "entry " + std::to_string(legacy) +
                    " (piece_registered): the signature is not by key " +
                    jeweler_.key.public_key().Fingerprint() +
                    " of 'jeweler' for log 'fake.test/log': it is signed in the legacy form");
  log_ = control;
  log_.AppendForged(jeweler_, PieceRecord({}, "gold-1", {}), {.origin = "staging.test/log"});
  ExpectRefused(Code::kPermissionDenied,
                "of 'jeweler' for log 'fake.test/log' (a record signed "
                "for another log");
  log_ = control;
  Piece({}, "gold-1", {});
  EXPECT_TRUE(Verify().ok()) << Verify().status();
}

// A log made before LogPolicy: legacy signatures until its first policy entry,
// origin-bound ones from that entry on, no backdating bound before it.
TEST(LegacyLogForgeryTest, LegacyEntriesVerifyAndThePolicyEntryTakesEffectFromItself) {
  FakeLog log(std::nullopt);
  const Identity refiner = NewIdentity("refiner"), jeweler = NewIdentity("jeweler"),
                 scheme = NewIdentity("scheme");
  log.Register(refiner, {v1::ROLE_REFINER});
  log.Register(jeweler, {v1::ROLE_JEWELER});
  log.Register(scheme, {v1::ROLE_CERTIFIER});
  log.AdvanceClock(60 * kDay);
  v1::Record cert;
  cert.mutable_certificate_issued()->set_certificate_id("coc-1");
  cert.mutable_certificate_issued()->set_scheme("rjc-coc");
  cert.mutable_certificate_issued()->set_subject_participant(refiner.id);
  cert.mutable_certificate_issued()->set_valid_from_micros(1);
  cert.mutable_certificate_issued()->set_valid_until_micros(log.now() + 2000 - 30'000'000);
  log.Append(scheme, cert);
  v1::Record lot;
  auto* l = lot.mutable_lot_created();
  l->set_lot_id("gold-1");
  l->set_material("gold");
  l->set_origin_class(v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  l->set_quantity(10000);
  l->set_unit(v1::UNIT_MILLIGRAM);
  l->set_fineness_ppt(999);
  l->add_certificate_ids("coc-1");
  // Before any policy: 45 s back, relying on a certificate expired when recorded,
  // passes as it did then; so does a record 40 days back, marked as recorded late.
  log.AppendForged(refiner, lot, {.event_time = log.now() + 1000 - 45'000'000});
  v1::Record ship;
  ship.mutable_custody_shipped()->set_shipment_id("s1");
  ship.mutable_custody_shipped()->set_lot_id("gold-1");
  ship.mutable_custody_shipped()->set_to_participant(jeweler.id);
  const uint64_t old =
      log.AppendForged(refiner, ship, {.event_time = log.now() + 1000 - 40 * kDay});
  v1::Record receive;
  receive.mutable_custody_received()->set_shipment_id("s1");
  receive.mutable_custody_received()->set_lot_id("gold-1");
  log.Append(jeweler, receive);
  FakeLog before_policy = log;
  const uint64_t policy = log.AppendPolicy(FakeLog::DefaultPolicy());
  v1::Record piece;
  piece.mutable_piece_registered()->set_piece_id("RING-L");
  piece.mutable_piece_registered()->set_description("a ring");
  piece.mutable_piece_registered()->add_metal_inputs()->set_lot_id("gold-1");
  piece.mutable_piece_registered()->mutable_metal_inputs(0)->set_quantity(3000);
  FakeLog at_policy = log;
  log.Append(jeweler, piece);
  absl::StatusOr<BundleReport> r = VerifyPieceBundle(log.Bundle("RING-L"), log.verifier());
  ASSERT_TRUE(r.ok()) << r.status();
  for (const TimelineEntry& t : r->timeline) {
    if (t.index == old) {
      EXPECT_EQ(t.recorded_late,
                "recorded 40 days after its event time (before the log had a backdating bound)");
    } else {
      EXPECT_EQ(t.recorded_late, "") << t.index;
    }
  }
  EXPECT_THAT(r->timeline[policy].description,
              HasSubstr("sets the log's policy: record signatures bind the log's origin; a record "
                        "may be dated at most 3 days before it is recorded"));
  // After the policy entry a legacy signature is refused ...
  log = at_policy;
  log.AppendForged(jeweler, piece, {.signature_version = kLegacyRecordSignatures});
  absl::StatusOr<BundleReport> refused = VerifyPieceBundle(log.Bundle("RING-L"), log.verifier());
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("signed in the legacy form"));
  // ... and before it an origin-bound one.
  log = before_policy;
  log.AppendForged(jeweler, piece, {.signature_version = kOriginBoundRecordSignatures});
  refused = VerifyPieceBundle(log.Bundle("RING-L"), log.verifier());
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("it is an origin-bound signature"));
}

TEST_F(ForgeryTest, WitnessCosignaturesCountTowardsAQuorum) {
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {});
  const PrivateKey k1 = PrivateKey::Generate().value(), k2 = PrivateKey::Generate().value();
  const NoteVerifier w1 =
      ParseCosignatureVerifier(FormatCosignatureVerifierKey("witness.one", k1.public_key()))
          .value();
  const NoteVerifier w2 =
      ParseCosignatureVerifier(FormatCosignatureVerifierKey("witness.two", k2.public_key()))
          .value();
  const std::string text = ParseNote(log_.Checkpoint()).value().text;
  const std::string line1 = CosignatureLine("witness.one", k1, 1700000000, text).value();
  // Cosigned by witness one: a quorum of one of {one, two} holds, of two does not.
  absl::StatusOr<BundleReport> r = Verify({w1, w2}, 1, {line1});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->witness_cosignatures, 1u);
  r = Verify({w1, w2}, 2, {line1});
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("cosigned by 1 of the 2 witnesses"));
  EXPECT_EQ(Verify({w2}, 1, {line1}).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(Verify({w1}, 2, {line1}).status().code(), Code::kInvalidArgument);
  // Both witnesses; a line repeated counts once; a forged line is refused.
  const std::string line2 = CosignatureLine("witness.two", k2, 1700000001, text).value();
  EXPECT_EQ(Verify({w1, w2}, 2, {line1, line2, line1})->witness_cosignatures, 2u);
  // One witness listed twice is one witness (found by fuzz/fuzz_cosignature.cc): it
  // cannot make a quorum of two, and its cosignature counts once.
  r = Verify({w1, w1}, 2, {line1});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("a quorum of 2 needs at least 2 distinct witness keys; 1 given"));
  EXPECT_EQ(Verify({w1, w1, w2}, 1, {line1})->witness_cosignatures, 1u);
  const std::string forged =
      CosignatureLine("witness.two", k2, 1700000001, "another checkpoint\n").value();
  r = Verify({w1, w2}, 1, {line1, forged});
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  // A witness key is a cosignature/v1 key (type 0x04), not a note key.
  EXPECT_FALSE(ParseCosignatureVerifier(log_.verifier().name + "+" + "00000000+AAAA").ok());
  EXPECT_EQ(ParseCosignatureVerifier(FormatVerifierKey("w", k1.public_key())).status().code(),
            Code::kInvalidArgument);
}

// A witness is its key: the same key configured under a second name (so with a
// second key ID, and a second line on the note) is still one witness, and its two
// lines do not make a quorum of two.
TEST_F(ForgeryTest, OneWitnessKeyUnderTwoNamesCountsOnce) {
  GoldLot("gold-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Ship(refiner_, jeweler_, "gold-1");
  Piece({}, "gold-1", {});
  const PrivateKey k1 = PrivateKey::Generate().value(), k2 = PrivateKey::Generate().value();
  const auto witness = [](std::string_view name, const PrivateKey& k) {
    return ParseCosignatureVerifier(FormatCosignatureVerifierKey(name, k.public_key())).value();
  };
  const NoteVerifier w1 = witness("witness.one", k1), alias = witness("witness.alias", k1);
  const NoteVerifier w2 = witness("witness.two", k2);
  ASSERT_NE(w1.key_id, alias.key_id);
  const std::string note = log_.Checkpoint();
  const std::string text = ParseNote(note).value().text;
  const std::string line1 = CosignatureLine("witness.one", k1, 1700000000, text).value();
  const std::string line_alias = CosignatureLine("witness.alias", k1, 1700000001, text).value();
  const std::string line2 = CosignatureLine("witness.two", k2, 1700000002, text).value();
  EXPECT_EQ(CountWitnessKeys({w1, alias}), 1u);
  EXPECT_EQ(CountWitnessKeys({w1, alias, w2}), 2u);
  EXPECT_EQ(CountCosignatures(note + line1 + line_alias, {w1, alias}).value(), 1u);
  EXPECT_EQ(CountCosignatures(note + line1 + line_alias + line2, {w1, alias, w2}).value(), 2u);
  // Each line of the key is still checked: a bad one under the alias is refused.
  const std::string forged =
      CosignatureLine("witness.alias", k1, 1700000001, "another checkpoint\n").value();
  EXPECT_EQ(CountCosignatures(note + line1 + forged, {w1, alias}).status().code(),
            Code::kPermissionDenied);
  // The bundle verifier: a quorum of two over one key is not possible, and one
  // key's two lines with a third witness silent is one cosignature of two needed.
  absl::StatusOr<BundleReport> r = Verify({w1, alias}, 2, {line1, line_alias});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("2 distinct witness keys; 1 given"));
  r = Verify({w1, alias, w2}, 2, {line1, line_alias});
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("cosigned by 1 of the 2 witnesses"));
  r = Verify({w1, alias, w2}, 2, {line1, line_alias, line2});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->witness_cosignatures, 2u);
}

}  // namespace
}  // namespace touchstone
