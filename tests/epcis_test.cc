// EPCIS 2.0 export (ledger/epcis/epcis_export.h) of a small log: each record
// type's events, units, identifiers, the entry extension, and an error
// declaration attached to the events of the record it corrects.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/epcis/epcis_export.h"
#include "ledger/log/hash.h"
#include "nlohmann/json.hpp"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Identity;
using testing::kHourMicros;
using Json = nlohmann::json;

class EpcisTest : public testing::RulesFixture {
 protected:
  EpcisTest()
      : certifier_(Register("certifier", v1::ROLE_CERTIFIER)),
        refiner_(Register("refiner-1", v1::ROLE_REFINER)),
        jeweler_(Register("jeweler", v1::ROLE_JEWELER)),
        grower_(Register("grower", v1::ROLE_GROWER)),
        lab_(Register("lab", v1::ROLE_CERTIFIER)) {
    Accept(Certificate(certifier_, "c1", "refiner-1", testing::NowMicros() - kHourMicros));
    lot_ = Accept(GoldLot(refiner_, "g1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 10000, 1000,
                          {"c1"}))
               .index;
    Transfer(refiner_, jeweler_, "g1");
    GradedStone(grower_, lab_, jeweler_, "s1", v1::ORIGIN_CLASS_LAB_GROWN);
    piece_ = Accept(Piece(jeweler_, "RING-1", {"s1"}, {{"g1", 2000}})).index;
    wrong_ = Accept(Piece(jeweler_, "RING-2", {}, {{"g1", 500}})).index;
    declared_ = Accept(DeclareError(jeweler_, wrong_)).index;
  }

  Json Export() {
    std::vector<EpcisEntryIn> in;
    for (uint64_t i = 0; i < ledger().Size(); ++i) in.push_back({i, ledger().GetEntry(i).value()});
    absl::StatusOr<EpcisExport> out = ExportEpcis("log.example/one", in, absl::Now());
    EXPECT_TRUE(out.ok()) << out.status();
    unmapped_ = out.ok() ? out->unmapped : std::vector<EpcisUnmapped>{};
    return out.ok() ? Json::parse(out->document) : Json();
  }
  // The events of entry `index`.
  static std::vector<Json> Of(const Json& doc, uint64_t index) {
    std::vector<Json> out;
    for (const Json& e : doc["epcisBody"]["eventList"]) {
      if (e["touchstone:entry"]["touchstone:index"] == index) out.push_back(e);
    }
    return out;
  }

  Identity certifier_, refiner_, jeweler_, grower_, lab_;
  uint64_t lot_ = 0, piece_ = 0, wrong_ = 0, declared_ = 0;
  std::vector<EpcisUnmapped> unmapped_;
};

TEST_F(EpcisTest, ALotIsCommissionedInMilligramsWithItsCertificate) {
  const Json doc = Export();
  EXPECT_EQ(doc["type"], "EPCISDocument");
  EXPECT_EQ(doc["schemaVersion"], "2.0");
  const std::vector<Json> lot = Of(doc, lot_);
  ASSERT_EQ(lot.size(), 1u);
  EXPECT_EQ(lot[0]["type"], "ObjectEvent");
  EXPECT_EQ(lot[0]["action"], "ADD");
  EXPECT_EQ(lot[0]["bizStep"], "commissioning");
  EXPECT_EQ(
      lot[0]["quantityList"][0],
      Json({{"epcClass", "https://log.example/one/lot/g1"}, {"quantity", 10000}, {"uom", "MGM"}}));
  EXPECT_EQ(lot[0]["certificationInfo"], Json({"https://log.example/one/certificate/c1"}));
  EXPECT_EQ(lot[0]["ilmd"]["touchstone:originClass"], "recycled_post_consumer");
  EXPECT_EQ(lot[0]["eventID"], "https://log.example/one/entry/" + std::to_string(lot_));
  EXPECT_EQ(lot[0]["touchstone:entry"]["touchstone:leafHash"],
            HashToHex(LeafHash(ledger().GetEntry(lot_).value())));
  EXPECT_EQ(lot[0]["touchstone:entry"]["touchstone:signer"],
            "https://log.example/one/participant/refiner-1");
}

TEST_F(EpcisTest, CustodyIsShippingAndReceivingBetweenOwningParties) {
  const Json doc = Export();
  const std::vector<Json> shipped = Of(doc, lot_ + 1);
  ASSERT_EQ(shipped.size(), 1u);
  EXPECT_EQ(shipped[0]["bizStep"], "shipping");
  EXPECT_EQ(shipped[0]["disposition"], "in_transit");
  EXPECT_EQ(shipped[0]["sourceList"][0]["source"], "https://log.example/one/participant/refiner-1");
  EXPECT_EQ(shipped[0]["destinationList"][0]["destination"],
            "https://log.example/one/participant/jeweler");
  const std::vector<Json> received = Of(doc, lot_ + 2);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0]["bizStep"], "receiving");
}

TEST_F(EpcisTest, APieceIsMadeOfItsMetalThenSetWithItsStone) {
  const std::vector<Json> made = Of(Export(), piece_);
  ASSERT_EQ(made.size(), 2u);
  EXPECT_EQ(made[0]["type"], "TransformationEvent");
  EXPECT_EQ(made[0]["inputQuantityList"][0]["quantity"], 2000);
  EXPECT_EQ(made[0]["outputEPCList"], Json({"https://log.example/one/piece/RING-1"}));
  EXPECT_EQ(made[1]["type"], "AggregationEvent");
  EXPECT_EQ(made[1]["action"], "ADD");
  EXPECT_EQ(made[1]["parentID"], "https://log.example/one/piece/RING-1");
  EXPECT_EQ(made[1]["childEPCs"], Json({"https://log.example/one/lot/s1"}));
  EXPECT_EQ(made[1]["eventID"], made[0]["eventID"].get<std::string>() + "#2");
}

TEST_F(EpcisTest, AnErrorDeclarationMarksTheEventsOfTheRecordItCorrects) {
  const Json doc = Export();
  EXPECT_TRUE(Of(doc, declared_).empty()) << "no event of its own";
  const std::vector<Json> wrong = Of(doc, wrong_);
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_EQ(wrong[0]["errorDeclaration"]["reason"], "incorrect_data");
  EXPECT_EQ(wrong[0]["errorDeclaration"]["touchstone:reason"], "wrong quantity");
  EXPECT_FALSE(Of(doc, piece_)[0].contains("errorDeclaration"));
}

TEST_F(EpcisTest, RecordsWithNoEventAreListed) {
  Export();
  std::vector<std::string> types;
  for (const EpcisUnmapped& u : unmapped_) {
    if (u.index == 0 || u.index == 1) types.push_back(u.record_type);
  }
  EXPECT_THAT(types, ElementsAre("genesis", "participant_registered"));
}

TEST_F(EpcisTest, EntriesOutOfOrderAreRefused) {
  std::vector<EpcisEntryIn> in = {{2, ledger().GetEntry(2).value()},
                                  {1, ledger().GetEntry(1).value()}};
  absl::StatusOr<EpcisExport> out = ExportEpcis("log.example/one", in, absl::Now());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  in = {{3, ledger().GetEntry(2).value()}};  // bytes of entry 2 said to be entry 3
  out = ExportEpcis("log.example/one", in, absl::Now());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace touchstone
