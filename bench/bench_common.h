// Shared by the benchmark programs: latency percentiles, rates measured on N
// threads (Ed25519 verify and sign), valid pre-signed records of a fixed size
// from registered participants, and gRPC channels that each get their own
// connection. Header-only.
#ifndef TOUCHSTONE_BENCH_BENCH_COMMON_H_
#define TOUCHSTONE_BENCH_BENCH_COMMON_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/bench_machine.h"
#include "grpcpp/grpcpp.h"
#include "ledger/log/keys.h"
#include "ledger/provenance/commitments.h"
#include "ledger/provenance/record.h"
#include "proto/ledger_service.grpc.pb.h"
#include "proto/record.pb.h"
#include "tests/test_util.h"

namespace touchstone::bench {

namespace ts = ::touchstone;
namespace v1 = ::touchstone::v1;

// ---------------------------------------------------------------- percentiles

struct Pct {
  double p50 = 0, p99 = 0, p999 = 0, max = 0, mean = 0;  // ms
};

inline Pct Percentiles(std::vector<uint32_t> us) {
  Pct p;
  if (us.empty()) return p;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(std::ceil(q * us.size()));
    return us[std::clamp<size_t>(rank, 1, us.size()) - 1] / 1000.0;
  };
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.p999 = at(0.999);
  p.max = us.back() / 1000.0;
  double sum = 0;
  for (uint32_t x : us) sum += x;
  p.mean = sum / us.size() / 1000.0;
  return p;
}

// ---------------------------------------------------------------- limits

// Runs fn(thread_index, stop) on n threads for about `seconds`; fn returns its
// operation count. Returns operations per second.
template <typename Fn>
inline double RateOnThreads(int n, double seconds, const char* name, Fn fn) {
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<uint64_t> counts(n, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      SetThreadName(name);
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      counts[i] = fn(i, stop);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  const auto t0 = Clock::now();
  go.store(true);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (auto& t : threads) t.join();
  const double elapsed = Secs(Clock::now() - t0);
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  return total / elapsed;
}

inline double VerifyRate(int threads, double seconds, const ts::PublicKey& pub,
                         const std::string& msg, const std::string& sig) {
  return RateOnThreads(threads, seconds, "bench-verify", [&](int, std::atomic<bool>& stop) {
    uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 16; ++i) {
        if (!pub.Verify(msg, sig)) Die("verification of a valid signature failed");
      }
      n += 16;
    }
    return n;
  });
}

inline double SignRate(double seconds, const ts::PrivateKey& key, const std::string& origin,
                       const std::string& record_bytes) {
  return RateOnThreads(1, seconds, "bench-sign", [&](int, std::atomic<bool>& stop) {
    uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      for (int i = 0; i < 16; ++i) {
        if (ts::SignRecord(key, origin, record_bytes).size() != ts::kEd25519SignatureSize) {
          Die("sign");
        }
      }
      n += 16;
    }
    return n;
  });
}

// ---------------------------------------------------------------- records

using ts::testing::Identity;
using ts::testing::NewIdentity;
using ts::testing::NowMicros;
using ts::testing::RegisterRecord;

// Builds LotCreated records of a fixed serialized size, signed by the
// registered participants in turn, with run-unique ids.
class RecordFactory {
 public:
  RecordFactory(std::string nonce, std::vector<Identity> participants, size_t target_bytes)
      : nonce_(std::move(nonce)), participants_(std::move(participants)) {
    // Find the note length that pads the record to target_bytes (ids are fixed width).
    v1::Record r = Build(0, 0);
    const size_t base = r.ByteSizeLong();
    size_t len = target_bytes > base + 3 ? target_bytes - base - 3 : 0;
    for (int i = 0; i < 8 && target_bytes > base; ++i) {
      const size_t got = Build(0, len).ByteSizeLong();
      if (got == target_bytes) break;
      if (got > target_bytes) {
        if (len == 0) break;
        len -= std::min(len, got - target_bytes);
      } else {
        len += target_bytes - got;
      }
    }
    note_len_ = len;
    record_bytes_ = Build(0, note_len_).ByteSizeLong();
  }

  size_t record_bytes() const { return record_bytes_; }
  const std::vector<Identity>& participants() const { return participants_; }
  // The log the records are signed for (ledger/provenance/record.h): set it to the
  // server's origin (LogOrigin) before signing records it is to accept.
  void set_origin(std::string origin) { origin_ = std::move(origin); }
  const std::string& origin() const { return origin_; }

  // Seal every record (ledger/provenance/commitments.h): its quantity, facility
  // and note travel in the opening, the entry holds their commitment.
  void set_sealed(bool sealed) { sealed_ = sealed; }
  bool sealed() const { return sealed_; }

  // Record number `seq` (run-unique), serialized and signed (sealed, with its
  // opening, if set_sealed).
  v1::SubmitRequest Signed(uint64_t seq) const {
    const auto& who = participants_[seq % participants_.size()];
    v1::Record record = Build(seq, note_len_);
    v1::SubmitRequest req;
    if (sealed_) {
      std::mt19937_64 rng(seq * 0xbf58476d1ce4e5b9ULL + 7);  // a bench's salt: unique, not secret
      std::string salt(ts::kOpeningSaltBytes, '\0');
      for (char& c : salt) c = static_cast<char>(rng());
      absl::StatusOr<ts::SealedRecord> sealed = ts::SealRecord(record, std::move(salt));
      if (!sealed.ok()) {
        std::cerr << "bench: cannot seal a record: " << sealed.status() << "\n";
        std::abort();
      }
      record = std::move(sealed->record);
      *req.mutable_opening() = std::move(sealed->opening);
    }
    const std::string bytes = ts::SerializeRecord(record);
    req.set_signature(ts::SignRecord(who.key, origin_, bytes));
    req.set_record(bytes);
    return req;
  }

  // A mined gold lot recorded by a refiner (the rules let a miner or a refiner
  // create one; a recycled lot would need a certificate under the trade rules),
  // event time now, padded with a note. Every field but
  // the note has a fixed serialized size, so all records have the same size.
  v1::Record Build(uint64_t seq, size_t note_len) const {
    const auto& who = participants_[seq % participants_.size()];
    v1::Record r;
    r.set_record_id(absl::StrFormat("lot-%s-%012d", nonce_, seq));
    r.set_signer(who.id);
    r.set_key_id(who.key.public_key().Fingerprint());
    r.set_event_time_micros(NowMicros());  // 8-byte varint until 2112
    auto* lot = r.mutable_lot_created();
    lot->set_lot_id(absl::StrFormat("LOT-%s-%012d", nonce_, seq));
    lot->set_material("gold");
    lot->set_form("grain");
    lot->set_origin_class(v1::ORIGIN_CLASS_MINED);
    lot->set_quantity(1'000'000 + static_cast<int64_t>(seq % 1'000'000));  // 3-byte varint
    lot->set_unit(v1::UNIT_MILLIGRAM);
    lot->set_fineness_ptt(9990);  // 2-byte varint
    lot->set_facility("Refinery 7, Pforzheim, DE");
    if (note_len > 0) lot->set_note(Note(seq, note_len));
    return r;
  }

 private:
  static std::string Note(uint64_t seq, size_t len) {
    static const char* kWords[] = {"assay",       "XRF",       "fire-assay",
                                   "999.7",       "bag",       "seal",
                                   "S-44718",     "courier",   "Brinks",
                                   "vault",       "Zurich",    "received",
                                   "weighed",     "witnessed", "melt",
                                   "batch",       "crucible",  "grain",
                                   "refined",     "scrap",     "jewelry",
                                   "dental",      "e-waste",   "lot",
                                   "split",       "customs",   "CH",
                                   "DE",          "declared",  "origin",
                                   "KYC",         "checked",   "chain-of-custody",
                                   "certificate", "RJC",       "CoC",
                                   "LBMA",        "GDL",       "Pforzheim",
                                   "sample"};
    std::mt19937_64 rng(seq * 0x9e3779b97f4a7c15ULL + 1);
    std::string s;
    s.reserve(len + 32);
    while (s.size() < len) {
      s += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
      s += (rng() % 7 == 0) ? "; " : " ";
    }
    s.resize(len);
    return s;
  }

  std::string nonce_;
  std::vector<Identity> participants_;
  size_t note_len_ = 0;
  size_t record_bytes_ = 0;
  bool sealed_ = false;
  std::string origin_ = "touchstone.local/ledger";
};

// Signs records [first, first + n) on every core; returns them in order.
inline std::vector<v1::SubmitRequest> SignPool(const RecordFactory& f, uint64_t first, size_t n,
                                               int threads) {
  std::vector<v1::SubmitRequest> pool(n);
  std::vector<std::thread> ts_;
  for (int t = 0; t < threads; ++t) {
    ts_.emplace_back([&, t] {
      SetThreadName("bench-presign");
      for (size_t i = t; i < n; i += threads) pool[i] = f.Signed(first + i);
    });
  }
  for (auto& t : ts_) t.join();
  return pool;
}

// ---------------------------------------------------------------- gRPC clients

inline std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& target, int n) {
  std::vector<std::shared_ptr<grpc::Channel>> out;
  for (int i = 0; i < n; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("touchstone.bench.channel", i);  // distinct args: distinct connection
    args.SetMaxReceiveMessageSize(256 << 20);
    args.SetMaxSendMessageSize(256 << 20);
    auto ch = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    if (!ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      Die("cannot connect to " + target);
    }
    out.push_back(std::move(ch));
  }
  return out;
}

inline v1::LogInfo GetLogInfo(v1::Ledger::Stub& stub) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::GetLogInfoRequest req;
  v1::LogInfo info;
  grpc::Status s = stub.GetLogInfo(&ctx, req, &info);
  if (!s.ok()) Die("GetLogInfo: " + s.error_message());
  return info;
}

inline uint64_t LogSize(v1::Ledger::Stub& stub) { return GetLogInfo(stub).size(); }

// The server's log origin, which record signatures bind (ledger/provenance/record.h).
inline std::string LogOrigin(v1::Ledger::Stub& stub) { return GetLogInfo(stub).origin(); }

inline grpc::ClientContext* Deadline(grpc::ClientContext& ctx) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return &ctx;
}

inline uint32_t MicrosSince(Clock::time_point a, Clock::time_point b) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(b - a).count());
}

// Registers `ids` as refiners through the operator's key (SubmitBatch calls of
// up to 500); dies if any is refused. Record ids: register-<nonce>-NNN.
inline void RegisterParticipants(v1::Ledger::Stub& stub, const Identity& op,
                                 const std::vector<Identity>& ids, const std::string& nonce) {
  const std::string origin = LogOrigin(stub);
  std::vector<v1::SubmitRequest> regs;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string bytes = ts::SerializeRecord(RegisterRecord(
        op, ids[i], v1::ROLE_REFINER, absl::StrFormat("register-%s-%03d", nonce, i)));
    v1::SubmitRequest r;
    r.set_signature(ts::SignRecord(op.key, origin, bytes));
    r.set_record(bytes);
    regs.push_back(std::move(r));
  }
  for (size_t s = 0; s < regs.size(); s += 500) {
    v1::SubmitBatchRequest req;
    for (size_t i = s; i < std::min(regs.size(), s + 500); ++i) *req.add_records() = regs[i];
    v1::SubmitBatchResponse resp;
    grpc::ClientContext ctx;
    grpc::Status st = stub.SubmitBatch(Deadline(ctx), req, &resp);
    if (!st.ok()) Die("registering participants: " + st.error_message());
    for (const auto& r : resp.results()) {
      if (r.code() != 0) Die("registering a participant: " + r.message());
    }
  }
}

}  // namespace touchstone::bench

#endif  // TOUCHSTONE_BENCH_BENCH_COMMON_H_
