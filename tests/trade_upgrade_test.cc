// Logs written before the trade rules: their entries keep the legacy rules
// (fineness in parts per thousand, legacy claims), opening such a log with
// rules version 2 appends a LogPolicy after which the trade rules hold, and
// state written by an older version is rebuilt from the log on open.
#include "gtest/gtest.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/store/store.h"
#include "tests/rules_test_util.h"

namespace touchstone::testing {
namespace {

using Code = absl::StatusCode;

class TradeUpgradeTest : public RulesFixture {};  // a legacy log (rules_version 0)

TEST_F(TradeUpgradeTest, ALegacyLogStaysValidAndTheTradeRulesHoldAfterItsUpgrade) {
  Identity miner = Register("miner", v1::ROLE_MINER);
  Identity refiner = Register("refiner", v1::ROLE_REFINER);
  Identity lab = Register("lab", v1::ROLE_CERTIFIER);
  Identity jeweler = Register("jeweler", v1::ROLE_JEWELER);
  // Legacy records: parts per thousand, natural rough without a Kimberley
  // Process certificate, a shipment without the System of Warranties.
  Accept(GoldLot(refiner, "g18", v1::ORIGIN_CLASS_MINED, 5000, 750));
  GradedStone(miner, lab, jeweler, "stone", v1::ORIGIN_CLASS_MINED);
  EXPECT_EQ(GetLot("g18").fineness_ppt(), 750);
  EXPECT_EQ(GetLot("g18").fineness_ptt(), 7500);
  EXPECT_FALSE(GetLot("stone").natural_chain());
  Accept(Split(refiner, "legacy-split", "g18", 1000, "g18-a", 750));

  const uint64_t before = ledger().Size();
  ReopenLedger([](LedgerOptions& o) { o.rules_version = kTradeRulesVersion; });
  EXPECT_EQ(ledger().Size(), before + 1) << "the upgrade appends one LogPolicy entry";
  EXPECT_EQ(State<v1::LogPolicyState>(std::string(kLogPolicyStateKey))->policy().rules_version(),
            kTradeRulesVersion);

  ExpectRefused(GoldLot(refiner, "g-new", v1::ORIGIN_CLASS_MINED, 1000, 999),
                Code::kInvalidArgument, "fineness_ppt is only for logs written before them");
  // A legacy lot goes on under the trade rules, stated in parts per ten thousand.
  v1::Record split = Split(refiner, "trade-split", "g18", 1000, "g18-b");
  split.mutable_transformation()->mutable_outputs(0)->set_fineness_ppt(0);
  split.mutable_transformation()->mutable_outputs(0)->set_fineness_ptt(7500);
  Accept(split);
  Transfer(refiner, jeweler, "g18");
  // An 18k piece claiming natural diamonds whose rough entered without KP.
  v1::Record natural = Piece(jeweler, "K18-NAT", {"stone"}, {{"g18", 3000}});
  v1::MaterialClaim* claim = natural.mutable_piece_registered()->add_material_claims();
  claim->set_material("diamond");
  claim->set_attribute(v1::ATTRIBUTE_NATURAL);
  claim->set_model(v1::CUSTODY_MODEL_SEGREGATED);
  claim->set_share_bp(10000);
  ExpectRefused(natural, Code::kFailedPrecondition,
                "claim rule: 'natural diamond, segregated, 100%' does not hold: stone 'stone' has "
                "no unbroken Kimberley Process and System of Warranties chain");
  EXPECT_EQ(GetLot("stone").active_piece(), "");
  EXPECT_EQ(GetLot("g18").balance(), 3000);
  Accept(Piece(jeweler, "K18-NAT", {"stone"}, {{"g18", 3000}}));

  // The state is what the log produces, entry by entry under its policy.
  const uint64_t size = ledger().Size();
  CloseLedger();
  {
    auto store = Store::Open({.path = data_dir() + "/db"}).value();
    absl::StatusOr<MemoryState> rebuilt = RebuildState(*store, size, RuleOptions());
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_TRUE(CompareState(*rebuilt, *store).ok()) << CompareState(*rebuilt, *store);
  }
  ReopenLedger();
}

TEST_F(TradeUpgradeTest, StateAnOlderVersionWroteIsRebuiltWhenTheLogIsOpened) {
  Identity refiner = Register("refiner", v1::ROLE_REFINER);
  Accept(GoldLot(refiner, "g", v1::ORIGIN_CLASS_MINED, 5000, 999));
  EXPECT_EQ(GetLot("g").fineness_ptt(), 9990);
  CloseLedger();
  {
    // What an older version left: its LotState without the trace, and no
    // state format marker (here: an older one).
    auto store = Store::Open({.path = data_dir() + "/db"}).value();
    EXPECT_EQ(store->GetMeta(kStateFormatMetaKey).value(), std::string(kStateFormat));
    v1::LotState old;
    ASSERT_TRUE(old.ParseFromString(store->GetState(LotKey("g")).value().value()));
    old.clear_fineness_ptt();
    old.clear_sources();
    old.clear_site();
    StoreBatch batch = store->NewBatch();
    batch.PutState(LotKey("g"), old.SerializeAsString());
    batch.PutState("lot/left-over", old.SerializeAsString());
    batch.PutMeta(kStateFormatMetaKey, "1");
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  ReopenLedger();
  EXPECT_EQ(GetLot("g").fineness_ptt(), 9990) << "the trace was read half-filled";
  EXPECT_EQ(GetLot("g").sources(0), "g");
  EXPECT_EQ(GetLot("left-over").lot_id(), "") << "a key the log does not produce stayed";
  Accept(Split(refiner, "s-1", "g", 1000, "g-1", 999));
  CloseLedger();
  auto store = Store::Open({.path = data_dir() + "/db"}).value();
  EXPECT_EQ(store->GetMeta(kStateFormatMetaKey).value(), std::string(kStateFormat));
}

}  // namespace
}  // namespace touchstone::testing
