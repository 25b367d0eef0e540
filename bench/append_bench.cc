// append_bench: durable append throughput of touchstoned over real gRPC, beside
// the limits of this machine measured in the same run.
//
// 1. Limits: Ed25519 verify (1 thread, 2 threads, all cores), Ed25519 sign
//    (1 thread), RocksDB synced WriteBatch (100 x 512 B) and synced single Put.
// 2. Starts touchstoned in-process (127.0.0.1:0, temp data dir) or connects to
//    --server; registers participants with the operator key; pre-signs every
//    record of a measurement point before timing it.
// 3. Single-record Submit from 1, 8, 32, 128 concurrent clients (one thread and
//    one blocking call at a time per client, one channel per 8 clients).
// 4. Reference points at --floor_clients: Submit refused before verification
//    (unknown key; gRPC + parse only) and refused after verification (bad
//    signature; gRPC + parse + verify, no sequencing or commit).
// 5. SubmitBatch of --batch records from --batch_clients clients.
// Every result is printed with its ratio to the same run's 2-thread verify rate.
// See bench/README.md.
#include <pthread.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_common.h"
#include "bench/bench_limits.h"
#include "bench/bench_machine.h"
#include "grpcpp/grpcpp.h"
#include "ledger/log/keys.h"
#include "ledger/provenance/record.h"
#include "nlohmann/json.hpp"
#include "proto/ledger_service.grpc.pb.h"
#include "proto/record.pb.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "services/server.h"
#include "tests/test_util.h"

namespace {

using namespace touchstone::bench;  // NOLINT: the shared bench helpers
using json = nlohmann::json;

json CpuJson(const CpuUse& u) {
  json g = json::object();
  for (const auto& [k, c] : u.groups) g[k] = c;
  return {{"process_cores", u.process_cores},
          {"machine_cores", u.machine_cores},
          {"other_processes_cores", u.others_cores},
          {"threads_cores", g}};
}

json PctJson(const Pct& p) {
  return {{"p50_ms", p.p50},
          {"p99_ms", p.p99},
          {"p999_ms", p.p999},
          {"max_ms", p.max},
          {"mean_ms", p.mean}};
}

// What one client thread saw inside the measured window.
struct ClientLog {
  std::vector<uint32_t> latency_us;
  std::vector<uint64_t> tree_sizes;  // of acked records: one per commit group they were in
  uint64_t acked = 0, duplicates = 0, errors = 0;
  std::map<int, uint64_t> error_codes;
  std::string first_error;
  double cpu_seconds = 0;
};

struct PointResult {
  std::string kind;  // "submit", "submit_batch", "floor_*"
  int clients = 0, channels = 0, batch = 1;
  double seconds = 0;   // measured window
  uint64_t acked = 0;   // records acked OK in the window
  uint64_t calls = 0;   // calls completed in the window (batches for SubmitBatch)
  uint64_t errors = 0;  // failed records (or calls) in the window
  uint64_t duplicates = 0;
  std::map<int, uint64_t> error_codes;
  std::string first_error;
  double rate = 0;      // acked records/s (floor points: completed calls/s)
  Pct latency;          // per call
  uint64_t groups = 0;  // distinct commit groups seen in receipts
  bool pool_exhausted = false;
  size_t consumed = 0;  // pool entries taken (non-cyclic pools)
  uint64_t log_before = 0, log_after = 0;
  CpuUse cpu;
  double client_thread_cores = 0;
};

// Runs `clients` threads against `target`. Each thread repeatedly takes the next
// request index from a shared counter and calls issue(stub, index, log, in_window).
// Measures completions in [start + warmup, start + warmup + seconds].
template <typename Issue>
PointResult RunPoint(const std::string& target, int clients, int clients_per_channel, double warmup,
                     double seconds, size_t pool_size, bool cyclic, v1::Ledger::Stub& info_stub,
                     Issue issue) {
  PointResult res;
  res.clients = clients;
  const int nch = std::max(1, (clients + clients_per_channel - 1) / clients_per_channel);
  res.channels = nch;
  auto channels = MakeChannels(target, nch);
  res.log_before = LogSize(info_stub);

  std::vector<ClientLog> logs(clients);
  std::atomic<size_t> next{0};
  std::atomic<int> ready{0};
  std::atomic<int64_t> exhausted_ns{INT64_MAX};
  Clock::time_point t0, t_warm, t_end;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      SetThreadName("bench-client");
      auto stub = v1::Ledger::NewStub(channels[c / clients_per_channel]);
      ClientLog& log = logs[c];
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      timespec cpu0{}, cpu1{};
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
      for (;;) {
        const auto now = Clock::now();
        if (now >= t_end) break;
        size_t i = next.fetch_add(1);
        if (i >= pool_size) {
          if (!cyclic) {
            int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - t0).count();
            int64_t cur = exhausted_ns.load();
            while (ns < cur && !exhausted_ns.compare_exchange_weak(cur, ns)) {
            }
            break;
          }
          i %= pool_size;
        }
        issue(*stub, i, log,
              [&](Clock::time_point done) { return done >= t_warm && done <= t_end; });
      }
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
      log.cpu_seconds = (cpu1.tv_sec - cpu0.tv_sec) + (cpu1.tv_nsec - cpu0.tv_nsec) / 1e9;
    });
  }
  while (ready.load() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  t0 = Clock::now();
  t_warm = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(warmup));
  t_end =
      t_warm + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  go.store(true);
  std::this_thread::sleep_until(t_warm);
  const CpuSnap c0 = TakeCpuSnap();
  std::this_thread::sleep_until(t_end);
  const CpuSnap c1 = TakeCpuSnap();
  for (auto& t : threads) t.join();
  res.log_after = LogSize(info_stub);
  res.consumed = std::min(next.load(), pool_size);

  Clock::time_point window_end = t_end;
  if (exhausted_ns.load() != INT64_MAX) {
    res.pool_exhausted = true;
    window_end = std::min(t_end, t0 + std::chrono::nanoseconds(exhausted_ns.load()));
  }
  res.seconds = std::max(1e-9, Secs(window_end - t_warm));
  res.cpu = CpuBetween(c0, c1);
  std::vector<uint32_t> lat;
  std::vector<uint64_t> sizes;
  double client_cpu = 0;
  for (auto& l : logs) {
    lat.insert(lat.end(), l.latency_us.begin(), l.latency_us.end());
    sizes.insert(sizes.end(), l.tree_sizes.begin(), l.tree_sizes.end());
    res.acked += l.acked;
    res.errors += l.errors;
    res.duplicates += l.duplicates;
    for (auto [code, n] : l.error_codes) res.error_codes[code] += n;
    if (res.first_error.empty()) res.first_error = l.first_error;
    client_cpu += l.cpu_seconds;
  }
  res.client_thread_cores = client_cpu / Secs(t_end - t0);
  res.calls = lat.size();
  res.latency = Percentiles(std::move(lat));
  std::sort(sizes.begin(), sizes.end());
  res.groups = std::unique(sizes.begin(), sizes.end()) - sizes.begin();
  res.rate = res.acked / res.seconds;
  return res;
}

void NoteError(ClientLog& log, int code, const std::string& msg) {
  ++log.errors;
  ++log.error_codes[code];
  if (log.first_error.empty()) log.first_error = absl::StrCat("code ", code, ": ", msg);
}

// ---------------------------------------------------------------- output

struct Limits {
  double verify1 = 0, verify2 = 0, verify_all = 0, sign1 = 0;
  int all_cores = 0;
  RocksLimits rocks;
};

std::string Ratio(double x, double verify2) {
  return absl::StrFormat("append/verify2 = %.3f", verify2 > 0 ? x / verify2 : 0);
}

std::string CodesString(const std::map<int, uint64_t>& codes) {
  std::string s;
  for (auto [c, n] : codes) absl::StrAppend(&s, s.empty() ? "" : ",", "code", c, "x", n);
  return s;
}

json PointJson(const PointResult& r, double verify2) {
  json codes = json::object();
  for (auto [c, n] : r.error_codes) codes[std::to_string(c)] = n;
  json j = {{"kind", r.kind},
            {"clients", r.clients},
            {"channels", r.channels},
            {"batch", r.batch},
            {"seconds", r.seconds},
            {"acked", r.acked},
            {"calls", r.calls},
            {"rate_per_s", r.rate},
            {"ratio_to_verify2", verify2 > 0 ? r.rate / verify2 : 0},
            {"latency", PctJson(r.latency)},
            {"errors", r.errors},
            {"error_codes", codes},
            {"first_error", r.first_error},
            {"duplicates", r.duplicates},
            {"commit_groups", r.groups},
            {"commit_groups_per_s", r.groups / r.seconds},
            {"records_per_group", r.groups ? double(r.acked) / r.groups : 0},
            {"pool_exhausted", r.pool_exhausted},
            {"log_size_before", r.log_before},
            {"log_size_after", r.log_after},
            {"client_thread_cores_incl_warmup", r.client_thread_cores},
            {"process_cpu_us_per_unit", r.rate > 0 ? r.cpu.process_cores * 1e6 / r.rate : 0},
            {"cpu", CpuJson(r.cpu)}};
  return j;
}

void PrintPoint(const PointResult& r, const char* unit) {
  std::cout << absl::StrFormat(
      "  clients=%-4d ch=%-2d %s/s=%-9.0f p50=%.2fms p99=%.2fms p999=%.2fms max=%.2fms "
      "errors=%llu\n",
      r.clients, r.channels, unit, r.rate, r.latency.p50, r.latency.p99, r.latency.p999,
      r.latency.max, static_cast<unsigned long long>(r.errors));
  if (r.groups > 0) {
    std::cout << absl::StrFormat("      commit groups/s=%.0f records/group=%.1f  log %llu->%llu\n",
                                 r.groups / r.seconds, double(r.acked) / r.groups,
                                 static_cast<unsigned long long>(r.log_before),
                                 static_cast<unsigned long long>(r.log_after));
  }
  if (r.errors > 0 && r.kind.rfind("floor", 0) != 0) {
    std::cout << "      errors: " << CodesString(r.error_codes) << "; first: " << r.first_error
              << "\n";
  }
  if (r.duplicates > 0) std::cout << "      duplicates=" << r.duplicates << "\n";
  if (r.pool_exhausted) {
    std::cout << "      NOTE: pre-signed pool ran out; window shortened to " << r.seconds
              << " s (raise --pool_factor)\n";
  }
  std::cout << "      " << CpuLine(r.cpu) << "\n";
  if (r.rate > 0) {
    std::cout << absl::StrFormat("      this process's CPU per %s: %.0f us\n",
                                 r.kind.rfind("floor", 0) == 0 ? "call" : "acked record",
                                 r.cpu.process_cores * 1e6 / r.rate);
  }
  if (r.cpu.others_cores > 0.25) {
    std::cout << absl::StrFormat(
        "      WARNING: other processes used %.2f cores during this point: figures are depressed\n",
        r.cpu.others_cores);
  }
  std::cout << std::flush;
}

// The command line: every flag, its default and its help.
struct Flags {
  std::vector<int> client_counts = {1, 8, 32, 128};
  double seconds = 5, warmup = 0.5, limit_seconds = 2, pool_factor = 1.15;
  size_t record_bytes = 700, batch = 500;
  int batch_clients = 4, stream_clients = 2, participants = 16, clients_per_channel = 8,
      floor_clients = 32;
  double batch_seconds = -1, floor_seconds = 2;
  std::string data_dir, server_addr, operator_key_path, operator_id = "operator", json_path;
  bool keep_data = false, skip_limits = false, sealed = false;
  double wait_quiet = 0;
  int min_handler_threads = ts::ServerOptions().min_handler_threads;
  int max_handler_threads = ts::ServerOptions().max_handler_threads;
  uint64_t cached_leaves = ts::ServerOptions().ledger.cached_leaves;
  int64_t group_linger_us = absl::ToInt64Microseconds(ts::ServerOptions().ledger.group_linger);
  double scrub_rate = ts::ServerOptions().ledger.scrub_entries_per_second;
};

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--clients", f.client_counts, "concurrent Submit clients per point")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--seconds", f.seconds, "measured seconds per point")->capture_default_str();
  app.add_option("--warmup", f.warmup, "unmeasured seconds before each point")
      ->capture_default_str();
  app.add_option("--record_bytes", f.record_bytes, "serialized record size to pad to")
      ->capture_default_str();
  app.add_option("--batch", f.batch, "records per SubmitBatch call (0 = skip)")
      ->capture_default_str();
  app.add_option("--batch_clients", f.batch_clients, "concurrent SubmitBatch clients")
      ->capture_default_str();
  app.add_option("--stream_clients", f.stream_clients,
                 "concurrent SubmitStream clients, --batch records per stream call (0 = skip)")
      ->capture_default_str();
  app.add_option("--batch_seconds", f.batch_seconds,
                 "measured seconds of the batch point "
                 "(default: --seconds)");
  app.add_option("--floor_clients", f.floor_clients,
                 "clients for the refused-Submit reference points (0 = skip)")
      ->capture_default_str();
  app.add_option("--floor_seconds", f.floor_seconds, "measured seconds per reference point")
      ->capture_default_str();
  app.add_option("--participants", f.participants, "participants registered to sign records")
      ->capture_default_str();
  app.add_option("--clients_per_channel", f.clients_per_channel, "clients sharing one channel")
      ->capture_default_str();
  app.add_option("--limit_seconds", f.limit_seconds, "seconds per limit measurement")
      ->capture_default_str();
  app.add_option("--pool_factor", f.pool_factor,
                 "pre-signed records per point = all-core verify rate x point time x this")
      ->capture_default_str();
  app.add_option("--data_dir", f.data_dir,
                 "data directory of the in-process server (default: a temp dir, removed)");
  app.add_option("--server", f.server_addr, "benchmark a running touchstoned at ADDR instead");
  app.add_option("--operator_key", f.operator_key_path,
                 "operator key PEM (default: <data_dir>/operator.pem)");
  app.add_option("--operator_id", f.operator_id, "operator participant id")->capture_default_str();
  app.add_option("--json", f.json_path, "also write the results as JSON to this file");
  app.add_flag("--keep_data", f.keep_data, "keep the temp data directory");
  app.add_flag("--sealed", f.sealed,
               "seal every record: its quantity, facility and note committed, the opening sent "
               "with it (ledger/provenance/commitments.h)");
  app.add_option("--wait_quiet", f.wait_quiet,
                 "wait up to this many seconds for other processes to use < 0.2 cores "
                 "(shared machines) before measuring")
      ->capture_default_str();
  app.add_flag("--skip_limits", f.skip_limits, "skip measuring the limits (ratios become 0)");
  app.add_option("--min_handler_threads", f.min_handler_threads,
                 "in-process server: gRPC sync-server MIN_POLLERS (gRPC's default: 1)")
      ->capture_default_str();
  app.add_option("--max_handler_threads", f.max_handler_threads,
                 "in-process server: gRPC sync-server MAX_POLLERS (gRPC's default: 2)")
      ->capture_default_str();
  app.add_option("--cached_leaves", f.cached_leaves,
                 "in-process server: LedgerOptions::cached_leaves (0 = receipts read storage)")
      ->capture_default_str();
  app.add_option("--scrub_entries_per_second", f.scrub_rate,
                 "in-process server: LedgerOptions::scrub_entries_per_second (0 = no scrub)")
      ->capture_default_str();
  app.add_option("--group_linger_us", f.group_linger_us,
                 "in-process server: LedgerOptions::group_linger in microseconds (0 = off)")
      ->capture_default_str();
}

// One run's state, filled in by the scenarios below in the order main calls them.
struct Run {
  Flags f;
  int ncpu = 0;
  json out;
  bool own_dir = false;
  std::string work_dir;  // for the data and the RocksDB limit measurement
  std::string nonce;
  std::vector<Identity> ids;
  std::unique_ptr<RecordFactory> factory;
  Limits lim;
  // A record of the benchmark's size, its signing message and signature, and the key.
  std::string full, msg, sig;
  const ts::PublicKey* pub = nullptr;
  double verify2 = 0;  // final value: the larger of start and end of run
  std::unique_ptr<ts::Server> server;
  std::string target;
  std::shared_ptr<grpc::Channel> info_channel;
  std::unique_ptr<v1::Ledger::Stub> info_stub;
  uint64_t log_start = 0, log_end = 0;
  int sign_threads = 0;
  uint64_t next_seq = 0;
  // Records a point may use: bounded by the all-core verify rate (the server
  // verifies each one) and, after the first point, by the best rate so far scaled
  // by the growth in clients. Unused records carry over to the next point.
  double best_rate = 0;
  int best_clients = 0;
  std::vector<v1::SubmitRequest> spare;
  std::vector<PointResult> submit_results, floor_results;
  std::optional<PointResult> batch_result, stream_result;

  size_t PoolFor(double point_seconds, int clients) const {
    double bound = lim.verify_all > 0 ? lim.verify_all : 40000;
    if (best_rate > 0) {
      bound = std::min(
          bound, best_rate * 1.5 * std::max(2.0, double(clients) / std::max(1, best_clients)));
    }
    return static_cast<size_t>(bound * (point_seconds + f.warmup) * f.pool_factor) + 2 * clients;
  }

  std::vector<v1::SubmitRequest> Presign(size_t n) {
    const auto t0 = Clock::now();
    std::vector<v1::SubmitRequest> pool;
    const size_t reuse = std::min(n, spare.size());
    pool.reserve(n);
    for (size_t i = 0; i < reuse; ++i) pool.push_back(std::move(spare[i]));
    spare.erase(spare.begin(), spare.begin() + reuse);
    auto fresh = SignPool(*factory, next_seq, n - reuse, sign_threads);
    next_seq += n - reuse;
    for (auto& r : fresh) pool.push_back(std::move(r));
    std::cout << absl::StrFormat(
                     "  (pre-signed %zu records in %.1f s, %zu more left from before; untimed)\n",
                     n - reuse, Secs(Clock::now() - t0), reuse)
              << std::flush;
    return pool;
  }
};

// The machine, and how busy other processes keep it (waiting up to --wait_quiet for quiet).
void DescribeMachine(Run& run) {
  run.ncpu = OnlineCpus();
  run.out["machine"] = {
      {"nproc", run.ncpu},  {"cpu_model", CpuModel()}, {"cpu_flags", CpuFlagsOfInterest()},
      {"kernel", Kernel()}, {"date_utc", NowUtc()},    {"loadavg_start", LoadAvg()}};
  std::cout << "== append_bench " << NowUtc() << "\n"
            << "machine: nproc=" << run.ncpu << "  cpu=\"" << CpuModel()
            << "\"  flags: " << CpuFlagsOfInterest() << "\n"
            << "         " << Kernel() << "  loadavg at start " << LoadAvg() << "\n";

  double others = 0;
  const auto give_up = Clock::now() + std::chrono::duration<double>(run.f.wait_quiet);
  for (;;) {
    const CpuSnap a = TakeCpuSnap();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    others = CpuBetween(a, TakeCpuSnap()).others_cores;
    if (others < 0.2 || Clock::now() >= give_up) break;
  }
  std::cout << absl::StrFormat(
      "         other processes busy at start: %.2f cores%s\n", others,
      others >= 0.2 ? "  (WARNING: shared machine, figures depressed)" : "");
  run.out["machine"]["other_processes_cores_at_start"] = others;
}

// The work directory: --data_dir, or a temporary one (removed at the end unless --keep_data).
void MakeWorkDir(Run& run) {
  if (run.f.data_dir.empty() && run.f.server_addr.empty()) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "touchstone-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
    run.work_dir = tmpl;
    run.f.data_dir = run.work_dir + "/data";
    run.own_dir = true;
  } else if (!run.f.data_dir.empty()) {
    run.work_dir = run.f.data_dir;
  } else {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "touchstone-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
    run.work_dir = tmpl;
    run.own_dir = true;
  }
  std::filesystem::create_directories(run.work_dir);
}

// The participants and the records they sign, and a sample record for the limits.
void MakeRecords(Run& run) {
  {
    std::random_device rd;
    run.nonce = absl::StrFormat("%08x", rd());
  }
  for (int i = 0; i < run.f.participants; ++i) {
    run.ids.push_back(NewIdentity(absl::StrFormat("bench-%s-p%03d", run.nonce, i)));
  }
  run.factory = std::make_unique<RecordFactory>(run.nonce, run.ids, run.f.record_bytes);
  run.factory->set_sealed(run.f.sealed);
  std::cout << "records: LotCreated, " << run.factory->record_bytes() << " B serialized (target "
            << run.f.record_bytes << "), signed by " << run.f.participants << " participants\n";
  if (run.f.sealed) {
    const v1::SubmitRequest sample = run.factory->Signed(0);
    std::cout << "sealed: the entry holds " << sample.record().size()
              << " B of record (committed: quantity, facility, note), the opening "
              << sample.opening().ByteSizeLong() << " B travels with it\n";
  }
  run.full = run.factory->Signed(7).record();
  run.msg =
      ts::RecordSigningMessage(ts::kOriginBoundRecordSignatures, run.factory->origin(), run.full);
  run.sig = ts::SignRecord(run.ids[7 % run.ids.size()].key, run.factory->origin(), run.full);
  run.pub = &run.ids[7 % run.ids.size()].key.public_key();
}

// Scenario 1: the limits of this machine (Ed25519 verify and sign, RocksDB synced writes).
void MeasureLimits(Run& run) {
  Limits& lim = run.lim;
  lim.all_cores = run.ncpu;
  const double secs = run.f.limit_seconds;
  if (!run.f.skip_limits) {
    std::cout << "\n-- limits of this machine (measured now, " << secs << " s each)\n";
    const CpuSnap lim0 = TakeCpuSnap();
    lim.verify1 = VerifyRate(1, secs, *run.pub, run.msg, run.sig);
    std::cout << absl::StrFormat("  Ed25519 verify, 1 thread:        %9.0f /s  (%.1f us each)\n",
                                 lim.verify1, 1e6 / lim.verify1);
    lim.verify2 = VerifyRate(2, secs, *run.pub, run.msg, run.sig);
    std::cout << absl::StrFormat("  Ed25519 verify, 2 threads:       %9.0f /s  (verify2)\n",
                                 lim.verify2);
    if (run.ncpu != 2) {
      lim.verify_all = VerifyRate(run.ncpu, secs, *run.pub, run.msg, run.sig);
      std::cout << absl::StrFormat("  Ed25519 verify, %d threads:       %9.0f /s  (all cores)\n",
                                   run.ncpu, lim.verify_all);
    } else {
      lim.verify_all = lim.verify2;
    }
    lim.sign1 = SignRate(secs, run.ids[0].key, run.factory->origin(), run.full);
    std::cout << absl::StrFormat("  Ed25519 sign, 1 thread:          %9.0f /s\n", lim.sign1);
    const std::string rocks_dir = run.work_dir + "/rocks-limit";
    lim.rocks = MeasureRocks(rocks_dir, secs);
    SetThreadName("append_bench");
    std::error_code ec;
    std::filesystem::remove_all(rocks_dir, ec);
    std::cout << absl::StrFormat(
        "  RocksDB WriteBatch of %d x %d B, sync=true: %9.0f puts/s = %.0f batches/s (%.2f ms "
        "each)\n",
        lim.rocks.batch_size, lim.rocks.value_bytes, lim.rocks.batch_puts_per_s,
        lim.rocks.batches_per_s, 1e3 / lim.rocks.batches_per_s);
    std::cout << absl::StrFormat("  RocksDB single Put %d B, sync=true:         %9.0f puts/s\n",
                                 lim.rocks.value_bytes, lim.rocks.single_puts_per_s);
    const double others = CpuBetween(lim0, TakeCpuSnap()).others_cores;
    std::cout << absl::StrFormat("  (other processes used %.2f cores meanwhile%s)\n", others,
                                 others > 0.25 ? ": WARNING, limits are depressed" : "");
    run.out["limits_other_processes_cores"] = others;
  }
  run.out["limits"] = {{"ed25519_verify_1thread_per_s", lim.verify1},
                       {"ed25519_verify_2threads_per_s", lim.verify2},
                       {"ed25519_verify_allcores_per_s", lim.verify_all},
                       {"all_cores", lim.all_cores},
                       {"ed25519_sign_1thread_per_s", lim.sign1},
                       {"rocksdb_sync_batch_size", lim.rocks.batch_size},
                       {"rocksdb_value_bytes", lim.rocks.value_bytes},
                       {"rocksdb_sync_batch_puts_per_s", lim.rocks.batch_puts_per_s},
                       {"rocksdb_sync_batches_per_s", lim.rocks.batches_per_s},
                       {"rocksdb_sync_single_puts_per_s", lim.rocks.single_puts_per_s}};
  run.verify2 = lim.verify2;
}

// Scenario 2: the server (in-process, or --server), its operator, the participants registered.
void ConnectServer(Run& run) {
  const Flags& f = run.f;
  run.target = f.server_addr;
  if (f.server_addr.empty()) {
    ts::ServerOptions so;
    so.ledger.data_dir = f.data_dir;
    so.ledger.cached_leaves = f.cached_leaves;
    so.ledger.group_linger = absl::Microseconds(f.group_linger_us);
    so.ledger.scrub_entries_per_second = f.scrub_rate;
    so.min_handler_threads = f.min_handler_threads;
    so.max_handler_threads = f.max_handler_threads;
    so.listen = "127.0.0.1:0";
    // Threads created while the ledger opens (its sequencer) inherit this name.
    SetThreadName("ts-sequencer");
    auto started = ts::Server::Start(so);
    SetThreadName("append_bench");
    if (!started.ok()) Die(absl::StrCat("starting the server: ", started.status().ToString()));
    run.server = std::move(*started);
    run.target = absl::StrCat("127.0.0.1:", run.server->port());
    std::cout << "\nserver: in-process touchstoned on " << run.target << ", data dir " << f.data_dir
              << ", durability: one synced RocksDB WriteBatch per commit group (sync=true)\n"
              << "        gRPC handler threads min " << f.min_handler_threads << " max "
              << f.max_handler_threads << ", receipts from memory for the newest "
              << f.cached_leaves << " leaves, commit group linger " << f.group_linger_us
              << " us, scrub " << f.scrub_rate << " entries/s\n";
  } else {
    std::cout << "\nserver: " << run.target
              << " (remote; limits above are of this client machine)\n";
  }
  std::string operator_key_path = f.operator_key_path;
  if (operator_key_path.empty()) {
    if (f.data_dir.empty()) Die("--server needs --operator_key or --data_dir");
    operator_key_path = f.data_dir + "/operator.pem";
  }
  auto op_key = ts::PrivateKey::LoadPemFile(operator_key_path);
  if (!op_key.ok()) Die(absl::StrCat("operator key: ", op_key.status().ToString()));
  Identity op{f.operator_id, *op_key};

  run.info_channel = MakeChannels(run.target, 1)[0];
  run.info_stub = v1::Ledger::NewStub(run.info_channel);
  run.log_start = LogSize(*run.info_stub);

  run.factory->set_origin(LogOrigin(*run.info_stub));
  RegisterParticipants(*run.info_stub, op, run.ids, run.nonce);
  std::cout << "registered " << run.ids.size() << " participants; log size at start "
            << run.log_start << "\n";
  run.sign_threads = run.ncpu;
}

// Scenario 3: single-record Submit at each --clients count.
void RunSubmitPoints(Run& run) {
  const Flags& f = run.f;
  std::cout << "\n-- Submit: one record per call, durable (acked after its group's synced "
               "commit); "
            << f.seconds << " s per point after " << f.warmup << " s warmup\n";
  for (int clients : f.client_counts) {
    if (clients < 1) continue;
    auto pool = run.Presign(run.PoolFor(f.seconds, clients));
    PointResult r = RunPoint(run.target, clients, f.clients_per_channel, f.warmup, f.seconds,
                             pool.size(), false, *run.info_stub,
                             [&](v1::Ledger::Stub& stub, size_t i, ClientLog& log, auto in_window) {
                               grpc::ClientContext ctx;
                               v1::Receipt receipt;
                               const auto t1 = Clock::now();
                               grpc::Status s = stub.Submit(Deadline(ctx), pool[i], &receipt);
                               const auto t2 = Clock::now();
                               if (!in_window(t2)) return;
                               if (s.ok()) {
                                 ++log.acked;
                                 if (receipt.duplicate()) ++log.duplicates;
                                 log.latency_us.push_back(MicrosSince(t1, t2));
                                 log.tree_sizes.push_back(receipt.tree_size());
                               } else {
                                 log.latency_us.push_back(MicrosSince(t1, t2));
                                 NoteError(log, s.error_code(), s.error_message());
                               }
                             });
    r.kind = "submit";
    for (size_t i = r.consumed; i < pool.size(); ++i) run.spare.push_back(std::move(pool[i]));
    if (r.rate > run.best_rate) {
      run.best_rate = r.rate;
      run.best_clients = clients;
    }
    PrintPoint(r, "acked");
    run.submit_results.push_back(std::move(r));
  }
}

// Scenario 4: the reference points, Submit refused before and after verification.
void RunReferencePoints(Run& run) {
  const Flags& f = run.f;
  if (f.floor_clients <= 0) return;
  std::cout << "\n-- reference: Submit refused by the server (nothing appended), "
            << f.floor_clients << " clients, " << f.floor_seconds << " s each\n";
  // Same bytes as real records; refused before verification (a key the signer
  // does not have) or after it (a corrupted signature).
  const size_t n = 2000;
  auto base = SignPool(*run.factory, run.next_seq, n, run.sign_threads);
  run.next_seq += n;
  const std::string bogus_key = ts::PrivateKey::Generate()->public_key().Fingerprint();
  std::vector<v1::SubmitRequest> unknown_key(n), bad_sig(n);
  for (size_t i = 0; i < n; ++i) {
    v1::Record rec;
    rec.ParseFromString(base[i].record());
    rec.set_key_id(bogus_key);
    unknown_key[i].set_record(ts::SerializeRecord(rec));
    unknown_key[i].set_signature(base[i].signature());
    bad_sig[i] = base[i];
    std::string sig = base[i].signature();
    sig[5] ^= 0x01;
    bad_sig[i].set_signature(sig);
  }
  struct Ref {
    const char* kind;
    const char* label;
    std::vector<v1::SubmitRequest>* pool;
    int expect;
  };
  for (const Ref& ref :
       {Ref{"floor_refused_before_verify", "refused before verify (gRPC + parse + key lookup)",
            &unknown_key, grpc::NOT_FOUND},
        Ref{"floor_refused_after_verify", "refused after verify (gRPC + parse + verify)", &bad_sig,
            grpc::INVALID_ARGUMENT}}) {
    auto& pool = *ref.pool;
    std::atomic<uint64_t> unexpected{0};
    PointResult r = RunPoint(run.target, f.floor_clients, f.clients_per_channel, f.warmup,
                             f.floor_seconds, pool.size(), true, *run.info_stub,
                             [&](v1::Ledger::Stub& stub, size_t i, ClientLog& log, auto in_window) {
                               grpc::ClientContext ctx;
                               v1::Receipt receipt;
                               const auto t1 = Clock::now();
                               grpc::Status s = stub.Submit(Deadline(ctx), pool[i], &receipt);
                               const auto t2 = Clock::now();
                               if (!in_window(t2)) return;
                               log.latency_us.push_back(MicrosSince(t1, t2));
                               if (s.error_code() == ref.expect) {
                                 ++log.acked;  // "acked" = refused as expected
                               } else {
                                 unexpected.fetch_add(1);
                                 NoteError(log, s.error_code(), s.error_message());
                               }
                             });
    r.kind = ref.kind;
    std::cout << "  " << ref.label << ":\n";
    PrintPoint(r, "calls");
    if (unexpected.load() > 0) {
      std::cout << "      WARNING: " << unexpected.load()
                << " calls did not fail as expected: " << r.first_error << "\n";
    }
    run.floor_results.push_back(std::move(r));
  }
}

// Counts the per-record results of a SubmitBatch or SubmitStream call into `log`.
template <typename Results>
void CountResults(const Results& results, ClientLog& log) {
  for (const auto& res : results) {
    if (res.code() == 0) {
      ++log.acked;
      if (res.receipt().duplicate()) ++log.duplicates;
      log.tree_sizes.push_back(res.receipt().tree_size());
    } else {
      NoteError(log, res.code(), res.message());
    }
  }
}

// Scenario 5: SubmitBatch of --batch records from --batch_clients clients.
void RunBatchPoint(Run& run) {
  const Flags& f = run.f;
  if (f.batch == 0 || f.batch_clients <= 0) return;
  const size_t batch = f.batch;
  std::cout << "\n-- SubmitBatch: " << batch << " records per call, " << f.batch_clients
            << " clients, " << f.batch_seconds << " s after " << f.warmup << " s warmup\n";
  run.best_rate = 0;  // a batch may go much faster than single submissions
  const size_t nrec = run.PoolFor(f.batch_seconds, f.batch_clients * static_cast<int>(batch));
  auto records = run.Presign(nrec);
  std::vector<v1::SubmitBatchRequest> batches(nrec / batch);
  for (size_t b = 0; b < batches.size(); ++b) {
    for (size_t i = 0; i < batch; ++i) batches[b].add_records()->Swap(&records[b * batch + i]);
  }
  records.clear();
  records.shrink_to_fit();
  PointResult r = RunPoint(run.target, f.batch_clients, f.clients_per_channel, f.warmup,
                           f.batch_seconds, batches.size(), false, *run.info_stub,
                           [&](v1::Ledger::Stub& stub, size_t i, ClientLog& log, auto in_window) {
                             grpc::ClientContext ctx;
                             v1::SubmitBatchResponse resp;
                             const auto t1 = Clock::now();
                             grpc::Status s = stub.SubmitBatch(Deadline(ctx), batches[i], &resp);
                             const auto t2 = Clock::now();
                             if (!in_window(t2)) return;
                             log.latency_us.push_back(MicrosSince(t1, t2));
                             if (!s.ok()) {
                               NoteError(log, s.error_code(), s.error_message());
                               return;
                             }
                             CountResults(resp.results(), log);
                           });
  r.kind = "submit_batch";
  r.batch = static_cast<int>(batch);
  std::cout << "  (latency is per SubmitBatch call of " << batch << " records)\n";
  PrintPoint(r, "records");
  run.batch_result = std::move(r);
}

// Scenario 6: SubmitStream, --batch records per stream call from --stream_clients clients.
void RunStreamPoint(Run& run) {
  const Flags& f = run.f;
  if (f.batch == 0 || f.stream_clients <= 0) return;
  const size_t batch = f.batch;
  std::cout << "\n-- SubmitStream: " << batch << " records per stream call, " << f.stream_clients
            << " clients, " << f.batch_seconds << " s after " << f.warmup << " s warmup\n";
  run.best_rate = 0;
  const size_t nrec = run.PoolFor(f.batch_seconds, f.stream_clients * static_cast<int>(batch));
  auto records = run.Presign(nrec);
  const size_t calls = nrec / batch;
  PointResult r = RunPoint(run.target, f.stream_clients, f.clients_per_channel, f.warmup,
                           f.batch_seconds, calls, false, *run.info_stub,
                           [&](v1::Ledger::Stub& stub, size_t i, ClientLog& log, auto in_window) {
                             grpc::ClientContext ctx;
                             const auto t1 = Clock::now();
                             auto stream = stub.SubmitStream(Deadline(ctx));
                             std::thread writer([&] {
                               for (size_t k = 0; k < batch; ++k) {
                                 if (!stream->Write(records[i * batch + k])) break;
                               }
                               stream->WritesDone();
                             });
                             std::vector<v1::SubmitResult> results;
                             results.reserve(batch);
                             for (v1::SubmitResult res; stream->Read(&res);)
                               results.push_back(std::move(res));
                             writer.join();
                             grpc::Status s = stream->Finish();
                             const auto t2 = Clock::now();
                             if (!in_window(t2)) return;
                             log.latency_us.push_back(MicrosSince(t1, t2));
                             if (!s.ok()) {
                               NoteError(log, s.error_code(), s.error_message());
                               return;
                             }
                             CountResults(results, log);
                           });
  r.kind = "submit_stream";
  r.batch = static_cast<int>(batch);
  std::cout << "  (latency is per stream call of " << batch << " records)\n";
  PrintPoint(r, "records");
  run.stream_result = std::move(r);
}

// Scenario 7: the verify limits again. Other work on a shared machine depresses a limit as
// much as a result: measure verify again now and divide by the larger (least disturbed) of
// the two.
void MeasureLimitsAgain(Run& run) {
  if (!run.f.skip_limits) {
    std::cout << "\n-- verify limits again (end of run)\n";
    const CpuSnap e0 = TakeCpuSnap();
    const double v1 = VerifyRate(1, run.f.limit_seconds, *run.pub, run.msg, run.sig);
    const double v2 = VerifyRate(2, run.f.limit_seconds, *run.pub, run.msg, run.sig);
    const double others = CpuBetween(e0, TakeCpuSnap()).others_cores;
    std::cout << absl::StrFormat(
        "  Ed25519 verify, 1 thread: %.0f /s; 2 threads: %.0f /s  (other processes %.2f cores%s)\n",
        v1, v2, others, others > 0.25 ? ": WARNING, depressed" : "");
    run.out["limits"]["ed25519_verify_1thread_per_s_end"] = v1;
    run.out["limits"]["ed25519_verify_2threads_per_s_end"] = v2;
    run.out["limits_end_other_processes_cores"] = others;
    run.verify2 = std::max(run.lim.verify2, v2);
    std::cout << absl::StrFormat(
        "  verify2 used for the ratios: %.0f /s (the larger of start %.0f "
        "and end %.0f)\n",
        run.verify2, run.lim.verify2, v2);
  }
  run.out["limits"]["verify2_used_for_ratios"] = run.verify2;
}

// The summary table, and the results as JSON (--json).
void Report(Run& run) {
  const double verify2 = run.verify2;
  std::cout << "\n== summary (verify2 = " << absl::StrFormat("%.0f", verify2) << "/s; record "
            << run.factory->record_bytes() << " B; sync on; log " << run.log_start << " -> "
            << run.log_end << " entries; nproc " << run.ncpu << ")\n";
  for (const auto& r : run.submit_results) {
    std::cout << absl::StrFormat(
        "  Submit      %4d clients: %8.0f acked/s  p50 %7.2f ms  p99 %7.2f ms  p999 %7.2f ms  "
        "errors %llu  %s  (others %.2f cores)\n",
        r.clients, r.rate, r.latency.p50, r.latency.p99, r.latency.p999,
        static_cast<unsigned long long>(r.errors), Ratio(r.rate, verify2), r.cpu.others_cores);
  }
  for (const auto& r : run.floor_results) {
    std::cout << absl::StrFormat(
        "  %-28s %4d clients: %8.0f calls/s  p50 %7.2f ms  p99 %7.2f ms  %s  (others %.2f cores)\n",
        r.kind, r.clients, r.rate, r.latency.p50, r.latency.p99,
        absl::StrFormat("calls/verify2 = %.3f", verify2 > 0 ? r.rate / verify2 : 0),
        r.cpu.others_cores);
  }
  if (run.batch_result) {
    const auto& r = *run.batch_result;
    std::cout << absl::StrFormat(
        "  SubmitBatch %4d x %-4d:   %8.0f records/s  batch p50 %7.2f ms  p99 %7.2f ms  p999 %7.2f "
        "ms  errors %llu  %s  (others %.2f cores)\n",
        r.clients, r.batch, r.rate, r.latency.p50, r.latency.p99, r.latency.p999,
        static_cast<unsigned long long>(r.errors), Ratio(r.rate, verify2), r.cpu.others_cores);
  }
  if (run.stream_result) {
    const auto& r = *run.stream_result;
    std::cout << absl::StrFormat(
        "  SubmitStream %3d x %-4d:   %8.0f records/s  call  p50 %7.2f ms  p99 %7.2f ms  p999 "
        "%7.2f ms  errors %llu  %s  (others %.2f cores)\n",
        r.clients, r.batch, r.rate, r.latency.p50, r.latency.p99, r.latency.p999,
        static_cast<unsigned long long>(r.errors), Ratio(r.rate, verify2), r.cpu.others_cores);
  }
  std::cout << "  loadavg at end " << LoadAvg() << "\n";

  const Flags& f = run.f;
  json& out = run.out;
  out["config"] = {{"server", f.server_addr.empty() ? "in-process" : f.server_addr},
                   {"target", run.target},
                   {"record_bytes", run.factory->record_bytes()},
                   {"record_bytes_target", f.record_bytes},
                   {"record_type", "LotCreated"},
                   {"sealed", f.sealed},
                   {"participants", f.participants},
                   {"seconds", f.seconds},
                   {"warmup", f.warmup},
                   {"clients_per_channel", f.clients_per_channel},
                   {"durability", "sync=true (one synced WriteBatch per commit group)"}};
  out["log_size_start"] = run.log_start;
  out["log_size_end"] = run.log_end;
  out["machine"]["loadavg_end"] = LoadAvg();
  out["submit"] = json::array();
  for (const auto& r : run.submit_results) out["submit"].push_back(PointJson(r, verify2));
  out["reference"] = json::array();
  for (const auto& r : run.floor_results) out["reference"].push_back(PointJson(r, verify2));
  if (run.batch_result) out["submit_batch"] = PointJson(*run.batch_result, verify2);
  if (run.stream_result) out["submit_stream"] = PointJson(*run.stream_result, verify2);

  if (!f.json_path.empty()) {
    std::ofstream file(f.json_path);
    file << out.dump(2) << "\n";
    if (!file) Die("cannot write " + f.json_path);
    std::cout << "wrote " << f.json_path << "\n";
  }
}

// Stops the server and removes the temporary work directory (unless --keep_data).
void CleanUp(Run& run) {
  run.info_stub.reset();
  run.info_channel.reset();
  if (run.server) run.server->Shutdown();
  run.server.reset();
  if (run.own_dir && !run.f.keep_data) {
    std::error_code ec;
    std::filesystem::remove_all(run.work_dir, ec);
  } else if (run.own_dir) {
    std::cout << "kept " << run.work_dir << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  SetThreadName("append_bench");
  Run run;
  CLI::App app{
      "append_bench: durable append throughput of touchstoned over gRPC, beside this "
      "machine's Ed25519 and RocksDB limits measured in the same run"};
  AddFlags(app, run.f);
  CLI11_PARSE(app, argc, argv);
  if (run.f.batch_seconds < 0) run.f.batch_seconds = run.f.seconds;
  if (run.f.clients_per_channel < 1) run.f.clients_per_channel = 1;
  if (run.f.participants < 1) run.f.participants = 1;

  DescribeMachine(run);
  MakeWorkDir(run);
  MakeRecords(run);
  MeasureLimits(run);
  ConnectServer(run);
  RunSubmitPoints(run);
  RunReferencePoints(run);
  RunBatchPoint(run);
  RunStreamPoint(run);
  run.log_end = LogSize(*run.info_stub);
  MeasureLimitsAgain(run);
  Report(run);
  CleanUp(run);
  return 0;
}
