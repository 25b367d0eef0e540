// The units the trade reads (ledger/provenance/units.h) against the "units"
// vectors of tests/testdata/trade_vectors.json, which the page's port
// (services/web/trade.js) reads too (tests/browser/trade_test.mjs).
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "ledger/provenance/units.h"
#include "nlohmann/json.hpp"

namespace touchstone {
namespace {

nlohmann::json Units() {
  std::ifstream in(TOUCHSTONE_TRADE_VECTORS);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str())["units"];
}

int64_t I64(const nlohmann::json& j) {
  return j.is_string() ? std::stoll(j.get<std::string>()) : j.get<int64_t>();
}

TEST(TradeUnitsVectorsTest, MassCaratsFineMassAndFineness) {
  const nlohmann::json units = Units();
  ASSERT_GE(units["mass"].size(), 5u);
  for (const auto& v : units["mass"]) {
    EXPECT_EQ(MassText(I64(v["milligrams"])), v["want"].get<std::string>());
  }
  for (const auto& v : units["carats"]) {
    EXPECT_EQ(CaratText(I64(v["thousandths"])), v["want"].get<std::string>());
  }
  for (const auto& v : units["fine_mass"]) {
    EXPECT_EQ(FineMassText(I64(v["fine"])), v["want"].get<std::string>());
  }
  for (const auto& v : units["fineness_karats"]) {
    EXPECT_EQ(FinenessKaratText(v["ptt"]), v["want"].get<std::string>());
  }
  for (const auto& v : units["metal_fineness"]) {
    EXPECT_EQ(MetalFinenessText(v["material"].get<std::string>(), v["ptt"]),
              v["want"].get<std::string>());
  }
  EXPECT_EQ(QuantityText(v1::UNIT_MILLIGRAM, 1000000), units["mass"][0]["want"].get<std::string>());
  EXPECT_EQ(QuantityText(v1::UNIT_CARAT_THOUSANDTH, 1250), "1.250 ct");
}

}  // namespace
}  // namespace touchstone
