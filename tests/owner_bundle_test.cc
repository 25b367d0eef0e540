// The bundle verifier re-checks owners and heirlooms (issue 15) from the
// bundle alone, with logs the test controls (tests/support/fake_log.h): an
// honest story verifies (a bracelet sold to an owner key, accepted, given to
// a second key, brought back as an heirloom intake that closes it, cast into
// a ring that claims the owner's gold, sold to the same key, reported lost by
// the insurer, recovered and given on), and the report and timeline tell it
// with key ids only. Forged bundles, every record signed with the real keys
// and proven under a real checkpoint, are refused for the rule they break
// (rule::RuleOf): a transfer signed by a key that is not the owner's, a stolen
// piece transferred, a gap in the ownership chain, an ownership record left
// out of the bundle, a passkey assertion over the wrong challenge, a sale
// recorded by the jeweler once the owner holds the piece, an heirloom claim of
// more gold than the intake held after losses, an output stating more of the
// owner's gold than the loss leaves, an intake its owner did not co-sign, an
// intake co-signed by a key that was not the old piece's owner, and a record
// about a repurposed piece.
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/provenance/heirloom.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/owner_signature.h"
#include "tests/support/fake_log.h"

namespace touchstone {
namespace {

using testing::FakeLog;
using ::testing::HasSubstr;
using testing::Identity;
using testing::NewIdentity;
using Code = absl::StatusCode;

v1::LogPolicy TradePolicy() {
  v1::LogPolicy p = FakeLog::DefaultPolicy();
  p.set_rules_version(kTradeRulesVersion);
  return p;
}

constexpr int64_t kHeirloomMetalMg = 11'800;
constexpr int32_t kHeirloomPtt = 5850;
constexpr int64_t kRingMg = 11'700;
// The cast loses 100 mg of 585 gold: 585'000 fine units.
constexpr int64_t kCastLoss = 100 * kHeirloomPtt;
constexpr int64_t kRingFine = kRingMg * kHeirloomPtt;

// A passkey for tests: a P-256 key that signs WebAuthn assertions.
class TestPasskey {
 public:
  TestPasskey() : key_(EVP_EC_gen("P-256")) {}
  ~TestPasskey() { EVP_PKEY_free(key_); }
  TestPasskey(const TestPasskey&) = delete;
  TestPasskey& operator=(const TestPasskey&) = delete;

  v1::OwnerKey Key() const {
    v1::OwnerKey k;
    unsigned char point[kP256PointSize];
    size_t n = 0;
    EVP_PKEY_get_octet_string_param(key_, "encoded-pub-key", point, sizeof point, &n);
    k.mutable_webauthn()->set_p256(std::string(reinterpret_cast<char*>(point), n));
    k.mutable_webauthn()->set_rp_id("localhost");
    k.mutable_webauthn()->set_credential_id("credential-1");
    return k;
  }

  // An assertion over `challenge` (the right one: WebAuthnChallenge(message)).
  v1::OwnerSignature Sign(const std::string& challenge) const {
    v1::OwnerSignature s;
    s.set_key_id(OwnerKeyId(Key()));
    unsigned char rp[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>("localhost"), 9, rp);
    std::string auth(reinterpret_cast<char*>(rp), sizeof rp);
    auth += std::string("\x01\x00\x00\x00\x01", 5);  // UP, sign count 1
    std::string b64;
    absl::WebSafeBase64Escape(challenge, &b64);
    const std::string client = absl::StrCat(R"({"type":"webauthn.get","challenge":")", b64,
                                            R"(","origin":"http://localhost:8080"})");
    unsigned char ch[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(client.data()), client.size(), ch);
    const std::string signed_data = auth + std::string(reinterpret_cast<char*>(ch), sizeof ch);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signed_data.data()),
                   signed_data.size());
    std::string der(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &len,
                   reinterpret_cast<const unsigned char*>(signed_data.data()), signed_data.size());
    EVP_MD_CTX_free(ctx);
    der.resize(len);
    s.set_signature(der);
    s.set_authenticator_data(auth);
    s.set_client_data_json(client);
    return s;
  }

 private:
  EVP_PKEY* key_;
};

class OwnerBundleTest : public ::testing::Test {
 protected:
  OwnerBundleTest()
      : log_(TradePolicy()),
        jeweler_(NewIdentity("jeweler")),
        insurer_(NewIdentity("insurer")),
        a_(PrivateKey::Generate().value()),
        b_(PrivateKey::Generate().value()),
        c_(PrivateKey::Generate().value()),
        r_(PrivateKey::Generate().value()),
        x_(PrivateKey::Generate().value()) {
    log_.Register(jeweler_, {v1::ROLE_JEWELER, v1::ROLE_REFINER});
    log_.Register(insurer_, {v1::ROLE_CERTIFIER});
  }

  static v1::OwnerKey Key(const PrivateKey& k) { return Ed25519OwnerKey(k.public_key()); }
  static std::string Id(const PrivateKey& k) { return OwnerKeyId(Key(k)); }

  uint64_t Jeweler(v1::Record r, const PrivateKey* cosigner = nullptr) {
    return log_.AppendForged(jeweler_, std::move(r), FakeLog::Forge{.owner = cosigner});
  }
  // A record signed by owner key `k` alone.
  uint64_t Owner(v1::Record r, const PrivateKey& k) {
    return log_.AppendForged(log_.op(), std::move(r),
                             FakeLog::Forge{.owner = &k, .owner_only = true});
  }

  uint64_t Sell(const std::string& piece, const v1::OwnerKey& buyer) {
    v1::Record r;
    r.mutable_piece_lifecycle()->set_piece_id(piece);
    r.mutable_piece_lifecycle()->set_event(v1::PIECE_EVENT_SOLD);
    *r.mutable_piece_lifecycle()->mutable_buyer() = buyer;
    return Jeweler(r);
  }
  static v1::Record Accepted(const std::string& piece, uint64_t prev, v1::OwnerTerms terms = {}) {
    v1::Record r;
    r.mutable_ownership_accepted()->set_piece_id(piece);
    r.mutable_ownership_accepted()->set_prev_index(prev);
    *r.mutable_ownership_accepted()->mutable_terms() = std::move(terms);
    return r;
  }
  static v1::Record Transferred(const std::string& piece, uint64_t prev, const v1::OwnerKey& to) {
    v1::Record r;
    r.mutable_ownership_transferred()->set_piece_id(piece);
    r.mutable_ownership_transferred()->set_prev_index(prev);
    *r.mutable_ownership_transferred()->mutable_new_owner() = to;
    return r;
  }
  static v1::Record Report(const std::string& piece, uint64_t prev, v1::PieceEvent e) {
    v1::Record r;
    r.mutable_owner_report()->set_piece_id(piece);
    r.mutable_owner_report()->set_prev_index(prev);
    r.mutable_owner_report()->set_event(e);
    r.mutable_owner_report()->set_note("taken from a hotel room");
    return r;
  }
  v1::OwnerTerms Terms(bool recovery_key) const {
    v1::OwnerTerms t;
    if (recovery_key) *t.mutable_recovery_key() = Key(r_);
    t.set_recovery_agent(jeweler_.id);
    t.set_insurer(insurer_.id);
    return t;
  }

  // BRACELET-1, 14k gold, sold to key A, accepted, given to key B, accepted.
  void Bracelet() {
    v1::Record lot;
    auto* l = lot.mutable_lot_created();
    l->set_lot_id("gold-b");
    l->set_material("gold");
    l->set_form("grain");
    l->set_origin_class(v1::ORIGIN_CLASS_MINED);
    l->set_quantity(12'000);
    l->set_unit(v1::UNIT_MILLIGRAM);
    l->set_fineness_ptt(kHeirloomPtt);
    l->set_facility("workshop");
    gold_b_ = Jeweler(lot);
    v1::Record p;
    p.mutable_piece_registered()->set_piece_id("BRACELET-1");
    p.mutable_piece_registered()->set_description("14k yellow gold curb bracelet, 19 cm");
    auto* m = p.mutable_piece_registered()->add_metal_inputs();
    m->set_lot_id("gold-b");
    m->set_quantity(12'000);
    Jeweler(p);
    sold_ = Sell("BRACELET-1", Key(a_));
    accepted_a_ = Owner(Accepted("BRACELET-1", sold_, Terms(false)), a_);
    given_ = Owner(Transferred("BRACELET-1", accepted_a_, Key(b_)), a_);
    accepted_b_ = Owner(Accepted("BRACELET-1", given_, Terms(false)), b_);
  }

  static v1::Record IntakeRecord(const v1::OwnerKey& owner) {
    v1::Record r;
    auto* h = r.mutable_heirloom_received();
    h->set_intake_id("intake-1");
    h->set_description("14k yellow gold curb bracelet, 19 cm");
    h->add_photo_sha256(std::string(32, '\x5a'));
    h->set_gross_weight_mg(12'400);
    h->set_lot_id("heir-1");
    h->set_material("gold");
    h->set_metal_mg(kHeirloomMetalMg);
    h->set_fineness_ptt(kHeirloomPtt);
    h->set_assay_method(v1::ASSAY_METHOD_FIRE_ASSAY);
    *h->mutable_owner() = owner;
    h->set_repurposed_piece_id("BRACELET-1");
    return r;
  }
  // The cast of the owner's gold into ring gold, stating `heirloom_fine`.
  static v1::Record Cast(int64_t heirloom_fine) {
    v1::Record r;
    auto* t = r.mutable_transformation();
    t->set_transformation_id("cast-1");
    t->set_process(v1::PROCESS_CAST);
    t->set_material("gold");
    t->set_location("workshop");
    auto* in = t->add_inputs();
    in->set_lot_id("heir-1");
    in->set_quantity(kHeirloomMetalMg);
    auto* out = t->add_outputs();
    out->set_lot_id("ring-gold");
    out->set_form("casting");
    out->set_quantity(kRingMg);
    out->set_fineness_ptt(kHeirloomPtt);
    out->set_heirloom_fine(heirloom_fine);
    t->set_declared_loss_fine_ptt(kCastLoss);
    return r;
  }
  v1::Record Ring(int64_t owner_fine) const {
    v1::Record r;
    auto* p = r.mutable_piece_registered();
    p->set_piece_id("HEIRLOOM-RING-1");
    p->set_description("14k yellow gold signet ring");
    auto* m = p->add_metal_inputs();
    m->set_lot_id("ring-gold");
    m->set_quantity(kRingMg);
    auto* c = p->mutable_heirloom();
    c->set_owner_key_id(Id(b_));
    c->set_material("gold");
    c->set_owner_fine(owner_fine);
    c->set_material_fine(kRingFine);
    c->add_intake_ids("intake-1");
    return r;
  }

  // The whole honest story (see the file comment).
  void Story() {
    Bracelet();
    intake_ = Jeweler(IntakeRecord(Key(b_)), &b_);
    Jeweler(Cast(kRingFine));
    Jeweler(Ring(kRingFine));
    ring_sold_ = Sell("HEIRLOOM-RING-1", Key(b_));
    ring_accepted_ = Owner(Accepted("HEIRLOOM-RING-1", ring_sold_, Terms(true)), b_);
    lost_ = log_.Append(insurer_, Report("HEIRLOOM-RING-1", ring_accepted_, v1::PIECE_EVENT_LOST));
    recovered_ = Owner(Report("HEIRLOOM-RING-1", lost_, v1::PIECE_EVENT_RECOVERED), b_);
    ring_given_ = Owner(Transferred("HEIRLOOM-RING-1", recovered_, Key(c_)), b_);
  }

  // Every index but the bracelet's gold, which only the bracelet's bundle holds.
  std::set<uint64_t> RingIndices(std::set<uint64_t> left_out = {}) const {
    std::set<uint64_t> out;
    for (uint64_t i = 0; i < log_.size(); ++i) {
      if (i != gold_b_ && !left_out.count(i)) out.insert(i);
    }
    return out;
  }

  absl::StatusOr<BundleReport> Verify(const std::string& piece, std::set<uint64_t> indices) {
    return VerifyPieceBundle(log_.Bundle(piece, std::move(indices)), log_.verifier());
  }
  void ExpectRefused(const std::string& piece, std::set<uint64_t> indices, std::string_view rule,
                     Code code, const std::string& message) {
    absl::StatusOr<BundleReport> r = Verify(piece, std::move(indices));
    ASSERT_FALSE(r.ok()) << "verified, but should break " << rule;
    EXPECT_EQ(rule::RuleOf(r.status()), rule) << r.status();
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(message));
  }

  FakeLog log_;
  Identity jeweler_, insurer_;
  PrivateKey a_, b_, c_, r_, x_;  // owner keys; r_ a recovery key; x_ nobody's
  uint64_t gold_b_ = 0, sold_ = 0, accepted_a_ = 0, given_ = 0, accepted_b_ = 0, intake_ = 0;
  uint64_t ring_sold_ = 0, ring_accepted_ = 0, lost_ = 0, recovered_ = 0, ring_given_ = 0;
};

TEST_F(OwnerBundleTest, TheHeirloomRingsStoryVerifiesAndIsToldWithKeyIdsOnly) {
  Story();
  absl::StatusOr<BundleReport> r = Verify("HEIRLOOM-RING-1", RingIndices());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->owner.has_value());
  EXPECT_EQ(r->owner->key_id, Id(c_));
  EXPECT_EQ(r->owner->kind, "ed25519");
  EXPECT_FALSE(r->owner->accepted);  // key C has not taken ownership yet
  EXPECT_EQ(r->owner->status, "none");
  EXPECT_EQ(r->owner->insurer, "");  // a transfer clears the terms
  EXPECT_EQ(r->owner->since_index, ring_given_);
  EXPECT_EQ(r->heirloom.owner_key_id(), Id(b_));
  EXPECT_EQ(r->heirloom.owner_fine(), kRingFine);
  EXPECT_EQ(r->heirloom_text, HeirloomClaimText(r->heirloom));
  ASSERT_EQ(r->intakes.size(), 1u);
  const IntakeStory& in = r->intakes[0];
  EXPECT_EQ(in.intake_id, "intake-1");
  EXPECT_EQ(in.gross_weight_mg, 12'400);
  EXPECT_EQ(in.metal_mg, kHeirloomMetalMg);
  EXPECT_EQ(in.fineness_ptt, kHeirloomPtt);
  EXPECT_EQ(in.assay_method, "fire assay");
  EXPECT_EQ(in.photo_sha256_hex.at(0), absl::BytesToHexString(std::string(32, '\x5a')));
  EXPECT_EQ(in.owner_key_id, Id(b_));
  EXPECT_EQ(in.repurposed_piece_id, "BRACELET-1");
  EXPECT_EQ(in.repurposed_piece_description, "14k yellow gold curb bracelet, 19 cm");
  auto at = [&](uint64_t index) -> const TimelineEntry& {
    for (const TimelineEntry& t : r->timeline) {
      if (t.index == index) return t;
    }
    ADD_FAILURE() << "no entry " << index;
    return r->timeline.at(0);
  };
  auto line = [&](uint64_t index) { return at(index).description; };
  EXPECT_EQ(line(ring_sold_),
            absl::StrCat("records piece HEIRLOOM-RING-1 sold to owner key ", Id(b_), " (ed25519)"));
  EXPECT_EQ(line(ring_accepted_),
            absl::StrCat("owner key ", Id(b_),
                         " takes ownership of piece HEIRLOOM-RING-1; recovery: key ", Id(r_),
                         ", Legal name of jeweler (jeweler); insurer: Legal name of insurer "
                         "(insurer)"));
  EXPECT_EQ(line(lost_),
            "the insurer Legal name of insurer (insurer) reports piece HEIRLOOM-RING-1 lost: "
            "taken from a hotel room");
  EXPECT_EQ(line(ring_given_),
            absl::StrCat("the owner (owner key ", Id(b_), ") gives piece HEIRLOOM-RING-1 to key ",
                         Id(c_), " (ed25519)"));
  EXPECT_EQ(line(intake_),
            absl::StrCat("receives the owner's 14k yellow gold curb bracelet, 19 cm for "
                         "repurposing (intake intake-1): 12.400 g gross, 11.800 g metal, gold "
                         "585 (14k) by fire assay; 1 photo kept by the jeweler; becomes lot "
                         "heir-1; owner key ",
                         Id(b_),
                         " co-signs; closes piece BRACELET-1 (14k yellow gold curb bracelet, 19 "
                         "cm)"));
  EXPECT_EQ(at(ring_accepted_).signer, "");  // an owner is never a participant
}

TEST_F(OwnerBundleTest, TheRepurposedBraceletsBundleShowsTheIntakeThatClosedIt) {
  Story();
  absl::StatusOr<BundleReport> r =
      Verify("BRACELET-1",
             {0, 1, 2, gold_b_, gold_b_ + 1, sold_, accepted_a_, given_, accepted_b_, intake_});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->repurposed_index, intake_);
  EXPECT_EQ(r->repurposed_intake, "intake-1");
  ASSERT_TRUE(r->owner.has_value());
  EXPECT_EQ(r->owner->key_id, Id(b_));
  EXPECT_TRUE(r->owner->accepted);
  EXPECT_EQ(r->owner->recovery_agent, "jeweler");
  EXPECT_EQ(r->owner->insurer, "insurer");
}

TEST_F(OwnerBundleTest, ATransferSignedByAKeyThatIsNotTheOwnersIsRefused) {
  Bracelet();
  Owner(Transferred("BRACELET-1", accepted_b_, Key(x_)), x_);
  ExpectRefused("BRACELET-1", {}, rule::kOwner, Code::kPermissionDenied,
                absl::StrCat("owner rule: entry ", log_.size() - 1,
                             " (ownership_transferred): a transfer: owner signature"));
}

TEST_F(OwnerBundleTest, AStolenPieceIsNotTransferred) {
  Bracelet();
  const uint64_t stolen = Owner(Report("BRACELET-1", accepted_b_, v1::PIECE_EVENT_STOLEN), b_);
  Owner(Transferred("BRACELET-1", stolen, Key(c_)), b_);
  ExpectRefused("BRACELET-1", {}, rule::kOwner, Code::kFailedPrecondition,
                "piece BRACELET-1 is reported stolen: it cannot be transferred");
}

TEST_F(OwnerBundleTest, AGapInTheOwnershipChainIsRefused) {
  Bracelet();
  // Key B names the sale as the newest ownership record, skipping the transfer to it.
  Owner(Report("BRACELET-1", sold_, v1::PIECE_EVENT_LOST), b_);
  ExpectRefused("BRACELET-1", {}, rule::kOwner, Code::kFailedPrecondition,
                absl::StrCat("says prev_index ", sold_,
                             "; that is not the piece's newest ownership record ", accepted_b_));
}

TEST_F(OwnerBundleTest, AnOwnershipRecordLeftOutOfTheBundleIsRefused) {
  Bracelet();
  std::set<uint64_t> all;
  for (uint64_t i = 0; i < log_.size(); ++i) all.insert(i);
  ASSERT_TRUE(Verify("BRACELET-1", all).ok());
  all.erase(given_);  // key B's acceptance then names a record the bundle does not hold
  ExpectRefused("BRACELET-1", all, rule::kOwner, Code::kFailedPrecondition,
                absl::StrCat("the ownership record at entry ", given_,
                             " is missing (a bundle carries the whole chain)"));
}

TEST_F(OwnerBundleTest, APasskeyAssertionOverTheWrongChallengeIsRefused) {
  const TestPasskey passkey;
  Bracelet();
  const uint64_t to_passkey = Owner(Transferred("BRACELET-1", accepted_b_, passkey.Key()), b_);
  FakeLog before = log_;
  // The right challenge: SHA-256 of the owner signing message.
  log_.AppendForged(log_.op(), Accepted("BRACELET-1", to_passkey),
                    FakeLog::Forge{.owner_only = true, .owner_signer = [&](const std::string& m) {
                                     return passkey.Sign(WebAuthnChallenge(m));
                                   }});
  absl::StatusOr<BundleReport> ok = Verify("BRACELET-1", {});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->owner->kind, "passkey");
  EXPECT_TRUE(ok->owner->accepted);
  log_ = before;
  log_.AppendForged(log_.op(), Accepted("BRACELET-1", to_passkey),
                    FakeLog::Forge{.owner_only = true, .owner_signer = [&](const std::string&) {
                                     return passkey.Sign(WebAuthnChallenge("another message"));
                                   }});
  ExpectRefused("BRACELET-1", {}, rule::kOwner, Code::kPermissionDenied, "challenge");
}

TEST_F(OwnerBundleTest, TheJewelerRecordsOnlyRepairsOnceAnOwnerKeyHoldsThePiece) {
  Bracelet();
  FakeLog before = log_;
  Sell("BRACELET-1", Key(x_));
  ExpectRefused("BRACELET-1", {}, rule::kOwner, Code::kFailedPrecondition,
                absl::StrCat("belongs to owner key ", Id(b_), ": only its owner records"));
  // A repair the owner co-signs is the jeweler's to record.
  log_ = before;
  v1::Record repair;
  repair.mutable_piece_lifecycle()->set_piece_id("BRACELET-1");
  repair.mutable_piece_lifecycle()->set_event(v1::PIECE_EVENT_REPAIRED);
  Jeweler(repair, &b_);
  absl::StatusOr<BundleReport> r = Verify("BRACELET-1", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->timeline.back().description,
              HasSubstr(absl::StrCat("owner key ", Id(b_), " co-signs")));
  // Co-signed by a key that is not the owner's, it is refused.
  log_ = before;
  Jeweler(repair, &x_);
  ExpectRefused("BRACELET-1", {}, rule::kOwner, Code::kPermissionDenied, "the repair");
}

TEST_F(OwnerBundleTest, AnHeirloomClaimOfMoreGoldThanTheIntakeHeldAfterLossesIsRefused) {
  Bracelet();
  Jeweler(IntakeRecord(Key(b_)), &b_);
  FakeLog before = log_;
  // The ring claims the intake's whole fine gold, as if the cast lost none of it.
  Jeweler(Cast(kRingFine));
  Jeweler(Ring(kHeirloomMetalMg * kHeirloomPtt));
  ExpectRefused("HEIRLOOM-RING-1", RingIndices(), rule::kHeirloom, Code::kFailedPrecondition,
                "heirloom rule");
  // The cast states the owner's gold before the loss.
  log_ = before;
  Jeweler(Cast(kHeirloomMetalMg * kHeirloomPtt));
  Jeweler(Ring(kRingFine));
  ExpectRefused("HEIRLOOM-RING-1", RingIndices(), rule::kHeirloom, Code::kFailedPrecondition,
                "heirloom rule");
}

TEST_F(OwnerBundleTest, AnIntakeItsOwnerDidNotCoSignIsRefused) {
  Bracelet();
  FakeLog before = log_;
  const uint64_t intake = Jeweler(IntakeRecord(Key(b_)));  // no owner signature
  Jeweler(Cast(kRingFine));
  Jeweler(Ring(kRingFine));
  ExpectRefused("HEIRLOOM-RING-1", RingIndices(), rule::kHeirloom, Code::kPermissionDenied,
                absl::StrCat("heirloom rule: entry ", intake,
                             " (heirloom_received): heirloom intake intake-1 must be signed by "
                             "the owner key ",
                             Id(b_), "; it carries no owner signature"));
  // Signed by another key in the owner's name.
  log_ = before;
  Jeweler(IntakeRecord(Key(b_)), &x_);
  Jeweler(Cast(kRingFine));
  Jeweler(Ring(kRingFine));
  ExpectRefused("HEIRLOOM-RING-1", RingIndices(), rule::kHeirloom, Code::kPermissionDenied,
                "owner signature");
}

TEST_F(OwnerBundleTest, AnIntakeByAKeyThatWasNotTheOldPiecesOwnerIsRefused) {
  Bracelet();
  // Key A gave the bracelet away; it co-signs an intake of it all the same.
  Jeweler(IntakeRecord(Key(a_)), &a_);
  Jeweler(Cast(kRingFine));
  v1::Record ring = Ring(kRingFine);
  ring.mutable_piece_registered()->mutable_heirloom()->set_owner_key_id(Id(a_));
  Jeweler(ring);
  ExpectRefused("HEIRLOOM-RING-1", RingIndices(), rule::kHeirloom, Code::kFailedPrecondition,
                absl::StrCat("repurposes piece BRACELET-1 for owner key ", Id(a_),
                             ", but its owner then is key ", Id(b_)));
}

TEST_F(OwnerBundleTest, ARepurposedPieceTakesNoMoreRecords) {
  Story();
  Owner(Report("BRACELET-1", accepted_b_, v1::PIECE_EVENT_STOLEN), b_);
  ExpectRefused("HEIRLOOM-RING-1", RingIndices(), rule::kHeirloom, Code::kFailedPrecondition,
                "a repurposed piece takes no more records");
}

}  // namespace
}  // namespace touchstone
