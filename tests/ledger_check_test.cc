// Tests of the append path's dry run (ledger/ledger_check.h): a session sees
// its own earlier records, refuses what Submit would refuse with the same
// codes, recognizes retries, and never changes the log.
#include "ledger/ledger_check.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

constexpr char kOrigin[] = "test.example/ledger";

using ::testing::HasSubstr;
using testing::Identity;
using testing::LotRecord;
using testing::RegisterRecord;
using testing::Signed;
using testing::TempDir;

// A shipment of lot `lot` by `from` to `to`, unsigned.
v1::Record Shipment(const Identity& from, const std::string& record_id, const std::string& lot,
                    const std::string& to) {
  v1::Record r;
  r.set_record_id(record_id);
  r.set_signer(from.id);
  r.set_key_id(from.key.public_key().Fingerprint());
  r.set_event_time_micros(testing::NowMicros());
  auto* s = r.mutable_custody_shipped();
  s->set_shipment_id("ship-" + record_id);
  s->set_lot_id(lot);
  s->set_to_participant(to);
  return r;
}

class LedgerCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions o;
    o.data_dir = dir_.path();
    o.origin = kOrigin;
    ledger_ = Ledger::Open(o).value();
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
    refiner_ = Register("refiner-1", v1::ROLE_REFINER);
    maker_ = Register("maker-1", v1::ROLE_MANUFACTURER);
  }

  Identity Register(const std::string& id, v1::Role role) {
    Identity who = testing::NewIdentity(id);
    auto [bytes, sig] = Signed(op_, RegisterRecord(op_, who, role, "reg-" + id), kOrigin);
    EXPECT_TRUE(ledger_->Submit(bytes, sig).ok());
    return who;
  }

  absl::StatusOr<CheckOutcome> Check(Ledger::CheckSession& s, const Identity& who,
                                     const v1::Record& r) {
    auto [bytes, sig] = Signed(who, r, kOrigin);
    return s.Check(bytes, sig, std::nullopt);
  }

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  Identity op_{"", PrivateKey::Generate().value()};
  Identity refiner_{"", PrivateKey::Generate().value()};
  Identity maker_{"", PrivateKey::Generate().value()};
};

TEST_F(LedgerCheckTest, ALaterRecordSeesAnEarlierOneOfTheSessionAndNothingIsAppended) {
  const uint64_t size = ledger_->Size();
  const auto [cp_size, cp] = ledger_->LatestCheckpoint();
  auto session = ledger_->StartCheck().value();
  const v1::Record lot = LotRecord(refiner_, "a");
  const v1::Record ship = Shipment(refiner_, "s", "lot-a", "maker-1");
  auto lot_out = Check(*session, refiner_, lot);
  ASSERT_TRUE(lot_out.ok()) << lot_out.status();
  EXPECT_EQ(lot_out->index, size);
  EXPECT_FALSE(lot_out->duplicate);
  // The shipment's lot exists only in the session: the rules see it there.
  auto ship_out = Check(*session, refiner_, ship);
  ASSERT_TRUE(ship_out.ok()) << ship_out.status();
  EXPECT_EQ(ship_out->index, size + 1);
  EXPECT_EQ(session->accepted(), 2u);
  // Nothing reached the log: same size, same checkpoint, no lot.
  EXPECT_EQ(ledger_->Size(), size);
  EXPECT_EQ(ledger_->LatestCheckpoint().second, cp);
  EXPECT_TRUE(absl::IsNotFound(ledger_->GetLot("lot-a").status()));
  // The real submissions land where the dry run said.
  auto [lb, ls] = Signed(refiner_, lot, kOrigin);
  auto [sb, ss] = Signed(refiner_, ship, kOrigin);
  EXPECT_EQ(ledger_->Submit(lb, ls).value().index, lot_out->index);
  EXPECT_EQ(ledger_->Submit(sb, ss).value().index, ship_out->index);
}

TEST_F(LedgerCheckTest, ARefusalHasSubmitsCodeAndLeavesTheSessionAsItWas) {
  auto session = ledger_->StartCheck().value();
  const v1::Record ship = Shipment(refiner_, "s", "lot-nowhere", "maker-1");
  auto refused = Check(*session, refiner_, ship);
  auto [sb, ss] = Signed(refiner_, ship, kOrigin);
  auto submitted = ledger_->Submit(sb, ss);
  ASSERT_FALSE(refused.ok());
  ASSERT_FALSE(submitted.ok());
  EXPECT_EQ(refused.status().code(), submitted.status().code());
  EXPECT_EQ(refused.status().message(), submitted.status().message());
  EXPECT_EQ(session->accepted(), 0u);
  // The next record gets the index the refused one would have had.
  auto lot = Check(*session, refiner_, LotRecord(refiner_, "a"));
  ASSERT_TRUE(lot.ok()) << lot.status();
  EXPECT_EQ(lot->index, ledger_->Size());
  // A bad signature, a key of another participant: refused as Submit refuses it.
  v1::Record forged = LotRecord(refiner_, "b");
  auto [fb, unused] = Signed(refiner_, forged, kOrigin);
  auto [other_bytes, other_sig] = Signed(maker_, forged, kOrigin);
  auto bad = session->Check(fb, other_sig, std::nullopt);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("bad signature"));
}

TEST_F(LedgerCheckTest, RetriesAreDuplicatesAndOtherBytesUnderAUsedIdAreAlreadyExists) {
  const v1::Record in_log = LotRecord(refiner_, "a");
  auto [bytes, sig] = Signed(refiner_, in_log, kOrigin);
  const Receipt appended = ledger_->Submit(bytes, sig).value();
  auto session = ledger_->StartCheck().value();
  // The same bytes as an entry of the log: its index, marked in_log.
  auto again = session->Check(bytes, sig, std::nullopt);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_TRUE(again->in_log);
  EXPECT_EQ(again->index, appended.index);
  // Other bytes under that record id.
  v1::Record changed = in_log;
  changed.mutable_lot_created()->set_quantity(2'000'000);
  auto clash = Check(*session, refiner_, changed);
  ASSERT_FALSE(clash.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(clash.status())) << clash.status();
  EXPECT_THAT(std::string(clash.status().message()), HasSubstr("already used by entry"));
  // Within the session: the same bytes twice, then other bytes under the id.
  const v1::Record fresh = LotRecord(refiner_, "b");
  auto first = Check(*session, refiner_, fresh);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = Check(*session, refiner_, fresh);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_FALSE(second->in_log);
  EXPECT_EQ(second->index, first->index);
  v1::Record fresh_changed = fresh;
  fresh_changed.mutable_lot_created()->set_note("another note");
  auto clash_in_session = Check(*session, refiner_, fresh_changed);
  ASSERT_FALSE(clash_in_session.ok());
  EXPECT_TRUE(absl::IsAlreadyExists(clash_in_session.status())) << clash_in_session.status();
  EXPECT_THAT(std::string(clash_in_session.status().message()), HasSubstr("earlier in this check"));
  EXPECT_EQ(session->accepted(), 1u);
}

TEST_F(LedgerCheckTest, EntriesOthersAppendMeanwhileAreNotTakenForTheSessionsOwn) {
  auto session = ledger_->StartCheck().value();
  const uint64_t size = ledger_->Size();
  auto lot = Check(*session, refiner_, LotRecord(refiner_, "a"));
  ASSERT_TRUE(lot.ok()) << lot.status();
  // Another refiner's lot is appended at the index the session's lot reports.
  Identity other = Register("refiner-2", v1::ROLE_REFINER);
  const uint64_t size_now = ledger_->Size();
  auto [ob, os] = Signed(other, LotRecord(other, "m"), kOrigin);
  ASSERT_EQ(ledger_->Submit(ob, os).value().index, size_now);
  // The session still ships its own lot, and the other refiner's lot is the log's.
  auto ship = Check(*session, refiner_, Shipment(refiner_, "s", "lot-a", "maker-1"));
  ASSERT_TRUE(ship.ok()) << ship.status();
  EXPECT_EQ(ship->index, size + 1);
  auto theirs = Check(*session, refiner_, Shipment(refiner_, "t", "lot-m", "maker-1"));
  ASSERT_FALSE(theirs.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(theirs.status()) ||
              absl::IsFailedPrecondition(theirs.status()))
      << theirs.status();
}

}  // namespace
}  // namespace touchstone
