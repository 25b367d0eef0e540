// The heirloom rules' shared definitions (ledger/provenance/heirloom.h)
// against tests/testdata/heirloom_vectors.json, which the page's port
// (services/web/heirloom.js) reads too: every vector must give the same
// answer, status code and message in both. The file's "format" key says how
// the vectors are written.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "ledger/provenance/heirloom.h"
#include "nlohmann/json.hpp"
#include "proto/record.pb.h"

namespace touchstone {
namespace {

using nlohmann::json;

json Vectors() {
  std::ifstream in(TOUCHSTONE_HEIRLOOM_VECTORS);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// A 64-bit integer of the vectors: always a decimal string.
int64_t I64(const json& j) { return std::stoll(j.get<std::string>()); }

template <typename M>
M Message(const json& j) {
  M m;
  const auto s = google::protobuf::util::JsonStringToMessage(j.dump(), &m);
  EXPECT_TRUE(s.ok()) << s << " in " << j.dump();
  return m;
}

std::string CodeName(const absl::Status& s) {
  if (s.ok()) return "";
  return s.code() == absl::StatusCode::kInvalidArgument      ? "INVALID_ARGUMENT"
         : s.code() == absl::StatusCode::kFailedPrecondition ? "FAILED_PRECONDITION"
                                                             : absl::StatusCodeToString(s.code());
}

void ExpectOutcome(const json& v, const absl::Status& s) {
  const std::string name = v["name"];
  EXPECT_EQ(CodeName(s), v["code"].get<std::string>()) << name << ": " << s;
  EXPECT_EQ(std::string(s.message()), v["error"].get<std::string>()) << name;
}

HeirloomLot LotOf(const json& j) {
  HeirloomLot l;
  l.lot_id = j.at("lot_id");
  l.material = j.at("material");
  l.stone = j.at("stone");
  l.fine = I64(j.at("fine"));
  l.heirloom_fine = I64(j.at("heirloom_fine"));
  l.whole = j.at("whole");
  l.owner = j.at("owner");
  l.intakes = j.at("intakes").get<std::vector<std::string>>();
  l.mixed = j.at("mixed");
  return l;
}
std::vector<HeirloomLot> LotsOf(const json& list) {
  std::vector<HeirloomLot> out;
  for (const json& j : list) out.push_back(LotOf(j));
  return out;
}

HeirloomFlow FlowOf(const json& j) {
  HeirloomFlow f;
  f.heirloom = I64(j.at("heirloom"));
  f.fine = I64(j.at("fine"));
  f.owner = j.at("owner");
  f.intakes = j.at("intakes").get<std::vector<std::string>>();
  f.mixed = j.at("mixed");
  f.stones_all_owner = j.at("stones_all_owner");
  return f;
}
json FlowJson(const HeirloomFlow& f) {
  return {{"heirloom", absl::StrCat(f.heirloom)},
          {"fine", absl::StrCat(f.fine)},
          {"owner", f.owner},
          {"intakes", f.intakes},
          {"mixed", f.mixed},
          {"stones_all_owner", f.stones_all_owner}};
}

v1::HeirloomClaim ClaimOf(const json& j) { return Message<v1::HeirloomClaim>(j); }
json ClaimJson(const v1::HeirloomClaim& c) {
  return {{"owner_key_id", c.owner_key_id()},
          {"material", c.material()},
          {"owner_fine", absl::StrCat(c.owner_fine())},
          {"material_fine", absl::StrCat(c.material_fine())},
          {"owner_stone_lot_ids", std::vector<std::string>(c.owner_stone_lot_ids().begin(),
                                                           c.owner_stone_lot_ids().end())},
          {"intake_ids", std::vector<std::string>(c.intake_ids().begin(), c.intake_ids().end())}};
}

class HeirloomVectorsTest : public ::testing::Test {
 protected:
  const json vectors_ = Vectors();
};

TEST_F(HeirloomVectorsTest, TheFileSaysItsFormatAndHoldsEnoughVectors) {
  ASSERT_TRUE(vectors_.contains("format"));
  EXPECT_NE(vectors_["format"].get<std::string>().find("decimal STRING"), std::string::npos);
  size_t total = 0;
  for (const char* key : {"combine", "after_loss", "check_outputs", "compute_claim", "check_claim",
                          "grams_text", "claim_text"}) {
    ASSERT_TRUE(vectors_.contains(key)) << key;
    EXPECT_GE(vectors_[key].size(), 4u) << key;
    total += vectors_[key].size();
  }
  EXPECT_GE(total, 40u);
}

TEST_F(HeirloomVectorsTest, CombineHeirloomInputs) {
  for (const json& v : vectors_["combine"]) {
    const std::vector<HeirloomLot> same = LotsOf(v["same"]), alloying = LotsOf(v["alloying"]);
    const absl::StatusOr<HeirloomFlow> got = CombineHeirloomInputs(same, alloying);
    ExpectOutcome(v, got.status());
    if (got.ok()) {
      EXPECT_EQ(FlowJson(*got), v["want"]) << v["name"];
    }
  }
}

TEST_F(HeirloomVectorsTest, HeirloomAfterLoss) {
  for (const json& v : vectors_["after_loss"]) {
    EXPECT_EQ(absl::StrCat(HeirloomAfterLoss(I64(v["heirloom"]), I64(v["fine"]), I64(v["loss"]))),
              v["want"].get<std::string>())
        << v["name"];
  }
}

TEST_F(HeirloomVectorsTest, CheckHeirloomOutputs) {
  for (const json& v : vectors_["check_outputs"]) {
    std::vector<int64_t> output_fine;
    for (const json& f : v["output_fine"]) output_fine.push_back(I64(f));
    ExpectOutcome(v, CheckHeirloomOutputs(Message<v1::Transformation>(v["transformation"]),
                                          FlowOf(v["flow"]), I64(v["loss"]), output_fine));
  }
}

TEST_F(HeirloomVectorsTest, ComputeHeirloomClaim) {
  for (const json& v : vectors_["compute_claim"]) {
    const std::vector<HeirloomLot> metal = LotsOf(v["metal"]), stones = LotsOf(v["stones"]);
    const absl::StatusOr<v1::HeirloomClaim> got = ComputeHeirloomClaim(metal, stones);
    ExpectOutcome(v, got.status());
    if (got.ok()) {
      EXPECT_EQ(ClaimJson(*got), v["want"]) << v["name"];
    }
  }
}

TEST_F(HeirloomVectorsTest, CheckHeirloomClaim) {
  for (const json& v : vectors_["check_claim"]) {
    ExpectOutcome(
        v, CheckHeirloomClaim(Message<v1::PieceRegistered>(v["piece"]), ClaimOf(v["computed"])));
  }
}

TEST_F(HeirloomVectorsTest, HeirloomGramsText) {
  for (const json& v : vectors_["grams_text"]) {
    EXPECT_EQ(HeirloomGramsText(I64(v["fine_units"])), v["want"].get<std::string>()) << v["name"];
  }
}

TEST_F(HeirloomVectorsTest, HeirloomClaimText) {
  for (const json& v : vectors_["claim_text"]) {
    EXPECT_EQ(HeirloomClaimText(ClaimOf(v["claim"])), v["want"].get<std::string>()) << v["name"];
  }
}

}  // namespace
}  // namespace touchstone
