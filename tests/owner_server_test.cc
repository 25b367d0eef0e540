// Owners over real gRPC: a record an owner key signs alone goes through
// Ledger/Submit with an empty signature, and Provenance/GetPiece returns the
// owner's fields (key, acceptance, terms, newest ownership record).
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/ledger_service.grpc.pb.h"
#include "proto/provenance_service.grpc.pb.h"
#include "services/server.h"
#include "tests/owner_test_util.h"
#include "tests/support/server_fixture.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using testing::Identity;
using testing::Signed;
using testing::TestOwner;

class OwnerServerTest : public testing::ServerClientTest {
 protected:
  void SetUp() override {
    call_timeout_ = std::chrono::seconds(20);
    ServerOptions o;
    o.ledger.data_dir = dir_.path();
    o.listen = "127.0.0.1:0";
    server_ = Server::Start(o).value();
    ASSERT_NO_FATAL_FAILURE(ConnectTo(server_->port()));
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
  }

  v1::Record Header(const Identity& who) {
    v1::Record r;
    r.set_record_id("r-" + std::to_string(++n_));
    r.set_signer(who.id);
    r.set_key_id(who.key.public_key().Fingerprint());
    r.set_event_time_micros(testing::NowMicros());
    return r;
  }
  void Append(const Identity& who, const v1::Record& r, v1::Receipt* out = nullptr) {
    v1::Receipt receipt;
    const grpc::Status st = Submit(Signed(who, r, kDefaultOrigin), out ? out : &receipt);
    ASSERT_TRUE(st.ok()) << st.error_message() << "\n" << r.DebugString();
  }

  testing::TempDir dir_;
  std::unique_ptr<Server> server_;
  Identity op_{"", PrivateKey::Generate().value()};
  int n_ = 0;
};

TEST_F(OwnerServerTest, AnOwnerOnlyRecordIsSubmittedWithAnEmptySignatureAndGetPieceShowsTheOwner) {
  const Identity refiner = Register(op_, "refiner", kDefaultOrigin);
  const Identity jeweler = testing::NewIdentity("jeweler");
  Append(op_, testing::RegisterRecord(op_, jeweler, v1::ROLE_JEWELER, "reg-jeweler"));
  Append(refiner, testing::LotRecord(refiner, "gold"));
  v1::Record ship = Header(refiner);
  ship.mutable_custody_shipped()->set_shipment_id("ship-1");
  ship.mutable_custody_shipped()->set_lot_id("lot-gold");
  ship.mutable_custody_shipped()->set_to_participant(jeweler.id);
  ship.mutable_custody_shipped()->set_business_reference_sha256(std::string(32, '\x17'));
  Append(refiner, ship);
  v1::Record receive = Header(jeweler);
  receive.mutable_custody_received()->set_shipment_id("ship-1");
  receive.mutable_custody_received()->set_lot_id("lot-gold");
  Append(jeweler, receive);
  v1::Record piece = Header(jeweler);
  piece.mutable_piece_registered()->set_piece_id("RING-1");
  piece.mutable_piece_registered()->set_description("gold band");
  piece.mutable_piece_registered()->set_hallmark("999.9");
  auto* metal = piece.mutable_piece_registered()->add_metal_inputs();
  metal->set_lot_id("lot-gold");
  metal->set_quantity(4000);
  Append(jeweler, piece);
  const TestOwner alice = TestOwner::Passkey();
  v1::Record sale = Header(jeweler);
  sale.mutable_piece_lifecycle()->set_piece_id("RING-1");
  sale.mutable_piece_lifecycle()->set_event(v1::PIECE_EVENT_SOLD);
  *sale.mutable_piece_lifecycle()->mutable_buyer() = alice.key();
  v1::Receipt sold;
  Append(jeweler, sale, &sold);

  v1::Record accept;
  accept.set_record_id("accept-1");
  accept.set_event_time_micros(testing::NowMicros());
  accept.mutable_ownership_accepted()->set_piece_id("RING-1");
  accept.mutable_ownership_accepted()->set_prev_index(sold.index());
  accept.mutable_ownership_accepted()->mutable_terms()->set_recovery_agent(jeweler.id);
  const std::string bytes = testing::OwnerSignedBytes(accept, alice, kDefaultOrigin);
  v1::Receipt accepted;
  // With a signature: refused; with none: appended.
  EXPECT_EQ(Submit({bytes, std::string(64, 's')}, &accepted).error_code(), grpc::INVALID_ARGUMENT);
  const grpc::Status st = Submit({bytes, ""}, &accepted);
  ASSERT_TRUE(st.ok()) << st.error_message();

  auto provenance = v1::Provenance::NewStub(channel_);
  v1::LookupRequest req;
  req.set_id("RING-1");
  v1::PieceState p;
  ASSERT_TRUE(provenance->GetPiece(Ctx().get(), req, &p).ok());
  EXPECT_TRUE(SameOwnerKey(p.owner(), alice.key()));
  EXPECT_EQ(p.owner().webauthn().rp_id(), "localhost");
  EXPECT_TRUE(p.owner_accepted());
  EXPECT_EQ(p.owner_index(), accepted.index());
  EXPECT_EQ(p.terms().recovery_agent(), jeweler.id);
  EXPECT_EQ(p.owner_status(), v1::PIECE_EVENT_UNSPECIFIED);
}

}  // namespace
}  // namespace touchstone
