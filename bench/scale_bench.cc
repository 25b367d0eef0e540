// scale_bench: how Touchstone behaves as the log grows, and what serving and
// checking a piece's bundle costs.
//
// For each --sizes N (default 10^4 and 10^6):
//  1. Builds a log of N entries through the core library (ledger/ledger.h, no
//     gRPC): a provenance story of about a dozen records for piece RING-1 at the
//     start of the log (the oldest entries: their proofs read the most from
//     storage), then 700-byte LotCreated fillers by 16 participants, pre-signed
//     in chunks of --chunk and appended with SubmitBatch (durable, sync on).
//     Prints the append rate of the first 2*10^4 and of the last 2*10^4 entries.
//     From --direct_fill_above entries on, only those 2 x 2*10^4 are appended
//     through the ledger; the entries between are written straight into its
//     storage (DirectFill: the same entry layout, hash chain, tree nodes, leaf
//     and record-id indexes, and a checkpoint signed by the operator key, but
//     random signature bytes and no rule state), because signing and verifying
//     10^7 records would take this machine most of an hour. Every figure after
//     the build is measured on the filled log through the real code.
//  2. Proof latency in-process: InclusionProof of random leaves at size N.
//  3. Closes the ledger; bytes on disk per entry beside the entry bytes.
//  4. Starts touchstoned (a separate process) on that data directory: time from
//     exec to the first answered GetLogInfo, and the server's RSS.
//  5. GetPieceBundle("RING-1") from --clients clients for --seconds: bundles/s and
//     latency; GetInclusionProof of random leaves the same way.
//  6. Offline verification (ledger/bundle/bundle_verify.h) of the fetched bundle,
//     in-process: time per bundle.
// See bench/README.md.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "grpcpp/grpcpp.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/impact.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/compact_range.h"
#include "ledger/log/entry_format.h"
#include "ledger/store/store.h"
#include "ledger/worker_pool.h"
#include "nlohmann/json.hpp"
#include "proto/ledger_service.grpc.pb.h"
#include "proto/provenance_service.grpc.pb.h"
#include "tests/rules_test_util.h"

namespace touchstone {
namespace {

using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using testing::Identity;

// What the impact of a recall is measured from: two certificates (the
// refiner's 4 items, the wide split's 386) and the refiner itself (both).
struct ImpactRoot {
  const char* kind;  // "certificate" or "participant"
  const char* id;
};
constexpr ImpactRoot kImpactRoots[] = {
    {"certificate", "cert-refiner"}, {"certificate", "cert-wide"}, {"participant", "refiner"}};

double Secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string LoadAvg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

pid_t server_pid = 0;  // the running touchstoned, stopped on Die

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "scale_bench: " << what << std::endl;
  if (server_pid > 0) kill(server_pid, SIGTERM);
  std::exit(1);
}

struct Latencies {
  std::vector<double> us;
  double Pct(double p) {
    if (us.empty()) return 0;
    std::sort(us.begin(), us.end());
    return us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))];
  }
};

// A ledger in a temp dir (removed at exit) with the fixture's record builders.
class Story : public testing::RulesFixture {
 public:
  void TestBody() override {}

  // About a dozen records in RING-1's graph: participants, a certificate, a
  // recycled gold lot cast by a maker, a lab-grown stone cut and graded, the piece.
  void Seed() {
    const Identity refiner = Register("refiner", v1::ROLE_REFINER);
    const Identity maker = Register("maker", v1::ROLE_MANUFACTURER);
    const Identity grower = Register("grower", v1::ROLE_GROWER);
    const Identity lab = Register("lab", v1::ROLE_CERTIFIER);
    const Identity jeweler = Register("jeweler", v1::ROLE_JEWELER);
    const Identity scheme = Register("scheme", v1::ROLE_CERTIFIER);
    const int64_t from = NextTime() - testing::kHourMicros;
    Accept(Certificate(scheme, "cert-refiner", "refiner", from));
    Accept(GoldLot(refiner, "grain-1", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 100000, 750,
                   {"cert-refiner"}));
    Transfer(refiner, maker, "grain-1");
    Accept(Transform(maker, "cast", v1::PROCESS_CAST, "gold", {{"grain-1", 100000}},
                     {{"cast-1", 99000, 750, "castings"}}, 750000));
    Transfer(maker, jeweler, "cast-1");
    GradedStone(grower, lab, jeweler, "stone-1", v1::ORIGIN_CLASS_LAB_GROWN, 520);
    Accept(Piece(jeweler, "RING-1", {"stone-1"}, {{"cast-1", 3850}},
                 {v1::CLAIM_RECYCLED_METAL, v1::CLAIM_LAB_GROWN_DIAMONDS}));
    // A wider graph for the impact of a recall: a certified lot split into 64,
    // each split into 4 (1 + 64 + 256 lots, 65 transformations).
    Accept(Certificate(scheme, "cert-wide", "refiner", from));
    Accept(GoldLot(refiner, "wide", v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER, 6'400'000, 750,
                   {"cert-wide"}));
    std::vector<testing::Out> outs;
    for (int i = 0; i < 64; ++i) outs.push_back({"wide-" + std::to_string(i), 100'000, 750});
    Accept(
        Transform(refiner, "split-wide", v1::PROCESS_SPLIT, "gold", {{"wide", 6'400'000}}, outs));
    for (int i = 0; i < 64; ++i) {
      std::vector<testing::Out> quarters;
      for (int j = 0; j < 4; ++j) {
        quarters.push_back({absl::StrFormat("wide-%d-%d", i, j), 25'000, 750});
      }
      Accept(Transform(refiner, "split-wide-" + std::to_string(i), v1::PROCESS_SPLIT, "gold",
                       {{"wide-" + std::to_string(i), 100'000}}, quarters));
    }
    for (int i = 0; i < 16; ++i) {
      fillers.push_back(Register("filler-" + std::to_string(i), v1::ROLE_REFINER));
    }
  }

  using RulesFixture::CloseLedger;
  using RulesFixture::data_dir;
  using RulesFixture::ledger;
  using RulesFixture::origin;
  using RulesFixture::ReopenLedger;

  std::vector<Identity> fillers;
};

// A 700-byte LotCreated.
v1::Record Filler(const Identity& who, uint64_t n) {
  v1::Record r = testing::LotRecord(who, "f" + std::to_string(n));
  const size_t size = SerializeRecord(r).size();
  if (size < 700) r.mutable_lot_created()->mutable_note()->append(700 - size, 'n');
  return r;
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

uint64_t StatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

// Calls `call` from `clients` threads for `seconds`; returns calls/s and latencies.
template <typename Call>
std::pair<double, Latencies> Load(int clients, double seconds, Call call) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> errors{0};
  std::vector<Latencies> lat(clients);
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937_64 rng(c);
      while (!stop.load()) {
        const auto s = Clock::now();
        if (!call(rng)) errors++;
        lat[c].us.push_back(Secs(Clock::now() - s) * 1e6);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = Secs(Clock::now() - t0);
  Latencies all;
  for (auto& l : lat) all.us.insert(all.us.end(), l.us.begin(), l.us.end());
  if (errors > 0) std::cout << "    WARNING: " << errors << " calls failed\n";
  return {all.us.size() / elapsed, std::move(all)};
}

// Writes `count` filler entries straight into the stopped ledger's storage in
// `dir` (see the file comment), from record number `first` on, and a checkpoint
// of the result signed by the operator key. Returns the entry bytes written.
uint64_t DirectFill(const std::string& dir, const std::string& origin,
                    const std::vector<Identity>& fillers, uint64_t first, uint64_t count,
                    WorkerPool& pool) {
  auto store = Store::Open({.path = dir + "/db"});
  if (!store.ok()) Die(store.status().ToString());
  const auto read = [&](int level, uint64_t index) { return (*store)->GetNode(level, index); };
  uint64_t size = (*store)->ReadTreeSize().value();
  CompactRange tree = CompactRange::FromNodes(size, read).value();
  Hash prev = read(0, size - 1).value();
  const int64_t now = absl::ToUnixMicros(absl::Now());
  std::mt19937_64 rng(7);
  uint64_t bytes = 0;
  constexpr uint64_t kChunk = 10'000;
  std::vector<NewNode> nodes;
  for (uint64_t done = 0; done < count;) {
    const uint64_t k = std::min(kChunk, count - done);
    std::vector<std::string> records(k);
    pool.ParallelFor(k, [&](size_t i) {
      records[i] =
          SerializeRecord(Filler(fillers[(first + done + i) % fillers.size()], first + done + i));
    });
    StoreBatch batch = (*store)->NewBatch();
    for (uint64_t i = 0; i < k; ++i) {
      std::string sig(64, '\0');
      for (char& c : sig) c = static_cast<char>(rng());
      const std::string entry = EncodeEntry(size, now, prev, records[i], sig);
      const Hash leaf = LeafHash(entry);
      const Identity& who = fillers[(first + done + i) % fillers.size()];
      batch.PutEntry(size, entry);
      batch.PutLeafIndex(leaf, size);
      batch.PutRecordId(who.id, "f" + std::to_string(first + done + i), size);
      nodes.clear();
      tree.Append(leaf, &nodes);
      for (const NewNode& n : nodes) batch.PutNode(n.level, n.index, n.hash);
      prev = leaf;
      bytes += entry.size();
      ++size;
    }
    batch.PutTreeSize(size);
    if (absl::Status st = (*store)->Commit(batch); !st.ok()) Die(st.ToString());
    done += k;
    if (done % (count / 10 / kChunk * kChunk + kChunk) < kChunk || done == count) {
      std::cout << absl::StrFormat("  filled %d entries directly, loadavg %s\n", size, LoadAvg());
    }
  }
  auto signer = NoteSigner::Create(origin, PrivateKey::LoadPemFile(dir + "/operator.pem").value());
  StoreBatch batch = (*store)->NewBatch();
  batch.PutCheckpoint(size,
                      signer->Sign(Checkpoint{origin, size, tree.Root(), {}}.ToText()).value());
  if (absl::Status st = (*store)->Commit(batch); !st.ok()) Die(st.ToString());
  return bytes;
}

json RunSize(uint64_t target, const std::string& touchstoned, int clients, double seconds,
             size_t chunk, uint64_t direct_fill_above, WorkerPool& pool) {
  json out;
  std::cout << absl::StrFormat("\n== log of %d entries (loadavg %s)\n", target, LoadAvg());
  Story story;
  story.Seed();
  const uint64_t story_end = story.ledger().Size();

  // ---- build
  uint64_t n = 0, entry_bytes = 0;
  double early_s = 0, late_s = 0, submit_s = 0;
  uint64_t early_n = 0, late_n = 0;
  const auto build0 = Clock::now();
  const bool fill = target > direct_fill_above && target > story_end + 60'000;
  double fill_s = 0;
  uint64_t filled = 0;
  while (story.ledger().Size() < target) {
    Ledger& ledger = story.ledger();
    if (fill && filled == 0 && ledger.Size() >= story_end + 20'000) {
      // The middle of the log, straight into storage; the last 2*10^4 through the ledger again.
      const std::string origin = ledger.Info().origin;
      filled = target - 20'000 - ledger.Size();
      story.CloseLedger();
      const auto f0 = Clock::now();
      entry_bytes += DirectFill(story.data_dir(), origin, story.fillers, n, filled, pool);
      fill_s = Secs(Clock::now() - f0);
      n += filled;
      story.ReopenLedger();
      continue;
    }
    const size_t k = std::min<uint64_t>(chunk, target - ledger.Size());
    std::vector<std::pair<std::string, std::string>> batch(k);
    pool.ParallelFor(k, [&](size_t i) {
      const Identity& who = story.fillers[(n + i) % story.fillers.size()];
      batch[i] = testing::Signed(who, Filler(who, n + i), story.origin());
    });
    for (const auto& [rec, sig] : batch) entry_bytes += kEntryHeaderSize + rec.size() + sig.size();
    const uint64_t before = ledger.Size();
    const auto t = Clock::now();
    auto results = ledger.SubmitBatch(std::move(batch));
    const double dt = Secs(Clock::now() - t);
    if (!results.ok()) Die(results.status().ToString());
    for (const auto& r : *results) {
      if (!r.ok()) Die(r.status().ToString());
    }
    n += k;
    submit_s += dt;
    if (before < 20'000 + story_end) early_s += dt, early_n += k;
    if (before + 20'000 >= target) late_s += dt, late_n += k;
    if ((n / chunk) % std::max<uint64_t>(1, target / chunk / 10) == 0) {
      std::cout << absl::StrFormat("  built %d entries, %.0f s, loadavg %s\n", ledger.Size(),
                                   Secs(Clock::now() - build0), LoadAvg())
                << std::flush;
    }
  }
  Ledger& ledger = story.ledger();
  const uint64_t size = ledger.Size();
  const double early = early_n / early_s, late = late_n / late_s;
  const uint64_t appended = n - filled;
  std::cout << absl::StrFormat(
      "  append (SubmitBatch of %d, in-process, sync on): overall %.0f/s over %d appends, first "
      "2e4 entries %.0f/s, last 2e4 entries %.0f/s (last/first %.2f); build wall time %.0f s\n",
      chunk, appended / submit_s, appended, early, late, late / early, Secs(Clock::now() - build0));
  if (filled > 0) {
    std::cout << absl::StrFormat(
        "  (entries %d..%d written straight into storage in %.0f s: not appends, see the file "
        "comment)\n",
        story_end + early_n, story_end + early_n + filled - 1, fill_s);
  }
  out["size"] = size;
  out["direct_filled"] = filled;
  out["append_per_s"] = {
      {"overall", appended / submit_s}, {"first_2e4", early}, {"last_2e4", late}};

  // ---- proofs in-process
  {
    std::mt19937_64 rng(1);
    Latencies lat;
    const std::string note = ledger.LatestCheckpoint().second;
    for (int i = 0; i < 20000; ++i) {
      const uint64_t index = rng() % size;
      const auto t = Clock::now();
      // As served: the entry read for its leaf hash, the proof, its check.
      auto proof = ledger.InclusionProof(index, note);
      lat.us.push_back(Secs(Clock::now() - t) * 1e6);
      if (!proof.ok()) Die(proof.status().ToString());
    }
    std::cout << absl::StrFormat(
        "  inclusion proof in-process (random leaf, %d hashes): p50 %.1f us  p99 %.1f us\n",
        static_cast<int>(std::bit_width(size - 1)), lat.Pct(0.5), lat.Pct(0.99));
    out["proof_inprocess_us"] = {{"p50", lat.Pct(0.5)}, {"p99", lat.Pct(0.99)}};
  }

  // ---- impact of a recall, in-process: the same two subgraphs at every log size
  {
    json impact = json::object();
    for (const ImpactRoot& root : kImpactRoots) {
      const char* cert = root.id;
      v1::ImpactQuery q;
      if (absl::string_view(root.kind) == "participant") {
        q.set_participant(cert);
      } else {
        q.set_certificate(cert);
      }
      auto first = Impact(ledger, q);
      if (!first.ok()) Die(first.status().ToString());
      // The floor: reading the entries the answer's paths name, and nothing else.
      std::vector<uint64_t> indices;
      for (const v1::ImpactItem& item : first->items()) {
        indices.insert(indices.end(), item.path().begin(), item.path().end());
      }
      std::sort(indices.begin(), indices.end());
      indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
      const int rounds = first->items_size() > 100 ? 51 : 501;
      Latencies walk, floor;
      for (int r = 0; r < rounds; ++r) {
        auto t = Clock::now();
        auto a = Impact(ledger, q);
        walk.us.push_back(Secs(Clock::now() - t) * 1e6);
        if (!a.ok() || a->items_size() != first->items_size()) Die("impact changed");
        t = Clock::now();
        for (uint64_t i : indices) {
          if (!ledger.GetEntry(i).ok()) Die("entry read failed");
        }
        floor.us.push_back(Secs(Clock::now() - t) * 1e6);
      }
      const double w = walk.Pct(0.5), f = floor.Pct(0.5);
      std::cout << absl::StrFormat(
          "  impact of %s %s (%d items, %d entries on their paths): median %.0f us over "
          "%d runs (%.1f us per item); reading those entries alone: median %.0f us (walk/read "
          "%.1f)\n",
          root.kind, cert, first->items_size(), indices.size(), w, rounds, w / first->items_size(),
          f, w / f);
      impact[cert] = {{"items", first->items_size()},
                      {"entries", indices.size()},
                      {"median_us", w},
                      {"read_entries_median_us", f}};
    }
    out["impact"] = std::move(impact);
  }

  // ---- disk
  story.CloseLedger();
  const std::string dir = story.data_dir();
  const uint64_t disk = DirBytes(dir + "/db");
  const double per_entry = static_cast<double>(disk) / size;
  const double mean_entry = static_cast<double>(entry_bytes) / std::max<uint64_t>(1, n);
  // Each leaf adds about two tree nodes of 32 bytes (leaf hash and, on average, one interior).
  const double allowance = 1.5 * mean_entry + 64;
  std::cout << absl::StrFormat(
      "  disk: %.1f MiB, %.0f B per entry; mean entry %.0f B; target <= 1.5 x entry + 64 B of "
      "tree hashes = %.0f B -> %s\n",
      disk / 1048576.0, per_entry, mean_entry, allowance,
      per_entry <= allowance ? "met" : "MISSED");
  out["disk"] = {{"bytes", disk}, {"per_entry", per_entry}, {"mean_entry_bytes", mean_entry}};

  // ---- touchstoned: start to serving, RSS
  const std::string port_file = dir + "/port";
  const auto start0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    execl(touchstoned.c_str(), touchstoned.c_str(), "--data_dir", dir.c_str(), "--listen",
          "127.0.0.1:0", "--port_file", port_file.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  server_pid = pid;
  std::string port;
  while (port.empty()) {
    std::ifstream in(port_file);
    in >> port;
    if (Secs(Clock::now() - start0) > 120) Die("touchstoned did not start");
    if (port.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  auto channel = grpc::CreateChannel("127.0.0.1:" + port, grpc::InsecureChannelCredentials());
  auto ledger_stub = v1::Ledger::NewStub(channel);
  v1::LogInfo info;
  for (;;) {
    grpc::ClientContext ctx;
    if (ledger_stub->GetLogInfo(&ctx, v1::GetLogInfoRequest(), &info).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double start_s = Secs(Clock::now() - start0);
  const uint64_t rss_start = StatusKb(pid, "VmRSS");
  std::cout << absl::StrFormat(
      "  touchstoned: start to serving (exec to first GetLogInfo answered) %.3f s; RSS %.1f MiB\n",
      start_s, rss_start / 1024.0);
  out["start_to_serving_s"] = start_s;

  // ---- bundles over gRPC
  std::vector<std::unique_ptr<v1::Provenance::Stub>> stubs;
  std::vector<std::unique_ptr<v1::Ledger::Stub>> lstubs;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("touchstone.channel", c);  // one connection per client
    args.SetMaxReceiveMessageSize(64 << 20);
    auto ch =
        grpc::CreateCustomChannel("127.0.0.1:" + port, grpc::InsecureChannelCredentials(), args);
    stubs.push_back(v1::Provenance::NewStub(ch));
    lstubs.push_back(v1::Ledger::NewStub(ch));
  }
  v1::PieceBundle bundle;
  {
    grpc::ClientContext ctx;
    v1::LookupRequest req;
    req.set_id("RING-1");
    grpc::Status s = stubs[0]->GetPieceBundle(&ctx, req, &bundle);
    if (!s.ok()) Die("GetPieceBundle: " + s.error_message());
  }
  std::atomic<int> next_client{0};
  thread_local int my_client = -1;
  auto client_index = [&] {
    if (my_client < 0) my_client = next_client++ % clients;
    return my_client;
  };
  {
    auto [rate, lat] = Load(clients, seconds, [&](std::mt19937_64&) {
      grpc::ClientContext ctx;
      v1::LookupRequest req;
      req.set_id("RING-1");
      v1::PieceBundle b;
      return stubs[client_index()]->GetPieceBundle(&ctx, req, &b).ok();
    });
    std::cout << absl::StrFormat(
        "  GetPieceBundle RING-1 (%d entries, %d bytes), %d clients: %.0f bundles/s  p50 %.2f ms  "
        "p99 %.2f ms\n",
        bundle.entries_size(), bundle.ByteSizeLong(), clients, rate, lat.Pct(0.5) / 1000,
        lat.Pct(0.99) / 1000);
    out["bundle"] = {{"entries", bundle.entries_size()},
                     {"bytes", bundle.ByteSizeLong()},
                     {"per_s", rate},
                     {"p50_ms", lat.Pct(0.5) / 1000},
                     {"p99_ms", lat.Pct(0.99) / 1000}};
  }
  next_client = 0;
  my_client = -1;
  {
    auto [rate, lat] = Load(clients, seconds, [&](std::mt19937_64& rng) {
      grpc::ClientContext ctx;
      v1::GetInclusionProofRequest req;
      req.set_index(rng() % size);
      v1::InclusionProofResponse resp;
      return lstubs[client_index()]->GetInclusionProof(&ctx, req, &resp).ok();
    });
    std::cout << absl::StrFormat(
        "  GetInclusionProof random leaf, %d clients: %.0f/s  p50 %.2f ms  p99 %.2f ms\n", clients,
        rate, lat.Pct(0.5) / 1000, lat.Pct(0.99) / 1000);
    out["proof_grpc"] = {
        {"per_s", rate}, {"p50_ms", lat.Pct(0.5) / 1000}, {"p99_ms", lat.Pct(0.99) / 1000}};
  }
  const uint64_t rss_hwm = StatusKb(pid, "VmHWM");
  std::cout << absl::StrFormat("  touchstoned peak RSS (VmHWM) after the load: %.1f MiB\n",
                               rss_hwm / 1024.0);
  out["rss_mib"] = {{"at_start", rss_start / 1024.0}, {"peak", rss_hwm / 1024.0}};
  kill(pid, SIGTERM);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  server_pid = 0;

  // ---- offline verification of the bundle
  {
    absl::StatusOr<NoteVerifier> verifier = NoteVerifier::Parse(info.verifier_key());
    if (!verifier.ok()) Die(verifier.status().ToString());
    auto first = VerifyPieceBundle(bundle, *verifier);
    if (!first.ok()) Die("the bundle does not verify: " + first.status().ToString());
    Latencies lat;
    const auto t0 = Clock::now();
    while (Secs(Clock::now() - t0) < std::min(seconds, 2.0)) {
      const auto t = Clock::now();
      auto r = VerifyPieceBundle(bundle, *verifier);
      lat.us.push_back(Secs(Clock::now() - t) * 1e6);
    }
    std::cout << absl::StrFormat(
        "  offline VerifyPieceBundle (%d entries, story entries 0..%d): p50 %.0f us  p99 %.0f us "
        "(target < 2 ms)\n",
        bundle.entries_size(), story_end, lat.Pct(0.5), lat.Pct(0.99));
    out["verify_bundle_us"] = {{"p50", lat.Pct(0.5)}, {"p99", lat.Pct(0.99)}};
  }
  out["loadavg_end"] = LoadAvg();
  return out;
}

}  // namespace
}  // namespace touchstone

int main(int argc, char** argv) {
  std::vector<uint64_t> sizes = {10'000, 1'000'000};
  int clients = 8;
  double seconds = 5;
  size_t chunk = 1000;
  uint64_t direct_fill_above = 2'000'000;
  std::string touchstoned, json_path;
  CLI::App app{
      "scale_bench: append rate, proofs, disk, RSS, start time and piece bundles as "
      "the log grows"};
  app.add_option("--sizes", sizes, "log sizes to build")->delimiter(',')->capture_default_str();
  app.add_option("--clients", clients, "concurrent gRPC clients")->capture_default_str();
  app.add_option("--seconds", seconds, "seconds per gRPC load point")->capture_default_str();
  app.add_option("--chunk", chunk, "records per SubmitBatch while building")->capture_default_str();
  app.add_option("--direct_fill_above", direct_fill_above,
                 "logs larger than this are filled straight into storage between their first "
                 "and last 2*10^4 appends (see the file comment)")
      ->capture_default_str();
  app.add_option("--touchstoned", touchstoned,
                 "the server binary (default: ../services/touchstoned beside this one)");
  app.add_option("--json", json_path, "also write the results as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  if (touchstoned.empty()) {
    touchstoned = (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() /
                   "services" / "touchstoned")
                      .string();
  }
  std::cout << std::unitbuf;  // progress shows as it happens
  std::cout << "scale_bench: nproc " << std::thread::hardware_concurrency() << ", loadavg "
            << touchstone::LoadAvg() << "\n";
  touchstone::WorkerPool pool(std::thread::hardware_concurrency(), "bench-sign");
  nlohmann::json all = nlohmann::json::array();
  for (uint64_t size : sizes) {
    all.push_back(
        touchstone::RunSize(size, touchstoned, clients, seconds, chunk, direct_fill_above, pool));
  }
  // Impact's cost against the log's size: the same subgraphs at the smallest and largest log.
  if (all.size() > 1) {
    for (const auto& root : touchstone::kImpactRoots) {
      const char* cert = root.id;
      const double small = all.front()["impact"][cert]["median_us"].get<double>();
      const double large = all.back()["impact"][cert]["median_us"].get<double>();
      std::cout << absl::StrFormat(
          "impact of %s: %.0f us at %d entries, %.0f us at %d entries (ratio %.2f for %.0fx the "
          "log)\n",
          cert, small, all.front()["size"].get<uint64_t>(), large,
          all.back()["size"].get<uint64_t>(), large / small,
          all.back()["size"].get<double>() / all.front()["size"].get<double>());
    }
  }
  if (!json_path.empty()) std::ofstream(json_path) << all.dump(2) << "\n";
  return 0;
}
