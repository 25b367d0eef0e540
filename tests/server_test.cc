// Integration tests over real gRPC: a touchstoned server on a loopback port
// (port 0, read back) and a client stub, as any other client would talk to it.
#include "services/server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/commitments.h"
#include "proto/admin_service.grpc.pb.h"
#include "proto/ledger_service.grpc.pb.h"
#include "proto/provenance_service.grpc.pb.h"
#include "tests/support/server_fixture.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using testing::Identity;
using testing::Signed;
using testing::TempDir;

// An in-process Server (ServerOptions, Configure) with the client side of
// tests/support/server_fixture.h connected to it.
class ServerTest : public testing::ServerClientTest {
 protected:
  void SetUp() override {
    call_timeout_ = std::chrono::seconds(20);
    ServerOptions o;
    o.ledger.data_dir = dir_.path();
    o.listen = "127.0.0.1:0";
    o.max_message_bytes = 1 << 20;
    Configure(o);
    server_ = Server::Start(o).value();
    ASSERT_GT(server_->port(), 0);
    ASSERT_NO_FATAL_FAILURE(ConnectTo(server_->port()));
    op_ = Identity{"operator", PrivateKey::LoadPemFile(dir_.path() + "/operator.pem").value()};
  }

  // Lets a derived fixture change the server's options.
  virtual void Configure(ServerOptions&) {}

  // Registers a new refiner `id`, signed by the operator.
  Identity Register(const std::string& id) {
    return ServerClientTest::Register(op_, id, kDefaultOrigin);
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  Identity op_{"", PrivateKey::Generate().value()};
};

TEST_F(ServerTest, SubmitReturnsAReceiptThatVerifiesAgainstTheSignedCheckpoint) {
  Identity refiner = Register("refiner-1");
  auto rec = Signed(refiner, testing::LotRecord(refiner, "lot-1"), kDefaultOrigin);
  v1::Receipt receipt;
  ASSERT_TRUE(Submit(rec, &receipt).ok());
  Checkpoint cp = VerifyCheckpoint(receipt.checkpoint(), *verifier_).value();
  EXPECT_EQ(cp.size, receipt.tree_size());

  v1::GetEntryRequest ereq;
  ereq.set_index(receipt.index());
  v1::Entry entry;
  ASSERT_TRUE(stub_->GetEntry(Ctx().get(), ereq, &entry).ok());
  EXPECT_EQ(DecodeEntry(entry.data())->record, rec.first);
  const Hash leaf = LeafHash(entry.data());
  EXPECT_EQ(HashBytes(leaf), receipt.leaf_hash());
  std::vector<Hash> proof;
  for (const auto& h : receipt.inclusion_proof()) proof.push_back(HashFromBytes(h).value());
  EXPECT_TRUE(VerifyInclusion(receipt.index(), cp.size, leaf, proof, cp.root).ok());
}

// Sealed records over real gRPC (issue 16): Submit, SubmitBatch and SubmitStream carry the
// opening; the ledger keeps it; GetLot of the sealed lot shows no quantity, balance or site.
TEST_F(ServerTest, SealedRecordsTravelWithTheirOpeningsAndGetLotShowsNoCommittedValue) {
  Identity refiner = Register("refiner-1");
  auto provenance = v1::Provenance::NewStub(channel_);
  auto seal = [&](const std::string& id, char fill) {
    SealedRecord s =
        SealRecord(testing::LotRecord(refiner, id), std::string(kOpeningSaltBytes, fill)).value();
    v1::SubmitRequest req;
    auto [bytes, sig] = Signed(refiner, s.record, kDefaultOrigin);
    req.set_record(bytes);
    req.set_signature(sig);
    *req.mutable_opening() = s.opening;
    return req;
  };

  // Submit: the opening is kept beside the entry, and the entry holds no quantity.
  const v1::SubmitRequest one = seal("sealed-1", 'a');
  v1::Receipt receipt;
  grpc::Status st = stub_->Submit(Ctx().get(), one, &receipt);
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::optional<v1::Opening> kept = server_->ledger().GetOpening(receipt.index()).value();
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->SerializeAsString(), one.opening().SerializeAsString());
  v1::LookupRequest lookup;
  lookup.set_id("lot-sealed-1");
  v1::LotState lot;
  ASSERT_TRUE(provenance->GetLot(Ctx().get(), lookup, &lot).ok());
  EXPECT_TRUE(lot.sealed());
  EXPECT_EQ(lot.quantity(), 0);
  EXPECT_EQ(lot.balance(), 0);
  EXPECT_TRUE(lot.site().empty());
  EXPECT_EQ(lot.material(), "gold");  // what stays public stays
  EXPECT_EQ(lot.custodian(), "refiner-1");
  EXPECT_EQ(lot.SerializeAsString().find("Pforzheim"), std::string::npos);
  // The ledger itself knows the opened quantity.
  EXPECT_EQ(server_->ledger().GetLot("lot-sealed-1").value().quantity(), 1'000'000);

  // Without its opening: refused, nothing appended.
  const uint64_t size = server_->ledger().Size();
  v1::SubmitRequest bare = seal("sealed-2", 'b');
  bare.clear_opening();
  st = stub_->Submit(Ctx().get(), bare, &receipt);
  EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("its opening must come with it"));
  EXPECT_EQ(server_->ledger().Size(), size);

  // SubmitBatch and SubmitStream carry openings too.
  v1::SubmitBatchRequest batch;
  *batch.add_records() = seal("sealed-3", 'c');
  v1::SubmitBatchResponse batch_resp;
  ASSERT_TRUE(stub_->SubmitBatch(Ctx().get(), batch, &batch_resp).ok());
  ASSERT_EQ(batch_resp.results_size(), 1);
  ASSERT_EQ(batch_resp.results(0).code(), 0) << batch_resp.results(0).message();
  EXPECT_TRUE(server_->ledger().GetOpening(batch_resp.results(0).receipt().index()).value());
  auto ctx = Ctx();
  auto stream = stub_->SubmitStream(ctx.get());
  ASSERT_TRUE(stream->Write(seal("sealed-4", 'd')));
  ASSERT_TRUE(stream->WritesDone());
  v1::SubmitResult streamed;
  ASSERT_TRUE(stream->Read(&streamed));
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(streamed.code(), 0) << streamed.message();
  EXPECT_TRUE(server_->ledger().GetOpening(streamed.receipt().index()).value());
}

TEST_F(ServerTest, StreamedSubmissionsGetOneResultEachInOrderWithVerifyingReceipts) {
  Identity refiner = Register("refiner-1");
  std::vector<std::pair<std::string, std::string>> recs;
  for (int i = 0; i < 40; ++i) {
    recs.push_back(
        Signed(refiner, testing::LotRecord(refiner, "lot-" + std::to_string(i)), kDefaultOrigin));
  }
  recs[17].second[3] ^= 0x01;  // a bad signature in the middle
  recs.push_back(recs[3]);     // an idempotent retry
  auto ctx = Ctx();
  auto stream = stub_->SubmitStream(ctx.get());
  for (const auto& [record, sig] : recs) {
    v1::SubmitRequest req;
    req.set_record(record);
    req.set_signature(sig);
    ASSERT_TRUE(stream->Write(req));
  }
  ASSERT_TRUE(stream->WritesDone());
  std::vector<v1::SubmitResult> results;
  for (v1::SubmitResult r; stream->Read(&r);) results.push_back(r);
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(results.size(), recs.size());
  uint64_t last_index = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const v1::SubmitResult& r = results[i];
    if (i == 17) {
      EXPECT_EQ(r.code(), grpc::INVALID_ARGUMENT);
      EXPECT_THAT(r.message(), HasSubstr("bad signature"));
      continue;
    }
    ASSERT_EQ(r.code(), 0) << i << ": " << r.message();
    const Checkpoint cp = VerifyCheckpoint(r.receipt().checkpoint(), *verifier_).value();
    std::vector<Hash> proof;
    for (const auto& h : r.receipt().inclusion_proof()) proof.push_back(HashFromBytes(h).value());
    EXPECT_TRUE(VerifyInclusion(r.receipt().index(), cp.size,
                                HashFromBytes(r.receipt().leaf_hash()).value(), proof, cp.root)
                    .ok());
    if (i + 1 == results.size()) {
      EXPECT_TRUE(r.receipt().duplicate());
      EXPECT_EQ(r.receipt().index(), results[3].receipt().index());
    } else {
      EXPECT_GT(r.receipt().index(), last_index);  // appended in the order sent
      last_index = r.receipt().index();
    }
  }
  EXPECT_EQ(Size(), 2 + 39);  // genesis, registration, 39 lots
}

TEST_F(ServerTest, BadRequestsGetPreciseCodesAndChangeNothing) {
  Identity refiner = Register("refiner-1");
  const uint64_t size = Size();
  auto good = Signed(refiner, testing::LotRecord(refiner, "lot-1"), kDefaultOrigin);
  v1::Receipt r;
  EXPECT_EQ(Submit({"not a record", good.second}, &r).error_code(), grpc::INVALID_ARGUMENT);
  std::string sig = good.second;
  sig[0] ^= 1;
  grpc::Status bad_sig = Submit({good.first, sig}, &r);
  EXPECT_EQ(bad_sig.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(bad_sig.error_message(), HasSubstr("bad signature"));
  Identity stranger = testing::NewIdentity("stranger");
  EXPECT_EQ(
      Submit(Signed(stranger, testing::LotRecord(stranger, "x"), kDefaultOrigin), &r).error_code(),
      grpc::NOT_FOUND);
  // Bigger than the server's gRPC message limit (1 MiB here).
  EXPECT_EQ(Submit({std::string(2 << 20, 'x'), good.second}, &r).error_code(),
            grpc::RESOURCE_EXHAUSTED);

  v1::GetEntryRequest ereq;
  ereq.set_index(size + 5);
  v1::Entry e;
  grpc::Status oor = stub_->GetEntry(Ctx().get(), ereq, &e);
  EXPECT_EQ(oor.error_code(), grpc::OUT_OF_RANGE);
  EXPECT_THAT(oor.error_message(), HasSubstr("beyond the log"));
  v1::GetCheckpointRequest creq;
  creq.set_size(size + 1);
  v1::CheckpointResponse c;
  EXPECT_EQ(stub_->GetCheckpoint(Ctx().get(), creq, &c).error_code(), grpc::OUT_OF_RANGE);
  v1::GetInclusionProofRequest preq;
  v1::InclusionProofResponse p;
  EXPECT_EQ(stub_->GetInclusionProof(Ctx().get(), preq, &p).error_code(), grpc::INVALID_ARGUMENT);
  preq.set_leaf_hash("short");
  EXPECT_EQ(stub_->GetInclusionProof(Ctx().get(), preq, &p).error_code(), grpc::INVALID_ARGUMENT);
  preq.set_leaf_hash(std::string(32, 'z'));
  EXPECT_EQ(stub_->GetInclusionProof(Ctx().get(), preq, &p).error_code(), grpc::NOT_FOUND);
  v1::GetConsistencyProofRequest qreq;
  v1::ConsistencyProofResponse q;
  EXPECT_EQ(stub_->GetConsistencyProof(Ctx().get(), qreq, &q).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(Size(), size);
}

TEST_F(ServerTest, ProofsByIndexAndByLeafHashAtOldSizesVerify) {
  Identity refiner = Register("refiner-1");
  std::vector<v1::Receipt> receipts;
  for (int i = 0; i < 12; ++i) {
    v1::Receipt r;
    ASSERT_TRUE(Submit(Signed(refiner, testing::LotRecord(refiner, "l" + std::to_string(i)),
                              kDefaultOrigin),
                       &r)
                    .ok());
    receipts.push_back(r);
  }
  for (const v1::Receipt& old : receipts) {
    // By leaf hash at the size of the checkpoint the receipt came with.
    v1::GetInclusionProofRequest req;
    req.set_leaf_hash(old.leaf_hash());
    req.set_tree_size(old.tree_size());
    v1::InclusionProofResponse resp;
    ASSERT_TRUE(stub_->GetInclusionProof(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.index(), old.index());
    EXPECT_EQ(resp.checkpoint(), old.checkpoint());
    Checkpoint cp = VerifyCheckpoint(resp.checkpoint(), *verifier_).value();
    std::vector<Hash> proof;
    for (const auto& h : resp.hashes()) proof.push_back(HashFromBytes(h).value());
    EXPECT_TRUE(VerifyInclusion(old.index(), cp.size, HashFromBytes(old.leaf_hash()).value(), proof,
                                cp.root)
                    .ok());

    // And the old checkpoint is a prefix of the latest one.
    v1::GetConsistencyProofRequest creq;
    creq.set_old_size(old.tree_size());
    v1::ConsistencyProofResponse cresp;
    ASSERT_TRUE(stub_->GetConsistencyProof(Ctx().get(), creq, &cresp).ok());
    Checkpoint latest = VerifyCheckpoint(cresp.checkpoint(), *verifier_).value();
    std::vector<Hash> cproof;
    for (const auto& h : cresp.hashes()) cproof.push_back(HashFromBytes(h).value());
    EXPECT_TRUE(VerifyConsistency(cp.size, latest.size, cp.root, latest.root, cproof).ok());
  }
}

TEST_F(ServerTest, StreamedEntriesMirrorTheWholeLog) {
  Identity refiner = Register("refiner-1");
  v1::SubmitBatchRequest batch;
  for (int i = 0; i < 50; ++i) {
    auto rec =
        Signed(refiner, testing::LotRecord(refiner, "b" + std::to_string(i)), kDefaultOrigin);
    auto* r = batch.add_records();
    r->set_record(rec.first);
    r->set_signature(rec.second);
  }
  v1::SubmitBatchResponse bresp;
  ASSERT_TRUE(stub_->SubmitBatch(Ctx().get(), batch, &bresp).ok());
  ASSERT_EQ(bresp.results_size(), 50);
  for (const auto& r : bresp.results()) EXPECT_EQ(r.code(), 0) << r.message();

  auto ctx = Ctx();
  auto reader = stub_->GetEntries(ctx.get(), v1::GetEntriesRequest());
  v1::Entry e;
  std::vector<Hash> leaves;
  Hash prev{};
  while (reader->Read(&e)) {
    EXPECT_EQ(e.index(), leaves.size());
    EntryView v = DecodeEntry(e.data()).value();
    EXPECT_EQ(v.prev_leaf_hash, prev);
    prev = LeafHash(e.data());
    EXPECT_EQ(HashBytes(prev), e.leaf_hash());
    leaves.push_back(prev);
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_EQ(leaves.size(), 52u);
  v1::CheckpointResponse cp;
  ASSERT_TRUE(stub_->GetCheckpoint(Ctx().get(), {}, &cp).ok());
  EXPECT_EQ(VerifyCheckpoint(cp.checkpoint(), *verifier_)->root, RootFromLeafHashes(leaves));

  v1::GetEntriesRequest bad;
  bad.set_start(10);
  bad.set_end(1000);
  auto bctx = Ctx();
  auto breader = stub_->GetEntries(bctx.get(), bad);
  while (breader->Read(&e)) {
  }
  EXPECT_EQ(breader->Finish().error_code(), grpc::OUT_OF_RANGE);
}

TEST_F(ServerTest, ProvenanceLookupsReturnDerivedStateWithTheRecordsBehindIt) {
  Identity refiner = Register("refiner-1");
  v1::Receipt r;
  ASSERT_TRUE(
      Submit(Signed(refiner, testing::LotRecord(refiner, "lot-1"), kDefaultOrigin), &r).ok());
  auto provenance = v1::Provenance::NewStub(channel_);
  v1::LookupRequest req;
  req.set_id("lot-lot-1");
  v1::LotState lot;
  ASSERT_TRUE(provenance->GetLot(Ctx().get(), req, &lot).ok());
  EXPECT_EQ(lot.custodian(), "refiner-1");
  EXPECT_EQ(lot.balance(), 1'000'000);
  EXPECT_EQ(lot.origin_class(), v1::ORIGIN_CLASS_MINED);  // testing::LotRecord's
  EXPECT_EQ(lot.fineness_ptt(), 9999);
  ASSERT_EQ(lot.history_size(), 1);
  EXPECT_EQ(lot.history(0), r.index());

  req.set_id("refiner-1");
  v1::ParticipantState p;
  ASSERT_TRUE(provenance->GetParticipant(Ctx().get(), req, &p).ok());
  EXPECT_EQ(p.roles(0), v1::ROLE_REFINER);
  EXPECT_EQ(p.keys(0).key_id(), refiner.key.public_key().Fingerprint());

  req.set_id("no-such-lot");
  grpc::Status missing = provenance->GetLot(Ctx().get(), req, &lot);
  EXPECT_EQ(missing.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(missing.error_message(), HasSubstr("no lot 'no-such-lot'"));
  req.set_id("");
  v1::PieceState piece;
  EXPECT_EQ(provenance->GetPiece(Ctx().get(), req, &piece).error_code(), grpc::INVALID_ARGUMENT);
}

TEST_F(ServerTest, StandardHealthCheckReportsServing) {
  // Ask over the wire with the standard health protocol, as probes do.
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // grpc.health.v1.HealthCheckRequest{service: ""} serializes to zero bytes.
  grpc::ByteBuffer request, response;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> l(mu);
                      status = s;
                      done = true;
                      cv.notify_all();
                    });
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done; });
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string body;
  for (const auto& s : slices) body.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(body, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(ServerTest, RecordsBatchesAndMessagesOverTheLimitsAreRefusedNamingTheLimit) {
  Identity refiner = Register("refiner-1");
  const uint64_t size = Size();
  v1::Receipt r;
  v1::Record long_note = testing::LotRecord(refiner, "long");
  long_note.mutable_lot_created()->set_note(std::string(5000, 'n'));
  grpc::Status field = Submit(Signed(refiner, long_note, kDefaultOrigin), &r);
  EXPECT_EQ(field.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(field.error_message(),
              HasSubstr("record limit: field lot_created.note is 5000 bytes; the limit for free "
                        "text is 4096"));
  grpc::Status record = Submit({std::string(70 * 1024, 'x'), std::string(64, 's')}, &r);
  EXPECT_EQ(record.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(record.error_message(), HasSubstr("the limit is 65536 (max_record_bytes)"));

  v1::SubmitBatchRequest batch;
  for (size_t i = 0; i <= kDefaultMaxBatchRecords; ++i) {
    auto* rec = batch.add_records();
    rec->set_record("r");
    rec->set_signature("s");
  }
  v1::SubmitBatchResponse bresp;
  grpc::Status too_many = stub_->SubmitBatch(Ctx().get(), batch, &bresp);
  EXPECT_EQ(too_many.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(too_many.error_message(), HasSubstr("at most 1000 records (max_batch), got 1001"));
  EXPECT_EQ(bresp.results_size(), 0);

  grpc::Status message = Submit({std::string(2 << 20, 'x'), std::string(64, 's')}, &r);
  EXPECT_EQ(message.error_code(), grpc::RESOURCE_EXHAUSTED);
  EXPECT_THAT(message.error_message(), HasSubstr("larger than max"));
  EXPECT_EQ(Size(), size);
}

// A server whose sequencer the test can stall, with a short per-call limit.
class ServerCallLimitTest : public ServerTest {
 protected:
  void Configure(ServerOptions& o) override {
    o.max_call_seconds = 0.5;
    o.ledger.now_micros = [this] { return clock_.Now(); };
  }
  void TearDown() override { clock_.Stall(false); }
  testing::StallableClock clock_;
};

TEST_F(ServerCallLimitTest, ASubmitEndsAtTheServersCallLimitEvenIfTheClientWouldWait) {
  Identity refiner = Register("refiner-1");
  const uint64_t size = Size();
  auto rec = Signed(refiner, testing::LotRecord(refiner, "stuck"), kDefaultOrigin);
  clock_.Stall(true);
  v1::Receipt r;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status s = Submit(rec, &r);  // the client allows 20 s
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.error_code(), grpc::DEADLINE_EXCEEDED);
  EXPECT_THAT(s.error_message(), HasSubstr("call limit: the server ends any call after 500ms, "
                                           "--max_call_seconds"));
  EXPECT_GE(waited, std::chrono::milliseconds(500));
  EXPECT_LT(waited, std::chrono::seconds(10));
  clock_.Stall(false);
  ASSERT_TRUE(Submit(rec, &r).ok());  // the retry gets the receipt; appended once
  EXPECT_EQ(Size(), size + 1);
}

// A per-call limit far shorter than streaming the log takes.
class ServerStreamLimitTest : public ServerTest {
 protected:
  void Configure(ServerOptions& o) override { o.max_call_seconds = 0.001; }
};

TEST_F(ServerStreamLimitTest, AStreamEndsAtTheCallLimitAndSaysWhereToContinue) {
  Identity refiner = testing::NewIdentity("refiner-1");
  auto reg =
      Signed(op_, testing::RegisterRecord(op_, refiner, v1::ROLE_REFINER, "reg"), kDefaultOrigin);
  ASSERT_TRUE(server_->ledger().Submit(reg.first, reg.second).ok());  // not through the cap
  std::vector<std::pair<std::string, std::string>> batch;
  for (int i = 0; i < 1000; ++i) {
    batch.push_back(
        Signed(refiner, testing::LotRecord(refiner, "s" + std::to_string(i)), kDefaultOrigin));
  }
  ASSERT_TRUE(server_->ledger().SubmitBatch(batch).ok());
  const uint64_t size = server_->ledger().Size();

  auto ctx = Ctx();
  auto reader = stub_->GetEntries(ctx.get(), v1::GetEntriesRequest());
  v1::Entry e;
  uint64_t got = 0;
  while (reader->Read(&e)) ++got;
  grpc::Status s = reader->Finish();
  EXPECT_LT(got, size);
  EXPECT_EQ(s.error_code(), grpc::DEADLINE_EXCEEDED);
  EXPECT_THAT(s.error_message(),
              HasSubstr(absl::StrCat("stopped before entry ", got, "; ask again from there")));
  EXPECT_THAT(s.error_message(), HasSubstr("--max_call_seconds"));
}

TEST_F(ServerTest, AdminIsNotServedOnTheTcpPort) {
  auto admin = v1::Admin::NewStub(channel_);
  v1::BackupResponse resp;
  const grpc::Status st = admin->Backup(Ctx().get(), {}, &resp);
  EXPECT_EQ(st.error_code(), grpc::UNIMPLEMENTED) << st.error_message();
}

TEST_F(ServerTest, AdminIsServedOnAUnixSocketOnlyItsOwnerMayOpen) {
  EXPECT_EQ(server_->admin_socket(), dir_.path() + "/admin.sock");
  struct stat st;
  ASSERT_EQ(lstat(server_->admin_socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  auto admin = v1::Admin::NewStub(
      grpc::CreateChannel("unix:" + server_->admin_socket(), grpc::InsecureChannelCredentials()));
  v1::BackupResponse resp;
  const grpc::Status s = admin->Backup(Ctx().get(), {}, &resp);
  EXPECT_EQ(s.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("--backup_dir"));
}

// A Unix socket at `path` that nothing listens on, as a server that died leaves it.
void MakeStaleSocket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

TEST(AdminSocketTest, AStaleSocketIsReplacedAndAnythingElseIsLeftAlone) {
  TempDir dir;
  AdminService service(nullptr, "");
  const std::string path = dir.path() + "/admin.sock";
  MakeStaleSocket(path);
  auto first = ServeAdminOnUnixSocket(&service, path);
  ASSERT_TRUE(first.ok()) << first.status();
  // While it serves, a second server may not take the socket over.
  auto second = ServeAdminOnUnixSocket(&service, path);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(second.status().message(), HasSubstr("another process serves"));
  (*first)->Shutdown();

  const std::string file = dir.path() + "/not-a-socket";
  { std::ofstream(file) << "keep me"; }
  auto on_file = ServeAdminOnUnixSocket(&service, file);
  EXPECT_EQ(on_file.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(on_file.status().message(), HasSubstr("is not a socket"));
  std::ifstream in(file);
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "keep me");

  EXPECT_EQ(ServeAdminOnUnixSocket(&service, "/" + std::string(200, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace touchstone
