// EPCIS import of what an owner key signs (ledger/epcis/epcis_owner_records.cc):
// a piece's owners' records (acceptance with terms, transfer, loss and
// recovery reports, a key replaced by the recovery agent) and an heirloom
// intake repurposing the piece, exported from a log, read back field for
// field: the owner key that must sign again, whether it signs alone, and the
// ownership record each follows as a position in the plan (its index is the
// new log's). Hand-altered events are refused one by one, with the reason.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "ledger/epcis/epcis_export.h"
#include "ledger/epcis/epcis_import.h"
#include "ledger/provenance/record.h"
#include "nlohmann/json.hpp"
#include "tests/owner_test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class EpcisOwnerImportTest : public testing::OwnerFixture {
 protected:
  void SetUp() override {
    OwnerFixture::SetUp();
    sale_ = SellToOwner("OLD-1", first_);
    v1::OwnerTerms terms;
    terms.set_recovery_agent(jeweler.id);
    *terms.mutable_recovery_key() = recovery_.key();
    accepted_ = AcceptAsOwner(Accepted("OLD-1", sale_, terms), first_).index;
    transferred_ = AcceptAsOwner(Transferred("OLD-1", accepted_, second_.key()), first_).index;
    const uint64_t again = AcceptAsOwner(Accepted("OLD-1", transferred_, terms), second_).index;
    const uint64_t lost =
        AcceptAsOwner(Report("OLD-1", again, v1::PIECE_EVENT_LOST), second_).index;
    const uint64_t found =
        AcceptAsOwner(Report("OLD-1", lost, v1::PIECE_EVENT_RECOVERED), second_).index;
    // The recovery agent (a participant) gives the piece a new owner key.
    Accept(By(jeweler, KeyReplaced("OLD-1", found, third_.key())));
    // The intake: the jeweler's, co-signed by the piece's owner key now.
    v1::Record r = NewRecord(jeweler);
    v1::HeirloomReceived* h = r.mutable_heirloom_received();
    h->set_intake_id("in-1");
    h->set_description("14k band");
    h->add_photo_sha256(std::string(32, '\x21'));
    h->add_photo_sha256(std::string(32, '\x42'));
    h->set_gross_weight_mg(4100);
    h->set_lot_id("h1");
    h->set_material("gold");
    h->set_metal_mg(4000);
    h->set_fineness_ptt(5850);
    h->set_assay_method(v1::ASSAY_METHOD_FIRE_ASSAY);
    *h->mutable_owner() = third_.key();
    h->set_repurposed_piece_id("OLD-1");
    auto [bytes, sig] = CoSigned(jeweler, r, third_);
    absl::StatusOr<Receipt> intake = ledger().Submit(std::move(bytes), std::move(sig));
    EXPECT_TRUE(intake.ok()) << intake.status();
  }

  Json Export() {
    std::vector<EpcisEntryIn> in;
    for (uint64_t i = 0; i < ledger().Size(); ++i) in.push_back({i, ledger().GetEntry(i).value()});
    absl::StatusOr<EpcisExport> out = ExportEpcis(origin(), in, absl::Now());
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? Json::parse(out->document) : Json();
  }
  v1::Record At(uint64_t index) {
    return RecordOfEntry(index, ledger().GetEntry(index).value()).value();
  }
  // The exported events of what an owner key signed, or of a record about OLD-1's owners.
  static std::vector<Json*> OwnerEvents(Json& doc) {
    std::vector<Json*> out;
    for (Json& e : doc["epcisBody"]["eventList"]) {
      if (e.contains("touchstone:owner")) out.push_back(&e);
    }
    return out;
  }

  // The plan of `doc` after `change`.
  static absl::StatusOr<EpcisImportPlan> PlanAltered(Json doc,
                                                     const std::function<void(Json&)>& change) {
    change(doc);
    return PlanEpcisImport(doc.dump());
  }
  const testing::TestOwner& Owner(const std::string& id) const {
    for (const testing::TestOwner* o : {&first_, &second_, &third_}) {
      if (o->id() == id) return *o;
    }
    return recovery_;
  }

  testing::TestOwner first_ = testing::TestOwner::Ed25519();
  testing::TestOwner second_ = testing::TestOwner::Ed25519();
  testing::TestOwner third_ = testing::TestOwner::Ed25519();
  testing::TestOwner recovery_ = testing::TestOwner::Ed25519();
  uint64_t sale_ = 0, accepted_ = 0, transferred_ = 0;
};

// Each owner's record and the intake come back as the log holds them, but for
// the owner's signature (it names the log it was given for: the importer has
// the owner sign again) and prev_index (the new log's, from `prev`).
TEST_F(EpcisOwnerImportTest, OwnersRecordsAndTheIntakeReadBackFieldForField) {
  const Json doc = Export();
  absl::StatusOr<EpcisImportPlan> plan = PlanEpcisImport(doc.dump());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->errors.empty()) << plan->errors.front().message;
  std::map<uint64_t, size_t> at;  // original index -> position in the plan
  for (size_t i = 0; i < plan->records.size(); ++i) {
    ASSERT_TRUE(plan->records[i].original_index);
    at[*plan->records[i].original_index] = i;
  }
  size_t owners = 0, owner_only = 0;
  for (uint64_t index = sale_ + 1; index < ledger().Size(); ++index) {
    SCOPED_TRACE(index);
    ASSERT_TRUE(at.contains(index)) << At(index).DebugString();
    const EpcisImportRecord& got = plan->records[at[index]];
    v1::Record want = At(index);
    v1::Record read = got.record;
    // The owner's signature there checks out with the owner's key, and no other.
    if (want.has_owner_signature()) {
      const testing::TestOwner& o = Owner(want.owner_signature().key_id());
      EXPECT_TRUE(CheckOwnerSignedBefore(got, o.key()).ok())
          << CheckOwnerSignedBefore(got, o.key());
      EXPECT_EQ(CheckOwnerSignedBefore(got, recovery_.key()).code(),
                absl::StatusCode::kPermissionDenied);
    }
    if (const std::optional<uint64_t> prev = OwnerPrevIndex(want)) {
      ASSERT_TRUE(got.prev);
      EXPECT_EQ(*plan->records[*got.prev].original_index, *prev);
      EXPECT_EQ(OwnerPrevIndex(read), uint64_t{0});  // the new log's, set by the importer
      SetOwnerPrevIndex(want, 0);
    } else {
      EXPECT_FALSE(got.prev);
    }
    EXPECT_EQ(got.owner_key_id, want.owner_signature().key_id());
    EXPECT_EQ(got.owner_only, IsOwnerOnly(want));
    EXPECT_EQ(got.signer, want.signer());
    owners += want.has_owner_signature() ? 1 : 0;
    owner_only += IsOwnerOnly(want) ? 1 : 0;
    want.clear_owner_signature();
    want.clear_signer();
    want.clear_key_id();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(read, want))
        << read.DebugString() << "\nwant\n"
        << want.DebugString();
  }
  // Two acceptances, a transfer, two reports by the owner alone; the intake co-signed.
  EXPECT_EQ(owner_only, 5u);
  EXPECT_EQ(owners, 6u);
  const v1::HeirloomReceived& h = plan->records[at[ledger().Size() - 1]].record.heirloom_received();
  EXPECT_EQ(h.repurposed_piece_id(), "OLD-1");
  EXPECT_EQ(h.photo_sha256_size(), 2);
  EXPECT_EQ(OwnerKeyId(h.owner()), third_.id());
}

// What an owner key signed is where a hostile document would most like to
// put words in the owner's mouth: each altered event is refused with its
// reason, and nothing else is lost.
TEST_F(EpcisOwnerImportTest, AlteredOwnersEventsAreRefusedOneByOne) {
  const Json clean = Export();
  const size_t records = PlanEpcisImport(clean.dump())->records.size();
  struct Case {
    std::function<void(Json&)> change;
    const char* why;
    size_t refused;  // the event, and the owners' records that follow it
  };
  // OwnerEvents: [0] accepted, [1] transferred, [2] accepted, [3] lost,
  // [4] recovered, [5] key replaced; the intake is the last two events.
  auto owner = [](size_t n) {
    return [n](Json& d) -> Json& { return (*OwnerEvents(d)[n])["touchstone:owner"]; };
  };
  auto last = [](size_t from_end) {
    return [from_end](Json& d) -> Json& {
      Json& list = d["epcisBody"]["eventList"];
      return list[list.size() - from_end];
    };
  };
  const std::vector<Case> cases = {
      {[&](Json& d) { owner(5)(d)["touchstone:prevEntry"] = 1; },
       "(entry 1 of the log it came from) is not in this document", 1},
      {[&](Json& d) { owner(5)(d).erase("touchstone:prevEntry"); },
       "names the ownership record it follows", 1},
      {[&](Json& d) { owner(5)(d)["touchstone:newKey"] = "bm90IGEga2V5"; },
       "touchstone:newKey is not an owner key", 1},
      {[&](Json& d) {
         (*OwnerEvents(d)[5])["epcList"].push_back("https://log.example/one/piece/X");
       },
       "names the one piece in epcList", 1},
      {[&](Json& d) { owner(1)(d)["touchstone:newOwnerKey"] = "bm90IGEga2V5"; },
       "touchstone:newOwnerKey is not an owner key", 5},
      {[&](Json& d) { owner(3)(d)["touchstone:event"] = "sold"; },
       "touchstone:event 'sold' is not lost, stolen or recovered", 3},
      {[&](Json& d) { owner(0)(d)["touchstone:kind"] = "gift"; },
       "touchstone:kind 'gift' is not accepted", 6},
      {[&](Json& d) { last(2)(d)["ilmd"].erase("touchstone:ownerKey"); },
       "touchstone:ownerKey is not an owner key", 1},
      {[&](Json& d) { last(1)(d)["bizStep"] = "destroying"; },
       "at most one ObjectEvent DELETE decommissioning of the piece it repurposes", 1},
      {[&](Json& d) { last(2)(d)["ilmd"]["touchstone:assayMethod"] = "taste"; },
       "touchstone:assayMethod 'taste' is not fire_assay or xrf", 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    absl::StatusOr<EpcisImportPlan> plan = PlanAltered(clean, c.change);
    ASSERT_TRUE(plan.ok()) << plan.status();
    ASSERT_EQ(plan->errors.size(), c.refused);
    EXPECT_THAT(plan->errors[0].message, HasSubstr(c.why));
    for (size_t i = 1; i < c.refused; ++i) {
      EXPECT_THAT(plan->errors[i].message, HasSubstr("was refused: see its event"));
    }
    EXPECT_EQ(plan->records.size(), records - c.refused);
  }
}

// A document that changes what an owner signed still plans (the mapping
// reads it), but the owner's signature there no longer covers it: an importer
// holding the owner's key does not sign it again.
TEST_F(EpcisOwnerImportTest, AnOwnerSignsAgainOnlyWhatItSignedThere) {
  const Json clean = Export();
  const std::string other_key = absl::Base64Escape(recovery_.key().SerializeAsString());
  struct Case {
    std::function<void(Json&)> change;
    const char* kind;  // the record the check is asked about
    std::string why;
  };
  auto entry = [](Json& e) -> Json& { return e["touchstone:entry"]; };
  const std::vector<Case> cases = {
      {[&](Json& d) {
         (*OwnerEvents(d)[1])["touchstone:owner"]["touchstone:newOwnerKey"] = other_key;
       },
       "ownership_transferred", "Ed25519 signature"},
      {[&](Json& d) { entry(*OwnerEvents(d)[1]).erase("touchstone:ownerSignature"); },
       "ownership_transferred", "carries no touchstone:ownerSignature"},
      {[&](Json& d) { (*OwnerEvents(d)[0])["touchstone:owner"].erase("touchstone:terms"); },
       "ownership_accepted", "Ed25519 signature"},
      {[&](Json& d) {
         Json& list = d["epcisBody"]["eventList"];
         list[list.size() - 2]["ilmd"]["touchstone:heirloom"] = "a heavier band";
       },
       "heirloom_received", "Ed25519 signature"},
      {[&](Json& d) {
         // The same events, said to come from another log.
         for (Json& e : d["epcisBody"]["eventList"]) {
           std::string id = e["eventID"];
           e["eventID"] = "https://other.example/log/entry/" + id.substr(id.rfind('/') + 1);
         }
       },
       "heirloom_received", "Ed25519 signature"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    absl::StatusOr<EpcisImportPlan> plan = PlanAltered(clean, c.change);
    ASSERT_TRUE(plan.ok()) << plan.status();
    const EpcisImportRecord* asked = nullptr;
    for (const EpcisImportRecord& r : plan->records) {
      if (RecordKind(r.record) == c.kind) asked = &r;  // the last one: the intake, the acceptance
      if (RecordKind(r.record) == c.kind && c.kind == std::string("ownership_accepted")) break;
    }
    ASSERT_NE(asked, nullptr);
    const absl::Status s = CheckOwnerSignedBefore(*asked, Owner(asked->owner_key_id).key());
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
    EXPECT_THAT(s.message(), HasSubstr("does not show that owner key"));
    EXPECT_THAT(s.message(), HasSubstr(c.why));
  }
}

}  // namespace
}  // namespace touchstone
