// Bundles the ledger builds (ledger/bundle_builder.h) for a piece with owners
// who hold their own keys (issue 15): every ownership record of the piece is
// in its bundle (the sale naming the buyer's key, acceptances, a transfer to a
// passkey, a report and recovery, a repair the owner co-signs), the bundle
// verifies offline with the owner, terms and status the records make, and a
// bundle with an ownership record taken out of the middle of the chain is
// refused for the rule 'owner'.
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/bundle_builder.h"
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

}  // namespace
}  // namespace touchstone::testing
