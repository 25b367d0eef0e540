// The trade's shared definitions (ledger/provenance/fineness, disclosure,
// parcels, mass_balance, schemes, material_trace) against
// tests/testdata/trade_vectors.json, which the page's port
// (services/web/trade.js) reads too (tests/browser/trade_test.mjs): every
// vector must give the same answer, status code and message in both.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/mass_balance.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/parcels.h"
#include "ledger/provenance/schemes.h"
#include "nlohmann/json.hpp"
#include "proto/record.pb.h"

namespace touchstone {
namespace {

using nlohmann::json;

json Vectors() {
  std::ifstream in(TOUCHSTONE_TRADE_VECTORS);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

// A 64-bit integer of the vectors: a JSON number or a string.
int64_t I64(const json& j) {
  return j.is_string() ? std::stoll(j.get<std::string>()) : j.get<int64_t>();
}
uint64_t U64(const json& j) {
  return j.is_string() ? std::stoull(j.get<std::string>()) : j.get<uint64_t>();
}

template <typename M>
M Message(const json& j) {
  M m;
  const auto s = google::protobuf::util::JsonStringToMessage(j.dump(), &m);
  EXPECT_TRUE(s.ok()) << s << " in " << j.dump();
  return m;
}

// The status code's name as the vectors write it ("" for OK).
std::string CodeName(const absl::Status& s) {
  if (s.ok()) return "";
  return s.code() == absl::StatusCode::kInvalidArgument      ? "INVALID_ARGUMENT"
         : s.code() == absl::StatusCode::kFailedPrecondition ? "FAILED_PRECONDITION"
                                                             : absl::StatusCodeToString(s.code());
}

void ExpectOutcome(const json& v, const absl::Status& s, const std::string& label) {
  EXPECT_EQ(CodeName(s), v["code"].get<std::string>()) << label << ": " << s;
  EXPECT_EQ(std::string(s.message()), v["error"].get<std::string>()) << label;
}

// An enum of the vectors by name (absent: 0).
template <typename E>
E Enum(const json& j) {
  E e{};
  if (!j.is_null()) {
    const auto* value =
        google::protobuf::GetEnumDescriptor<E>()->FindValueByName(j.get<std::string>());
    EXPECT_NE(value, nullptr) << j;
    if (value != nullptr) e = static_cast<E>(value->number());
  }
  return e;
}
v1::Unit UnitOf(const json& j) { return Enum<v1::Unit>(j); }
v1::OriginClass OriginOf(const json& j) { return Enum<v1::OriginClass>(j); }
v1::StoneOrigin StoneOriginOfJson(const json& j) { return Enum<v1::StoneOrigin>(j); }

std::vector<std::string> Strings(const json& j) {
  return j.is_null() ? std::vector<std::string>{} : j.get<std::vector<std::string>>();
}

// LotTrace <-> the vectors' JSON (LotTrace's field names, enums by name).
LotTrace TraceOf(const json& j) {
  LotTrace t;
  t.lot_id = j.value("lot_id", "");
  t.material = j.value("material", "");
  t.unit = UnitOf(j.value("unit", json()));
  t.fineness_ptt = j.value("fineness_ptt", 0);
  t.origin = OriginOf(j.value("origin", json()));
  t.certified = j.value("certified", false);
  t.stone_origin = StoneOriginOfJson(j.value("stone_origin", json()));
  t.graded = j.value("graded", false);
  t.stones = j.contains("stones") ? I64(j["stones"]) : 0;
  t.site = j.value("site", "");
  t.natural_chain = j.value("natural_chain", false);
  t.credit_booked = j.value("credit_booked", false);
  t.mb_share_bp = j.value("mb_share_bp", 0);
  t.mb_accounts = Strings(j.value("mb_accounts", json()));
  t.mb_schemes = Strings(j.value("mb_schemes", json()));
  t.origin_schemes = Strings(j.value("origin_schemes", json()));
  t.sources = Strings(j.value("sources", json()));
  for (const json& a : j.value("alloy", json::array())) {
    t.alloy.push_back({a["material"], a["ptt"], OriginOf(a["origin"])});
  }
  return t;
}

json AlloyJson(const std::vector<AlloyShare>& alloy) {
  json out = json::array();
  for (const AlloyShare& a : alloy) {
    out.push_back(
        {{"material", a.material}, {"ptt", a.ptt}, {"origin", v1::OriginClass_Name(a.origin)}});
  }
  return out;
}

json TraceJson(const LotTrace& t) {
  return {{"lot_id", t.lot_id},
          {"material", t.material},
          {"unit", v1::Unit_Name(t.unit)},
          {"fineness_ptt", t.fineness_ptt},
          {"origin", v1::OriginClass_Name(t.origin)},
          {"certified", t.certified},
          {"stone_origin", v1::StoneOrigin_Name(t.stone_origin)},
          {"graded", t.graded},
          {"stones", absl::StrCat(t.stones)},
          {"site", t.site},
          {"natural_chain", t.natural_chain},
          {"credit_booked", t.credit_booked},
          {"mb_share_bp", t.mb_share_bp},
          {"mb_accounts", t.mb_accounts},
          {"mb_schemes", t.mb_schemes},
          {"origin_schemes", t.origin_schemes},
          {"sources", t.sources},
          {"alloy", AlloyJson(t.alloy)}};
}

// Traces and quantities of a vector's list; `traces` keeps the traces alive.
std::vector<TracedQuantity> Quantities(const json& list, std::vector<LotTrace>& traces) {
  traces.clear();
  traces.reserve(list.size());
  std::vector<TracedQuantity> out;
  for (const json& q : list) {
    traces.push_back(TraceOf(q["lot"]));
    out.push_back(
        {&traces.back(), I64(q["quantity"]), q.contains("stones") ? I64(q["stones"]) : 0});
  }
  return out;
}

json ClaimJson(const v1::MaterialClaim& c) {
  return {{"material", c.material()},
          {"attribute", v1::Attribute_Name(c.attribute())},
          {"model", v1::CustodyModel_Name(c.model())},
          {"share_bp", c.share_bp()},
          {"account_id", c.account_id()},
          {"scheme", c.scheme()}};
}

class TradeVectorsTest : public ::testing::Test {
 protected:
  const json vectors_ = Vectors();
};

TEST_F(TradeVectorsTest, StatedFinenessPtt) {
  ASSERT_GE(vectors_["stated_fineness"].size(), 5u);
  for (const json& v : vectors_["stated_fineness"]) {
    const auto got =
        StatedFinenessPtt(v["ppt"], v["ptt"], v["trade_rules"], v["what"].get<std::string>());
    ExpectOutcome(v, got.status(), v.dump());
    if (got.ok()) {
      EXPECT_EQ(*got, v["want"].get<int32_t>()) << v.dump();
    }
  }
}

TEST_F(TradeVectorsTest, DeclaredLossPtt) {
  for (const json& v : vectors_["declared_loss"]) {
    const auto got = DeclaredLossPtt(Message<v1::Transformation>(v["transformation"]));
    ExpectOutcome(v, got.status(), v["name"]);
    if (got.ok()) {
      EXPECT_EQ(absl::StrCat(*got), v["want"].get<std::string>()) << v["name"];
    }
  }
}

TEST_F(TradeVectorsTest, HallmarkFinenessPtt) {
  ASSERT_GE(vectors_["hallmarks"].size(), 20u);
  for (const json& v : vectors_["hallmarks"]) {
    const auto got = HallmarkFinenessPtt(v["hallmark"].get<std::string>());
    ExpectOutcome(v, got.status(), v["hallmark"]);
    if (got.ok()) {
      EXPECT_EQ(*got, v["want"].get<int32_t>()) << v["hallmark"];
    }
  }
}

TEST_F(TradeVectorsTest, FinenessTextAndKaratText) {
  for (const json& v : vectors_["fineness_text"]) {
    EXPECT_EQ(FinenessText(v["ptt"]), v["fineness"].get<std::string>()) << v["ptt"];
    EXPECT_EQ(KaratText(v["ptt"]), v["karats"].get<std::string>()) << v["ptt"];
  }
}

TEST_F(TradeVectorsTest, HasLabGrownQualifier) {
  for (const json& v : vectors_["lab_grown_qualifier"]) {
    EXPECT_EQ(HasLabGrownQualifier(v["description"].get<std::string>()), v["want"].get<bool>())
        << v["description"];
  }
}

TEST_F(TradeVectorsTest, CheckGemstoneDisclosure) {
  for (const json& v : vectors_["gemstone_disclosure"]) {
    ExpectOutcome(v, CheckGemstoneDisclosure(Message<v1::LotCreated>(v["lot"])), v["name"]);
  }
}

TEST_F(TradeVectorsTest, CheckNewParcel) {
  for (const json& v : vectors_["new_parcel"]) {
    ExpectOutcome(v, CheckNewParcel(Message<v1::StoneParcel>(v["parcel"]), I64(v["weight"])),
                  v.dump());
  }
}

TEST_F(TradeVectorsTest, DrawFromParcelDrawAfterDraw) {
  for (const json& v : vectors_["parcel_draws"]) {
    ParcelBalance balance{I64(v["before"]["stones"]), I64(v["before"]["weight"])};
    json got = json::array();
    absl::Status status;
    for (const json& d : v["draws"]) {
      const v1::LotQuantity draw = Message<v1::LotQuantity>(d);
      auto after = DrawFromParcel(balance, draw, draw.lot_id());
      if (!after.ok()) {
        status = after.status();
        break;
      }
      balance = *after;
      got.push_back(
          {{"stones", absl::StrCat(balance.stones)}, {"weight", absl::StrCat(balance.weight)}});
    }
    ExpectOutcome(v, status, v["name"]);
    EXPECT_EQ(got, v["want"]) << v["name"];
  }
}

TEST_F(TradeVectorsTest, ApplyCreditRecordAfterRecord) {
  for (const json& v : vectors_["credit"]) {
    CreditBook book;
    json got = json::array();
    absl::Status status;
    for (const json& r : v["records"]) {
      auto after = ApplyCredit(book, r["allocation"], I64(r["fine"]), U64(r["seq"]),
                               I64(r["balance_after"]), v["account_id"].get<std::string>());
      if (!after.ok()) {
        status = after.status();
        break;
      }
      book = *after;
      got.push_back({{"seq", absl::StrCat(book.seq)}, {"balance", absl::StrCat(book.balance)}});
    }
    ExpectOutcome(v, status, v["name"]);
    EXPECT_EQ(got, v["want"]) << v["name"];
  }
}

TEST_F(TradeVectorsTest, CheckPeriod) {
  for (const json& v : vectors_["period"]) {
    ExpectOutcome(v,
                  CheckPeriod(I64(v["t"]), I64(v["start"]), I64(v["end"]),
                              v["account_id"].get<std::string>()),
                  v.dump());
  }
}

TEST_F(TradeVectorsTest, AllocatedShareBp) {
  for (const json& v : vectors_["allocated_share"]) {
    EXPECT_EQ(AllocatedShareBp(I64(v["fine"]), I64(v["lot_fine"])), v["want"].get<int32_t>())
        << v.dump();
  }
}

TEST_F(TradeVectorsTest, ValidSchemeNameAndCheckSchemeMayIssue) {
  for (const json& v : vectors_["scheme_names"]) {
    ExpectOutcome(v, ValidSchemeName(v["name"].get<std::string>()), v["name"]);
  }
  for (const json& v : vectors_["scheme_may_issue"]) {
    v1::SchemeKind kind{};
    kind = Enum<v1::SchemeKind>(v["kind"]);
    ExpectOutcome(v, CheckSchemeMayIssue(kind, Message<v1::CertificateIssued>(v["certificate"])),
                  v.dump());
  }
}

TEST_F(TradeVectorsTest, TraceOfCreated) {
  for (const json& v : vectors_["trace_of_created"]) {
    const LotTrace t = TraceOfCreated(Message<v1::LotCreated>(v["created"]), v["fineness_ptt"],
                                      Strings(v["schemes"]), v["kp"]);
    EXPECT_EQ(TraceJson(t), TraceJson(TraceOf(v["want"]))) << v["name"];
  }
}

TEST_F(TradeVectorsTest, TraceOfOutputsAndOutputAlloy) {
  for (const json& v : vectors_["trace_of_outputs"]) {
    std::vector<LotTrace> same_traces, alloying_traces;
    const auto same = Quantities(v["same"], same_traces);
    const auto alloying = Quantities(v["alloying"], alloying_traces);
    const v1::Transformation t = Message<v1::Transformation>(v["transformation"]);
    EXPECT_EQ(TraceJson(TraceOfOutputs(t, same, alloying, v["trade_rules"])),
              TraceJson(TraceOf(v["want"])))
        << v["name"];
    EXPECT_EQ(AlloyJson(OutputAlloy(same, alloying, v["out_ptt"])), v["want_alloy"]) << v["name"];
  }
}

TEST_F(TradeVectorsTest, ComputePieceClaimsCheckMaterialClaimsAndTheirText) {
  ASSERT_GE(vectors_["piece_claims"].size(), 20u);
  for (const json& v : vectors_["piece_claims"]) {
    std::vector<LotTrace> metal_traces, stone_traces;
    const auto metal = Quantities(v["metal"], metal_traces);
    const auto stones = Quantities(v["stones"], stone_traces);
    const PieceClaims computed = ComputePieceClaims(metal, stones);
    google::protobuf::RepeatedPtrField<v1::MaterialClaim> asserted;
    for (const json& c : v["asserted"]) *asserted.Add() = Message<v1::MaterialClaim>(c);
    ExpectOutcome(v, CheckMaterialClaims(asserted, computed), v["name"]);
    if (v.contains("texts")) {
      json texts = json::array();
      for (const v1::MaterialClaim& c : asserted) texts.push_back(MaterialClaimText(c));
      EXPECT_EQ(texts, v["texts"]) << v["name"];
    }
    if (v.contains("composition")) {
      json got = json::array();
      for (const MaterialShare& s : computed.composition) {
        got.push_back({{"material", s.material},
                       {"stone", s.stone},
                       {"amount", absl::StrCat(s.amount)},
                       {"stones", absl::StrCat(s.stones)},
                       {"share_ptt", s.share_ptt}});
      }
      EXPECT_EQ(got, v["composition"]) << v["name"];
    }
    if (v.contains("supported")) {
      json got = json::array();
      for (const v1::MaterialClaim& c : computed.supported) got.push_back(ClaimJson(c));
      EXPECT_EQ(got, v["supported"]) << v["name"];
    }
  }
  for (const json& v : vectors_["material_claim_text"]) {
    EXPECT_EQ(MaterialClaimText(Message<v1::MaterialClaim>(v["claim"]),
                                v["account_text"].get<std::string>()),
              v["want"].get<std::string>());
  }
}

}  // namespace
}  // namespace touchstone
