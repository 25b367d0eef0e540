// flood_bench: what invalid submissions cost honest clients. Valid pre-signed
// Submits from N clients are measured alone, then again while M other clients
// flood the same server with submissions it must refuse: bad signatures (the
// expensive refusal: parse, key lookup, Ed25519 verify) and malformed records
// (the cheap one: refused before any key lookup or verification). Prints valid
// throughput and latency per phase, the slowdown against the phase alone, the
// flood's own call rate, and this machine's Ed25519 verify rate measured in the
// same run. See bench/README.md.
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/bench_common.h"
#include "bench/bench_machine.h"
#include "services/server.h"

namespace {

using namespace touchstone::bench;  // NOLINT: the shared bench helpers

struct Config {
  int clients = 8;      // valid submitters
  int flooders = 8;     // invalid submitters
  double warmup = 0.5;  // unmeasured seconds at the start of each phase
  double seconds = 5;   // measured seconds per phase
  int clients_per_channel = 8;
};

// What one phase measured.
struct Phase {
  std::string name;
  double valid_rate = 0;  // acked valid records/s in the window
  Pct latency;            // of valid Submits completed in the window
  uint64_t valid_errors = 0;
  std::string first_valid_error;
  double flood_rate = 0;  // refused flood calls/s in the window
  std::map<int, uint64_t> flood_codes;
  bool pool_exhausted = false;
  double others_cores = 0;  // other processes on the machine meanwhile
};

// Runs the valid clients over `pool` (each request used once) and, if `flood`
// is not empty, the flooders over `flood` (cyclically), for warmup + seconds.
Phase RunPhase(const std::string& target, const Config& cfg, std::string name,
               const std::vector<v1::SubmitRequest>& pool,
               const std::vector<v1::SubmitRequest>& flood) {
  Phase out;
  out.name = std::move(name);
  const int flooders = flood.empty() ? 0 : cfg.flooders;
  const int per = cfg.clients_per_channel;
  auto valid_channels = MakeChannels(target, (cfg.clients + per - 1) / per);
  auto flood_channels = MakeChannels(target, flooders == 0 ? 0 : (flooders + per - 1) / per);

  std::atomic<size_t> next{0};
  std::atomic<bool> exhausted{false}, go{false};
  std::atomic<uint64_t> flood_in_window{0};
  std::vector<std::vector<uint32_t>> latencies(cfg.clients);
  std::vector<uint64_t> errors(cfg.clients, 0);
  std::vector<std::map<int, uint64_t>> codes(flooders);
  std::string first_error;
  std::mutex first_error_mu;
  Clock::time_point t_warm, t_end;

  std::vector<std::thread> threads;
  for (int c = 0; c < cfg.clients; ++c) {
    threads.emplace_back([&, c] {
      SetThreadName("bench-client");
      auto stub = v1::Ledger::NewStub(valid_channels[c / per]);
      while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      while (Clock::now() < t_end) {
        const size_t i = next.fetch_add(1);
        if (i >= pool.size()) {
          exhausted.store(true);
          break;
        }
        grpc::ClientContext ctx;
        v1::Receipt receipt;
        const auto start = Clock::now();
        grpc::Status s = stub->Submit(Deadline(ctx), pool[i], &receipt);
        const auto done = Clock::now();
        if (done < t_warm || done > t_end) continue;
        if (s.ok()) {
          latencies[c].push_back(MicrosSince(start, done));
        } else {
          ++errors[c];
          std::lock_guard<std::mutex> l(first_error_mu);
          if (first_error.empty()) first_error = s.error_message();
        }
      }
    });
  }
  for (int f = 0; f < flooders; ++f) {
    threads.emplace_back([&, f] {
      SetThreadName("bench-flooder");
      auto stub = v1::Ledger::NewStub(flood_channels[f / per]);
      while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      for (size_t i = f; Clock::now() < t_end; i += flooders) {
        grpc::ClientContext ctx;
        v1::Receipt receipt;
        grpc::Status s = stub->Submit(Deadline(ctx), flood[i % flood.size()], &receipt);
        const auto done = Clock::now();
        if (done < t_warm || done > t_end) continue;
        ++codes[f][s.error_code()];
        flood_in_window.fetch_add(1);
      }
    });
  }
  const auto t0 = Clock::now();
  t_warm =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.warmup));
  t_end = t_warm +
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.seconds));
  go.store(true);
  std::this_thread::sleep_until(t_warm);
  const CpuSnap c0 = TakeCpuSnap();
  std::this_thread::sleep_until(t_end);
  const CpuSnap c1 = TakeCpuSnap();
  for (auto& t : threads) t.join();

  std::vector<uint32_t> all;
  for (int c = 0; c < cfg.clients; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    out.valid_errors += errors[c];
  }
  for (const auto& m : codes) {
    for (auto [code, n] : m) out.flood_codes[code] += n;
  }
  out.valid_rate = all.size() / cfg.seconds;
  out.latency = Percentiles(std::move(all));
  out.flood_rate = flood_in_window.load() / cfg.seconds;
  out.first_valid_error = first_error;
  out.pool_exhausted = exhausted.load();
  out.others_cores = CpuBetween(c0, c1).others_cores;
  return out;
}

// Submissions the server must refuse after verifying them: valid records of
// the benchmark's size from registered signers, each with one signature bit flipped.
std::vector<v1::SubmitRequest> BadSignatures(const RecordFactory& factory, uint64_t first,
                                             size_t n) {
  std::vector<v1::SubmitRequest> out = SignPool(factory, first, n, OnlineCpus());
  for (auto& r : out) (*r.mutable_signature())[7] ^= 0x10;
  return out;
}

// Submissions refused before any key lookup or verification, about the size of
// a valid one, with a 64-byte signature: bytes that are not a Record, a record
// without a body, and a record with an identifier over the field limit.
std::vector<v1::SubmitRequest> Malformed(const RecordFactory& factory, uint64_t first, size_t n) {
  std::mt19937_64 rng(first);
  std::vector<v1::SubmitRequest> out(n);
  for (size_t i = 0; i < n; ++i) {
    v1::Record r = factory.Build(first + i, 500);
    switch (i % 3) {
      case 0: {
        std::string junk(factory.record_bytes(), '\0');
        for (char& ch : junk) ch = static_cast<char>(rng() | 0x80);  // endless varints
        out[i].set_record(junk);
        break;
      }
      case 1:
        r.clear_lot_created();
        out[i].set_record(ts::SerializeRecord(r));
        break;
      default:
        r.mutable_lot_created()->set_lot_id(std::string(200, 'L'));
        out[i].set_record(ts::SerializeRecord(r));
    }
    std::string sig(ts::kEd25519SignatureSize, '\0');
    for (char& ch : sig) ch = static_cast<char>(rng());
    out[i].set_signature(sig);
  }
  return out;
}

std::string CodesString(const std::map<int, uint64_t>& codes) {
  std::vector<std::string> parts;
  for (auto [c, n] : codes) parts.push_back(absl::StrCat("code", c, "x", n));
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

void PrintPhase(const Phase& p, const Phase* alone) {
  std::cout << absl::StrFormat("  %-22s valid %7.0f/s  p50 %7.2f ms  p99 %7.2f ms  errors %llu",
                               p.name, p.valid_rate, p.latency.p50, p.latency.p99,
                               static_cast<unsigned long long>(p.valid_errors));
  if (alone != nullptr && p.valid_rate > 0) {
    std::cout << absl::StrFormat("  slowdown x%.2f throughput, x%.2f p99",
                                 alone->valid_rate / p.valid_rate,
                                 alone->latency.p99 > 0 ? p.latency.p99 / alone->latency.p99 : 0);
  }
  if (!p.flood_codes.empty()) {
    std::cout << absl::StrFormat("  | flood %7.0f calls/s refused (%s)", p.flood_rate,
                                 CodesString(p.flood_codes));
  }
  std::cout << absl::StrFormat("  (others %.2f cores)%s\n", p.others_cores,
                               p.pool_exhausted ? " POOL EXHAUSTED: raise --pool_factor" : "");
  if (!p.first_valid_error.empty()) std::cout << "    first error: " << p.first_valid_error << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  SetThreadName("flood_bench");
  Config cfg;
  size_t record_bytes = 700, flood_pool = 3000;
  int participants = 16;
  double limit_seconds = 2, pool_factor = 1.5;
  std::vector<std::string> floods = {"bad-signature", "malformed"};
  CLI::App app{
      "flood_bench: valid Submit throughput and p99 alone and under a flood of invalid "
      "submissions, beside this machine's Ed25519 verify rate"};
  app.add_option("--clients", cfg.clients, "valid clients")->capture_default_str();
  app.add_option("--flooders", cfg.flooders, "flooding clients")->capture_default_str();
  app.add_option("--seconds", cfg.seconds, "measured seconds per phase")->capture_default_str();
  app.add_option("--warmup", cfg.warmup, "unmeasured seconds per phase")->capture_default_str();
  app.add_option("--floods", floods, "flood phases to run after the phase alone")
      ->delimiter(',')
      ->check(CLI::IsMember({"bad-signature", "malformed"}))
      ->capture_default_str();
  app.add_option("--record_bytes", record_bytes, "serialized size of the valid records")
      ->capture_default_str();
  app.add_option("--participants", participants, "registered signers")->capture_default_str();
  app.add_option("--limit_seconds", limit_seconds, "seconds per verify-rate measurement")
      ->capture_default_str();
  app.add_option("--pool_factor", pool_factor,
                 "valid records pre-signed per phase = expected rate x phase time x this")
      ->capture_default_str();
  app.add_option("--flood_pool", flood_pool, "distinct flood requests (used cyclically)")
      ->capture_default_str();
  app.add_option("--clients_per_channel", cfg.clients_per_channel, "clients sharing a channel")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  std::cout << "== flood_bench " << NowUtc() << "\n"
            << "machine: nproc=" << OnlineCpus() << "  cpu=\"" << CpuModel() << "\"  " << Kernel()
            << "  loadavg " << LoadAvg() << "\n";
  {
    const CpuSnap a = TakeCpuSnap();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const double others = CpuBetween(a, TakeCpuSnap()).others_cores;
    std::cout << absl::StrFormat(
        "         other processes busy at start: %.2f cores%s\n", others,
        others >= 0.2 ? "  (WARNING: shared machine, figures depressed)" : "");
  }

  std::string nonce = absl::StrFormat("%08x", std::random_device{}());
  std::vector<Identity> ids;
  for (int i = 0; i < std::max(1, participants); ++i) {
    ids.push_back(NewIdentity(absl::StrFormat("flood-%s-p%03d", nonce, i)));
  }
  RecordFactory factory(nonce, ids, record_bytes);
  const std::string sample = factory.Signed(0).record();
  const double verify1 = VerifyRate(
      1, limit_seconds, ids[0].key.public_key(),
      ts::RecordSigningMessage(ts::kOriginBoundRecordSignatures, factory.origin(), sample),
      ts::SignRecord(ids[0].key, factory.origin(), sample));
  const double verify_all = VerifyRate(
      OnlineCpus(), limit_seconds, ids[0].key.public_key(),
      ts::RecordSigningMessage(ts::kOriginBoundRecordSignatures, factory.origin(), sample),
      ts::SignRecord(ids[0].key, factory.origin(), sample));
  std::cout << absl::StrFormat(
      "Ed25519 verify of a %d B record: %.0f/s on 1 thread (%.1f us each), %.0f/s on %d threads\n",
      factory.record_bytes(), verify1, 1e6 / verify1, verify_all, OnlineCpus());

  std::string tmpl = (std::filesystem::temp_directory_path() / "touchstone-flood-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
  const std::string work_dir = tmpl;
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{work_dir};
  ts::ServerOptions so;
  so.ledger.data_dir = work_dir + "/data";
  so.listen = "127.0.0.1:0";
  SetThreadName("ts-sequencer");  // threads the ledger starts inherit the name
  auto server = ts::Server::Start(so);
  SetThreadName("flood_bench");
  if (!server.ok()) Die(absl::StrCat("starting the server: ", server.status().ToString()));
  const std::string target = absl::StrCat("127.0.0.1:", (*server)->port());
  auto op_key = ts::PrivateKey::LoadPemFile(so.ledger.data_dir + "/operator.pem");
  if (!op_key.ok()) Die(op_key.status().ToString());
  auto stub = v1::Ledger::NewStub(MakeChannels(target, 1)[0]);
  factory.set_origin(LogOrigin(*stub));
  RegisterParticipants(*stub, Identity{"operator", *op_key}, ids, nonce);
  std::cout << "server: in-process touchstoned on " << target
            << " (shares the cores with the clients), sync on; " << cfg.clients
            << " valid clients, " << cfg.flooders << " flooders, records " << factory.record_bytes()
            << " B from " << ids.size() << " signers; " << cfg.warmup << " s warmup + "
            << cfg.seconds << " s per phase\n";

  const std::vector<v1::SubmitRequest> bad_sigs = BadSignatures(factory, 1'000'000'000, flood_pool);
  const std::vector<v1::SubmitRequest> malformed = Malformed(factory, 2'000'000'000, flood_pool);

  uint64_t next_seq = 1;
  auto pool_for = [&](double rate) {
    const size_t n = static_cast<size_t>(rate * (cfg.warmup + cfg.seconds) * pool_factor) + 100;
    auto pool = SignPool(factory, next_seq, n, OnlineCpus());
    next_seq += n;
    return pool;
  };
  std::vector<Phase> phases;
  phases.push_back(RunPhase(target, cfg, "alone", pool_for(verify_all), {}));
  const Phase alone = phases[0];
  PrintPhase(alone, nullptr);
  for (const std::string& kind : floods) {
    const auto& flood = kind == "bad-signature" ? bad_sigs : malformed;
    phases.push_back(
        RunPhase(target, cfg, "flood " + kind, pool_for(std::max(alone.valid_rate, 100.0)), flood));
    PrintPhase(phases.back(), &alone);
  }
  std::cout << "== summary (verify on " << OnlineCpus() << " threads "
            << absl::StrFormat("%.0f/s", verify_all) << "; loadavg at end " << LoadAvg() << ")\n";
  for (const Phase& p : phases) PrintPhase(p, p.name == "alone" ? nullptr : &alone);
  (*server)->Shutdown();
  return 0;
}
