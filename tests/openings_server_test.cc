// Opening reads over a real server (port 0): the Openings gRPC service and
// POST /v1/openings. A competitor is refused with the one message, whatever
// the record; the signer, the shipment's receiver and an auditor read the
// opening; the signer's read log lists every attempt on its sealed records.
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/opening_access.h"
#include "nlohmann/json.hpp"
#include "proto/openings_service.grpc.pb.h"
#include "services/server.h"
#include "tests/support/server_fixture.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using testing::Identity;
using testing::NowMicros;
using testing::Signed;
using testing::TempDir;

class OpeningsServerTest : public testing::ServerClientTest {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.ledger.data_dir = dir_.path();
    o.listen = "127.0.0.1:0";
    o.http.listen = "127.0.0.1:0";
    server_ = Server::Start(o).value();
    ASSERT_NO_FATAL_FAILURE(ConnectTo(server_->port()));
    openings_ = v1::Openings::NewStub(channel_);
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
    refiner_ = Register(op_, "refiner", kDefaultOrigin);
    cutter_ = Register(op_, "cutter", kDefaultOrigin);
    competitor_ = Register(op_, "competitor", kDefaultOrigin);
    auditor_ = testing::NewIdentity("auditor");
    v1::Receipt r;
    ASSERT_TRUE(
        Submit(Signed(op_, testing::RegisterRecord(op_, auditor_, v1::ROLE_AUDITOR, "reg-a"),
                      kDefaultOrigin),
               &r)
            .ok());
  }

  // Submits `full` sealed by its signer `who` with its opening; its index.
  uint64_t SubmitSealed(const Identity& who, const v1::Record& full) {
    SealedRecord sealed = SealRecord(full, std::string(kOpeningSaltBytes, 's')).value();
    auto [bytes, sig] = Signed(who, sealed.record, kDefaultOrigin);
    v1::SubmitRequest req;
    req.set_record(bytes);
    req.set_signature(sig);
    *req.mutable_opening() = sealed.opening;
    v1::Receipt receipt;
    const grpc::Status st = stub_->Submit(Ctx().get(), req, &receipt);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return receipt.index();
  }

  uint64_t SubmitPublic(const Identity& who, const v1::Record& full) {
    v1::Receipt receipt;
    const grpc::Status st = Submit(Signed(who, full, kDefaultOrigin), &receipt);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return receipt.index();
  }

  static v1::ReadAuth Auth(const Identity& who, std::string_view what,
                           int64_t micros = NowMicros()) {
    const ReadRequest r = SignReadRequest(who.key, kDefaultOrigin, who.id, what, micros);
    v1::ReadAuth a;
    a.set_reader(r.reader);
    a.set_key_id(r.key_id);
    a.set_micros(r.micros);
    a.set_signature(r.signature);
    return a;
  }

  grpc::Status GetOpening(const Identity& who, uint64_t index, v1::GetOpeningResponse* resp) {
    v1::GetOpeningRequest req;
    req.set_index(index);
    *req.mutable_auth() = Auth(who, OpeningWhat(index));
    return openings_->GetOpening(Ctx().get(), req, resp);
  }

  std::vector<v1::OpeningRead> Reads(const Identity& who) {
    v1::ListOpeningReadsRequest req;
    *req.mutable_auth() = Auth(who, kOpeningReadsWhat);
    v1::ListOpeningReadsResponse resp;
    const grpc::Status st = openings_->ListOpeningReads(Ctx().get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return {resp.reads().begin(), resp.reads().end()};
  }

  // POST /v1/openings with `who`'s request for `index`.
  httplib::Result PostOpening(const Identity& who, uint64_t index) {
    const v1::ReadAuth a = Auth(who, OpeningWhat(index));
    httplib::Client http("127.0.0.1", server_->http_port());
    const nlohmann::json body = {{"index", index},
                                 {"reader", a.reader()},
                                 {"key_id", a.key_id()},
                                 {"micros", a.micros()},
                                 {"signature", absl::Base64Escape(a.signature())}};
    return http.Post("/v1/openings", body.dump(), "application/json");
  }

  // A lot of 1234567 mg by `who`.
  static v1::Record Lot(const Identity& who, const std::string& id) {
    v1::Record r = testing::LotRecord(who, id);
    r.mutable_lot_created()->set_quantity(1'234'567);
    return r;
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<v1::Openings::Stub> openings_;
  Identity op_{"", PrivateKey::Generate().value()};
  Identity refiner_{"", PrivateKey::Generate().value()};
  Identity cutter_{"", PrivateKey::Generate().value()};
  Identity competitor_{"", PrivateKey::Generate().value()};
  Identity auditor_{"", PrivateKey::Generate().value()};
};

TEST_F(OpeningsServerTest, CompetitorIsDeniedAndTheSignerReadsAndTheLogListsBoth) {
  const uint64_t sealed = SubmitSealed(refiner_, Lot(refiner_, "sealed-lot"));

  v1::GetOpeningResponse resp;
  const grpc::Status denied = GetOpening(competitor_, sealed, &resp);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(denied.error_message(), kOpeningReadDenied);
  EXPECT_FALSE(resp.has_record());

  ASSERT_TRUE(GetOpening(refiner_, sealed, &resp).ok());
  EXPECT_TRUE(resp.sealed());
  EXPECT_EQ(resp.why(), "signer");
  EXPECT_EQ(resp.record().lot_created().quantity(), 1'234'567);
  // The opening opens the stored entry to the same record.
  v1::GetEntryRequest ereq;
  ereq.set_index(sealed);
  v1::Entry entry;
  ASSERT_TRUE(stub_->GetEntry(Ctx().get(), ereq, &entry).ok());
  const v1::Record stored = RecordOfEntry(sealed, entry.data()).value();
  EXPECT_EQ(stored.lot_created().quantity(), 0);
  EXPECT_EQ(OpenRecord(stored, resp.opening())->SerializeAsString(),
            resp.record().SerializeAsString());

  const std::vector<v1::OpeningRead> reads = Reads(refiner_);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].reader(), "competitor");
  EXPECT_FALSE(reads[0].allowed());
  EXPECT_EQ(reads[0].index(), sealed);
  EXPECT_EQ(reads[1].reader(), "refiner");
  EXPECT_TRUE(reads[1].allowed());
  EXPECT_EQ(reads[1].why(), "signer");
  EXPECT_LE(reads[0].micros(), reads[1].micros());
  // Each signer sees the reads of its own records only.
  EXPECT_TRUE(Reads(competitor_).empty());
}

TEST_F(OpeningsServerTest, ReceiverAndAuditorReadTheSealedShipment) {
  SubmitPublic(refiner_, Lot(refiner_, "lot-s"));
  v1::Record ship;
  ship.set_record_id("ship-1");
  ship.set_signer(refiner_.id);
  ship.set_key_id(refiner_.key.public_key().Fingerprint());
  ship.set_event_time_micros(NowMicros());
  ship.mutable_custody_shipped()->set_shipment_id("shipment-1");
  ship.mutable_custody_shipped()->set_lot_id("lot-lot-s");
  ship.mutable_custody_shipped()->set_to_participant(cutter_.id);
  const uint64_t index = SubmitSealed(refiner_, ship);

  v1::GetOpeningResponse resp;
  ASSERT_TRUE(GetOpening(cutter_, index, &resp).ok());
  EXPECT_EQ(resp.why(), "counterparty");
  EXPECT_EQ(resp.record().custody_shipped().to_participant(), "cutter");
  ASSERT_TRUE(GetOpening(auditor_, index, &resp).ok());
  EXPECT_EQ(resp.why(), "auditor");
  EXPECT_EQ(GetOpening(competitor_, index, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reads(refiner_).size(), 3u);
}

TEST_F(OpeningsServerTest, RefusalIsTheSameForSealedUnsealedAndBeyondTheLog) {
  const uint64_t sealed = SubmitSealed(refiner_, Lot(refiner_, "sealed-lot"));
  const uint64_t unsealed = SubmitPublic(refiner_, Lot(refiner_, "public-lot"));
  v1::GetOpeningResponse resp;
  const grpc::Status a = GetOpening(competitor_, sealed, &resp);
  const grpc::Status b = GetOpening(competitor_, unsealed, &resp);
  const grpc::Status c = GetOpening(competitor_, unsealed + 1000, &resp);
  for (const grpc::Status& s : {a, b, c}) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(s.error_message(), "not allowed to read this opening");
    EXPECT_EQ(s.error_details(), "");
  }
  // The signer of the public record learns it is public; only sealed attempts are logged.
  ASSERT_TRUE(GetOpening(refiner_, unsealed, &resp).ok());
  EXPECT_FALSE(resp.sealed());
  EXPECT_FALSE(resp.has_opening());
  EXPECT_EQ(Reads(refiner_).size(), 1u);
  // An auditor is told what everyone can see: the index is beyond the log.
  EXPECT_EQ(GetOpening(auditor_, unsealed + 1000, &resp).error_code(),
            grpc::StatusCode::OUT_OF_RANGE);
}

TEST_F(OpeningsServerTest, StaleOrForgedRequestsAreDeniedAndLogged) {
  const uint64_t sealed = SubmitSealed(refiner_, Lot(refiner_, "sealed-lot"));
  v1::GetOpeningRequest req;
  req.set_index(sealed);
  *req.mutable_auth() = Auth(refiner_, OpeningWhat(sealed), NowMicros() - 301'000'000);
  v1::GetOpeningResponse resp;
  grpc::Status st = openings_->GetOpening(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(st.error_message(), kOpeningReadDenied);
  // The competitor claims to be the refiner.
  *req.mutable_auth() = Auth(competitor_, OpeningWhat(sealed));
  req.mutable_auth()->set_reader("refiner");
  st = openings_->GetOpening(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_message(), kOpeningReadDenied);

  const std::vector<v1::OpeningRead> reads = Reads(refiner_);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].why(), "request time outside the window");
  EXPECT_EQ(reads[1].why(), "unknown key");

  // A request to list reads signed by someone else is refused.
  v1::ListOpeningReadsRequest lreq;
  *lreq.mutable_auth() = Auth(competitor_, kOpeningReadsWhat);
  lreq.mutable_auth()->set_reader("refiner");
  v1::ListOpeningReadsResponse lresp;
  EXPECT_EQ(openings_->ListOpeningReads(Ctx().get(), lreq, &lresp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(OpeningsServerTest, HttpDeniesTheCompetitorAndAnswersTheSigner) {
  const uint64_t sealed = SubmitSealed(refiner_, Lot(refiner_, "sealed-lot"));
  httplib::Result denied = PostOpening(competitor_, sealed);
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  const nlohmann::json err = nlohmann::json::parse(denied->body);
  EXPECT_EQ(err["error"], "not allowed to read this opening");
  EXPECT_EQ(err["code"], "PERMISSION_DENIED");
  EXPECT_EQ(denied->body.find("1234567"), std::string::npos);

  httplib::Result ok = PostOpening(refiner_, sealed);
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  const nlohmann::json j = nlohmann::json::parse(ok->body);
  EXPECT_EQ(j["why"], "signer");
  EXPECT_EQ(j["sealed"], true);
  EXPECT_EQ(j["record"]["lot_created"]["quantity"], "1234567");  // int64 in proto JSON
  EXPECT_TRUE(j["opening"].contains("salt"));

  httplib::Client http("127.0.0.1", server_->http_port());
  httplib::Result bad = http.Post("/v1/openings", "{\"index\": -1}", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  EXPECT_EQ(Reads(refiner_).size(), 2u);
}

}  // namespace
}  // namespace touchstone
