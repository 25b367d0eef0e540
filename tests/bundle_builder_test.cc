// Tests that a piece's bundle holds exactly its provenance graph, each entry
// proven against the bundle's checkpoint.
#include "ledger/bundle_builder.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/log/checkpoint.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::ElementsAre;
using testing::Identity;
using testing::Signed;

class BundleBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LedgerOptions o;
    o.data_dir = dir_.path();
    o.rules_version = 0;  // the pieces below make legacy claims
    ledger_ = Ledger::Open(o).value();
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
  }

  uint64_t Append(const Identity& who, v1::Record r) {
    r.set_record_id("r" + std::to_string(next_++));
    r.set_signer(who.id);
    r.set_key_id(who.key.public_key().Fingerprint());
    r.set_event_time_micros(testing::NowMicros());
    auto [bytes, sig] = Signed(who, r, kDefaultOrigin);
    auto receipt = ledger_->Submit(bytes, sig);
    EXPECT_TRUE(receipt.ok()) << receipt.status();
    return receipt.ok() ? receipt->index : 0;
  }

  Identity Register(const std::string& id, v1::Role role) {
    Identity who = testing::NewIdentity(id);
    Append(op_, testing::RegisterRecord(op_, who, role, ""));
    return who;
  }

  testing::TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  Identity op_{"", PrivateKey::Generate().value()};
  int next_ = 0;
};

TEST_F(BundleBuilderTest, BundleHoldsThePiecesGraphAndNothingUnrelated) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);  // 1
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);  // 2
  Identity other = Register("jeweler-2", v1::ROLE_JEWELER);    // 3
  v1::Record lot = testing::LotRecord(refiner, "");
  lot.mutable_lot_created()->set_lot_id("gold");
  lot.mutable_lot_created()->set_origin_class(v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  const uint64_t created = Append(refiner, lot);  // 4
  v1::Record unrelated = testing::LotRecord(refiner, "");
  unrelated.mutable_lot_created()->set_lot_id("other-gold");
  Append(refiner, unrelated);  // 5 (not in the graph)
  v1::Record ship;
  ship.mutable_custody_shipped()->set_shipment_id("s1");
  ship.mutable_custody_shipped()->set_lot_id("gold");
  ship.mutable_custody_shipped()->set_to_participant("jeweler-1");
  const uint64_t shipped = Append(refiner, ship);  // 6
  v1::Record receive;
  receive.mutable_custody_received()->set_shipment_id("s1");
  receive.mutable_custody_received()->set_lot_id("gold");
  const uint64_t received = Append(jeweler, receive);  // 7
  v1::Record piece;
  piece.mutable_piece_registered()->set_piece_id("RING-1");
  auto* m = piece.mutable_piece_registered()->add_metal_inputs();
  m->set_lot_id("gold");
  m->set_quantity(3000);
  piece.mutable_piece_registered()->add_claims(v1::CLAIM_RECYCLED_METAL);
  const uint64_t registered = Append(jeweler, piece);  // 8
  v1::Record wrong;
  wrong.mutable_piece_lifecycle()->set_piece_id("RING-1");
  wrong.mutable_piece_lifecycle()->set_event(v1::PIECE_EVENT_REPAIRED);
  const uint64_t repaired = Append(jeweler, wrong);  // 9
  v1::Record declared;
  declared.mutable_error_declared()->set_wrong_index(repaired);
  const uint64_t declaration = Append(jeweler, declared);  // 10
  Append(op_, testing::RegisterRecord(op_, testing::NewIdentity("late"), v1::ROLE_CUTTER, ""));

  auto indices = PieceGraphIndices(LedgerBundleSource(*ledger_), "RING-1");
  ASSERT_TRUE(indices.ok()) << indices.status();
  // Genesis (the operator who registered the signers), the two signers'
  // registrations, the lot, its custody, the piece's records and the error
  // declaration about one of them; not the other jeweler, the other lot or the
  // registration that came later.
  EXPECT_THAT(*indices,
              ElementsAre(0, 1, 2, created, shipped, received, registered, repaired, declaration));
  (void)other;

  auto bundle = BuildPieceBundle(*ledger_, "RING-1");
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->format(), kBundleFormat);
  EXPECT_EQ(bundle->checkpoint(), ledger_->LatestCheckpoint().second);
  ASSERT_EQ(bundle->entries_size(), static_cast<int>(indices->size()));
  for (const v1::BundleEntry& e : bundle->entries()) {
    EXPECT_EQ(e.entry(), ledger_->GetEntry(e.index()).value());
    auto proof = TlogProof::FromText(e.tlog_proof());
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_EQ(proof->index, e.index());
    EXPECT_EQ(proof->checkpoint_note, bundle->checkpoint());
    EXPECT_TRUE(VerifyTlogProof(*proof, e.entry(), ledger_->verifier()).ok()) << e.index();
  }
}

TEST_F(BundleBuilderTest, MaxBytesRefusesABundleBiggerThanItAndAdmitsOneOfExactlyIt) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);
  v1::Record lot = testing::LotRecord(refiner, "");
  lot.mutable_lot_created()->set_lot_id("gold");
  lot.mutable_lot_created()->set_origin_class(v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Append(refiner, lot);
  v1::Record ship;
  ship.mutable_custody_shipped()->set_shipment_id("s1");
  ship.mutable_custody_shipped()->set_lot_id("gold");
  ship.mutable_custody_shipped()->set_to_participant("jeweler-1");
  Append(refiner, ship);
  v1::Record receive;
  receive.mutable_custody_received()->set_shipment_id("s1");
  receive.mutable_custody_received()->set_lot_id("gold");
  Append(jeweler, receive);
  v1::Record piece;
  piece.mutable_piece_registered()->set_piece_id("RING-1");
  auto* m = piece.mutable_piece_registered()->add_metal_inputs();
  m->set_lot_id("gold");
  m->set_quantity(3000);
  Append(jeweler, piece);
  const auto [size, note] = ledger_->LatestCheckpoint();
  const LedgerBundleSource source(*ledger_);
  auto whole = BuildPieceBundle(source, "RING-1", size, note);
  ASSERT_TRUE(whole.ok()) << whole.status();
  ASSERT_EQ(whole->entries_size(), 7);  // genesis, two registrations, the lot's three, the piece
  const size_t bytes = whole->ByteSizeLong();
  auto fits = BuildPieceBundle(source, "RING-1", size, note, bytes);
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(fits->ByteSizeLong(), bytes);
  auto over = BuildPieceBundle(source, "RING-1", size, note, bytes - 1);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(over.status().message(),
            absl::StrCat("the bundle of piece 'RING-1' is more than ", bytes - 1,
                         " bytes (its first ", whole->entries_size(), " records already are)"));
  // Through the ledger, against its latest checkpoint, likewise.
  EXPECT_EQ(BuildPieceBundle(*ledger_, "RING-1", bytes - 1).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(BundleBuilderTest, ABundleIsRefusedWhenOneOfItsProofsRestsOnAnAlteredTreeNode) {
  Identity refiner = Register("refiner-1", v1::ROLE_REFINER);  // 1
  Identity jeweler = Register("jeweler-1", v1::ROLE_JEWELER);  // 2
  v1::Record lot = testing::LotRecord(refiner, "");
  lot.mutable_lot_created()->set_lot_id("gold");
  lot.mutable_lot_created()->set_origin_class(v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER);
  Append(refiner, lot);  // 3
  v1::Record ship;
  ship.mutable_custody_shipped()->set_shipment_id("s1");
  ship.mutable_custody_shipped()->set_lot_id("gold");
  ship.mutable_custody_shipped()->set_to_participant("jeweler-1");
  Append(refiner, ship);  // 4
  v1::Record receive;
  receive.mutable_custody_received()->set_shipment_id("s1");
  receive.mutable_custody_received()->set_lot_id("gold");
  Append(jeweler, receive);  // 5
  v1::Record piece;
  piece.mutable_piece_registered()->set_piece_id("RING-1");
  auto* m = piece.mutable_piece_registered()->add_metal_inputs();
  m->set_lot_id("gold");
  m->set_quantity(3000);
  piece.mutable_piece_registered()->add_claims(v1::CLAIM_RECYCLED_METAL);
  ASSERT_EQ(Append(jeweler, piece), 6u);
  for (int i = 0; i < 3; ++i) {  // 7, 8, 9
    v1::Record other = testing::LotRecord(refiner, "");
    other.mutable_lot_created()->set_lot_id("other-" + std::to_string(i));
    Append(refiner, other);
  }
  ASSERT_TRUE(BuildPieceBundle(*ledger_, "RING-1").ok());

  // Node (1, 2), the hash of leaves 4 and 5, is on the proof of entry 6.
  ledger_.reset();
  {
    std::unique_ptr<Store> store = Store::Open({.path = dir_.path() + "/db"}).value();
    StoreBatch batch = store->NewBatch();
    batch.PutNode(1, 2, LeafHash("altered"));
    ASSERT_TRUE(store->Commit(batch).ok());
  }
  LedgerOptions o;
  o.data_dir = dir_.path();
  o.rules_version = 0;
  ledger_ = Ledger::Open(o).value();
  absl::StatusOr<v1::PieceBundle> bundle = BuildPieceBundle(*ledger_, "RING-1");
  EXPECT_EQ(bundle.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(bundle.status().message()),
              ::testing::AllOf(::testing::HasSubstr("inclusion proof of entry 6 at tree size 10"),
                               ::testing::HasSubstr("tree node level 1 index 2 (entries 4 to 5)")));
  EXPECT_EQ(ledger_->metrics().proof_verify_failures(/*consistency=*/false), 1u);
}

TEST_F(BundleBuilderTest, UnknownPieceIsNotFound) {
  EXPECT_EQ(BuildPieceBundle(*ledger_, "nope").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace touchstone
