// The limits of ledger/provenance/limits.h through the ledger: field lengths at any depth,
// record size, batch size and the deadline a submission waits to, each refused
// with a message naming the limit and changing nothing.
#include "ledger/provenance/limits.h"

#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/ledger.h"
#include "ledger/log/entry_format.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;
using testing::LotRecord;
using testing::RegisterRecord;
using testing::Signed;
using testing::TempDir;

v1::Record Base() {
  v1::Record r;
  r.set_record_id("r-1");
  r.set_signer("refiner-1");
  r.set_key_id("0011223344556677");
  r.set_event_time_micros(1);
  return r;
}

TEST(FieldLimitsTest, EveryKindOfFieldIsBoundedAtAnyDepth) {
  const FieldLimits limits;
  v1::Record lot = Base();
  lot.mutable_lot_created()->set_note(std::string(limits.max_text_bytes, 'n'));
  lot.mutable_lot_created()->set_lot_id(std::string(limits.max_id_bytes, 'i'));
  EXPECT_TRUE(CheckFieldLimits(lot).ok());

  lot.mutable_lot_created()->set_note(std::string(limits.max_text_bytes + 1, 'n'));
  absl::Status s = CheckFieldLimits(lot);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("field lot_created.note is 4097 bytes; the limit for free "
                                     "text is 4096"));
  lot.mutable_lot_created()->clear_note();
  lot.mutable_lot_created()->set_lot_id(std::string(limits.max_id_bytes + 1, 'i'));
  EXPECT_THAT(CheckFieldLimits(lot).message(),
              HasSubstr("lot_created.lot_id is 129 bytes; the limit for an identifier is 128"));

  v1::Record t = Base();
  auto* tr = t.mutable_transformation();
  for (size_t i = 0; i < limits.max_repeated; ++i) tr->add_inputs()->set_lot_id("in");
  EXPECT_TRUE(CheckFieldLimits(t).ok());
  tr->mutable_inputs(3)->set_lot_id(std::string(200, 'x'));
  EXPECT_THAT(CheckFieldLimits(t).message(), HasSubstr("transformation.inputs[3].lot_id is 200"));
  tr->mutable_inputs(3)->set_lot_id("in");
  tr->add_inputs()->set_lot_id("one too many");
  EXPECT_THAT(CheckFieldLimits(t).message(),
              HasSubstr("transformation.inputs has 257 elements; the limit is 256"));
  v1::Record ids = Base();
  for (size_t i = 0; i <= limits.max_repeated; ++i) {
    ids.mutable_lot_created()->add_certificate_ids("c");
  }
  EXPECT_THAT(CheckFieldLimits(ids).message(), HasSubstr("lot_created.certificate_ids has 257"));

  v1::Record ship = Base();
  ship.mutable_custody_shipped()->set_business_reference_sha256(std::string(65, 'h'));
  EXPECT_THAT(CheckFieldLimits(ship).message(),
              HasSubstr("custody_shipped.business_reference_sha256 is 65 bytes; the limit for a "
                        "bytes field is 64"));

  v1::Record cert = Base();
  cert.mutable_certificate_issued()->mutable_grading_report()->set_measurements(
      std::string(5000, 'm'));
  EXPECT_THAT(CheckFieldLimits(cert).message(),
              HasSubstr("certificate_issued.grading_report.measurements is 5000 bytes"));
  // Limits are parameters: a deployment can tighten them.
  EXPECT_FALSE(CheckFieldLimits(Base(), FieldLimits{.max_id_bytes = 5}).ok());  // "refiner-1"
}

TEST(FieldLimitsTest, UnknownFieldsInsideANestedMessageAreRefused) {
  v1::Record r = Base();
  r.mutable_lot_created()->set_lot_id("lot-1");
  std::string body = r.lot_created().SerializeAsString();
  body += std::string("\x98\x06\x01", 3);  // field 99, varint 1: unknown to LotCreated
  r.clear_lot_created();
  std::string bytes = SerializeRecord(r);
  bytes += '\xa2';  // field 20 (lot_created), length-delimited: tag 162 = 0xa2 0x01
  bytes += '\x01';
  bytes += static_cast<char>(body.size());
  bytes += body;
  absl::StatusOr<v1::Record> parsed = ParseRecord(bytes);
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(parsed.status().message(),
              HasSubstr("Record.lot_created: field 99 is not in the schema of LotCreated"));
}

class LedgerLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions o;
    o.data_dir = dir_.path();
    o.max_batch = 3;
    o.now_micros = [this] { return clock_.Now(); };
    ledger_ = Ledger::Open(o).value();
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
    refiner_ = testing::NewIdentity("refiner-1");
    auto [bytes, sig] =
        Signed(op_, RegisterRecord(op_, refiner_, v1::ROLE_REFINER, "reg"), kDefaultOrigin);
    ASSERT_TRUE(ledger_->Submit(bytes, sig).ok());
  }
  void TearDown() override { clock_.Stall(false); }

  testing::StallableClock clock_;
  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  Identity op_{"", PrivateKey::Generate().value()};
  Identity refiner_{"", PrivateKey::Generate().value()};
};

TEST_F(LedgerLimitsTest, ARecordOverAFieldLimitIsRefusedBeforeItsSignatureIsChecked) {
  const uint64_t size = ledger_->Size();
  v1::Record long_note = LotRecord(refiner_, "long");
  long_note.mutable_lot_created()->set_note(std::string(4097, 'n'));
  auto [bytes, sig] = Signed(refiner_, long_note, kDefaultOrigin);
  absl::StatusOr<Receipt> r = ledger_->Submit(bytes, sig);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("record limit: field lot_created.note"));
  sig[0] ^= 1;  // a bad signature too: the limit is what is reported (checked first, cheaply)
  EXPECT_THAT(ledger_->Submit(bytes, sig).status().message(), HasSubstr("record limit"));
  EXPECT_EQ(ledger_->Size(), size);

  long_note.mutable_lot_created()->set_note(std::string(4096, 'n'));  // at the limit
  auto [ok_bytes, ok_sig] = Signed(refiner_, long_note, kDefaultOrigin);
  EXPECT_TRUE(ledger_->Submit(ok_bytes, ok_sig).ok());
  EXPECT_EQ(ledger_->Size(), size + 1);
}

TEST_F(LedgerLimitsTest, ABatchOverMaxBatchIsRefusedWhole) {
  const uint64_t size = ledger_->Size();
  std::vector<std::pair<std::string, std::string>> batch;
  for (int i = 0; i < 4; ++i)
    batch.push_back(Signed(refiner_, LotRecord(refiner_, absl::StrCat("b", i)), kDefaultOrigin));
  auto refused = ledger_->SubmitBatch(batch);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("batch limit: a batch holds at most 3 records (max_batch), got 4"));
  EXPECT_EQ(ledger_->Size(), size);
  batch.pop_back();
  auto results = ledger_->SubmitBatch(batch);
  ASSERT_TRUE(results.ok());
  for (const auto& r : *results) EXPECT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(ledger_->Size(), size + 3);
}

TEST_F(LedgerLimitsTest, ASubmissionWaitsNoLongerThanItsDeadlineAndARetryGetsItsReceipt) {
  const uint64_t size = ledger_->Size();
  auto [bytes, sig] = Signed(refiner_, LotRecord(refiner_, "slow"), kDefaultOrigin);
  // A deadline already past: refused before anything is queued.
  absl::StatusOr<Receipt> late = ledger_->Submit(bytes, sig, absl::Now() - absl::Seconds(1));
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(late.status().message(), HasSubstr("nothing was appended"));
  EXPECT_EQ(ledger_->Size(), size);

  clock_.Stall(true);  // the sequencer cannot commit now
  const absl::Time start = absl::Now();
  absl::StatusOr<Receipt> r = ledger_->Submit(bytes, sig, start + absl::Milliseconds(200));
  const absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(r.status().message(), HasSubstr("submit the same bytes again"));
  EXPECT_GE(waited, absl::Milliseconds(200));
  EXPECT_LT(waited, absl::Seconds(5));
  clock_.Stall(false);

  absl::StatusOr<Receipt> retry = ledger_->Submit(bytes, sig);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(DecodeEntry(ledger_->GetEntry(retry->index).value()).value().record, bytes);
  EXPECT_EQ(ledger_->Size(), size + 1);  // appended once
}

}  // namespace
}  // namespace touchstone
