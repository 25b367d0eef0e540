// Bundles the ledger builds (ledger/bundle_builder.h) for a piece with owners
// who hold their own keys (issue 15): every ownership record of the piece is
// in its bundle (the sale naming the buyer's key, acceptances, a transfer to a
// passkey, a report and recovery, a repair the owner co-signs), the bundle
// verifies offline with the owner, terms and status the records make, and a
// bundle with an ownership record taken out of the middle of the chain is
// refused for the rule 'owner'. An heirloom: an old bracelet with two stones
// brought back as an intake co-signed by its owner key, refined, alloyed,
// split and cast into a ring with the owner's stones whose heirloom claim is
// exact; the ring's bundle carries the intake and the bracelet's registration
// and ownership records, verifies, and reports the claim and the intake; the
// bracelet's bundle reports the intake that closed it.
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/bundle_builder.h"
#include "ledger/provenance/heirloom.h"
#include "tests/owner_test_util.h"

namespace touchstone::testing {
namespace {

using ::testing::HasSubstr;

class OwnerBundleLedgerTest : public OwnerFixture {
 protected:
  v1::PieceBundle Bundle(const std::string& piece) {
    absl::StatusOr<v1::PieceBundle> b = BuildPieceBundle(ledger(), piece);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.value_or(v1::PieceBundle());
  }
  static std::set<uint64_t> Indices(const v1::PieceBundle& b) {
    std::set<uint64_t> out;
    for (const v1::BundleEntry& e : b.entries()) out.insert(e.index());
    return out;
  }
};

TEST_F(OwnerBundleLedgerTest, APiecesBundleCarriesEveryOwnershipRecordAndVerifies) {
  const TestOwner first = TestOwner::Ed25519(), second = TestOwner::Passkey();
  const uint64_t sold = SellToOwner("OWNED-1", first);
  v1::OwnerTerms terms;
  terms.set_recovery_agent(jeweler.id);
  terms.set_insurer(rjc.id);
  const uint64_t accepted = AcceptAsOwner(Accepted("OWNED-1", sold, terms), first).index;
  const uint64_t given = AcceptAsOwner(Transferred("OWNED-1", accepted, second.key()), first).index;
  const uint64_t accepted_2 = AcceptAsOwner(Accepted("OWNED-1", given, terms), second).index;
  const uint64_t lost = Accept(By(rjc, Report("OWNED-1", accepted_2, v1::PIECE_EVENT_LOST))).index;
  const uint64_t found =
      AcceptAsOwner(Report("OWNED-1", lost, v1::PIECE_EVENT_RECOVERED), second).index;
  const auto [bytes, sig] =
      CoSigned(jeweler, Lifecycle(jeweler, "OWNED-1", v1::PIECE_EVENT_REPAIRED), second);
  absl::StatusOr<Receipt> repaired = ledger().Submit(bytes, sig);
  ASSERT_TRUE(repaired.ok()) << repaired.status();

  const v1::PieceBundle b = Bundle("OWNED-1");
  const std::set<uint64_t> have = Indices(b);
  for (uint64_t i : {sold, accepted, given, accepted_2, lost, found, repaired->index}) {
    EXPECT_TRUE(have.count(i)) << "the bundle leaves out ownership record " << i;
  }
  absl::StatusOr<BundleReport> r = VerifyPieceBundle(b, ledger().verifier());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->owner.has_value());
  EXPECT_EQ(r->owner->key_id, second.id());
  EXPECT_EQ(r->owner->kind, "passkey");
  EXPECT_TRUE(r->owner->accepted);
  EXPECT_EQ(r->owner->status, "none");
  EXPECT_EQ(r->owner->recovery_agent, jeweler.id);
  EXPECT_EQ(r->owner->insurer, rjc.id);
  EXPECT_EQ(r->owner->since_index, found);
  for (const TimelineEntry& t : r->timeline) {
    if (t.index == repaired->index) {
      EXPECT_THAT(t.description, HasSubstr("owner key " + second.id() + " co-signs"));
    }
    // An owner is known by key only: no timeline line names one otherwise.
    if (t.index == given) {
      EXPECT_THAT(t.description, HasSubstr("to key " + second.id()));
    }
  }

  // The transfer taken out: the second owner's acceptance names a record the bundle lacks.
  v1::PieceBundle gap = b;
  gap.clear_entries();
  for (const v1::BundleEntry& e : b.entries()) {
    if (e.index() != given) *gap.add_entries() = e;
  }
  absl::StatusOr<BundleReport> refused = VerifyPieceBundle(gap, ledger().verifier());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(rule::RuleOf(refused.status()), rule::kOwner) << refused.status();
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("the ownership record at entry " + std::to_string(given) + " is missing"));
}

// An heirloom through the real rules (tests/heirloom_rules_test.cc's story).
class HeirloomBundleLedgerTest : public OwnerBundleLedgerTest {
 protected:
  v1::Record CoSign(v1::Record r, const TestOwner& owner) {
    r.clear_owner_signature();
    *r.mutable_owner_signature() = owner.Sign(OwnerSigningMessage(origin(), SerializeRecord(r)));
    return r;
  }
  void LabStone(const std::string& id) {
    Accept(LotT(grower, id, "diamond", v1::ORIGIN_CLASS_LAB_GROWN, 500, 10000));
    Accept(TradeFixture::Report("r-" + id, id, v1::STONE_ORIGIN_LAB_GROWN, 500));
    Transfer(grower, jeweler, id);
  }
  void Gold(const std::string& id, int64_t mg, int32_t ptt, const std::string& material) {
    Accept(LotT(refiner, id, material, v1::ORIGIN_CLASS_MINED, mg, ptt));
    Transfer(refiner, jeweler, id);
  }
  static v1::Record WithHeirloomFine(v1::Record r, std::vector<int64_t> fine) {
    for (size_t i = 0; i < fine.size(); ++i) {
      r.mutable_transformation()->mutable_outputs(static_cast<int>(i))->set_heirloom_fine(fine[i]);
    }
    return r;
  }
};

TEST_F(HeirloomBundleLedgerTest, TheRingsBundleCarriesTheIntakeAndTheOldPiecesStoryAndVerifies) {
  const TestOwner owner = TestOwner::Ed25519();
  LabStone("old-st1");
  LabStone("old-st2");
  Gold("old-14k", 12000, 5850, "gold");
  Accept(PieceT(jeweler, "OLD-1", "14k bracelet with two lab-grown diamonds",
                {"old-st1", "old-st2"}, {{"old-14k", 12000}}, {}, {}, "585"));
  const uint64_t sold = Accept(SoldTo("OLD-1", owner.key())).index;
  const uint64_t accepted = AcceptAsOwner(Accepted("OLD-1", sold), owner).index;

  constexpr int64_t kIntakeMg = 11800, kIntakeFine = kIntakeMg * 5850;
  v1::Record in = NewRecord(jeweler);
  auto* h = in.mutable_heirloom_received();
  h->set_intake_id("in-1");
  h->set_description("14k yellow gold curb bracelet, 19 cm, two stones");
  h->add_photo_sha256(std::string(32, '\x21'));
  h->set_gross_weight_mg(kIntakeMg + 400);
  h->set_lot_id("h1");
  h->set_material("gold");
  h->set_metal_mg(kIntakeMg);
  h->set_fineness_ptt(5850);
  h->set_assay_method(v1::ASSAY_METHOD_XRF);
  *h->mutable_owner() = owner.key();
  h->set_repurposed_piece_id("OLD-1");
  h->add_stone_lot_ids("old-st1");
  h->add_stone_lot_ids("old-st2");
  const uint64_t intake = Accept(CoSign(in, owner)).index;

  constexpr int64_t kRefinedFine = 6900 * 9999;
  Accept(WithHeirloomFine(
      TransformT(jeweler, "t-refine", v1::PROCESS_REFINE, "gold", {{"h1", kIntakeMg}},
                 {{"h24", 6900, 9999}}, kIntakeFine - kRefinedFine),
      {kRefinedFine}));
  Gold("cu", 5000, 10000, "copper");
  constexpr int64_t k18Fine = 9199 * 7500;
  Accept(WithHeirloomFine(
      TransformT(jeweler, "t-alloy", v1::PROCESS_ALLOY, "gold", {{"h24", 6900}, {"cu", 2299}},
                 {{"h18", 9199, 7500}}, kRefinedFine - k18Fine),
      {k18Fine}));
  Accept(WithHeirloomFine(TransformT(jeweler, "t-split", v1::PROCESS_SPLIT, "gold", {{"h18", 9199}},
                                     {{"h18a", 6000, 7500}, {"h18b", 3199, 7500}}),
                          {45'000'000, 23'992'500}));
  Accept(WithHeirloomFine(TransformT(jeweler, "t-cast", v1::PROCESS_CAST, "gold", {{"h18a", 6000}},
                                     {{"ring-metal", 5990, 7500}}, 75'000),
                          {44'925'000}));
  LabStone("lg7");
  v1::HeirloomClaim claim;
  claim.set_owner_key_id(owner.id());
  claim.set_material("gold");
  claim.set_owner_fine(44'925'000);
  claim.set_material_fine(44'925'000);
  claim.add_owner_stone_lot_ids("old-st1");
  claim.add_owner_stone_lot_ids("old-st2");
  claim.add_intake_ids("in-1");
  v1::Record ring = PieceT(jeweler, "RING-H", "18k ring with a lab-grown diamond",
                           {"lg7", "old-st1", "old-st2"}, {{"ring-metal", 5990}}, {}, {}, "750");
  *ring.mutable_piece_registered()->mutable_heirloom() = claim;
  Accept(ring);

  const v1::PieceBundle b = Bundle("RING-H");
  const std::set<uint64_t> have = Indices(b);
  for (uint64_t i : {sold, accepted, intake}) {
    EXPECT_TRUE(have.count(i)) << "the ring's bundle leaves out entry " << i;
  }
  absl::StatusOr<BundleReport> r = VerifyPieceBundle(b, ledger().verifier());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->heirloom.owner_fine(), 44'925'000);
  EXPECT_EQ(r->heirloom_text, HeirloomClaimText(claim));
  ASSERT_EQ(r->intakes.size(), 1u);
  EXPECT_EQ(r->intakes[0].repurposed_piece_id, "OLD-1");
  EXPECT_EQ(r->intakes[0].repurposed_piece_description, "14k bracelet with two lab-grown diamonds");
  EXPECT_EQ(r->intakes[0].assay_method, "XRF");
  EXPECT_FALSE(r->owner.has_value());  // the ring is not sold yet

  // The bracelet's own bundle: closed by the intake.
  absl::StatusOr<BundleReport> old = VerifyPieceBundle(Bundle("OLD-1"), ledger().verifier());
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->repurposed_index, intake);
  EXPECT_EQ(old->repurposed_intake, "in-1");
  ASSERT_TRUE(old->owner.has_value());
  EXPECT_EQ(old->owner->key_id, owner.id());

  // Without the intake's co-signature (the jeweler's bundle re-signed is not
  // possible here: take the intake out instead), the ring's lineage breaks.
  v1::PieceBundle without = b;
  without.clear_entries();
  for (const v1::BundleEntry& e : b.entries()) {
    if (e.index() != intake) *without.add_entries() = e;
  }
  absl::StatusOr<BundleReport> refused = VerifyPieceBundle(without, ledger().verifier());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(rule::RuleOf(refused.status()), rule::kCompleteness) << refused.status();
}

}  // namespace
}  // namespace touchstone::testing
