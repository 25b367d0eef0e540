// Sealed records through the ledger (issue 16; ledger/provenance/commitments.h):
// a sealed record is appended with its opening, the rules check the opened
// values, the opening is kept in CF "openings" (never in the entry) and read
// back by GetOpening, survives a restart, and is what a rebuild and the audit
// of a data directory replay; every way of getting the opening wrong is
// refused with nothing appended.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/audit.h"
#include "ledger/backup.h"
#include "ledger/ledger.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/redaction.h"
#include "ledger/store/storage_map.h"
#include "ledger/store/store.h"
#include "rocksdb/db.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;

using Code = absl::StatusCode;

constexpr v1::OriginClass kPostConsumer = v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER;

std::string Salt(char fill) { return std::string(kOpeningSaltBytes, fill); }

class SealedLedgerTest : public testing::RulesFixture {
 protected:
  // `full` sealed with a salt of `fill` bytes, signed: bytes, signature, opening.
  struct Sealed {
    std::string bytes;
    std::string signature;
    v1::Opening opening;
    v1::Record record;  // the public record
  };
  Sealed Seal(const v1::Record& full, char fill = 's') {
    SealedRecord s = SealRecord(full, Salt(fill)).value();
    auto [bytes, sig] = Sign(s.record);
    return Sealed{std::move(bytes), std::move(sig), std::move(s.opening), std::move(s.record)};
  }
  absl::StatusOr<Receipt> SubmitSealed(const v1::Record& full, char fill = 's') {
    Sealed s = Seal(full, fill);
    return ledger().Submit(s.bytes, s.signature, s.opening);
  }
  Receipt AcceptSealed(const v1::Record& full) {
    absl::StatusOr<Receipt> r = SubmitSealed(full);
    EXPECT_TRUE(r.ok()) << r.status() << "\n" << full.DebugString();
    return r.ok() ? *r : Receipt{};
  }
  // Submits bytes with an opening (or none) and expects a refusal, nothing appended.
  void ExpectRefusedWith(std::string bytes, std::string sig, std::optional<v1::Opening> opening,
                         Code code, std::string_view substring) {
    const uint64_t size = ledger().Size();
    absl::StatusOr<Receipt> r = ledger().Submit(std::move(bytes), std::move(sig), opening);
    EXPECT_EQ(r.status().code(), code) << r.status();
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(std::string(substring)));
    EXPECT_EQ(ledger().Size(), size) << "a refused record was appended";
  }

  // A refiner holding a sealed lot "sealed-lot" of 10 g of fine gold.
  Identity RefinerWithSealedLot() {
    Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
    AcceptSealed(GoldLot(refiner, "sealed-lot", kPostConsumer, 10'000));
    return refiner;
  }
};

TEST_F(SealedLedgerTest, SealedRecordsAreAppendedAndTheRulesCheckTheOpenedValues) {
  Identity refiner = RefinerWithSealedLot();
  const uint64_t lot_index = ledger().Size() - 1;

  // The entry holds the public record: no quantity, no facility, the commitment.
  const v1::Record stored = ledger().ReadRecord(lot_index).value();
  EXPECT_TRUE(stored.has_sealed());
  EXPECT_EQ(stored.lot_created().quantity(), 0);
  EXPECT_TRUE(stored.lot_created().facility().empty());
  // The state knows the opened quantity (the rules applied the opened record).
  EXPECT_EQ(GetLot("sealed-lot").quantity(), 10'000);
  EXPECT_EQ(GetLot("sealed-lot").balance(), 10'000);

  // A sealed split of 4 g is checked on its opened values.
  AcceptSealed(Split(refiner, "t-split", "sealed-lot", 4'000, "part"));
  EXPECT_EQ(GetLot("sealed-lot").balance(), 6'000);
  EXPECT_EQ(GetLot("part").quantity(), 4'000);

  // Outputs heavier than the inputs: refused on the opened values, sealed or not.
  const v1::Record heavier = Transform(refiner, "t-heavier", v1::PROCESS_REFINE, "gold",
                                       {{"sealed-lot", 1'000}}, {{"heavier", 2'000, 1000}});
  const uint64_t size = ledger().Size();
  absl::StatusOr<Receipt> sealed = SubmitSealed(heavier);
  EXPECT_EQ(sealed.status().code(), Code::kFailedPrecondition) << sealed.status();
  EXPECT_THAT(std::string(sealed.status().message()), HasSubstr("mass conservation"));
  EXPECT_EQ(ledger().Size(), size);
  ExpectRefused(heavier, Code::kFailedPrecondition, "mass conservation");
  // Drawing more than the sealed lot holds is refused too.
  absl::StatusOr<Receipt> overdrawn =
      SubmitSealed(Split(refiner, "t-over", "sealed-lot", 6'001, "too-much"));
  EXPECT_EQ(overdrawn.status().code(), Code::kFailedPrecondition) << overdrawn.status();
  EXPECT_EQ(ledger().Size(), size);
}

TEST_F(SealedLedgerTest, GetOpeningReturnsTheStoredOpeningAndNothingForAnUnsealedRecord) {
  RefinerWithSealedLot();
  const uint64_t sealed_index = ledger().Size() - 1;

  absl::StatusOr<std::optional<v1::Opening>> opening = ledger().GetOpening(sealed_index);
  ASSERT_TRUE(opening.ok()) << opening.status();
  ASSERT_TRUE(opening->has_value());
  EXPECT_EQ((*opening)->salt(), Salt('s'));
  // It opens the stored record to what the refiner meant.
  const v1::Record opened =
      OpenRecord(ledger().ReadRecord(sealed_index).value(), **opening).value();
  EXPECT_EQ(opened.lot_created().quantity(), 10'000);
  EXPECT_EQ(opened.lot_created().facility(), "facility of refiner-1");

  // The registration before it is not sealed; beyond the size is OUT_OF_RANGE.
  absl::StatusOr<std::optional<v1::Opening>> unsealed = ledger().GetOpening(sealed_index - 1);
  ASSERT_TRUE(unsealed.ok()) << unsealed.status();
  EXPECT_FALSE(unsealed->has_value());
  EXPECT_EQ(ledger().GetOpening(ledger().Size()).status().code(), Code::kOutOfRange);

  // Not in the entry: neither the salt nor the opening's fields are in its bytes.
  const std::string entry = ledger().GetEntry(sealed_index).value();
  EXPECT_EQ(entry.find(Salt('s')), std::string::npos);
  EXPECT_EQ(entry.find((*opening)->fields()), std::string::npos);
}

TEST_F(SealedLedgerTest, AnIdempotentRetryWithItsOpeningGetsTheReceipt) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  const Sealed s = Seal(GoldLot(refiner, "lot", kPostConsumer, 10'000));
  const Receipt first = ledger().Submit(s.bytes, s.signature, s.opening).value();
  const Receipt again = ledger().Submit(s.bytes, s.signature, s.opening).value();
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.index, first.index);
  // Without the opening the retry is refused like any sealed record without one.
  ExpectRefusedWith(s.bytes, s.signature, std::nullopt, Code::kInvalidArgument,
                    "record is sealed: its opening must come with it");
}

TEST_F(SealedLedgerTest, EveryWrongOpeningIsRefusedWithNothingAppended) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  const v1::Record full = GoldLot(refiner, "lot", kPostConsumer, 10'000);
  const Sealed s = Seal(full);

  // A sealed record without its opening.
  ExpectRefusedWith(s.bytes, s.signature, std::nullopt, Code::kInvalidArgument,
                    "record is sealed: its opening must come with it");
  // An opening with an unsealed record.
  auto [plain_bytes, plain_sig] = Sign(full);
  ExpectRefusedWith(plain_bytes, plain_sig, s.opening, Code::kInvalidArgument,
                    "an opening comes only with a sealed record");
  // A salt byte flipped: the commitment does not match.
  v1::Opening flipped = s.opening;
  (*flipped.mutable_salt())[7] ^= 0x01;
  ExpectRefusedWith(s.bytes, s.signature, flipped, Code::kInvalidArgument,
                    "does not match the record's commitment");
  // Another quantity under the same salt: does not match either.
  const Sealed other = Seal(GoldLot(refiner, "lot", kPostConsumer, 99'000));
  v1::Opening lying = s.opening;
  lying.set_fields(other.opening.fields());
  ExpectRefusedWith(s.bytes, s.signature, lying, Code::kInvalidArgument,
                    "does not match the record's commitment");
  // An opening that also holds a field that is not committed (the lot id), with a
  // commitment made over exactly those fields, so that only the extra field is wrong.
  v1::Record values;
  values.mutable_lot_created()->set_quantity(10'000);
  values.mutable_lot_created()->set_lot_id("another-lot");
  const std::string fields = SerializeRecord(values);
  v1::Record extra = full;
  extra.mutable_lot_created()->clear_quantity();
  extra.mutable_lot_created()->clear_facility();
  extra.mutable_sealed()->set_commitment(HashBytes(OpeningCommitment(Salt('x'), fields)));
  v1::Opening extra_opening;
  extra_opening.set_salt(Salt('x'));
  extra_opening.set_fields(fields);
  auto [extra_bytes, extra_sig] = Sign(extra);
  ExpectRefusedWith(extra_bytes, extra_sig, extra_opening, Code::kInvalidArgument,
                    "is not a committed field");

  // Nothing of it reached the openings store, and the right one is still accepted.
  const Receipt ok = ledger().Submit(s.bytes, s.signature, s.opening).value();
  EXPECT_FALSE(ok.duplicate);
}

TEST_F(SealedLedgerTest, SubmitBatchCarriesOpenings) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  const Sealed a = Seal(GoldLot(refiner, "a", kPostConsumer, 1'000));
  const Sealed b = Seal(GoldLot(refiner, "b", kPostConsumer, 2'000));
  std::vector<Ledger::Submission> batch;
  batch.push_back({a.bytes, a.signature, a.opening});
  batch.push_back({b.bytes, b.signature, std::nullopt});  // refused alone
  auto results = ledger().SubmitBatch(std::move(batch)).value();
  ASSERT_EQ(results.size(), 2u);
  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_EQ(results[1].status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(ledger().GetOpening(results[0]->index).value().has_value());
  EXPECT_EQ(GetLot("a").quantity(), 1'000);
}

TEST_F(SealedLedgerTest, ARestartKeepsTheOpening) {
  RefinerWithSealedLot();
  const uint64_t index = ledger().Size() - 1;
  const v1::Opening before = *ledger().GetOpening(index).value();
  CloseLedger();
  ReopenLedger();
  absl::StatusOr<std::optional<v1::Opening>> after = ledger().GetOpening(index);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_TRUE(after->has_value());
  EXPECT_EQ((*after)->SerializeAsString(), before.SerializeAsString());
  EXPECT_EQ(GetLot("sealed-lot").quantity(), 10'000);
}

// Opens the database of `data_dir` with RocksDB itself (the ledger closed) and
// runs `fn` on it with the handles of every column family it has, by name.
void WithRawDb(
    const std::string& data_dir,
    const std::function<void(rocksdb::DB*, std::map<std::string, rocksdb::ColumnFamilyHandle*>&)>&
        fn) {
  const std::string path = data_dir + "/db";
  rocksdb::Options options;
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, &names).ok());
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const std::string& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, cfs, &handles, &raw);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name;
  for (size_t i = 0; i < names.size(); ++i) by_name[names[i]] = handles[i];
  fn(db.get(), by_name);
  for (auto* h : handles) {
    if (h != nullptr) db->DestroyColumnFamilyHandle(h);
  }
  db->Close();
}

class SealedRebuildTest : public SealedLedgerTest {
 protected:
  // A few sealed and public records: lots, a transformation, a shipment.
  void Populate() {
    Identity refiner = RefinerWithSealedLot();
    Identity caster = Register("maker-1", v1::ROLE_MANUFACTURER);
    sealed_split_ = AcceptSealed(Split(refiner, "t-1", "sealed-lot", 3'000, "part")).index;
    Accept(GoldLot(refiner, "public-lot", kPostConsumer, 5'000));
    v1::Record ship = Ship(refiner, "ship-1", "part", caster.id);
    AcceptSealed(ship);
    Accept(Receive(caster, "ship-1", "part"));
  }
  absl::Status AuditDataDir() {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open({.path = data_dir() + "/db", .create_if_missing = false, .read_only = true});
    if (!store.ok()) return store.status();
    return AuditStore(**store, AuditOptions()).status();
  }
  uint64_t sealed_split_ = 0;
};

TEST_F(SealedRebuildTest, RebuildFromTheLogAndTheOpeningsEqualsTheKeptState) {
  Populate();
  absl::StatusOr<MemoryState> rebuilt =
      RebuildState(ledger().store(), ledger().Size(), options().rules);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  absl::Status same = CompareState(*rebuilt, ledger().store());
  EXPECT_TRUE(same.ok()) << same;
  CloseLedger();
  absl::Status audit = AuditDataDir();
  EXPECT_TRUE(audit.ok()) << audit;
}

TEST_F(SealedRebuildTest, ADeletedOpeningMakesTheRebuildAndTheAuditFailNamingItsEntry) {
  Populate();
  CloseLedger();
  WithRawDb(data_dir(), [&](rocksdb::DB* db, auto& cf) {
    ASSERT_TRUE(
        db->Delete(rocksdb::WriteOptions(), cf.at("openings"), OpeningKey(sealed_split_)).ok());
  });
  {
    std::unique_ptr<Store> store = Store::Open({.path = data_dir() + "/db"}).value();
    absl::StatusOr<MemoryState> rebuilt =
        RebuildState(*store, store->ReadTreeSize().value(), options().rules);
    EXPECT_EQ(rebuilt.status().code(), Code::kDataLoss);
    EXPECT_THAT(std::string(rebuilt.status().message()),
                HasSubstr(absl::StrCat("entry ", sealed_split_,
                                       ": the record is sealed and its opening is missing")));
  }
  absl::Status audit = AuditDataDir();
  EXPECT_EQ(audit.code(), Code::kDataLoss) << audit;
  EXPECT_THAT(std::string(audit.message()), HasSubstr(absl::StrCat("entry ", sealed_split_)));
}

TEST_F(SealedRebuildTest, AnAlteredStoredOpeningMakesTheAuditFailNamingItsEntry) {
  Populate();
  const v1::Opening kept = *ledger().GetOpening(sealed_split_).value();
  CloseLedger();
  // Another quantity, committed to nowhere: a forged openings store.
  v1::Record values;
  v1::Opening forged = kept;
  ASSERT_TRUE(values.ParseFromString(kept.fields()));
  values.mutable_transformation()->mutable_outputs(0)->set_quantity(2'999);
  forged.set_fields(SerializeRecord(values));
  WithRawDb(data_dir(), [&](rocksdb::DB* db, auto& cf) {
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf.at("openings"), OpeningKey(sealed_split_),
                        forged.SerializeAsString())
                    .ok());
  });
  absl::Status audit = AuditDataDir();
  EXPECT_EQ(audit.code(), Code::kDataLoss) << audit;
  EXPECT_THAT(
      std::string(audit.message()),
      HasSubstr(absl::StrCat("entry ", sealed_split_, ": its stored opening does not open it")));
}

TEST_F(SealedRebuildTest, BackupsCarryTheOpeningsAndRestoreThem) {
  Populate();
  const v1::Opening kept = *ledger().GetOpening(sealed_split_).value();
  const std::string root = data_dir() + "/backups";
  const BackupInfo backup = ledger().Backup(root).value();
  const std::string restored = data_dir() + "/restored";
  absl::StatusOr<AuditReport> audit = RestoreBackup(backup.path, restored);
  ASSERT_TRUE(audit.ok()) << audit.status();
  std::unique_ptr<Store> store =
      Store::Open({.path = restored + "/db", .create_if_missing = false, .read_only = true})
          .value();
  std::optional<std::string> opening = store->GetOpening(sealed_split_).value();
  ASSERT_TRUE(opening.has_value());
  EXPECT_EQ(*opening, kept.SerializeAsString());
}

TEST_F(SealedRebuildTest, AnOlderDataDirectoryWithoutTheNewColumnFamiliesOpens) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Accept(GoldLot(refiner, "old-lot", kPostConsumer, 1'000));
  CloseLedger();
  // As a version before issue 16 left it: no "openings", no "opening_reads".
  WithRawDb(data_dir(), [&](rocksdb::DB* db, auto& cf) {
    ASSERT_TRUE(db->DropColumnFamily(cf.at("openings")).ok());
    ASSERT_TRUE(db->DropColumnFamily(cf.at("opening_reads")).ok());
  });
  // Audited read-only as it is (the missing families read as empty)...
  absl::Status audit = AuditDataDir();
  EXPECT_TRUE(audit.ok()) << audit;
  // ...and opened by the ledger, which adds them: sealed records can follow.
  ReopenLedger();
  EXPECT_EQ(GetLot("old-lot").quantity(), 1'000);
  AcceptSealed(GoldLot(refiner, "new-lot", kPostConsumer, 2'000));
  EXPECT_TRUE(ledger().GetOpening(ledger().Size() - 1).value().has_value());
  CloseLedger();
  std::vector<std::string> names;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::Options(), data_dir() + "/db", &names).ok());
  EXPECT_THAT(names, ::testing::IsSupersetOf({"openings", "opening_reads"}));
}

// ---------------------------------------------------------------- redaction

TEST_F(SealedLedgerTest, WhatASealedRecordTouchesIsSealedAndRedactedForPublicReads) {
  Identity refiner = RefinerWithSealedLot();
  Identity maker = Register("maker-1", v1::ROLE_MANUFACTURER);
  Accept(GoldLot(refiner, "public-lot", kPostConsumer, 7'000));
  EXPECT_FALSE(GetLot("public-lot").sealed());
  v1::LotState untouched = GetLot("public-lot");
  RedactLot(untouched);
  EXPECT_EQ(untouched.quantity(), 7'000);  // a public lot reads as it is

  // Made by a sealed record.
  v1::LotState lot = GetLot("sealed-lot");
  EXPECT_TRUE(lot.sealed());
  RedactLot(lot);
  EXPECT_EQ(lot.quantity(), 0);
  EXPECT_EQ(lot.balance(), 0);
  EXPECT_TRUE(lot.site().empty());
  EXPECT_EQ(lot.custodian(), "refiner-1");
  EXPECT_EQ(lot.material(), "gold");

  // Drawn from by a sealed transformation: the public lot's balance would tell the draw.
  AcceptSealed(Transform(refiner, "t-merge", v1::PROCESS_MERGE, "gold",
                         {{"public-lot", 2'000}, {"sealed-lot", 1'000}}, {{"merged", 3'000}}));
  EXPECT_TRUE(GetLot("public-lot").sealed());
  EXPECT_TRUE(GetLot("merged").sealed());
  EXPECT_EQ(GetLot("public-lot").balance(), 5'000);  // the ledger keeps the value

  // Shipped by a sealed shipment: the addressee is redacted.
  Accept(GoldLot(refiner, "shipped", kPostConsumer, 1'000));
  AcceptSealed(Ship(refiner, "ship-1", "shipped", maker.id));
  v1::LotState shipped = GetLot("shipped");
  EXPECT_TRUE(shipped.sealed());
  EXPECT_EQ(shipped.in_transit_to(), "maker-1");
  RedactLot(shipped);
  EXPECT_TRUE(shipped.in_transit_to().empty());
  EXPECT_EQ(shipped.shipment_id(), "ship-1");

  // A piece registered sealed: its metal inputs' quantities are redacted.
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  AcceptSealed(Ship(refiner, "ship-2", "merged", jeweler.id));
  Accept(Receive(jeweler, "ship-2", "merged"));
  AcceptSealed(Piece(jeweler, "ring-1", {}, {{"merged", 2'500}}));
  v1::PieceState piece = GetPiece("ring-1");
  EXPECT_TRUE(piece.sealed());
  ASSERT_EQ(piece.metal_inputs_size(), 1);
  EXPECT_EQ(piece.metal_inputs(0).quantity(), 2'500);
  RedactPiece(piece);
  EXPECT_EQ(piece.metal_inputs(0).quantity(), 0);
  EXPECT_EQ(piece.metal_inputs(0).lot_id(), "merged");

  // Rebuilt, the sealed flags come out the same.
  absl::StatusOr<MemoryState> rebuilt =
      RebuildState(ledger().store(), ledger().Size(), options().rules);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  absl::Status same = CompareState(*rebuilt, ledger().store());
  EXPECT_TRUE(same.ok()) << same;
}

TEST_F(SealedLedgerTest, RefusalsDoNotTellANonCustodianASealedLotsValues) {
  Identity refiner = RefinerWithSealedLot();
  Identity maker = Register("maker-1", v1::ROLE_MANUFACTURER);
  Identity rival = Register("rival-1", v1::ROLE_REFINER);

  // Drawing on another's sealed lot, beyond its balance: the custody refusal comes first.
  const v1::Record grab = Split(rival, "t-grab", "sealed-lot", 99'000, "grabbed");
  absl::StatusOr<Receipt> r = SubmitSealed(grab);
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("is held by 'refiner-1'"));
  EXPECT_THAT(std::string(r.status().message()), ::testing::Not(HasSubstr("10000")));

  // A sealed shipment's addressee is not named to a rival that claims or uses the lot.
  AcceptSealed(Ship(refiner, "ship-1", "sealed-lot", maker.id));
  ExpectRefused(Receive(rival, "ship-1", "sealed-lot"), Code::kPermissionDenied,
                "shipment 'ship-1' is not addressed to 'rival-1'");
  absl::StatusOr<Receipt> received = Submit(Receive(rival, "ship-1", "sealed-lot"));
  EXPECT_THAT(std::string(received.status().message()), ::testing::Not(HasSubstr("maker-1")));
  absl::StatusOr<Receipt> used = SubmitSealed(Split(rival, "t-use", "sealed-lot", 1, "x"));
  EXPECT_EQ(used.status().code(), Code::kFailedPrecondition) << used.status();
  EXPECT_THAT(std::string(used.status().message()), HasSubstr("is in transit (shipment 'ship-1')"));
  EXPECT_THAT(std::string(used.status().message()), ::testing::Not(HasSubstr("maker-1")));
  // The parties themselves are still told.
  ExpectRefused(Split(refiner, "t-mine", "sealed-lot", 1, "y"), Code::kFailedPrecondition,
                "is in transit to 'maker-1'");
  Accept(Receive(maker, "ship-1", "sealed-lot"));
}

}  // namespace
}  // namespace touchstone
