// Crash test of touchstoned: starts the real server binary, SIGKILLs it again and again while
// clients submit (and, some cycles, while it is still starting up), and after every restart
// checks through the gRPC API that nothing acknowledged was lost or altered: each receipt's
// record is at its index with the same leaf hash, the log never shrinks, the entries form a hash
// chain under a verifiable checkpoint, every checkpoint a client was given is consistent with the
// latest, and retries of the same bytes are idempotent.
//
// Every commit of the server sleeps kCommitDelayMs between signing its checkpoint and writing
// its batch (the TOUCHSTONE_TEST_COMMIT_DELAY_MS hook), so that many kills land in the middle of
// a commit: a checkpoint signed but never stored, a group never acknowledged.
//
// TOUCHSTONE_CRASH_CYCLES sets the number of kill cycles (default 50). The run prints its seed;
// TOUCHSTONE_CRASH_SEED=<seed> replays its schedule (kill delays, batch choices), though not the
// exact interleaving with the server.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/merkle.h"
#include "ledger/log/note.h"
#include "proto/ledger_service.grpc.pb.h"
#include "tests/server_process.h"
#include "tests/support/server_fixture.h"
#include "tests/test_util.h"

namespace touchstone {
namespace {

using std::chrono::milliseconds;
using testing::Clock;
using testing::Identity;
using testing::kServerOrigin;
using testing::Tail;
using testing::TempDir;

constexpr int kDefaultCycles = 50;
constexpr char kCommitDelayMs[] = "3";
constexpr int kClientThreads = 8;
constexpr int kParticipants = 4;
constexpr int kBatchSize = 20;
constexpr int kPresignedPerClient = 400;
constexpr milliseconds kRpcTimeout{20'000};
constexpr int kReportedFailures = 20;  // per kind and cycle; the rest are only counted

// The environment variable `name` as an unsigned integer, or `fallback` if unset or empty.
uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? fallback : std::strtoull(v, nullptr, 10);
}

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + kRpcTimeout;
}

// One record the test sent, and what it learned about it.
struct Sent {
  std::string record_id;
  std::string record;  // the exact bytes signed and sent
  std::string signature;
  bool acknowledged = false;
  // From the receipt, if acknowledged.
  uint64_t index = 0;
  Hash leaf_hash{};
  bool duplicate = false;
  uint64_t tree_size = 0;
  std::string checkpoint;
  std::vector<Hash> inclusion_proof;  // cleared once verified
  bool proof_verified = false;
  // Why there is no receipt, if none: a google.rpc code and message.
  int error_code = 0;
  std::string error_message;
};

Sent SignedSent(const Identity& who, const v1::Record& record) {
  auto [bytes, signature] = testing::Signed(who, record, kServerOrigin);
  Sent s;
  s.record_id = record.record_id();
  s.record = std::move(bytes);
  s.signature = std::move(signature);
  return s;
}

// Fills in `s` from a receipt. DATA_LOSS if the receipt is malformed.
[[nodiscard]] absl::Status Acknowledge(const v1::Receipt& r, Sent* s) {
  absl::StatusOr<Hash> leaf = HashFromBytes(r.leaf_hash());
  if (!leaf.ok()) return absl::DataLossError("receipt has a malformed leaf hash");
  std::vector<Hash> proof;
  for (const std::string& bytes : r.inclusion_proof()) {
    absl::StatusOr<Hash> h = HashFromBytes(bytes);
    if (!h.ok()) return absl::DataLossError("receipt has a malformed inclusion proof");
    proof.push_back(*h);
  }
  s->acknowledged = true;
  s->index = r.index();
  s->leaf_hash = *leaf;
  s->duplicate = r.duplicate();
  s->tree_size = r.tree_size();
  s->checkpoint = r.checkpoint();
  s->inclusion_proof = std::move(proof);
  s->proof_verified = false;
  return absl::OkStatus();
}

// An error that only says the call did not complete (the server died under it): the record's
// fate is unknown. Any other error is the server refusing a valid record, which it must not.
bool IsTransportError(int code) {
  return code == grpc::UNAVAILABLE || code == grpc::CANCELLED || code == grpc::DEADLINE_EXCEEDED ||
         code == grpc::UNKNOWN;
}

// Submits records until `stop`, one call in four a SubmitBatch of kBatchSize, taking them from
// `pool` (pre-signed) and signing more "<prefix><n>" lots as `who` if it runs out. Appends
// every record it sent, with its outcome, to `out`.
void RunClient(v1::Ledger::Stub* stub, const Identity& who, std::vector<Sent> pool,
               const std::string& prefix, uint64_t seed, const std::atomic<bool>* stop,
               std::vector<Sent>* out) {
  std::mt19937_64 rng(seed);
  size_t next = 0;
  while (!stop->load()) {
    const int n = rng() % 4 == 0 ? kBatchSize : 1;
    std::vector<Sent> chunk;
    for (int i = 0; i < n; ++i, ++next) {
      chunk.push_back(next < pool.size()
                          ? std::move(pool[next])
                          : SignedSent(who, testing::LotRecord(who, absl::StrCat(prefix, next))));
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    if (n == 1) {
      v1::SubmitRequest req;
      req.set_record(chunk[0].record);
      req.set_signature(chunk[0].signature);
      v1::Receipt receipt;
      const grpc::Status st = stub->Submit(&ctx, req, &receipt);
      absl::Status ack = st.ok() ? Acknowledge(receipt, &chunk[0])
                                 : absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                                                st.error_message());
      chunk[0].error_code = static_cast<int>(ack.code());
      chunk[0].error_message = std::string(ack.message());
    } else {
      v1::SubmitBatchRequest req;
      for (const Sent& s : chunk) {
        v1::SubmitRequest* r = req.add_records();
        r->set_record(s.record);
        r->set_signature(s.signature);
      }
      v1::SubmitBatchResponse resp;
      const grpc::Status st = stub->SubmitBatch(&ctx, req, &resp);
      for (int i = 0; i < n; ++i) {
        absl::Status ack(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
        if (st.ok() && resp.results_size() != n) {
          ack = absl::DataLossError(absl::StrCat(resp.results_size(), " results for ", n));
        } else if (st.ok()) {
          const v1::SubmitResult& r = resp.results(i);
          ack = r.code() == 0 ? Acknowledge(r.receipt(), &chunk[i])
                              : absl::Status(static_cast<absl::StatusCode>(r.code()), r.message());
        }
        chunk[i].error_code = static_cast<int>(ack.code());
        chunk[i].error_message = std::string(ack.message());
      }
    }
    const bool failed = !chunk.back().acknowledged;
    for (Sent& s : chunk) out->push_back(std::move(s));
    if (failed) std::this_thread::sleep_for(milliseconds(2));  // the server is going away
  }
}

// Counts failures of one kind, reporting the first kReportedFailures in full.
class Failures {
 public:
  explicit Failures(std::string kind) : kind_(std::move(kind)) {}
  ~Failures() { EXPECT_EQ(count_, 0) << kind_ << ": " << count_ << " failures in all"; }
  void Add(const std::string& message) {
    if (++count_ <= kReportedFailures) ADD_FAILURE() << kind_ << ": " << message;
  }

 private:
  std::string kind_;
  int count_ = 0;
};

// What one cycle did, for its summary line.
struct CycleStats {
  int64_t kill_after_ms = 0;
  std::string startup_kill;
  int acknowledged = 0;
  int unknown = 0;
  int unknown_present = 0;
  std::map<int, int> error_codes;
  uint64_t size_before = 0;
  uint64_t size_after_restart = 0;
  uint64_t size_after_retries = 0;
  size_t checkpoints_checked = 0;
};

// What the restarted server's log holds, as streamed and checked.
struct LogSnapshot {
  uint64_t size = 0;
  std::string note;
  Checkpoint checkpoint;
  absl::flat_hash_map<std::string, uint64_t> index_of_record_id;
};

// The server process, its files and the client stub come from TouchstonedTest
// (tests/support/server_fixture.h).
class CrashTest : public testing::TouchstonedTest {
 protected:
  void SetUp() override {
    // A closed stdout (crash_test | head) must not kill the test before it kills its server.
    std::signal(SIGPIPE, SIG_IGN);
    // Inherited by every server this test spawns.
    ::setenv("TOUCHSTONE_TEST_COMMIT_DELAY_MS", kCommitDelayMs, 1);
    // Every start of the run execs this private copy (see CopyServerBinary).
    TouchstonedTest::SetUp();
  }

  // Spawns touchstoned, waits until it serves and connects a stub to it.
  void StartServer() { TouchstonedTest::StartServer({}, /*read_verifier=*/false); }

  // Spawns touchstoned and SIGKILLs it `after` later, normally before it serves. Returns a
  // description for the summary.
  std::string KillDuringStartup(milliseconds after) {
    std::ofstream(log_file_, std::ios::app) << "=== crash_test: start, then SIGKILL\n";
    auto spawned = Spawn();
    EXPECT_TRUE(spawned.ok()) << spawned.status();
    if (!spawned.ok()) return "";
    std::this_thread::sleep_for(after);
    const bool serving = (*spawned)->Serving();
    const absl::Status killed = (*spawned)->Kill();
    if (!serving) ++startup_kills_before_serving_;
    EXPECT_TRUE(killed.ok()) << killed << "\n" << Tail(log_file_);
    return absl::StrCat("startup killed after ", after.count(), " ms",
                        serving ? " (already serving)" : " (before serving)");
  }

  // Registers kParticipants refiners, signed with the operator key the server created.
  void RegisterParticipants() {
    absl::StatusOr<PrivateKey> key = PrivateKey::LoadPemFile(data_dir_ + "/operator.pem");
    ASSERT_TRUE(key.ok()) << key.status();
    const Identity op{"operator", *key};
    for (int i = 0; i < kParticipants; ++i) {
      Identity who = testing::NewIdentity(absl::StrCat("refiner-", i));
      Sent s = SignedSent(op, testing::RegisterRecord(op, who, v1::ROLE_REFINER, "reg-" + who.id));
      v1::SubmitRequest req;
      req.set_record(s.record);
      req.set_signature(s.signature);
      v1::Receipt receipt;
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline());
      const grpc::Status st = stub_->Submit(&ctx, req, &receipt);
      ASSERT_TRUE(st.ok()) << st.error_message();
      ASSERT_TRUE(Acknowledge(receipt, &s).ok());
      pending_checkpoints_.insert(s.checkpoint);
      min_size_ = std::max(min_size_, s.tree_size);
      ASSERT_TRUE(sent_.emplace(s.record_id, std::move(s)).second);
      participants_.push_back(std::move(who));
    }
  }

  // Runs kClientThreads clients against the server, SIGKILLs it after `delay`, and records what
  // the clients learned. Returns the ids of the records sent.
  std::vector<std::string> LoadAndKill(int cycle, milliseconds delay, uint64_t seed,
                                       CycleStats* stats) {
    std::vector<std::vector<Sent>> pools(kClientThreads);
    for (int t = 0; t < kClientThreads; ++t) {
      const Identity& who = participants_[t % kParticipants];
      for (int i = 0; i < kPresignedPerClient; ++i) {
        pools[t].push_back(
            SignedSent(who, testing::LotRecord(who, absl::StrCat("c", cycle, "-t", t, "-", i))));
      }
    }
    std::atomic<bool> stop{false};
    std::vector<std::vector<Sent>> results(kClientThreads);
    std::vector<std::thread> clients;
    for (int t = 0; t < kClientThreads; ++t) {
      clients.emplace_back(RunClient, stub_.get(), std::cref(participants_[t % kParticipants]),
                           std::move(pools[t]), absl::StrCat("c", cycle, "-t", t, "-"), seed + t,
                           &stop, &results[t]);
    }
    std::this_thread::sleep_for(delay);
    stop = true;
    const absl::Status killed = server_->Kill();
    for (std::thread& c : clients) c.join();
    stub_.reset();
    EXPECT_TRUE(killed.ok()) << killed << "\n" << Tail(log_file_);

    Failures refused("valid record refused or receipt malformed before the kill");
    Failures reused("receipt for a new record id says duplicate");
    std::vector<std::string> ids;
    for (std::vector<Sent>& sent : results) {
      for (Sent& s : sent) {
        if (s.acknowledged) {
          ++stats->acknowledged;
          pending_checkpoints_.insert(s.checkpoint);
          min_size_ = std::max(min_size_, s.tree_size);
          if (s.duplicate) reused.Add(s.record_id);
        } else {
          ++stats->unknown;
          ++stats->error_codes[s.error_code];
          if (!IsTransportError(s.error_code)) {
            refused.Add(absl::StrCat(s.record_id, ": code ", s.error_code, " ", s.error_message));
          }
        }
        ids.push_back(s.record_id);
        EXPECT_TRUE(sent_.emplace(s.record_id, std::move(s)).second) << "id reused by the test";
      }
    }
    return ids;
  }

  // Checks the restarted server's log against everything the test knows (see the file comment).
  void VerifyLog(LogSnapshot* snap, CycleStats* stats) {
    grpc::ClientContext info_ctx;
    info_ctx.set_deadline(Deadline());
    v1::LogInfo info;
    const grpc::Status info_st = stub_->GetLogInfo(&info_ctx, v1::GetLogInfoRequest(), &info);
    ASSERT_TRUE(info_st.ok()) << info_st.error_message();
    if (verifier_key_.empty()) verifier_key_ = info.verifier_key();
    ASSERT_EQ(info.verifier_key(), verifier_key_) << "the log's verifier key changed";
    absl::StatusOr<NoteVerifier> verifier = NoteVerifier::Parse(verifier_key_);
    ASSERT_TRUE(verifier.ok()) << verifier.status();

    grpc::ClientContext cp_ctx;
    cp_ctx.set_deadline(Deadline());
    v1::CheckpointResponse latest;
    const grpc::Status cp_st = stub_->GetCheckpoint(&cp_ctx, v1::GetCheckpointRequest(), &latest);
    ASSERT_TRUE(cp_st.ok()) << cp_st.error_message();
    absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(latest.checkpoint(), *verifier);
    ASSERT_TRUE(cp.ok()) << cp.status();
    ASSERT_EQ(cp->size, latest.size());
    ASSERT_EQ(cp->size, info.size());
    EXPECT_GE(cp->size, min_size_) << "the log went backwards (below a size seen before)";
    snap->size = cp->size;
    snap->note = latest.checkpoint();
    snap->checkpoint = *cp;
    stats->size_after_restart = cp->size;

    // Every entry, streamed: dense indices, well-formed, chained, each record one the test sent.
    std::vector<Hash> leaves;
    std::vector<std::string> entries;
    {
      Failures bad("malformed log");
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline());
      auto reader = stub_->GetEntries(&ctx, v1::GetEntriesRequest());
      v1::Entry e;
      while (reader->Read(&e)) {
        const uint64_t i = leaves.size();
        const Hash leaf = LeafHash(e.data());
        if (e.index() != i) bad.Add(absl::StrCat("entry ", i, " streamed as ", e.index()));
        if (e.leaf_hash() != HashBytes(leaf)) bad.Add(absl::StrCat("entry ", i, ": leaf hash"));
        absl::StatusOr<EntryView> v = DecodeEntry(e.data());
        v1::Record record;
        if (v.ok() && v->index != i) {
          bad.Add(absl::StrCat("entry ", i, " says it is entry ", v->index));
        }
        if (v.ok() && v->prev_leaf_hash != (i == 0 ? Hash{} : leaves.back())) {
          bad.Add(absl::StrCat("entry ", i, ": prev_leaf_hash is not entry ", i - 1, "'s leaf"));
        }
        if (!v.ok()) {
          bad.Add(absl::StrCat("entry ", i, ": ", v.status().ToString()));
        } else if (!record.ParseFromArray(v->record.data(), static_cast<int>(v->record.size()))) {
          bad.Add(absl::StrCat("entry ", i, ": record does not parse"));
        } else if (i == 0) {
          if (!record.has_genesis()) bad.Add("entry 0 is not genesis");
        } else if (auto it = sent_.find(record.record_id()); it == sent_.end()) {
          bad.Add(absl::StrCat("entry ", i, ": record '", record.record_id(), "' never sent"));
        } else if (it->second.record != v->record || it->second.signature != v->signature) {
          bad.Add(absl::StrCat("entry ", i, ": record '", record.record_id(), "' altered"));
        } else if (!snap->index_of_record_id.emplace(record.record_id(), i).second) {
          bad.Add(absl::StrCat("entry ", i, ": record '", record.record_id(), "' twice"));
        }
        leaves.push_back(leaf);
        entries.push_back(std::move(*e.mutable_data()));
      }
      const grpc::Status st = reader->Finish();
      ASSERT_TRUE(st.ok()) << "GetEntries: " << st.error_message();
      ASSERT_EQ(leaves.size(), snap->size) << "GetEntries streamed a different number of entries";
      ASSERT_EQ(RootFromLeafHashes(leaves), cp->root)
          << "the latest checkpoint's root is not the root of the streamed entries";
    }

    // Every checkpoint a client was given: signed, still served verbatim, consistent with the
    // latest. Then every receipt: its inclusion proof against its checkpoint.
    absl::flat_hash_map<std::string, Checkpoint> given;
    {
      Failures inconsistent("checkpoint given to a client");
      pending_checkpoints_.insert(last_note_);
      pending_checkpoints_.erase("");
      for (const std::string& note : pending_checkpoints_) {
        absl::StatusOr<Checkpoint> old = CheckConsistentWithLatest(note, *verifier, *snap);
        if (!old.ok()) {
          inconsistent.Add(old.status().ToString());
        } else {
          given.emplace(note, *old);
        }
      }
      stats->checkpoints_checked = pending_checkpoints_.size();
      pending_checkpoints_.clear();
    }
    Failures lost("acknowledged record lost or altered");
    Failures bad_proof("receipt's inclusion proof does not verify");
    for (auto& [id, s] : sent_) {
      const auto found = snap->index_of_record_id.find(id);
      if (!s.acknowledged) {
        // Its fate is unknown; if it is present, the stream check above found it intact.
        if (found != snap->index_of_record_id.end()) ++stats->unknown_present;
        continue;
      }
      if (s.tree_size > snap->size) {
        lost.Add(absl::StrCat("'", id, "': receipt checkpoint size ", s.tree_size, " > log size ",
                              snap->size));
      }
      if (s.index >= snap->size || found == snap->index_of_record_id.end()) {
        lost.Add(absl::StrCat("'", id, "' (index ", s.index, ") is gone; log size ", snap->size));
        continue;
      }
      if (found->second != s.index) {
        lost.Add(absl::StrCat("'", id, "' acknowledged at ", s.index, ", now at ", found->second));
      } else if (leaves[s.index] != s.leaf_hash) {
        lost.Add(absl::StrCat("'", id, "' at ", s.index, ": leaf hash differs from receipt"));
      } else if (absl::StatusOr<EntryView> v = DecodeEntry(entries[s.index]);
                 !v.ok() || v->record != s.record) {
        lost.Add(absl::StrCat("'", id, "' at ", s.index, ": record bytes differ"));
      }
      if (!s.proof_verified) {
        const auto c = given.find(s.checkpoint);
        if (c == given.end() || c->second.size != s.tree_size ||
            !VerifyInclusion(s.index, s.tree_size, s.leaf_hash, s.inclusion_proof, c->second.root)
                 .ok()) {
          bad_proof.Add(absl::StrCat("'", id, "' at ", s.index, " in size ", s.tree_size));
        }
        s.proof_verified = true;
        s.inclusion_proof.clear();
      }
    }
    min_size_ = std::max(min_size_, snap->size);
    last_note_ = snap->note;
  }

  // Verifies `note` (a checkpoint a client was given), checks that the server still returns
  // exactly it for its size and proves it consistent with the latest checkpoint. Returns it.
  [[nodiscard]] absl::StatusOr<Checkpoint> CheckConsistentWithLatest(const std::string& note,
                                                                     const NoteVerifier& verifier,
                                                                     const LogSnapshot& latest) {
    absl::StatusOr<Checkpoint> old = VerifyCheckpoint(note, verifier);
    if (!old.ok()) return old.status();
    const std::string what = absl::StrCat("checkpoint of size ", old->size);
    if (old->size > latest.size) {
      return absl::DataLossError(absl::StrCat(what, ": the log has only ", latest.size));
    }
    grpc::ClientContext cp_ctx;
    cp_ctx.set_deadline(Deadline());
    v1::GetCheckpointRequest cp_req;
    cp_req.set_size(old->size);
    v1::CheckpointResponse at_size;
    const grpc::Status cp_st = stub_->GetCheckpoint(&cp_ctx, cp_req, &at_size);
    if (!cp_st.ok()) return absl::DataLossError(absl::StrCat(what, ": ", cp_st.error_message()));
    if (at_size.checkpoint() != note) {
      return absl::DataLossError(absl::StrCat(what, ": the server now returns another note"));
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::GetConsistencyProofRequest req;
    req.set_old_size(old->size);
    req.set_new_size(latest.size);
    v1::ConsistencyProofResponse resp;
    const grpc::Status st = stub_->GetConsistencyProof(&ctx, req, &resp);
    if (!st.ok()) return absl::DataLossError(absl::StrCat(what, ": ", st.error_message()));
    if (resp.checkpoint() != latest.note) {
      return absl::DataLossError(absl::StrCat(what, ": proof is not against the latest"));
    }
    std::vector<Hash> proof;
    for (const std::string& bytes : resp.hashes()) {
      absl::StatusOr<Hash> h = HashFromBytes(bytes);
      if (!h.ok()) return absl::DataLossError(absl::StrCat(what, ": malformed proof"));
      proof.push_back(*h);
    }
    absl::Status consistent =
        VerifyConsistency(old->size, latest.size, old->root, latest.checkpoint.root, proof);
    if (!consistent.ok()) {
      return absl::DataLossError(absl::StrCat(what, " is not consistent with size ", latest.size,
                                              ": ", consistent.ToString()));
    }
    return old;
  }

  // Sends the same bytes again for a sample of acknowledged records (they must come back as
  // duplicates at their index) and for every record of `ids` whose fate was unknown (duplicates
  // where the log has them, new entries otherwise; acknowledged from then on).
  void Retry(const std::vector<std::string>& ids, const LogSnapshot& snap, std::mt19937_64& rng,
             CycleStats* stats) {
    std::vector<std::string> acked, unknown;
    for (const std::string& id : ids) (sent_.at(id).acknowledged ? acked : unknown).push_back(id);
    std::shuffle(acked.begin(), acked.end(), rng);
    acked.resize(std::min<size_t>(acked.size(), 2 * kBatchSize));
    Failures wrong("retry");
    auto check = [&](Sent& s, const absl::StatusOr<v1::Receipt>& r) {
      if (!r.ok()) return wrong.Add(absl::StrCat("'", s.record_id, "': ", r.status().ToString()));
      if (s.acknowledged) {
        if (!r->duplicate() || r->index() != s.index || r->leaf_hash() != HashBytes(s.leaf_hash)) {
          wrong.Add(absl::StrCat("acknowledged '", s.record_id, "' at ", s.index, " came back ",
                                 r->duplicate() ? "duplicate" : "new", " at ", r->index()));
        }
        return;
      }
      const auto found = snap.index_of_record_id.find(s.record_id);
      const bool present = found != snap.index_of_record_id.end();
      if (r->duplicate() != present || (present && r->index() != found->second) ||
          (!present && r->index() < snap.size)) {
        wrong.Add(absl::StrCat("unknown '", s.record_id, "' (", present ? "present" : "absent",
                               ") came back ", r->duplicate() ? "duplicate" : "new", " at ",
                               r->index()));
      }
      if (absl::Status ack = Acknowledge(*r, &s); !ack.ok()) return wrong.Add(ack.ToString());
      pending_checkpoints_.insert(s.checkpoint);
      min_size_ = std::max(min_size_, s.tree_size);
    };
    // Half of the acknowledged sample one by one, the other half and the unknown in batches.
    const size_t singles = acked.size() / 2;
    for (size_t i = 0; i < singles; ++i) {
      Sent& s = sent_.at(acked[i]);
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline());
      v1::SubmitRequest req;
      req.set_record(s.record);
      req.set_signature(s.signature);
      v1::Receipt receipt;
      const grpc::Status st = stub_->Submit(&ctx, req, &receipt);
      check(s, st.ok() ? absl::StatusOr<v1::Receipt>(receipt)
                       : absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                                      st.error_message()));
    }
    std::vector<std::string> batched(acked.begin() + singles, acked.end());
    batched.insert(batched.end(), unknown.begin(), unknown.end());
    for (size_t begin = 0; begin < batched.size(); begin += kBatchSize) {
      const size_t end = std::min(batched.size(), begin + kBatchSize);
      v1::SubmitBatchRequest req;
      for (size_t i = begin; i < end; ++i) {
        v1::SubmitRequest* r = req.add_records();
        r->set_record(sent_.at(batched[i]).record);
        r->set_signature(sent_.at(batched[i]).signature);
      }
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline());
      v1::SubmitBatchResponse resp;
      const grpc::Status st = stub_->SubmitBatch(&ctx, req, &resp);
      ASSERT_TRUE(st.ok()) << "SubmitBatch: " << st.error_message();
      ASSERT_EQ(static_cast<size_t>(resp.results_size()), end - begin);
      for (size_t i = begin; i < end; ++i) {
        const v1::SubmitResult& r = resp.results(static_cast<int>(i - begin));
        check(sent_.at(batched[i]),
              r.code() == 0 ? absl::StatusOr<v1::Receipt>(r.receipt())
                            : absl::Status(static_cast<absl::StatusCode>(r.code()), r.message()));
      }
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline());
    v1::LogInfo info;
    const grpc::Status st = stub_->GetLogInfo(&ctx, v1::GetLogInfoRequest(), &info);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_GE(info.size(), snap.size);
    min_size_ = std::max<uint64_t>(min_size_, info.size());
    stats->size_after_retries = info.size();
  }

  std::vector<Identity> participants_;
  // Every record sent, by record id (unique across the run).
  std::map<std::string, Sent> sent_;
  // Checkpoints given to clients since the last verification.
  std::set<std::string> pending_checkpoints_;
  std::string verifier_key_;
  uint64_t min_size_ = 0;  // largest size seen (receipts, restarts): the log may not shrink
  std::string last_note_;  // the latest checkpoint verified
  int startup_kills_before_serving_ = 0;
};

TEST_F(CrashTest, KillNineUnderLoadLosesNothingAcknowledged) {
  const int cycles = static_cast<int>(EnvOr("TOUCHSTONE_CRASH_CYCLES", kDefaultCycles));
  const uint64_t seed = EnvOr("TOUCHSTONE_CRASH_SEED", std::random_device()());
  std::cout << "crash_test: " << cycles << " cycles, seed " << seed
            << " (TOUCHSTONE_CRASH_SEED=" << seed << " replays the schedule)" << std::endl;
  const auto start = Clock::now();
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_NO_FATAL_FAILURE(RegisterParticipants());
  for (int cycle = 0; cycle < cycles; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle, " of run with seed ", seed));
    const auto cycle_start = Clock::now();
    std::seed_seq cycle_seed{seed & 0xffffffff, seed >> 32, static_cast<uint64_t>(cycle)};
    std::mt19937_64 rng(cycle_seed);  // each cycle's schedule depends on (seed, cycle) alone
    CycleStats stats;
    stats.size_before = min_size_;
    const milliseconds kill_after(50 + rng() % 351);
    // The first cycle's startup kill comes at once, so at least one lands before serving.
    const milliseconds startup_kill_after(cycle == 0 ? 0 : rng() % 40);
    stats.kill_after_ms = kill_after.count();
    std::vector<std::string> ids = LoadAndKill(cycle, kill_after, rng(), &stats);
    // Every third cycle, starting with the first, is also killed once while starting up.
    if (cycle % 3 == 0) stats.startup_kill = KillDuringStartup(startup_kill_after);
    ASSERT_NO_FATAL_FAILURE(StartServer());
    LogSnapshot snap;
    ASSERT_NO_FATAL_FAILURE(VerifyLog(&snap, &stats));
    ASSERT_NO_FATAL_FAILURE(Retry(ids, snap, rng, &stats));
    std::string codes;
    for (const auto& [code, n] : stats.error_codes) absl::StrAppend(&codes, " code ", code, "x", n);
    std::cout << "crash_test: cycle " << cycle << ": killed after " << stats.kill_after_ms
              << " ms; " << stats.acknowledged << " acknowledged, " << stats.unknown << " unknown ("
              << stats.unknown_present << " present;" << codes << "); size " << stats.size_before
              << " -> " << stats.size_after_restart << " after restart -> "
              << stats.size_after_retries << " after retries; " << stats.checkpoints_checked
              << " checkpoints checked"
              << (stats.startup_kill.empty() ? "" : "; " + stats.startup_kill) << "; "
              << std::chrono::duration_cast<milliseconds>(Clock::now() - cycle_start).count()
              << " ms" << std::endl;
    if (HasFailure()) break;  // the log and cycle above are what to look at
  }
  // A last verification of everything (retries included), then a clean SIGTERM shutdown.
  LogSnapshot snap;
  CycleStats stats;
  ASSERT_NO_FATAL_FAILURE(VerifyLog(&snap, &stats));
  EXPECT_TRUE(server_->Terminate(milliseconds(15'000)).ok()) << Tail(log_file_);
  if (cycles > 0) {
    EXPECT_GE(startup_kills_before_serving_, 1) << "no kill landed in startup";
  }
  std::cout << "crash_test: " << sent_.size() << " records sent, final size " << snap.size << ", "
            << std::chrono::duration_cast<milliseconds>(Clock::now() - start).count() << " ms"
            << std::endl;
}

}  // namespace
}  // namespace touchstone
