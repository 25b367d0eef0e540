// The trade rules (rules version 2) for pieces (stones from parcels, material
// claims, hallmark, lab-grown disclosure, stone replacement), mass-balance
// credit accounts, and logs written before them (the legacy rules kept for
// their entries, the upgrade to rules version 2, state of an older version
// rebuilt on open). Each way of breaking a rule is refused with its code and
// message, nothing appended and state unchanged.
#include "gtest/gtest.h"
#include "ledger/store/store.h"
#include "tests/trade_test_util.h"

namespace touchstone::testing {
namespace {

using Code = absl::StatusCode;
constexpr auto kMined = v1::ORIGIN_CLASS_MINED;
constexpr auto kPost = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;
constexpr auto kLabGrown = v1::ORIGIN_CLASS_LAB_GROWN;
constexpr int64_t kDayMicros = 24 * kHourMicros;

class TradeClaimsTest : public TradeFixture {
 protected:
  // Certified recycled gold (999.9, SCS) made by the refiner.
  void RecycledGold(const std::string& id, int64_t mg, int32_t ptt = 9999) {
    if (GetCertificate("scs-ref").certificate_id().empty()) {
      Accept(Cert(scs, "scs-ref", "scs-recycled", refiner.id));
    }
    Accept(LotT(refiner, id, "gold", kPost, mg, ptt, {"scs-ref"}));
  }
};

TEST_F(TradeClaimsTest, APaveRingTakesWholeParcelsAndDisclosesLabGrownStones) {
  Accept(ParcelLot(grower, "p", kLabGrown, 100, 2000));
  Accept(TransformT(grower, "split-1", v1::PROCESS_SPLIT, "diamond", {{"p", 480, 24, 76, 1520}},
                    {{"p24", 480, 10000, 24}}));
  Transfer(grower, jeweler, "p24");
  RecycledGold("au", 5000);
  Transfer(refiner, jeweler, "au");
  const v1::MaterialClaim lab =
      Claim("diamond", v1::ATTRIBUTE_LAB_GROWN, v1::CUSTODY_MODEL_IDENTITY_PRESERVED, 10000);
  const auto ring = [&](std::string description, int64_t stones,
                        std::vector<v1::MaterialClaim> claims, std::string hallmark = "750") {
    return PieceT(jeweler, "PAVE-1", description, {}, {{"au", 3000}}, {{"p24", stones}}, claims,
                  hallmark);
  };
  ExpectRefused(ring("laboratory-grown pave ring", 20, {lab}), Code::kFailedPrecondition,
                "parcel rule: a piece takes a whole parcel: parcel 'p24' holds 24 stones");
  ExpectRefused(ring("diamond pave ring", 24, {lab}), Code::kFailedPrecondition,
                "disclosure rule: stone 'p24' is lab-grown");
  ExpectRefused(
      ring("laboratory-grown pave ring", 24,
           {Claim("diamond", v1::ATTRIBUTE_NATURAL, v1::CUSTODY_MODEL_SEGREGATED, 10000)}),
      Code::kFailedPrecondition, "claim rule: 'natural diamond, segregated, 100%'");
  ExpectRefused(ring("laboratory-grown pave ring", 24, {lab}, "999.95"), Code::kInvalidArgument,
                "is not a fineness mark");
  v1::Record legacy = ring("laboratory-grown pave ring", 24, {lab});
  legacy.mutable_piece_registered()->add_claims(v1::CLAIM_LAB_GROWN_DIAMONDS);
  ExpectRefused(legacy, Code::kInvalidArgument, "the legacy claims field is not used");
  EXPECT_EQ(GetLot("p24").stones_balance(), 24);
  EXPECT_EQ(GetLot("au").balance(), 5000);
  EXPECT_EQ(GetPiece("PAVE-1").piece_id(), "");
  Accept(ring("laboratory-grown pave ring", 24, {lab}));
  EXPECT_EQ(GetLot("p24").balance(), 0);
  EXPECT_EQ(GetLot("p24").stones_balance(), 0);
  EXPECT_EQ(GetLot("p24").active_piece(), "PAVE-1");
  EXPECT_EQ(GetPiece("PAVE-1").material_claims(0).attribute(), v1::ATTRIBUTE_LAB_GROWN);
  EXPECT_EQ(GetPiece("PAVE-1").parcel_stones(0).stones(), 24);
}

TEST_F(TradeClaimsTest, An18kAlloyOfRecycledGoldKeepsItsRecycledGoldClaim) {
  RecycledGold("au", 7502);
  Accept(LotT(refiner, "cu", "copper", kMined, 2000, 10000));
  Accept(LotT(refiner, "ag", "silver", kMined, 500, 10000));
  // 7502 mg x 9999 = 10000 mg x 7500 + a loss of 12498.
  Accept(TransformT(refiner, "alloy-1", v1::PROCESS_ALLOY, "gold",
                    {{"au", 7502}, {"cu", 2000}, {"ag", 500}}, {{"18k", 10000, 7500}}, 12498));
  const v1::LotState k18 = GetLot("18k");
  EXPECT_EQ(k18.origin_class(), kPost) << "under the trade rules alloying metal does not count";
  ASSERT_EQ(k18.alloy_size(), 2);
  EXPECT_EQ(k18.alloy(0).material(), "copper");
  EXPECT_EQ(k18.alloy(0).ptt(), 2000);
  EXPECT_EQ(k18.alloy(1).material(), "silver");
  EXPECT_EQ(k18.alloy(1).ptt(), 500);
  Transfer(refiner, jeweler, "18k");
  const v1::MaterialClaim recycled =
      Claim("gold", v1::ATTRIBUTE_RECYCLED, v1::CUSTODY_MODEL_SEGREGATED, 10000, "scs-recycled");
  ExpectRefused(
      PieceT(jeweler, "GOLD18-1", "18k band", {}, {{"18k", 4000}}, {}, {recycled}, "999.9"),
      Code::kFailedPrecondition, "hallmark rule: hallmark '999.9' states 999.9; lot '18k' is 750");
  ExpectRefused(PieceT(jeweler, "GOLD18-1", "18k band", {}, {{"18k", 4000}}, {},
                       {Claim("gold", v1::ATTRIBUTE_RECYCLED, v1::CUSTODY_MODEL_SEGREGATED, 10000,
                              "rjc-coc")},
                       "750"),
                Code::kFailedPrecondition, "scheme 'rjc-coc' did not certify every lot of gold");
  EXPECT_EQ(GetLot("18k").balance(), 10000);
  Accept(PieceT(jeweler, "GOLD18-1", "18k band", {}, {{"18k", 4000}}, {}, {recycled}, "18K"));
  EXPECT_EQ(GetPiece("GOLD18-1").material_claims(0).share_bp(), 10000u);
}

TEST_F(TradeClaimsTest, AHallmarkNeedsMetal) {
  Accept(LotT(grower, "lg", "diamond", kLabGrown, 1000, 10000));
  Accept(Report("r-lg", "lg", v1::STONE_ORIGIN_LAB_GROWN, 1000));
  Transfer(grower, jeweler, "lg");
  ExpectRefused(PieceT(jeweler, "LOOSE-1", "lab-grown diamond", {"lg"}, {}, {}, {}, "750"),
                Code::kInvalidArgument, "a piece without metal carries no hallmark");
  EXPECT_EQ(GetLot("lg").active_piece(), "");
  Accept(PieceT(jeweler, "LOOSE-1", "lab-grown diamond", {"lg"}, {}, {}, {}, ""));
}

TEST_F(TradeClaimsTest, AReplacedStoneMustKeepThePiecesStoneClaims) {
  for (const char* id : {"lg-1", "lg-2"}) {
    Accept(LotT(grower, id, "diamond", kLabGrown, 1000, 10000));
    Accept(Report(std::string("r-") + id, id, v1::STONE_ORIGIN_LAB_GROWN, 1000));
    Transfer(grower, jeweler, id);
  }
  Accept(KpCert("kp-1", miner.id, 1000));
  Accept(LotT(miner, "nat", "diamond", kMined, 1000, 10000, {"kp-1"}));
  Accept(Report("r-nat", "nat", v1::STONE_ORIGIN_NATURAL, 1000));
  Accept(ShipT(miner, "s-nat", "nat", jeweler.id));
  Accept(Receive(jeweler, "s-nat", "nat"));
  Accept(PieceT(
      jeweler, "RING-1", "lab-grown solitaire", {"lg-1"}, {}, {},
      {Claim("diamond", v1::ATTRIBUTE_LAB_GROWN, v1::CUSTODY_MODEL_IDENTITY_PRESERVED, 10000)},
      ""));
  ExpectRefused(ReplaceStone(jeweler, "RING-1", "lg-1", "nat"), Code::kFailedPrecondition,
                "claim rule: 'lab-grown diamond, identity preserved, 100%' does not hold");
  EXPECT_EQ(GetPiece("RING-1").stone_lot_ids(0), "lg-1");
  EXPECT_EQ(GetLot("nat").active_piece(), "");
  Accept(ReplaceStone(jeweler, "RING-1", "lg-1", "lg-2"));
  EXPECT_EQ(GetPiece("RING-1").stone_lot_ids(0), "lg-2");
}

TEST_F(TradeClaimsTest, MassBalanceCreditIsBookedAndAllocatedAtItsSiteWithinItsPeriod) {
  const int64_t start = NextTime() - kHourMicros, end = start + 30 * kDayMicros;
  Accept(Cert(rjc, "coc-ref", "rjc-coc", refiner.id));
  Accept(Cert(rjc, "coc-jew", "rjc-coc", jeweler.id));
  Accept(Cert(scs, "scs-ref", "scs-recycled", refiner.id));
  const auto open = [&](std::string id, std::string cert) {
    return AccountOpened(refiner, id, "refinery-S", cert, start, end);
  };
  v1::Record lab_grown = open("acct-1", "coc-ref");
  lab_grown.mutable_credit_account_opened()->set_attribute(v1::ATTRIBUTE_LAB_GROWN);
  ExpectRefused(lab_grown, Code::kInvalidArgument, "only recycled credit is supported");
  ExpectRefused(AccountOpened(refiner, "acct-1", "refinery-S", "coc-ref", end, start),
                Code::kInvalidArgument, "a credit account's period");
  ExpectRefused(AccountOpened(refiner, "acct-1", "", "coc-ref", start, end), Code::kInvalidArgument,
                "needs a site and a material");
  ExpectRefused(open("", "coc-ref"), Code::kInvalidArgument, "account_id must be 1 to 128 bytes");
  ExpectRefused(open("acct-1", "none"), Code::kNotFound, "no certificate 'none'");
  ExpectRefused(open("acct-1", "scs-ref"), Code::kFailedPrecondition,
                "not a registered chain-of-custody scheme");
  ExpectRefused(open("acct-1", "coc-jew"), Code::kPermissionDenied,
                "certificate 'coc-jew' is not about 'refiner' or site 'refinery-S'");
  ExpectRefused(AccountOpened(jeweler, "acct-1", "refinery-S", "coc-jew", start, end),
                Code::kPermissionDenied, "role rule");
  EXPECT_EQ(GetAccount("acct-1").account_id(), "");
  Accept(open("acct-1", "coc-ref"));
  ExpectRefused(open("acct-1", "coc-ref"), Code::kAlreadyExists, "account 'acct-1' already exists");

  // Booking: the whole of a certified recycled lot the owner holds.
  Accept(LotT(refiner, "scrap", "gold", kPost, 6200, 10000, {"scs-ref"}));
  Accept(LotT(refiner, "mined", "gold", kMined, 3800, 10000));
  Accept(LotT(refiner, "ag", "silver", kMined, 3800, 10000));
  Identity other = Register("refiner-2", v1::ROLE_REFINER);
  ExpectRefused(Booked(other, "acct-1", "scrap", 62000000, 1, 62000000), Code::kPermissionDenied,
                "account 'acct-1' belongs to 'refiner'");
  ExpectRefused(Booked(refiner, "acct-1", "mined", 38000000, 1, 38000000),
                Code::kFailedPrecondition, "only certified recycled material");
  ExpectRefused(Booked(refiner, "acct-1", "ag", 38000000, 1, 38000000), Code::kFailedPrecondition,
                "lot 'ag' is silver; account 'acct-1' is for gold");
  ExpectRefused(Booked(refiner, "acct-1", "scrap", 61000000, 1, 61000000),
                Code::kFailedPrecondition, "a booking takes the lot's whole remaining fine weight");
  ExpectRefused(Booked(refiner, "acct-1", "scrap", 62000000, 2, 62000000),
                Code::kFailedPrecondition, "this one must be number 1, not 2");
  ExpectRefused(Booked(refiner, "acct-1", "scrap", 62000000, 1, 62000001),
                Code::kFailedPrecondition,
                "states a balance of 62000001; its records make 62000000");
  EXPECT_EQ(GetAccount("acct-1").seq(), 0u);
  EXPECT_FALSE(GetLot("scrap").credit_booked());
  Accept(Booked(refiner, "acct-1", "scrap", 62000000, 1, 62000000));
  EXPECT_TRUE(GetLot("scrap").credit_booked());
  EXPECT_EQ(GetAccount("acct-1").balance(), 62000000);
  ExpectRefused(Booked(refiner, "acct-1", "scrap", 62000000, 2, 124000000),
                Code::kFailedPrecondition, "already booked");

  // Allocation: to an output made at the site within the period.
  Accept(TransformT(refiner, "refine-1", v1::PROCESS_REFINE, "gold",
                    {{"scrap", 6200}, {"mined", 3800}},
                    {{"mb-out", 5000, 10000}, {"mb-2", 5000, 10000}}, 0, "refinery-S"));
  Accept(LotT(refiner, "elsewhere", "gold", kMined, 1000, 10000));
  ExpectRefused(Allocated(refiner, "acct-1", "elsewhere", 1000, 2, 61999000),
                Code::kFailedPrecondition,
                "lot 'elsewhere' was made at 'facility of refiner'; the account's site is "
                "'refinery-S'");
  ExpectRefused(Allocated(refiner, "acct-1", "mb-out", 50000001, 2, 11999999),
                Code::kFailedPrecondition, "lot 'mb-out' holds 50000000 fine units");
  Accept(Allocated(refiner, "acct-1", "mb-out", 31000000, 2, 31000000));
  EXPECT_EQ(GetLot("mb-out").mb_share_bp(), 6200);
  EXPECT_EQ(GetLot("mb-out").mb_accounts(0), "acct-1");
  EXPECT_EQ(GetLot("mb-out").mb_schemes(0), "rjc-coc");
  ExpectRefused(Allocated(refiner, "acct-1", "mb-out", 1000, 3, 30999000), Code::kAlreadyExists,
                "lot 'mb-out' already carries allocated credit");
  // Over-allocation: the account holds 31000000, not 31000001.
  ExpectRefused(Allocated(refiner, "acct-1", "mb-2", 31000001, 3, 0), Code::kFailedPrecondition,
                "mass balance rule: account 'acct-1' holds 31000000 fine units of credit; the "
                "allocation spends 31000001");
  EXPECT_EQ(GetAccount("acct-1").balance(), 31000000);
  EXPECT_EQ(GetLot("mb-2").mb_share_bp(), 0);

  // The piece made of it claims the share its records give, from that account.
  Transfer(refiner, jeweler, "mb-out");
  const auto mb = [&](uint32_t bp, std::string account) {
    return PieceT(jeweler, "MB-1", "gold band", {}, {{"mb-out", 4000}}, {},
                  {Claim("gold", v1::ATTRIBUTE_RECYCLED, v1::CUSTODY_MODEL_MASS_BALANCE, bp,
                         "rjc-coc", account)},
                  "999.9");
  };
  ExpectRefused(mb(6000, "acct-1"), Code::kFailedPrecondition,
                "its records give gold a mass-balance share of 62%");
  ExpectRefused(mb(6200, "acct-2"), Code::kFailedPrecondition,
                "the credit did not come from account 'acct-2'");
  ExpectRefused(
      PieceT(jeweler, "MB-1", "gold band", {}, {{"mb-out", 4000}}, {},
             {Claim("gold", v1::ATTRIBUTE_RECYCLED, v1::CUSTODY_MODEL_SEGREGATED, 10000)}, ""),
      Code::kFailedPrecondition,
      "claim rule: 'recycled gold, segregated, 100%' does not hold: lot 'mb-out' is");
  Accept(mb(6200, "acct-1"));
  EXPECT_EQ(GetPiece("MB-1").material_claims(0).model(), v1::CUSTODY_MODEL_MASS_BALANCE);
}

TEST_F(TradeClaimsTest, AnAccountIsUsedOnlyWithinItsPeriodAndForLotsMadeInIt) {
  Accept(Cert(rjc, "coc-ref", "rjc-coc", refiner.id));
  Accept(Cert(scs, "scs-ref", "scs-recycled", refiner.id));
  Accept(LotT(refiner, "early", "gold", kMined, 1000, 10000));
  const int64_t now = NextTime();
  Accept(AccountOpened(refiner, "later", "facility of refiner", "coc-ref", now + kDayMicros,
                       now + 2 * kDayMicros));
  Accept(AccountOpened(refiner, "now", "facility of refiner", "coc-ref", now, now + kDayMicros));
  Accept(LotT(refiner, "scrap", "gold", kPost, 1000, 10000, {"scs-ref"}));
  ExpectRefused(Booked(refiner, "later", "scrap", 10000000, 1, 10000000), Code::kFailedPrecondition,
                "mass balance rule: account 'later' covers");
  Accept(Booked(refiner, "now", "scrap", 10000000, 1, 10000000));
  ExpectRefused(Allocated(refiner, "now", "early", 1000, 2, 9999000), Code::kFailedPrecondition,
                "lot 'early' was not made within the period of account 'now'");
  EXPECT_EQ(GetAccount("now").seq(), 1u);
}

}  // namespace
}  // namespace touchstone::testing
