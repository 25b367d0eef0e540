// The one fixture of the C++ tests that talk to a touchstoned over real gRPC on 127.0.0.1
// (port 0, read back):
//   - ServerClientTest: the client's side, whoever runs the server: a channel and Ledger stub to
//     its port, the log's note verifier, call contexts with a deadline, and submitting and
//     registering signed records (tests/test_util.h).
//   - TouchstonedTest: a ServerClientTest that runs the real touchstoned binary as a child process
//     (tests/server_process.h: a private copy of the binary, its data directory, port file and
//     log in a TempDir), starts, signals and reaps it, and prints the end of its log when a test
//     fails. crash_test and faults_test derive from it; server_test derives its in-process
//     ServerTest from ServerClientTest (it injects a clock and reads the Ledger behind the server,
//     which a child process cannot offer).
// Fixtures are used from the test's thread only, except the stub (thread-safe, as gRPC stubs are).
#ifndef TOUCHSTONE_TESTS_SUPPORT_SERVER_FIXTURE_H_
#define TOUCHSTONE_TESTS_SUPPORT_SERVER_FIXTURE_H_

#include <signal.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/log/keys.h"
#include "ledger/log/note.h"
#include "proto/ledger_service.grpc.pb.h"
#include "tests/server_process.h"
#include "tests/test_util.h"

// Where the build put touchstoned (tests/CMakeLists.txt: touchstone_gtest(... SPAWNS_SERVER)).
#ifndef TOUCHSTONED_PATH
#define TOUCHSTONED_PATH ""
#endif

namespace touchstone::testing {

// The origin touchstoned gives a new log without --origin (LedgerOptions), which record
// signatures bind.
inline constexpr char kServerOrigin[] = "touchstone.local/ledger";

class ServerClientTest : public ::testing::Test {
 protected:
  // Connects channel_ and stub_ to 127.0.0.1:`port` (FreshChannel: subchannels of its own),
  // and reads the log's verifier key into verifier_ unless `read_verifier` is false. Fails the
  // test if the key cannot be read.
  void ConnectTo(int port, bool read_verifier = true) {
    channel_ = FreshChannel(port);
    stub_ = v1::Ledger::NewStub(channel_);
    if (!read_verifier) return;
    v1::LogInfo info;
    const grpc::Status st = stub_->GetLogInfo(Ctx().get(), {}, &info);
    ASSERT_TRUE(st.ok()) << st.error_message();
    absl::StatusOr<NoteVerifier> verifier = NoteVerifier::Parse(info.verifier_key());
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_.emplace(*std::move(verifier));
  }

  // Drops the client's channel and stub.
  void Disconnect() {
    stub_.reset();
    channel_.reset();
  }

  // A client context whose deadline is call_timeout_ from now.
  std::unique_ptr<grpc::ClientContext> Ctx() const {
    auto c = std::make_unique<grpc::ClientContext>();
    c->set_deadline(std::chrono::system_clock::now() + call_timeout_);
    return c;
  }

  // Submits a signed record (bytes, signature); the receipt goes to `out`.
  grpc::Status Submit(const std::pair<std::string, std::string>& rec, v1::Receipt* out) {
    v1::SubmitRequest req;
    req.set_record(rec.first);
    req.set_signature(rec.second);
    return stub_->Submit(Ctx().get(), req, out);
  }

  // Registers a new refiner `id` (a fresh key), signed by `op` for `origin`; the test fails if
  // the server refuses it. Returns the refiner.
  Identity Register(const Identity& op, const std::string& id, const std::string& origin) {
    Identity who = NewIdentity(id);
    v1::Receipt r;
    const grpc::Status st =
        Submit(Signed(op, RegisterRecord(op, who, v1::ROLE_REFINER, "reg-" + id), origin), &r);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return who;
  }

  // The log's size (GetLogInfo); the test fails if the call does.
  uint64_t Size() {
    v1::LogInfo info;
    const grpc::Status st = stub_->GetLogInfo(Ctx().get(), {}, &info);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return info.size();
  }

  // The latest checkpoint (GetCheckpoint); the test fails if the call does.
  v1::CheckpointResponse Latest() {
    v1::CheckpointResponse cp;
    const grpc::Status st = stub_->GetCheckpoint(Ctx().get(), {}, &cp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return cp;
  }

  std::chrono::seconds call_timeout_{30};  // of each call made with Ctx()
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
  std::optional<NoteVerifier> verifier_;
};

class TouchstonedTest : public ServerClientTest {
 protected:
  static constexpr std::chrono::milliseconds kStartTimeout{20'000};
  static constexpr std::chrono::milliseconds kStopTimeout{30'000};
  static constexpr std::chrono::milliseconds kBinaryTimeout{120'000};  // for a relink to finish

  // Copies the built touchstoned to binary_ for this test's sole use (CopyServerBinary).
  void SetUp() override {
    const absl::Status copied = CopyServerBinary(TOUCHSTONED_PATH, binary_, kBinaryTimeout);
    ASSERT_TRUE(copied.ok()) << copied;
  }

  // SIGKILLs a server still running; prints the end of its log if the test failed.
  void TearDown() override {
    Disconnect();
    server_.reset();
    if (HasFailure()) std::cout << "touchstoned log (end):\n" << Tail(log_file_) << std::endl;
  }

  // Spawns touchstoned on data_dir_ with `extra_args` (tests/server_process.h), without waiting
  // for it; a line saying so goes to its log first. Errors as ServerProcess::Spawn's.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<ServerProcess>> Spawn(
      const std::vector<std::string>& extra_args = {}) {
    std::ofstream(log_file_, std::ios::app) << "=== test: starting touchstoned\n";
    return ServerProcess::Spawn(binary_, data_dir_, port_file_, log_file_, extra_args);
  }

  // Spawns touchstoned with `extra_args` as server_, waits until it serves and connects the
  // client to it (reading the log's verifier unless `read_verifier` is false). Fails the test
  // (fatally) if it does not serve within kStartTimeout.
  void StartServer(const std::vector<std::string>& extra_args = {}, bool read_verifier = true) {
    auto spawned = Spawn(extra_args);
    ASSERT_TRUE(spawned.ok()) << spawned.status();
    server_ = *std::move(spawned);
    absl::StatusOr<int> port = server_->WaitForPort(kStartTimeout);
    ASSERT_TRUE(port.ok()) << port.status() << "\n" << Tail(log_file_);
    ConnectTo(*port, read_verifier);
  }

  // Sends `signal` (SIGTERM by default) to the server, waits up to kStopTimeout for it to exit
  // and disconnects. Returns its exit status (-1 if a signal ended it, -2 if it did not exit;
  // the test fails then).
  int StopServer(int signal = SIGTERM) {
    server_->Signal(signal);
    absl::StatusOr<int> code = server_->WaitForExit(kStopTimeout);
    EXPECT_TRUE(code.ok()) << code.status();
    Disconnect();
    return code.value_or(-2);
  }

  // The operator as the server created it (its key file in data_dir_); the test fails if the
  // key cannot be read.
  Identity Operator() const {
    absl::StatusOr<PrivateKey> key = PrivateKey::LoadPemFile(data_dir_ + "/operator.pem");
    EXPECT_TRUE(key.ok()) << key.status();
    return Identity{"operator", key.ok() ? *std::move(key) : PrivateKey::Generate().value()};
  }

  // Registers a new refiner `id`, signed by the server's operator.
  Identity Register(const std::string& id) {
    return ServerClientTest::Register(Operator(), id, kServerOrigin);
  }

  TempDir dir_;
  const std::string binary_ = dir_.path() + "/touchstoned";
  const std::string data_dir_ = dir_.path() + "/data";
  const std::string port_file_ = dir_.path() + "/port";
  const std::string log_file_ = dir_.path() + "/touchstoned.log";
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace touchstone::testing

#endif  // TOUCHSTONE_TESTS_SUPPORT_SERVER_FIXTURE_H_
