// EPCIS 2.0 import (ledger/epcis/epcis_import.h): a document exported from a
// small log reads back into exactly the records it came from (bodies, ids,
// times, signers, the error declaration's targets); GS1's own example
// documents and hand-made bad events are refused event by event, each with
// its reason.
#include "ledger/epcis/epcis_import.h"

#include <cstddef>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "ledger/epcis/epcis_export.h"
#include "ledger/provenance/record.h"
#include "nlohmann/json.hpp"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;
using testing::kHourMicros;
using Json = nlohmann::json;

// An EPCISDocument of `events` whose @context binds "touchstone" to our namespace.
Json Document(Json events) {
  return {
      {"@context", {std::string(kEpcisContext), {{"touchstone", std::string(kEpcisNamespace)}}}},
      {"type", "EPCISDocument"},
      {"epcisBody", {{"eventList", std::move(events)}}}};
}

class EpcisImportTest : public testing::RulesFixture {
 protected:
  EpcisImportTest()
      : certifier_(Register("certifier", v1::ROLE_CERTIFIER)),
        refiner_(Register("refiner-1", v1::ROLE_REFINER)),
        jeweler_(Register("jeweler", v1::ROLE_JEWELER)),
        grower_(Register("grower", v1::ROLE_GROWER)),
        lab_(Register("lab", v1::ROLE_CERTIFIER)) {
    Accept(Certificate(certifier_, "c1", "refiner-1", testing::NowMicros() - kHourMicros));
    Accept(GoldLot(refiner_, "g1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 10000, 1000, {"c1"}));
    Accept(Transform(refiner_, "t1", v1::PROCESS_SPLIT, "gold", {{"g1", 10000}},
                     {{"g2", 6000, 1000, "sheet"}, {"g3", 4000}}, 0, {"c1"}));
    Transfer(refiner_, jeweler_, "g2");
    GradedStone(grower_, lab_, jeweler_, "s1", v1::ORIGIN_CLASS_LAB_GROWN, 520);
    GradedStone(grower_, lab_, jeweler_, "s2", v1::ORIGIN_CLASS_LAB_GROWN, 510);
    Accept(StatusChange(lab_, "gr-s2", v1::CERTIFICATE_STATUS_SUSPENDED));
    Accept(StatusChange(lab_, "gr-s2", v1::CERTIFICATE_STATUS_REINSTATED));
    Accept(Piece(jeweler_, "RING-1", {"s1"}, {{"g2", 2000}}, {v1::CLAIM_RECYCLED_METAL}));
    wrong_ = Accept(Piece(jeweler_, "RING-2", {}, {{"g2", 500}})).index;
    replacement_ = Accept(Piece(jeweler_, "RING-3", {}, {{"g2", 400}})).index;
    declared_ = Accept(DeclareError(jeweler_, wrong_, replacement_)).index;
    // Records after the declaration: it is placed among them, not at the end.
    Accept(Lifecycle(jeweler_, "RING-1", v1::PIECE_EVENT_REPAIRED));
    Accept(ReplaceStone(jeweler_, "RING-1", "s1", "s2"));
  }

  std::string Export() {
    std::vector<EpcisEntryIn> in;
    for (uint64_t i = 0; i < ledger().Size(); ++i) in.push_back({i, ledger().GetEntry(i).value()});
    absl::StatusOr<EpcisExport> out = ExportEpcis("log.example/one", in, absl::Now());
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->document : "";
  }
  v1::Record At(uint64_t index) {
    return RecordOfEntry(index, ledger().GetEntry(index).value()).value();
  }

  Identity certifier_, refiner_, jeweler_, grower_, lab_;
  uint64_t wrong_ = 0, replacement_ = 0, declared_ = 0;
};

// Every record the export gives an event comes back as it was signed: the same
// body, id, time and signer; the declaration points at the wrong record and its
// replacement and comes after both.
TEST_F(EpcisImportTest, AnExportReadsBackIntoTheRecordsItCameFrom) {
  absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(Export());
  ASSERT_TRUE(plan.ok()) << plan.status();
  for (const EpcisImportError& e : plan->errors) ADD_FAILURE() << e.event << ": " << e.message;
  std::map<std::string, size_t> planned;  // record id -> position
  for (size_t i = 0; i < plan->records.size(); ++i) {
    EXPECT_TRUE(planned.emplace(plan->records[i].record.record_id(), i).second);
  }
  size_t mapped = 0;
  for (uint64_t index = 1; index < ledger().Size(); ++index) {
    v1::Record original = At(index);
    switch (original.body_case()) {
      case v1::Record::kLotCreated:
      case v1::Record::kTransformation:
      case v1::Record::kCustodyShipped:
      case v1::Record::kCustodyReceived:
      case v1::Record::kPieceRegistered:
      case v1::Record::kPieceLifecycle:
      case v1::Record::kStoneReplaced:
      case v1::Record::kErrorDeclared:
      case v1::Record::kCertificateStatusChanged:  // of a lot's certificate
        break;
      case v1::Record::kCertificateIssued:
        if (!original.certificate_issued().subject_lot().empty()) break;
        [[fallthrough]];
      default:
        EXPECT_FALSE(planned.contains(original.record_id())) << index;
        continue;
    }
    ++mapped;
    auto it = planned.find(original.record_id());
    ASSERT_NE(it, planned.end()) << "entry " << index << " did not come back";
    const EpcisImportRecord& got = plan->records[it->second];
    EXPECT_EQ(got.signer, original.signer()) << index;
    if (original.has_error_declared()) {
      ASSERT_TRUE(got.wrong && got.replacement);
      EXPECT_EQ(plan->records[*got.wrong].record.record_id(), At(wrong_).record_id());
      EXPECT_EQ(plan->records[*got.replacement].record.record_id(), At(replacement_).record_id());
      EXPECT_GT(it->second, *got.replacement) << "declared after what it names";
      // Where the log had it: before the two records appended after it.
      EXPECT_EQ(plan->records.size() - it->second - 1, 2u);
      original.mutable_error_declared()->clear_wrong_index();
      original.mutable_error_declared()->clear_replacement_index();
    }
    original.clear_signer();
    original.clear_key_id();
    std::string diff;
    google::protobuf::util::MessageDifferencer d;
    d.ReportDifferencesToString(&diff);
    EXPECT_TRUE(d.Compare(original, got.record)) << "entry " << index << ": " << diff;
  }
  EXPECT_EQ(mapped, plan->records.size());
  EXPECT_GE(mapped, 17u);
}

// A mass-balance account, a booking and an allocation as the export writes
// them (TransactionEvents of the account) read back into their records; a
// credit event that does not say which account, or what kind of credit, is
// refused with its reason.
TEST(EpcisImportCredit, AccountsAndCreditsReadBackAndBadOnesAreRefused) {
  const std::string account = "https://log.example/one/account/mb-1";
  auto event = [&](int n, Json body) {
    body["eventID"] = "https://log.example/one/entry/" + std::to_string(n);
    body["eventTime"] = "2026-12-01T10:00:00Z";
    body["eventTimeZoneOffset"] = "+00:00";
    body["type"] = "TransactionEvent";
    body["action"] = "ADD";
    if (!body.contains("bizTransactionList")) {
      body["bizTransactionList"] = {
          {{"type", "touchstone:massBalanceAccount"}, {"bizTransaction", account}}};
    }
    return body;
  };
  auto credit = [](const char* kind, int64_t fine, int64_t seq, int64_t balance) {
    return Json{{"touchstone:kind", kind},
                {"touchstone:fine", fine},
                {"touchstone:seq", seq},
                {"touchstone:balanceAfter", balance}};
  };
  const Json scrap = {{{"epcClass", "https://log.example/one/lot/scrap-1"}}};
  const Json grain = {{{"epcClass", "https://log.example/one/lot/grain-1"}}};
  Json events = Json::array({
      event(1, {{"touchstone:account",
                 {{"touchstone:site", "Refinery"},
                  {"touchstone:material", "gold"},
                  {"touchstone:attribute", "recycled"},
                  {"touchstone:periodStart", "2026-12-01T00:00:00Z"},
                  {"touchstone:periodEnd", "2027-03-03T00:00:00Z"}}},
                {"certificationInfo", "https://log.example/one/certificate/coc-1"}}),
      event(2, {{"quantityList", scrap}, {"touchstone:credit", credit("booking", 900, 1, 900)}}),
      event(3, {{"quantityList", grain}, {"touchstone:credit", credit("allocation", 600, 2, 300)}}),
      // Refused: another kind; no account; an account that is not ours; two lots.
      event(4, {{"quantityList", grain}, {"touchstone:credit", credit("gift", 1, 3, 299)}}),
      event(5, {{"quantityList", grain},
                {"bizTransactionList", Json::array()},
                {"touchstone:credit", credit("allocation", 1, 3, 299)}}),
      event(6, {{"quantityList", grain},
                {"bizTransactionList", {{{"bizTransaction", "urn:epcglobal:cbv:bt:po:1"}}}},
                {"touchstone:credit", credit("allocation", 1, 3, 299)}}),
      event(7, {{"quantityList", {scrap[0], grain[0]}},
                {"touchstone:credit", credit("allocation", 1, 3, 299)}}),
  });
  const Json doc = Document(events);
  absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(doc.dump());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->records.size(), 3u);
  const v1::CreditAccountOpened& a = plan->records[0].record.credit_account_opened();
  EXPECT_EQ(a.account_id(), "mb-1");
  EXPECT_EQ(a.site(), "Refinery");
  EXPECT_EQ(a.attribute(), v1::ATTRIBUTE_RECYCLED);
  EXPECT_EQ(a.certificate_id(), "coc-1");
  EXPECT_EQ(a.period_end_micros() - a.period_start_micros(), int64_t{92} * 86400 * 1000000);
  const v1::CreditBooked& b = plan->records[1].record.credit_booked();
  EXPECT_EQ(b.account_id(), "mb-1");
  EXPECT_EQ(b.lot_id(), "scrap-1");
  EXPECT_EQ(b.fine(), 900);
  EXPECT_EQ(b.seq(), 1u);
  EXPECT_EQ(b.balance_after(), 900);
  const v1::CreditAllocated& c = plan->records[2].record.credit_allocated();
  EXPECT_EQ(c.lot_id(), "grain-1");
  EXPECT_EQ(c.fine(), 600);
  EXPECT_EQ(c.seq(), 2u);
  EXPECT_EQ(c.balance_after(), 300);
  ASSERT_EQ(plan->errors.size(), 4u);
  EXPECT_THAT(plan->errors[0].message, HasSubstr("touchstone:kind 'gift' is not booking"));
  EXPECT_THAT(plan->errors[1].message, HasSubstr("names its one account in bizTransactionList"));
  EXPECT_THAT(plan->errors[2].message, HasSubstr("names no account"));
  EXPECT_THAT(plan->errors[3].message, HasSubstr("names 2 lots in quantityList"));
}

// The same document twice gives the same records: a rerun is retries, not new history.
TEST_F(EpcisImportTest, ReadingTwiceGivesTheSameRecords) {
  const std::string doc = Export();
  EpcisImportPlan a = PlanEpcisImport(doc).value(), b = PlanEpcisImport(doc).value();
  ASSERT_EQ(a.records.size(), b.records.size());
  for (size_t i = 0; i < a.records.size(); ++i) {
    EXPECT_EQ(SerializeRecord(a.records[i].record), SerializeRecord(b.records[i].record));
  }
}

// A foreign document names lots by its own URIs, binds our namespace to another
// prefix and has no touchstone:entry: ids come from the eventID, the lot is the URI.
TEST_F(EpcisImportTest, AForeignLotWithAnotherPrefixIsRead) {
  const Json doc = {
      {"@context", {std::string(kEpcisContext), {{"ts", std::string(kEpcisNamespace)}}}},
      {"type", "EPCISDocument"},
      {"epcisBody",
       {{"eventList",
         {{{"type", "ObjectEvent"},
           {"eventID", "urn:uuid:1f0e8e52-0a7e-4d1a-9e61-6b2f1b0c0a01"},
           {"eventTime", "2026-11-30T09:15:00.250+01:00"},
           {"eventTimeZoneOffset", "+01:00"},
           {"action", "ADD"},
           {"bizStep", "commissioning"},
           {"quantityList",
            {{{"epcClass", "urn:epc:class:lgtin:4012345.011111.4444"},
              {"quantity", 1.25},
              {"uom", "KGM"}}}},
           {"ilmd",
            {{"ts:material", "gold"},
             {"ts:form", "grain"},
             {"ts:originClass", "recycled_pre_consumer"},
             {"ts:finenessPtt", 9999}}}}}}}}};
  absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(doc.dump());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(plan->errors.empty()) << plan->errors[0].message;
  ASSERT_EQ(plan->records.size(), 1u);
  const v1::Record& r = plan->records[0].record;
  EXPECT_EQ(r.lot_created().lot_id(), "urn:epc:class:lgtin:4012345.011111.4444");
  EXPECT_EQ(r.lot_created().quantity(), 1250000);  // 1.25 kg in milligrams
  EXPECT_EQ(r.lot_created().unit(), v1::UNIT_MILLIGRAM);
  EXPECT_EQ(r.lot_created().fineness_ptt(), 9999);
  EXPECT_EQ(r.event_time_micros(),
            absl::ToUnixMicros(
                absl::FromCivil(absl::CivilSecond(2026, 11, 30, 8, 15, 0), absl::UTCTimeZone())) +
                250000);
  EXPECT_EQ(r.record_id().size(), 6u + 32u);
  EXPECT_EQ(r.record_id().substr(0, 6), "epcis-");
  EXPECT_TRUE(plan->records[0].signer.empty()) << "the importer signs";
}

// Each bad event is refused with its reason; the good one beside it still maps.
TEST_F(EpcisImportTest, BadEventsAreRefusedOneByOne) {
  Json good = Json::parse(Export())["epcisBody"]["eventList"][0];  // a lot's creation
  int n = 0;
  auto variant = [&](const std::function<void(Json&)>& change) {
    Json e = good;
    e.erase("touchstone:entry");
    e["eventID"] = "urn:uuid:bad-" + std::to_string(n++);
    change(e);
    return e;
  };
  Json events = Json::array({
      variant([](Json& e) { e.erase("eventID"); }),
      variant([](Json& e) { e["quantityList"][0]["uom"] = "LBR"; }),
      variant([](Json& e) { e["quantityList"][0]["quantity"] = 0.5; }),
      variant([](Json& e) { e["ilmd"].erase("touchstone:material"); }),
      variant([](Json& e) { e["ilmd"]["touchstone:originClass"] = "found"; }),
      variant([](Json& e) { e["touchstone:sealed"] = true; }),
      variant([](Json& e) { e["eventTime"] = "yesterday"; }),
      variant([](Json& e) { e["eventTime"] = "1969-12-31T23:59:59Z"; }),
      variant([](Json& e) { e["eventTime"] = "infinite-future"; }),
      variant([](Json& e) { e["quantityList"][0].erase("quantity"); }),
      variant([](Json&) {}),
  });
  const Json doc = Document(events);
  absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(doc.dump());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->errors.size(), 10u);
  const std::vector<std::string> why = {"no eventID",
                                        "unit 'LBR' is not a mass",
                                        "not a whole, positive number of milligrams",
                                        "no touchstone:material",
                                        "'found' is not an origin class",
                                        "a sealed record",
                                        "eventTime 'yesterday' is not RFC 3339",
                                        "'1969-12-31T23:59:59Z' is before 1970 or after 9999",
                                        "'infinite-future' is before 1970 or after 9999",
                                        "no quantity"};
  for (size_t i = 0; i < why.size(); ++i) {
    EXPECT_EQ(plan->errors[i].event, i + 1);
    EXPECT_THAT(plan->errors[i].message, HasSubstr(why[i])) << i;
  }
  ASSERT_EQ(plan->records.size(), 1u);
  EXPECT_EQ(plan->records[0].event, 11u);
}

TEST_F(EpcisImportTest, WhatIsNotADocumentIsRefusedWhole) {
  EXPECT_EQ(PlanEpcisImport("{").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanEpcisImport(R"({"type":"EPCISQueryDocument"})").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanEpcisImport(R"({"type":"EPCISDocument","epcisBody":{}})").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Two exports of one log with records in common read as one plan: each record
// once, in the log's order; a record id standing for two records is refused.
TEST_F(EpcisImportTest, PlansOfOneLogMergeInItsOrder) {
  const std::string doc = Export();
  EpcisImportPlan whole = PlanEpcisImport(doc).value();
  // The second half first, then the whole: the merge puts them back in order.
  Json half = Json::parse(doc);
  Json& list = half["epcisBody"]["eventList"];
  list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(list.size() / 2));
  EpcisImportPlan late = PlanEpcisImport(half.dump()).value();
  ASSERT_LT(late.records.size(), whole.records.size());
  absl::StatusOr<EpcisImportPlan> merged = MergeEpcisPlans({late, whole});
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_EQ(merged->records.size(), whole.records.size());
  for (size_t i = 0; i < whole.records.size(); ++i) {
    EXPECT_EQ(merged->records[i].record.record_id(), whole.records[i].record.record_id()) << i;
    if (merged->records[i].wrong) {
      EXPECT_EQ(merged->records[*merged->records[i].wrong].record.record_id(),
                whole.records[*whole.records[i].wrong].record.record_id());
      EXPECT_EQ(merged->records[*merged->records[i].replacement].record.record_id(),
                whole.records[*whole.records[i].replacement].record.record_id());
    }
  }
  EXPECT_EQ(merged->records[0].document, 1u);  // first seen in the whole export
  // The same id with another body in another document: refused, naming the id.
  EpcisImportPlan other = whole;
  other.records[0].record.set_event_time_micros(other.records[0].record.event_time_micros() + 1);
  absl::StatusOr<EpcisImportPlan> clash = MergeEpcisPlans({whole, other});
  EXPECT_EQ(clash.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(clash.status().message(), HasSubstr(whole.records[0].record.record_id()));
}

// What a hostile document tries: wrong JSON types, a key under two prefixes, a
// participant id that is a path, a piece that is not the one described, values
// that do not fit their fields. Each is refused for its event; nothing throws.
TEST_F(EpcisImportTest, AHostileDocumentIsRefusedEventByEvent) {
  Json doc = Json::parse(Export());
  doc["@context"][1]["ts"] = std::string(kEpcisNamespace);  // a second prefix for our namespace
  Json& list = doc["epcisBody"]["eventList"];
  auto find = [&](const std::function<bool(const Json&)>& what) -> Json& {
    for (Json& e : list) {
      if (what(e)) return e;
    }
    ADD_FAILURE() << "no such event";
    return list[0];
  };
  auto step = [](const char* s) {
    return [s](const Json& e) { return e.value("bizStep", "") == s; };
  };
  // A replacement whose childEPCs is a string, not a list.
  for (Json& e : list) {
    if (e.value("bizStep", "") == "replacing") e["childEPCs"] = "https://log.example/one/lot/s2";
  }
  find(step("shipping"))["sourceList"][0]["source"] =
      "https://log.example/one/participant/..%2F..%2Fetc%2Fkey";
  find(step("shipping"))["touchstone:entry"].erase("touchstone:signer");
  find(step("receiving"))["ts:shipmentId"] = "another";  // touchstone:shipmentId twice
  find([](const Json& e) { return e.contains("outputEPCList"); })["outputEPCList"][0] =
      "https://log.example/one/piece/SOMETHING-ELSE";
  find([](const Json& e) {
    return e.value("bizStep", "") == "commissioning" && e.value("type", "") == "ObjectEvent";
  })["ilmd"]["touchstone:finenessPpt"] = 4294968296LL;  // 2^32 + 1000: would wrap to 1000
  find(step(
      "inspecting"))["touchstone:certificate"]["touchstone:gradingReport"]["touchstone:carats"] =
      0.5205;
  // A declaration dated before 1970 (the fuzzer's find: it became a record with a negative time).
  find([](const Json& e) {
    return e.contains("errorDeclaration");
  })["errorDeclaration"]["declarationTime"] = "1969-12-31T23:59:59Z";
  absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(doc.dump());
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::string all;
  for (const EpcisImportError& e : plan->errors) all += e.message + "\n";
  EXPECT_THAT(all, HasSubstr("each replacing event names one stone in childEPCs"));
  EXPECT_THAT(all, HasSubstr("names no participant"));
  EXPECT_THAT(all, HasSubstr("touchstone:shipmentId is given twice"));
  EXPECT_THAT(all, HasSubstr("not piece 'RING-"));
  EXPECT_THAT(all, HasSubstr("touchstone:finenessPpt must be a whole number from 0 to 2147483647"));
  EXPECT_THAT(all, HasSubstr("touchstone:carats must be a whole"));
  EXPECT_THAT(all, HasSubstr("declarationTime '1969-12-31T23:59:59Z' is before 1970"));
  for (const EpcisImportRecord& r : plan->records) {
    EXPECT_FALSE(r.record.has_error_declared()) << "its only declaration was dated 1969";
    EXPECT_TRUE(r.signer.empty() || IsValidParticipantId(r.signer)) << r.signer;
  }
}

// Values nested deeper than any document of ours are dropped while reading,
// so nothing recursive ever walks them.
TEST(EpcisImportLimits, DeepNestingIsDroppedNotFollowed) {
  std::string deep(200000, '[');
  deep += std::string(200000, ']');
  const std::string doc = R"({"type":"EPCISDocument","@context":)" + deep +
                          R"(,"epcisBody":{"eventList":[{"type":"ObjectEvent","x":)" + deep +
                          "}]}}";
  absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(doc);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->events, 1u);
  ASSERT_EQ(plan->errors.size(), 1u);
  EXPECT_THAT(plan->errors[0].message, HasSubstr("no eventID"));
}

std::string ReadShared(const std::string& name) {
  std::ifstream in(std::string(TOUCHSTONE_EPCIS_DIR) + "/" + name);
  std::stringstream s;
  s << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << name;
  return s.str();
}

// GS1's example documents: instances, pallets and foreign transformations, none
// of which is a Touchstone record; each event gets its own reason.
TEST(EpcisGs1Examples, EveryEventIsRefusedWithItsReason) {
  struct Case {
    const char* file;
    std::vector<std::string> why;
  };
  const std::vector<Case> cases = {
      {"Example_9.6.1-ObjectEvent.jsonld",
       {"ObjectEvent OBSERVE shipping: names no lot in quantityList (epcList names instances",
        "ObjectEvent OBSERVE receiving: names no lot in quantityList (epcList names instances"}},
      {"Example_9.6.3-AggregationEvent.jsonld",
       {"AggregationEvent OBSERVE receiving: no Touchstone record has this shape"}},
      {"Example_9.6.4-TransformationEvent.jsonld",
       {"TransformationEvent commissioning: neither a transformation (touchstone:process"}},
  };
  for (const Case& c : cases) {
    absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(ReadShared(c.file));
    ASSERT_TRUE(plan.ok()) << c.file << ": " << plan.status();
    EXPECT_TRUE(plan->records.empty()) << c.file;
    ASSERT_EQ(plan->errors.size(), c.why.size()) << c.file;
    for (size_t i = 0; i < c.why.size(); ++i) {
      EXPECT_EQ(plan->errors[i].event, i + 1) << c.file;
      EXPECT_THAT(plan->errors[i].event_id, HasSubstr("ni:///sha-256;")) << c.file;
      EXPECT_THAT(plan->errors[i].message, HasSubstr(c.why[i])) << c.file;
    }
  }
}

}  // namespace
}  // namespace touchstone
