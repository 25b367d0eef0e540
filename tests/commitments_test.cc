// Committed fields (ledger/provenance/commitments.h): the table names real
// fields, sealing and opening give back the record the submitter meant, and
// every way an opening or a sealed record can lie is refused.
#include "ledger/provenance/commitments.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "ledger/provenance/record.h"
#include "proto/record.pb.h"

namespace touchstone {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::util::MessageDifferencer;

std::string Salt(char first = 1) {
  std::string s(32, '\0');
  for (int i = 0; i < 32; ++i) s[i] = static_cast<char>(first + i);
  return s;
}

v1::Record Base() {
  v1::Record r;
  r.set_record_id("r-1");
  r.set_signer("refiner");
  r.set_key_id("0123456789abcdef");
  r.set_event_time_micros(1'700'000'000'000'000);
  return r;
}

v1::Record Lot() {
  v1::Record r = Base();
  v1::LotCreated* lot = r.mutable_lot_created();
  lot->set_lot_id("L1");
  lot->set_material("gold");
  lot->set_form("grain");
  lot->set_origin_class(v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  lot->set_quantity(987654321);
  lot->set_unit(v1::UNIT_MILLIGRAM);
  lot->set_fineness_ptt(9999);
  lot->set_facility("Refinery 7, bay 3");
  lot->set_note("melt of 40 kg of scrap");
  return r;
}

v1::Record Transformation() {
  v1::Record r = Base();
  v1::Transformation* t = r.mutable_transformation();
  t->set_transformation_id("T1");
  t->set_process(v1::PROCESS_ALLOY);
  t->set_material("gold");
  for (const auto& [id, q] : {std::pair{"A", 1000}, {"B", 250}, {"C", 40}}) {
    v1::LotQuantity* in = t->add_inputs();
    in->set_lot_id(id);
    in->set_quantity(q);
  }
  v1::OutputLot* out = t->add_outputs();
  out->set_lot_id("O1");
  out->set_form("grain");
  out->set_quantity(1280);
  out->set_fineness_ptt(7500);
  t->set_declared_loss_fine_ptt(100000);
  t->set_location("plant 2");
  return r;
}

// A sealed record with `values` as its opening's fields, committed honestly.
v1::Opening OpeningOf(v1::Record& sealed, const std::string& fields) {
  v1::Opening o;
  o.set_salt(Salt());
  o.set_fields(fields);
  sealed.mutable_sealed()->set_commitment(HashBytes(OpeningCommitment(o.salt(), o.fields())));
  return o;
}

TEST(CommitmentsTest, TableNamesScalarFieldsOfRecordBodies) {
  ASSERT_FALSE(CommittedFields().empty());
  for (const CommittedField& f : CommittedFields()) {
    SCOPED_TRACE(std::string(f.body) + "." + std::string(f.path));
    const FieldDescriptor* body = v1::Record::descriptor()->FindFieldByName(std::string(f.body));
    ASSERT_NE(body, nullptr);
    ASSERT_NE(body->containing_oneof(), nullptr) << "not a body";
    const Descriptor* type = body->message_type();
    const std::vector<std::string> segments = absl::StrSplit(std::string(f.path), '.');
    for (size_t i = 0; i < segments.size(); ++i) {
      const FieldDescriptor* fd = type->FindFieldByName(segments[i]);
      ASSERT_NE(fd, nullptr) << segments[i];
      if (i + 1 < segments.size()) {
        ASSERT_EQ(fd->cpp_type(), FieldDescriptor::CPPTYPE_MESSAGE);
        type = fd->message_type();
      } else {
        EXPECT_NE(fd->cpp_type(), FieldDescriptor::CPPTYPE_MESSAGE);
        EXPECT_FALSE(fd->is_repeated());
      }
    }
  }
  EXPECT_TRUE(IsCommittedField("custody_shipped", "to_participant"));
  EXPECT_FALSE(IsCommittedField("lot_created", "material"));
  EXPECT_FALSE(IsSealableBody("participant_registered"));
}

// An independent computation (python3 hashlib over hand-encoded protobuf
// bytes: Record{lot_created{quantity: 987654321}}) gives this commitment.
TEST(CommitmentsTest, CommitmentKnownAnswer) {
  const std::string fields = absl::HexStringToBytes("a2010628b1d1f9d603");
  v1::Record values;
  values.mutable_lot_created()->set_quantity(987654321);
  ASSERT_EQ(SerializeRecord(values), fields);
  EXPECT_EQ(absl::BytesToHexString(HashBytes(OpeningCommitment(Salt(), fields))),
            "e81e36639adddc40413c28ff685e9ec93ac74d7576f0e9c2f0bd9fe8467248f2");
}

TEST(CommitmentsTest, SealThenOpenGivesTheRecordBack) {
  for (const v1::Record& full : {Lot(), Transformation()}) {
    absl::StatusOr<SealedRecord> sealed = SealRecord(full, Salt());
    ASSERT_TRUE(sealed.ok()) << sealed.status();
    const std::string bytes = SerializeRecord(sealed->record);
    // What is public parses, and holds none of the values.
    absl::StatusOr<v1::Record> parsed = ParseRecord(bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_FALSE(absl::StrContains(bytes, "Refinery 7"));
    EXPECT_FALSE(absl::StrContains(bytes, "plant 2"));
    EXPECT_EQ(parsed->lot_created().quantity(), 0);
    // Opening puts them back.
    absl::StatusOr<v1::Record> opened = OpenRecord(*parsed, sealed->opening);
    ASSERT_TRUE(opened.ok()) << opened.status();
    v1::Record expected = full;
    *expected.mutable_sealed() = sealed->record.sealed();
    EXPECT_TRUE(MessageDifferencer::Equals(*opened, expected)) << opened->DebugString();
  }
}

TEST(CommitmentsTest, SealedRecordShowingACommittedFieldIsRefused) {
  absl::StatusOr<SealedRecord> sealed = SealRecord(Transformation(), Salt());
  ASSERT_TRUE(sealed.ok());
  v1::Record r = sealed->record;
  r.mutable_transformation()->mutable_inputs(1)->set_quantity(250);
  absl::StatusOr<v1::Record> parsed = ParseRecord(SerializeRecord(r));
  ASSERT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), "transformation.inputs.quantity"))
      << parsed.status();
}

TEST(CommitmentsTest, SealOnlyWhatHasCommittedFields) {
  v1::Record r = Base();
  r.mutable_participant_registered()->set_participant_id("x");
  r.mutable_sealed()->set_commitment(std::string(32, 'c'));
  EXPECT_EQ(ParseRecord(SerializeRecord(r)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SealRecord(r, Salt()).status().code(), absl::StatusCode::kInvalidArgument);
  v1::Record short_commitment = Lot();
  short_commitment.mutable_lot_created()->clear_quantity();
  short_commitment.mutable_lot_created()->clear_facility();
  short_commitment.mutable_lot_created()->clear_note();
  short_commitment.mutable_sealed()->set_commitment(std::string(31, 'c'));
  EXPECT_EQ(ParseRecord(SerializeRecord(short_commitment)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SealRecord(Lot(), "short").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CommitmentsTest, OpeningThatDoesNotMatchIsRefused) {
  absl::StatusOr<SealedRecord> sealed = SealRecord(Lot(), Salt());
  ASSERT_TRUE(sealed.ok());
  v1::Opening flipped = sealed->opening;
  flipped.mutable_salt()->at(5) ^= 1;
  absl::StatusOr<v1::Record> opened = OpenRecord(sealed->record, flipped);
  ASSERT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(opened.status().message(), "does not match")) << opened.status();
  // Another value under the same salt.
  v1::Record other;
  other.mutable_lot_created()->set_quantity(987654320);
  v1::Opening lie = sealed->opening;
  lie.set_fields(SerializeRecord(other));
  EXPECT_EQ(OpenRecord(sealed->record, lie).status().code(), absl::StatusCode::kInvalidArgument);
  v1::Opening short_salt = sealed->opening;
  short_salt.mutable_salt()->pop_back();
  EXPECT_EQ(OpenRecord(sealed->record, short_salt).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenRecord(Lot(), sealed->opening).status().code(),
            absl::StatusCode::kInvalidArgument);  // not sealed
}

// Openings that match their commitment but say more than they may: each is refused.
TEST(CommitmentsTest, OpeningHoldsOnlyCommittedFieldsOfItsBody) {
  absl::StatusOr<SealedRecord> sealed = SealRecord(Lot(), Salt());
  ASSERT_TRUE(sealed.ok());
  struct Case {
    std::string name;
    v1::Record values;
    std::string expect;
  };
  std::vector<Case> cases;
  {
    v1::Record v;
    v.mutable_lot_created()->set_quantity(5);
    v.mutable_lot_created()->set_material("platinum");  // public: not committed
    cases.push_back({"public field", v, "lot_created.material is not a committed field"});
  }
  {
    v1::Record v;
    v.mutable_custody_shipped()->set_to_participant("x");
    cases.push_back({"other body", v, "only the record's lot_created body"});
  }
  {
    v1::Record v;
    v.mutable_lot_created()->set_quantity(5);
    v.set_record_id("other");
    cases.push_back({"top-level field", v, "only the record's lot_created body"});
  }
  {
    v1::Record v;
    v.mutable_lot_created()->mutable_parcel()->set_stone_count(12);  // the lot has no parcel
    cases.push_back({"message the record lacks", v, "lot_created.parcel is not in the record"});
  }
  {
    v1::Record v;
    v.mutable_lot_created()->mutable_gemstone()->set_treatment("none");
    cases.push_back({"message with nothing committed", v, "holds no committed field"});
  }
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Record r = sealed->record;
    v1::Opening o = OpeningOf(r, SerializeRecord(c.values));
    absl::StatusOr<v1::Record> opened = OpenRecord(r, o);
    ASSERT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(opened.status().message(), c.expect)) << opened.status();
  }
}

TEST(CommitmentsTest, OpeningElementsMatchTheRecordsElements) {
  absl::StatusOr<SealedRecord> sealed = SealRecord(Transformation(), Salt());
  ASSERT_TRUE(sealed.ok());
  v1::Record two;
  two.mutable_transformation()->add_inputs()->set_quantity(1000);
  two.mutable_transformation()->add_inputs()->set_quantity(290);
  v1::Record r = sealed->record;
  v1::Opening o = OpeningOf(r, SerializeRecord(two));
  absl::StatusOr<v1::Record> opened = OpenRecord(r, o);
  ASSERT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(opened.status().message(), "has 2 elements and the record 3"))
      << opened.status();
}

TEST(CommitmentsTest, OpeningMustBeCanonical) {
  absl::StatusOr<SealedRecord> sealed = SealRecord(Lot(), Salt());
  ASSERT_TRUE(sealed.ok());
  // quantity written twice: protobuf keeps the last, a second decoder might not.
  const std::string twice = absl::HexStringToBytes("a2010428012805");
  v1::Record r = sealed->record;
  v1::Opening o = OpeningOf(r, twice);
  absl::StatusOr<v1::Record> opened = OpenRecord(r, o);
  ASSERT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(opened.status().message(), "non-canonical")) << opened.status();
}

}  // namespace
}  // namespace touchstone
