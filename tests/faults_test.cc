// Faults of the real touchstoned binary, over real gRPC on a loopback port:
// SIGTERM while submissions are in flight (every one answered, exit 0, nothing
// acknowledged lost); a full disk (a file size limit set on the running server)
// refusing appends with RESOURCE_EXHAUSTED and changing nothing while reads and
// proofs keep working, then appends resuming once the limit is raised; and an
// operator key file others can read refused at start.
#include <sys/resource.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"
#include "proto/ledger_service.grpc.pb.h"
#include "tests/server_process.h"
#include "tests/support/server_fixture.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using testing::Identity;
using testing::kServerOrigin;
using ::testing::Not;
using testing::Signed;
using testing::Tail;

// The server process, its files, the client stub and the log's verifier come from
// TouchstonedTest (tests/support/server_fixture.h).
class FaultsTest : public testing::TouchstonedTest {
 protected:
  // Spawns touchstoned with `extra_args`, waits until it serves and connects a stub.
  void Start(const std::vector<std::string>& extra_args = {}) { StartServer(extra_args); }

  // SIGTERMs the server and returns its exit status.
  int Stop() { return StopServer(SIGTERM); }

  // Streams the whole log: checks dense indices, the hash chain and that the latest
  // checkpoint's root is the root of the entries. Returns the entries.
  std::vector<std::string> StreamAndCheckLog() {
    const v1::CheckpointResponse latest = Latest();
    const Checkpoint cp = VerifyCheckpoint(latest.checkpoint(), *verifier_).value();
    std::vector<std::string> entries;
    std::vector<Hash> leaves;
    grpc::ClientContext ctx;
    v1::GetEntriesRequest req;
    req.set_end(cp.size);
    auto reader = stub_->GetEntries(&ctx, req);
    v1::Entry e;
    while (reader->Read(&e)) {
      const EntryView v = DecodeEntry(e.data()).value();
      EXPECT_EQ(v.index, entries.size());
      EXPECT_EQ(v.prev_leaf_hash, leaves.empty() ? Hash{} : leaves.back());
      leaves.push_back(LeafHash(e.data()));
      entries.push_back(e.data());
    }
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_EQ(entries.size(), cp.size);
    EXPECT_EQ(RootFromLeafHashes(leaves), cp.root);
    return entries;
  }

  // Checks a receipt against the log as it is now: the entry at its index holds `record`,
  // and its inclusion proof verifies under its (signed) checkpoint.
  void ExpectReceiptHolds(const v1::Receipt& r, const std::string& record) {
    const Checkpoint cp = VerifyCheckpoint(r.checkpoint(), *verifier_).value();
    v1::GetEntryRequest req;
    req.set_index(r.index());
    v1::Entry e;
    ASSERT_TRUE(stub_->GetEntry(Ctx().get(), req, &e).ok()) << "entry " << r.index();
    EXPECT_EQ(DecodeEntry(e.data())->record, record) << "entry " << r.index();
    EXPECT_EQ(HashBytes(LeafHash(e.data())), r.leaf_hash());
    std::vector<Hash> proof;
    for (const auto& h : r.inclusion_proof()) proof.push_back(HashFromBytes(h).value());
    EXPECT_TRUE(VerifyInclusion(r.index(), cp.size, LeafHash(e.data()), proof, cp.root).ok());
  }
};

TEST_F(FaultsTest, SigtermAnswersEverySubmissionInFlightKeepsThemAndExitsZero) {
  // Each commit takes 1.5 s here, so that submissions queue up behind it.
  ::setenv("TOUCHSTONE_TEST_COMMIT_DELAY_MS", "1500", 1);
  Start();
  ::unsetenv("TOUCHSTONE_TEST_COMMIT_DELAY_MS");
  ASSERT_FALSE(HasFatalFailure());
  const Identity refiner = Register("refiner-1");
  const uint64_t size_before = Latest().size();

  constexpr int kSingles = 12, kBatches = 2, kPerBatch = 10;
  std::vector<std::pair<std::string, std::string>> records;
  for (int i = 0; i < kSingles + kBatches * kPerBatch; ++i) {
    records.push_back(
        Signed(refiner, testing::LotRecord(refiner, absl::StrCat("inflight-", i)), kServerOrigin));
  }
  std::vector<grpc::Status> status(kSingles + kBatches);
  std::vector<v1::Receipt> receipts(records.size());
  std::vector<std::thread> clients;
  for (int i = 0; i < kSingles; ++i) {
    clients.emplace_back([&, i] { status[i] = Submit(records[i], &receipts[i]); });
  }
  for (int b = 0; b < kBatches; ++b) {
    clients.emplace_back([&, b] {
      v1::SubmitBatchRequest req;
      const int first = kSingles + b * kPerBatch;
      for (int i = first; i < first + kPerBatch; ++i) {
        v1::SubmitRequest* r = req.add_records();
        r->set_record(records[i].first);
        r->set_signature(records[i].second);
      }
      v1::SubmitBatchResponse resp;
      status[kSingles + b] = stub_->SubmitBatch(Ctx().get(), req, &resp);
      for (int i = 0; i < resp.results_size(); ++i) {
        const v1::SubmitResult& r = resp.results(i);
        if (r.code() != 0) {
          status[kSingles + b] = grpc::Status(static_cast<grpc::StatusCode>(r.code()), r.message());
        }
        receipts[first + i] = r.receipt();
      }
    });
  }
  // Every call has reached the server (the first commit is still sleeping) when SIGTERM comes.
  std::this_thread::sleep_for(milliseconds(1000));
  server_->Signal(SIGTERM);
  for (std::thread& t : clients) t.join();
  absl::StatusOr<int> exit = server_->WaitForExit(kStopTimeout);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
  for (size_t i = 0; i < status.size(); ++i) {
    EXPECT_TRUE(status[i].ok()) << "call " << i << ": " << status[i].error_code() << " "
                                << status[i].error_message();
  }
  const uint64_t expected_size = size_before + records.size();
  const std::string log = Tail(log_file_, 100'000);
  EXPECT_THAT(log, HasSubstr("draining and shutting down"));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("stopped at size ", expected_size,
                                          " with its checkpoint stored; database closed")));

  // After a restart every acknowledged record is where its receipt says, under the final
  // checkpoint the server wrote before it stopped.
  Start();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Latest().size(), expected_size);
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_FALSE(receipts[i].checkpoint().empty()) << "record " << i << " got no receipt";
    ExpectReceiptHolds(receipts[i], records[i].first);
  }
  StreamAndCheckLog();
  EXPECT_EQ(Stop(), 0);
}

TEST_F(FaultsTest, SigintAlsoStopsCleanly) {
  Start();
  ASSERT_FALSE(HasFatalFailure());
  server_->Signal(SIGINT);
  absl::StatusOr<int> exit = server_->WaitForExit(kStopTimeout);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(*exit, 0);
  EXPECT_THAT(Tail(log_file_), HasSubstr("stopped at size 1 with its checkpoint stored"));
}

// Sets the server's file size limit (RLIMIT_FSIZE, soft) from outside, as prlimit(1) would.
void SetFileSizeLimit(pid_t pid, rlim_t bytes) {
  struct rlimit old;
  ASSERT_EQ(::prlimit(pid, RLIMIT_FSIZE, nullptr, &old), 0) << std::strerror(errno);
  struct rlimit limit = {bytes, old.rlim_max};
  ASSERT_EQ(::prlimit(pid, RLIMIT_FSIZE, &limit, nullptr), 0) << std::strerror(errno);
}

// The size of the largest write-ahead log file of a RocksDB database.
uintmax_t WalBytes(const std::string& db) {
  uintmax_t largest = 0;
  for (const auto& f : std::filesystem::directory_iterator(db)) {
    if (f.path().extension() == ".log") largest = std::max(largest, f.file_size());
  }
  return largest;
}

TEST_F(FaultsTest, FullDiskRefusesAppendsChangesNothingKeepsReadsAndResumes) {
  Start();
  ASSERT_FALSE(HasFatalFailure());
  const Identity refiner = Register("refiner-1");
  std::vector<std::pair<std::string, std::string>> acked_records;
  std::vector<v1::Receipt> acked;
  auto lot = [&](const std::string& id) {
    return Signed(refiner, testing::LotRecord(refiner, id), kServerOrigin);
  };

  // A limit a little above the write-ahead log's size: an append soon has no room.
  ASSERT_NO_FATAL_FAILURE(SetFileSizeLimit(server_->pid(), WalBytes(data_dir_ + "/db") + 1500));
  std::pair<std::string, std::string> refused_first;
  grpc::Status refusal;
  for (int i = 0; i < 50; ++i) {
    auto rec = lot(absl::StrCat("before-full-", i));
    v1::Receipt r;
    refusal = Submit(rec, &r);
    if (!refusal.ok()) {
      refused_first = rec;
      break;
    }
    acked_records.push_back(rec);
    acked.push_back(r);
  }
  ASSERT_FALSE(refusal.ok()) << "50 appends fitted under the file size limit";
  EXPECT_EQ(refusal.error_code(), grpc::RESOURCE_EXHAUSTED) << refusal.error_message();
  EXPECT_THAT(refusal.error_message(), HasSubstr("nothing was appended"));
  EXPECT_THAT(refusal.error_message(), HasSubstr("would pass the file size limit"));
  EXPECT_THAT(refusal.error_message(), HasSubstr("free space"));
  // From now on no file may grow at all.
  ASSERT_NO_FATAL_FAILURE(SetFileSizeLimit(server_->pid(), 1));

  const v1::CheckpointResponse before = Latest();
  ASSERT_FALSE(acked.empty());
  EXPECT_EQ(before.size(), acked.back().tree_size());
  for (int round = 0; round < 3; ++round) {  // past the 1 s between reopen attempts
    v1::Receipt r;
    const grpc::Status again = Submit(refused_first, &r);
    EXPECT_EQ(again.error_code(), grpc::RESOURCE_EXHAUSTED) << again.error_message();
    EXPECT_THAT(again.error_message(), HasSubstr("nothing was appended"));
    v1::SubmitBatchRequest req;
    for (int i = 0; i < 3; ++i) {
      auto rec = lot(absl::StrCat("while-full-", round, "-", i));
      v1::SubmitRequest* s = req.add_records();
      s->set_record(rec.first);
      s->set_signature(rec.second);
    }
    v1::SubmitBatchResponse resp;
    ASSERT_TRUE(stub_->SubmitBatch(Ctx().get(), req, &resp).ok());
    for (const v1::SubmitResult& res : resp.results()) {
      EXPECT_EQ(res.code(), grpc::RESOURCE_EXHAUSTED) << res.message();
    }
    // Nothing changed, and reads and proofs keep working.
    const v1::CheckpointResponse now = Latest();
    EXPECT_EQ(now.size(), before.size());
    EXPECT_EQ(now.checkpoint(), before.checkpoint());
    for (size_t i = 0; i < acked.size(); ++i) ExpectReceiptHolds(acked[i], acked_records[i].first);
    v1::GetConsistencyProofRequest creq;
    creq.set_old_size(1);
    v1::ConsistencyProofResponse cresp;
    EXPECT_TRUE(stub_->GetConsistencyProof(Ctx().get(), creq, &cresp).ok());
    EXPECT_EQ(StreamAndCheckLog().size(), before.size());
    std::this_thread::sleep_for(milliseconds(600));
  }

  // Space again: the same record goes in at the next index (no gap), within a few retries.
  ASSERT_NO_FATAL_FAILURE(SetFileSizeLimit(server_->pid(), RLIM_INFINITY));
  v1::Receipt resumed;
  grpc::Status st;
  const auto deadline = testing::Clock::now() + milliseconds(15'000);
  do {
    std::this_thread::sleep_for(milliseconds(200));
    st = Submit(refused_first, &resumed);
  } while (!st.ok() && testing::Clock::now() < deadline);
  ASSERT_TRUE(st.ok()) << st.error_code() << " " << st.error_message();
  EXPECT_EQ(resumed.index(), before.size());
  ExpectReceiptHolds(resumed, refused_first.first);
  acked.push_back(resumed);
  acked_records.push_back(refused_first);
  for (int i = 0; i < 5; ++i) {
    auto rec = lot(absl::StrCat("after-full-", i));
    v1::Receipt r;
    ASSERT_TRUE(Submit(rec, &r).ok());
    EXPECT_EQ(r.index(), before.size() + 1 + i);
    acked.push_back(r);
    acked_records.push_back(rec);
  }
  // The checkpoint from before the outage is consistent with the one after.
  const v1::CheckpointResponse after = Latest();
  v1::GetConsistencyProofRequest creq;
  creq.set_old_size(before.size());
  v1::ConsistencyProofResponse cresp;
  ASSERT_TRUE(stub_->GetConsistencyProof(Ctx().get(), creq, &cresp).ok());
  std::vector<Hash> proof;
  for (const auto& h : cresp.hashes()) proof.push_back(HashFromBytes(h).value());
  const Checkpoint old_cp = VerifyCheckpoint(before.checkpoint(), *verifier_).value();
  const Checkpoint new_cp = VerifyCheckpoint(after.checkpoint(), *verifier_).value();
  EXPECT_TRUE(VerifyConsistency(old_cp.size, new_cp.size, old_cp.root, new_cp.root, proof).ok());

  // And all of it is durable: after a clean stop and a restart every receipt holds.
  EXPECT_EQ(Stop(), 0);
  Start();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Latest().size(), after.size());
  for (size_t i = 0; i < acked.size(); ++i) ExpectReceiptHolds(acked[i], acked_records[i].first);
  StreamAndCheckLog();
  EXPECT_EQ(Stop(), 0);
}

TEST_F(FaultsTest, OperatorKeyFileOthersCanReadIsRefusedAtStart) {
  Start();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(Stop(), 0);
  const std::string key = data_dir_ + "/operator.pem";
  std::string pem;
  {
    std::ifstream in(key);
    std::stringstream ss;
    ss << in.rdbuf();
    pem = ss.str();
  }
  const std::string key_body = pem.substr(pem.find('\n') + 1, 40);  // inside the base64
  for (const auto& [mode, text] : std::vector<std::pair<mode_t, std::string>>{
           {0640, "0640"}, {0604, "0604"}, {0644, "0644"}}) {
    ASSERT_EQ(::chmod(key.c_str(), mode), 0);
    std::ofstream(log_file_, std::ios::trunc).close();
    auto spawned = Spawn();
    ASSERT_TRUE(spawned.ok()) << spawned.status();
    absl::StatusOr<int> exit = (*spawned)->WaitForExit(kStartTimeout);
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_EQ(*exit, 1) << text;
    const std::string log = Tail(log_file_);
    EXPECT_THAT(log, HasSubstr(absl::StrCat("FAILED_PRECONDITION: key file ", key, " has mode ",
                                            text, ": group or others may access it")));
    EXPECT_THAT(log, HasSubstr("chmod 600"));
    EXPECT_THAT(log, Not(HasSubstr(key_body)));
    EXPECT_THAT(log, Not(HasSubstr("PRIVATE KEY")));
    EXPECT_FALSE(std::filesystem::exists(port_file_)) << "it served";
  }
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  Start();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_THAT(Tail(log_file_), Not(HasSubstr(key_body)));
  EXPECT_EQ(Stop(), 0);
}

}  // namespace
}  // namespace touchstone
