// Bundles holding sealed records (issue 16; ledger/provenance/commitments.h),
// made with a log the test controls (tests/support/fake_log.h): an opening the
// bundle carries is checked against its commitment and its values used; one
// altered, or for an entry that is not sealed, is refused for the rule
// 'sealed'; a sealed record without an opening is checked for everything but
// its committed fields, and each check that needs one is reported as vouched
// (never passed on a zero, never failed on one).
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/provenance/commitments.h"
#include "tests/support/fake_log.h"

namespace touchstone {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using testing::FakeLog;
using ::testing::Field;
using ::testing::HasSubstr;
using testing::Identity;
using ::testing::IsEmpty;
using testing::NewIdentity;
using ::testing::Not;

// A refiner's recycled gold, shipped to a jeweler, made into a ring.
class SealedBundleTest : public ::testing::Test {
 protected:
  SealedBundleTest() {
    log_.Register(refiner_, {v1::ROLE_REFINER});
    log_.Register(jeweler_, {v1::ROLE_JEWELER});
  }

  // `r` sealed with a fixed salt; its opening kept for the bundle.
  v1::Record Seal(const v1::Record& r, char salt) {
    absl::StatusOr<SealedRecord> s = SealRecord(r, std::string(kOpeningSaltBytes, salt));
    EXPECT_TRUE(s.ok()) << s.status();
    last_opening_ = s->opening;
    return s->record;
  }
  static v1::Record GoldLot(const std::string& id, v1::OriginClass origin) {
    v1::Record r;
    auto* l = r.mutable_lot_created();
    l->set_lot_id(id);
    l->set_material("gold");
    l->set_form("grain");
    l->set_origin_class(origin);
    l->set_quantity(250000);
    l->set_unit(v1::UNIT_MILLIGRAM);
    l->set_fineness_ppt(999);
    l->set_facility("Mendrisio");
    return r;
  }
  static v1::Record Shipment(const std::string& lot, const Identity& to) {
    v1::Record s;
    s.mutable_custody_shipped()->set_shipment_id("shp-" + lot);
    s.mutable_custody_shipped()->set_lot_id(lot);
    s.mutable_custody_shipped()->set_to_participant(to.id);
    return s;
  }
  static v1::Record Receipt(const std::string& lot, const std::string& shipment) {
    v1::Record r;
    r.mutable_custody_received()->set_shipment_id(shipment);
    r.mutable_custody_received()->set_lot_id(lot);
    return r;
  }
  static v1::Record Ring(const std::string& metal, bool disclose) {
    v1::Record r;
    auto* p = r.mutable_piece_registered();
    p->set_piece_id("RING-S");
    p->set_description("a ring");
    auto* m = p->add_metal_inputs();
    m->set_lot_id(metal);
    m->set_quantity(3850);
    p->add_claims(v1::CLAIM_RECYCLED_METAL);
    p->set_disclose_inputs(disclose);
    return r;
  }
  // A sealed merge of `inputs` (each 100 g) into `out`.
  v1::Record Merge(const std::vector<std::string>& inputs, const std::string& out) {
    v1::Record r;
    auto* t = r.mutable_transformation();
    t->set_transformation_id("merge-" + out);
    t->set_process(v1::PROCESS_MERGE);
    t->set_material("gold");
    t->set_location("Mendrisio");
    for (const std::string& in : inputs) {
      auto* q = t->add_inputs();
      q->set_lot_id(in);
      q->set_quantity(100000);
    }
    auto* o = t->add_outputs();
    o->set_lot_id(out);
    o->set_quantity(100000 * static_cast<int64_t>(inputs.size()));
    o->set_fineness_ppt(999);
    return r;
  }

  // The sealed story: a sealed lot, a sealed shipment, the ring sealed with
  // its inputs disclosed. Returns the ring's index.
  uint64_t SealedStory(bool disclose = true) {
    lot_index_ = log_.Append(refiner_, Seal(GoldLot("gold-1", kRecycled), 1));
    ship_index_ = log_.Append(refiner_, Seal(Shipment("gold-1", jeweler_), 2));
    log_.Append(jeweler_, Receipt("gold-1", "shp-gold-1"));
    ring_index_ = log_.Append(jeweler_, Seal(Ring("gold-1", disclose), 3));
    ring_opening_ = last_opening_;
    return ring_index_;
  }
  v1::PieceBundle Bundle(bool with_opening = true) {
    v1::PieceBundle b = log_.Bundle("RING-S");
    if (with_opening) {
      v1::BundleOpening* o = b.add_openings();
      o->set_index(ring_index_);
      *o->mutable_opening() = ring_opening_;
    }
    return b;
  }
  absl::StatusOr<BundleReport> Verify(const v1::PieceBundle& b) {
    return VerifyPieceBundle(b, log_.verifier());
  }
  static std::vector<std::string> Whats(const BundleReport& r) {
    std::vector<std::string> out;
    for (const VouchedFact& f : r.vouched) out.push_back(f.what);
    return out;
  }

  static constexpr auto kRecycled = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
  FakeLog log_;
  Identity refiner_ = NewIdentity("refiner"), jeweler_ = NewIdentity("jeweler");
  v1::Opening last_opening_, ring_opening_;
  uint64_t lot_index_ = 0, ship_index_ = 0, ring_index_ = 0;
};

TEST_F(SealedBundleTest, AnOpenedPieceShowsItsInputsAndUpstreamSealsAreVouched) {
  SealedStory();
  absl::StatusOr<BundleReport> r = Verify(Bundle());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->opened, ElementsAre(ring_index_));
  EXPECT_THAT(r->sealed, ElementsAre(lot_index_, ship_index_));
  EXPECT_THAT(r->derived_claims, ElementsAre(v1::CLAIM_RECYCLED_METAL));
  // The shipment's addressee is committed: whoever received it is on the ledger's word.
  EXPECT_THAT(r->vouched,
              ElementsAre(VouchedFact{ship_index_ + 1, "custody_received",
                                      "shipment 'shp-gold-1' of lot 'gold-1' is addressed to its "
                                      "receiver 'jeweler' (sealed at entry " +
                                          std::to_string(ship_index_) + ")"}));
  // The opened ring reads with its weight; the sealed lot's weight is never shown as zero.
  EXPECT_THAT(r->timeline.at(ring_index_).description, HasSubstr("3.850 g of gold-1"));
  EXPECT_THAT(r->timeline.at(lot_index_).description,
              HasSubstr("its quantity, facility and note are sealed"));
  EXPECT_THAT(r->timeline.at(lot_index_).description, Not(HasSubstr("0.000 g")));
  EXPECT_THAT(r->timeline.at(ship_index_).description, HasSubstr("its addressee is sealed"));
}

TEST_F(SealedBundleTest, AnAlteredOpeningIsRefusedForTheRuleSealed) {
  SealedStory();
  v1::PieceBundle b = Bundle();
  v1::Record values;
  ASSERT_TRUE(values.ParseFromString(b.openings(0).opening().fields()));
  values.mutable_piece_registered()->mutable_metal_inputs(0)->set_quantity(38500);
  b.mutable_openings(0)->mutable_opening()->set_fields(values.SerializeAsString());
  absl::StatusOr<BundleReport> r = Verify(b);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
  EXPECT_EQ(rule::RuleOf(r.status()), rule::kSealed);
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("opening of entry " + std::to_string(ring_index_) +
                        " (piece_registered): opening: does not match the record's commitment"));
  // Another salt with the same values does not match either.
  b = Bundle();
  b.mutable_openings(0)->mutable_opening()->set_salt(std::string(kOpeningSaltBytes, 9));
  EXPECT_EQ(rule::RuleOf(Verify(b).status()), rule::kSealed);
}

TEST_F(SealedBundleTest, AnOpeningForAnEntryNotSealedOrNotThereOrTwiceIsRefused) {
  SealedStory();
  const uint64_t receipt = ship_index_ + 1;
  v1::PieceBundle b = Bundle();
  b.mutable_openings(0)->set_index(receipt);  // a public record
  absl::StatusOr<BundleReport> r = Verify(b);
  EXPECT_EQ(rule::RuleOf(r.status()), rule::kSealed) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("is not sealed"));
  b = Bundle();
  b.mutable_openings(0)->set_index(log_.size() + 5);
  r = Verify(b);
  EXPECT_EQ(rule::RuleOf(r.status()), rule::kSealed) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("the bundle holds no entry"));
  b = Bundle();
  *b.add_openings() = b.openings(0);
  r = Verify(b);
  EXPECT_EQ(rule::RuleOf(r.status()), rule::kSealed) << r.status();
  // The lot's opening given for the ring: another commitment.
  b = Bundle();
  b.mutable_openings(0)->set_index(lot_index_);
  EXPECT_EQ(rule::RuleOf(Verify(b).status()), rule::kSealed);
}

TEST_F(SealedBundleTest, ASealedPieceWithoutItsOpeningVouchesForItsCompositionNotItsClaims) {
  SealedStory(/*disclose=*/false);
  absl::StatusOr<BundleReport> r = Verify(Bundle(/*with_opening=*/false));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->opened, IsEmpty());
  EXPECT_THAT(r->sealed, ElementsAre(lot_index_, ship_index_, ring_index_));
  EXPECT_THAT(Whats(*r), Contains("the piece's composition by weight"));
  EXPECT_THAT(r->composition, IsEmpty());  // never "0.000 g of gold"
  EXPECT_THAT(r->derived_claims, ElementsAre(v1::CLAIM_RECYCLED_METAL));
  EXPECT_THAT(r->timeline.at(ring_index_).description, HasSubstr("(its metal weights are sealed)"));
}

TEST_F(SealedBundleTest, WhatIsPublicInASealedRecordIsStillCheckedAlone) {
  // A sealed lot of mined gold cannot make a ring claiming recycled metal.
  lot_index_ = log_.Append(refiner_, Seal(GoldLot("gold-1", v1::ORIGIN_CLASS_MINED), 1));
  log_.Append(refiner_, Seal(Shipment("gold-1", jeweler_), 2));
  log_.Append(jeweler_, Receipt("gold-1", "shp-gold-1"));
  ring_index_ = log_.Append(jeweler_, Seal(Ring("gold-1", true), 3));
  ring_opening_ = last_opening_;
  absl::StatusOr<BundleReport> r = Verify(Bundle());
  EXPECT_EQ(rule::RuleOf(r.status()), rule::kClaims) << r.status();
}

TEST_F(SealedBundleTest, ASealedShipmentStillNeedsItsReceiptUnderItsShipment) {
  lot_index_ = log_.Append(refiner_, Seal(GoldLot("gold-1", kRecycled), 1));
  ship_index_ = log_.Append(refiner_, Seal(Shipment("gold-1", jeweler_), 2));
  log_.Append(jeweler_, Receipt("gold-1", "shp-other"));
  ring_index_ = log_.Append(jeweler_, Seal(Ring("gold-1", true), 3));
  ring_opening_ = last_opening_;
  absl::StatusOr<BundleReport> r = Verify(Bundle());
  EXPECT_EQ(rule::RuleOf(r.status()), rule::kCustody) << r.status();
}

TEST_F(SealedBundleTest, ASealedTransformationIsVouchedAndItsOriginsStillCombine) {
  log_.Append(refiner_, GoldLot("a", kRecycled));
  log_.Append(refiner_, GoldLot("b", kRecycled));
  const uint64_t merge = log_.Append(refiner_, Seal(Merge({"a", "b"}, "m"), 4));
  log_.Append(refiner_, Shipment("m", jeweler_));
  log_.Append(jeweler_, Receipt("m", "shp-m"));
  ring_index_ = log_.Append(jeweler_, Seal(Ring("m", true), 3));
  ring_opening_ = last_opening_;
  absl::StatusOr<BundleReport> r = Verify(Bundle());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->sealed, ElementsAre(merge));
  EXPECT_THAT(r->vouched, Contains(VouchedFact{merge, "transformation",
                                               "mass balance of transformation 'merge-m'"}));
  EXPECT_THAT(r->timeline.at(merge).description,
              HasSubstr("its quantities, loss and location are sealed"));

  // The same with mined gold in the merge: its origin is public, the claim fails.
  FakeLog mixed;
  log_ = mixed;
  log_.Register(refiner_, {v1::ROLE_REFINER});
  log_.Register(jeweler_, {v1::ROLE_JEWELER});
  log_.Append(refiner_, GoldLot("a", kRecycled));
  log_.Append(refiner_, GoldLot("b", v1::ORIGIN_CLASS_MINED));
  log_.Append(refiner_, Seal(Merge({"a", "b"}, "m"), 4));
  log_.Append(refiner_, Shipment("m", jeweler_));
  log_.Append(jeweler_, Receipt("m", "shp-m"));
  ring_index_ = log_.Append(jeweler_, Seal(Ring("m", true), 3));
  ring_opening_ = last_opening_;
  EXPECT_EQ(rule::RuleOf(Verify(Bundle()).status()), rule::kClaims);
}

}  // namespace
}  // namespace touchstone
