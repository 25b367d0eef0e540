// replication_bench: what the replicated writer (docs/replication.md) costs on
// this machine, beside a single node and this machine's limits, in one run.
//
// 1. Limits: Ed25519 verify on 2 threads and RocksDB synced WriteBatch rate.
// 2. Single node: one touchstoned (its own process, 127.0.0.1:0); Submit from
//    --clients concurrent clients for --seconds, --runs times: rate and p99.
// 3. Replicated: a 3-member etcd cluster (Debian's etcd-server, loopback
//    ports, its own data directories) and 3 touchstoned replicas; the same
//    load against the leader, --runs times.
// 4. Failover, --failovers times: under a light load, the leader is killed
//    (SIGKILL); the time from the kill to the first acknowledged append on the
//    new leader. The killed replica is restarted before the next one.
// Medians of the runs, with their spread (min-max), and each result beside
// its goal (replicated >= 0.5 x single node; failover < 5 s).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/bench_common.h"
#include "bench/bench_limits.h"
#include "bench/bench_machine.h"
#include "services/etcd_client.h"
#include "tests/server_process.h"

extern char** environ;

namespace {

using namespace touchstone::bench;  // NOLINT: the shared bench helpers
using touchstone::EtcdClient;
using touchstone::testing::ServerProcess;

struct Flags {
  std::string touchstoned;
  std::string etcd = "/usr/bin/etcd";
  std::string work_dir;
  int clients = 32;
  double seconds = 5;
  int runs = 3;
  int failovers = 5;
  int record_bytes = 512;
};

// A child process (etcd), killed and reaped on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& log) {
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      Die("cannot start " + args[0]);
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = 0;
};

int FreePort() {
  // Bind port 0, read it, close: free now (a race with other processes is possible, rare).
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    Die("no free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// Whether something accepts TCP connections on 127.0.0.1:port.
bool Accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  ::close(fd);
  return ok;
}

// A 3-member etcd cluster on loopback.
class EtcdCluster {
 public:
  explicit EtcdCluster(const Flags& f) {
    std::vector<int> client, peer;
    std::string initial;
    for (int i = 0; i < 3; ++i) {
      client.push_back(FreePort());
      peer.push_back(FreePort());
      absl::StrAppend(&initial, i ? "," : "", "m", i, "=http://127.0.0.1:", peer[i]);
    }
    for (int i = 0; i < 3; ++i) {
      const std::string c = absl::StrCat("http://127.0.0.1:", client[i]);
      const std::string p = absl::StrCat("http://127.0.0.1:", peer[i]);
      members_.push_back(
          std::make_unique<Child>(std::vector<std::string>{f.etcd,
                                                           "--name",
                                                           absl::StrCat("m", i),
                                                           "--data-dir",
                                                           absl::StrCat(f.work_dir, "/etcd-m", i),
                                                           "--listen-client-urls",
                                                           c,
                                                           "--advertise-client-urls",
                                                           c,
                                                           "--listen-peer-urls",
                                                           p,
                                                           "--initial-advertise-peer-urls",
                                                           p,
                                                           "--initial-cluster",
                                                           initial,
                                                           "--initial-cluster-state",
                                                           "new",
                                                           "--log-level",
                                                           "warn",
                                                           "--logger",
                                                           "zap"},
                                  absl::StrCat(f.work_dir, "/etcd-m", i, ".log")));
      endpoints_.push_back(absl::StrCat("127.0.0.1:", client[i]));
    }
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (int port : client) {
      while (!Accepts(port)) {
        if (Clock::now() > deadline) Die(absl::StrCat("etcd did not listen on ", port, " in 30 s"));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    client_ = EtcdClient::Connect(endpoints_, absl::Seconds(2)).value();
    for (;;) {
      absl::StatusOr<etcdserverpb::RangeResponse> r = client_->Range("health", "");
      if (r.ok()) break;
      if (Clock::now() > deadline) Die("etcd did not start in 30 s: " + r.status().ToString());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  std::string endpoints() const { return absl::StrJoin(endpoints_, ","); }
  const EtcdClient& client() const { return *client_; }
  std::vector<pid_t> pids() const {
    std::vector<pid_t> out;
    for (const auto& m : members_) out.push_back(m->pid());
    return out;
  }
  // The leader's replica id as etcd names it ("" if none).
  std::string Leader(const std::string& origin) const {
    auto r = client_->Range(absl::StrCat("/touchstone/", origin, "/leader"), "");
    if (!r.ok() || r->kvs().empty()) return "";
    const std::string& value = r->kvs(0).value();
    return value.substr(0, value.find('\n'));
  }

 private:
  std::vector<std::unique_ptr<Child>> members_;
  std::vector<std::string> endpoints_;
  std::unique_ptr<EtcdClient> client_;
};

// One touchstoned process.
struct Node {
  std::string data_dir, port_file, log;
  std::vector<std::string> args;
  std::unique_ptr<ServerProcess> proc;
  std::string address;
  void Start(const Flags& f) {
    proc = ServerProcess::Spawn(f.touchstoned, data_dir, port_file, log, args).value();
    absl::StatusOr<int> port = proc->WaitForPort(std::chrono::milliseconds(60000));
    if (!port.ok()) Die(absl::StrCat("touchstoned: ", port.status().ToString(), "\n", log));
    address = absl::StrCat("127.0.0.1:", *port);
  }
};

// CPU seconds (user + system) process `pid` has used; 0 if it is gone.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string comm;
  uint64_t ticks = 0;
  if (!ParseStat(stat, &comm, &ticks)) return 0;
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Processes whose CPU a run reports, by name.
using Watched = std::vector<std::pair<std::string, pid_t>>;

struct LoadResult {
  double rate = 0;  // acknowledged Submits per second
  Pct latency;
  uint64_t errors = 0;
  double machine_cores = 0;  // the machine's cores busy on average (all processes)
  double bench_cores = 0;    // of which this process (the clients)
  // CPU microseconds per acknowledged append, per watched process.
  std::vector<std::pair<std::string, double>> per_append_us;
};

// `clients` threads submitting pool records to `address` for `seconds` (one
// channel per 8 clients); each call's latency kept.
LoadResult RunLoad(const std::string& address, int clients, double seconds,
                   const std::vector<v1::SubmitRequest>& pool, const Watched& watched) {
  std::vector<double> watched0;
  for (const auto& [name, pid] : watched) watched0.push_back(ProcessCpuSeconds(pid));
  auto channels = MakeChannels(address, std::max(1, clients / 8));
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> acked{0}, errors{0};
  std::vector<std::vector<uint32_t>> lat(clients);
  const auto t0 = Clock::now();
  const auto end =
      t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::atomic<int64_t> stopped_at_ns{0};
  const CpuSnap cpu0 = TakeCpuSnap();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      SetThreadName("bench-client");
      auto stub = v1::Ledger::NewStub(channels[c % channels.size()]);
      while (Clock::now() < end) {
        const size_t i = next.fetch_add(1);
        if (i >= pool.size()) break;
        grpc::ClientContext ctx;
        v1::Receipt receipt;
        const auto a = Clock::now();
        const grpc::Status s = stub->Submit(Deadline(ctx), pool[i], &receipt);
        const auto b = Clock::now();
        if (s.ok()) {
          acked.fetch_add(1);
          lat[c].push_back(MicrosSince(a, b));
        } else {
          errors.fetch_add(1);
        }
      }
      const int64_t ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
      int64_t cur = stopped_at_ns.load();
      while (ns > cur && !stopped_at_ns.compare_exchange_weak(cur, ns)) {
      }
    });
  }
  for (auto& t : threads) t.join();
  LoadResult r;
  const CpuUse cpu = CpuBetween(cpu0, TakeCpuSnap());
  r.machine_cores = cpu.machine_cores;
  r.bench_cores = cpu.process_cores;
  std::vector<uint32_t> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  r.latency = Percentiles(std::move(all));
  const double wall = stopped_at_ns.load() / 1e9;
  r.rate = acked.load() / wall;
  for (size_t i = 0; i < watched.size(); ++i) {
    r.per_append_us.emplace_back(watched[i].first,
                                 (ProcessCpuSeconds(watched[i].second) - watched0[i]) * 1e6 /
                                     std::max<uint64_t>(1, acked.load()));
  }
  r.errors = errors.load();
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0
                   : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

std::string Spread(const std::vector<double>& v, const char* fmt) {
  if (v.empty()) return "-";
  return absl::StrCat(absl::StrFormat(fmt, *std::min_element(v.begin(), v.end())), "-",
                      absl::StrFormat(fmt, *std::max_element(v.begin(), v.end())));
}

struct Series {
  std::vector<double> rate, p99;
};

// Registers participants through `address` and measures --runs loads there.
Series Measure(const Flags& f, const std::string& address, const Identity& op,
               const std::string& nonce, const Watched& watched) {
  auto channel = MakeChannels(address, 1)[0];
  auto stub = v1::Ledger::NewStub(channel);
  std::vector<Identity> ids;
  for (int i = 0; i < 16; ++i) ids.push_back(NewIdentity(absl::StrCat("p-", nonce, "-", i)));
  RegisterParticipants(*stub, op, ids, nonce);
  RecordFactory factory(nonce, ids, f.record_bytes);
  factory.set_origin(LogOrigin(*stub));
  Series s;
  uint64_t first = 0;
  for (int run = 0; run < f.runs; ++run) {
    // Enough records for 6,000 a second, signed before the clock starts.
    const size_t n = static_cast<size_t>(6000 * f.seconds);
    const auto pool = SignPool(factory, first, n, OnlineCpus());
    first += n;
    const LoadResult r = RunLoad(address, f.clients, f.seconds, pool, watched);
    std::cout << absl::StrFormat(
        "    run %d: %8.0f appends/s, p50 %6.2f ms, p99 %6.2f ms; cores busy %.2f of %d (clients "
        "%.2f)%s\n",
        run + 1, r.rate, r.latency.p50, r.latency.p99, r.machine_cores, OnlineCpus(), r.bench_cores,
        r.errors ? absl::StrCat(", ", r.errors, " errors") : "");
    std::string split;
    for (const auto& [name, us] : r.per_append_us) {
      absl::StrAppend(&split, split.empty() ? "" : ", ", name, " ", absl::StrFormat("%.0f", us));
    }
    std::cout << "      CPU us per append: " << split << "\n";
    s.rate.push_back(r.rate);
    s.p99.push_back(r.latency.p99);
  }
  return s;
}

Identity LoadOperator(const std::string& path) {
  return Identity{"operator", touchstone::PrivateKey::LoadPemFile(path).value()};
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"replication_bench: the replicated writer beside a single node, same run"};
  app.add_option("--touchstoned", f.touchstoned, "touchstoned binary (default: the build's)");
  app.add_option("--etcd", f.etcd, "etcd binary")->capture_default_str();
  app.add_option("--clients", f.clients, "concurrent Submit clients")->capture_default_str();
  app.add_option("--seconds", f.seconds, "length of one run")->capture_default_str();
  app.add_option("--runs", f.runs, "runs per mode (medians reported)")->capture_default_str();
  app.add_option("--failovers", f.failovers, "leader kills measured")->capture_default_str();
  app.add_option("--work_dir", f.work_dir, "scratch directory (default: a new one in /tmp)");
  CLI11_PARSE(app, argc, argv);
  if (f.touchstoned.empty()) {
    f.touchstoned = (std::filesystem::canonical("/proc/self/exe").parent_path().parent_path() /
                     "services" / "touchstoned")
                        .string();
  }
  if (f.work_dir.empty()) {
    std::string tmpl = "/tmp/replication-bench-XXXXXX";
    f.work_dir = mkdtemp(tmpl.data());
  }
  SetThreadName("replication_bench");
  std::cout << "machine: " << OnlineCpus() << " cores," << CpuModel() << "; load " << LoadAvg()
            << "\n";

  // 1. Limits.
  const Identity probe = NewIdentity("probe");
  const std::string msg(f.record_bytes, 'x');
  const std::string sig = probe.key.Sign(msg);
  const double verify2 = VerifyRate(2, 2.0, probe.key.public_key(), msg, sig);
  const RocksLimits rocks = MeasureRocks(f.work_dir + "/rocks-limit", 2.0);
  std::filesystem::remove_all(f.work_dir + "/rocks-limit");
  std::cout << absl::StrFormat(
      "limits: Ed25519 verify (2 threads) %.0f /s; RocksDB synced WriteBatch %.0f batches/s\n",
      verify2, rocks.batches_per_s);

  // 2. Single node.
  std::cout << "single node, " << f.clients << " clients:\n";
  Series single;
  {
    Node n{f.work_dir + "/single", f.work_dir + "/single.port", f.work_dir + "/single.log", {}};
    n.Start(f);
    single = Measure(f, n.address, LoadOperator(n.data_dir + "/operator.pem"), "single",
                     {{"touchstoned", n.proc->pid()}, {"clients", ::getpid()}});
    (void)n.proc->Terminate(std::chrono::milliseconds(30000));
  }

  // 3. Replicated: 3 etcd members, 3 replicas.
  EtcdCluster etcd(f);
  const std::string origin = "bench.example/replicated";
  const std::string key_path = f.work_dir + "/operator.pem";
  const auto op_key = touchstone::PrivateKey::Generate().value();
  if (!op_key.SavePemFile(key_path).ok()) Die("cannot write " + key_path);
  std::vector<Node> nodes(3);
  for (int i = 0; i < 3; ++i) {
    Node& n = nodes[i];
    n.data_dir = absl::StrCat(f.work_dir, "/r", i);
    std::filesystem::create_directories(n.data_dir);
    if (!op_key.SavePemFile(n.data_dir + "/operator.pem").ok()) Die("cannot write a key");
    n.port_file = n.data_dir + ".port";
    n.log = n.data_dir + ".log";
    n.args = {"--etcd", etcd.endpoints(), "--replica_id", absl::StrCat("r", i), "--origin", origin};
    n.Start(f);
  }
  auto leader_index = [&]() -> int {
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
      const std::string id = etcd.Leader(origin);
      int i = 0;
      if (id.size() > 1 && absl::SimpleAtoi(id.substr(1), &i)) return i;
      if (Clock::now() > deadline) Die("no leader in 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  std::cout << "replicated (3 etcd members, 3 replicas), " << f.clients
            << " clients at the leader:\n";
  const int leader = leader_index();
  Watched watched;
  for (int i = 0; i < 3; ++i) {
    watched.emplace_back(absl::StrCat("r", i, i == leader ? " (leader)" : ""),
                         nodes[i].proc->pid());
  }
  for (size_t i = 0; i < etcd.pids().size(); ++i) {
    watched.emplace_back(absl::StrCat("etcd m", i), etcd.pids()[i]);
  }
  watched.emplace_back("clients", ::getpid());
  const Series replicated =
      Measure(f, nodes[leader].address, LoadOperator(key_path), "replicated", watched);

  // What etcd holds after the runs: a bounded window of groups (--etcd_keep_entries).
  {
    auto info = v1::Ledger::NewStub(MakeChannels(nodes[leader].address, 1)[0]);
    const uint64_t size = LogSize(*info);
    std::this_thread::sleep_for(std::chrono::seconds(7));  // a housekeeping round and a compaction
    const std::string groups = absl::StrCat("/touchstone/", origin, "/groups/");
    // count: every key in the range; kvs: the first one only.
    const auto kept = etcd.client().Range(groups, touchstone::EtcdPrefixEnd(groups), 1);
    const auto status = etcd.client().MemberStatus();
    if (!kept.ok() || !status.ok()) {
      Die("reading etcd: " + (kept.ok() ? status.status() : kept.status()).ToString());
    }
    {
      std::cout << absl::StrFormat(
          "  etcd after %d appends: %d group keys (%s), database %.1f MiB, %.1f MiB in use\n", size,
          kept->count(),
          kept->kvs().empty()
              ? std::string("none")
              : absl::StrCat("from entry ", kept->kvs(0).key().substr(groups.size())),
          status->dbsize() / 1048576.0, status->dbsizeinuse() / 1048576.0);
    }
  }

  // 4. Failover: kill the leader under a light load; time to the first acknowledged append.
  std::vector<double> failover_s;
  {
    std::vector<Identity> ids = {NewIdentity("failover-p")};
    auto stub = v1::Ledger::NewStub(MakeChannels(nodes[leader_index()].address, 1)[0]);
    RegisterParticipants(*stub, LoadOperator(key_path), ids, "failover");
    RecordFactory factory("failover", ids, f.record_bytes);
    factory.set_origin(origin);
    uint64_t seq = 0;
    for (int k = 0; k < f.failovers; ++k) {
      const int victim = leader_index();
      if (!nodes[victim].proc->Kill().ok()) Die("the leader had exited");
      const auto killed = Clock::now();
      // Submit to the replicas in turn until one acknowledges.
      for (int i = 0;; ++i) {
        Node& n = nodes[(victim + 1 + i % 2) % 3];
        auto s = v1::Ledger::NewStub(touchstone::testing::FreshChannel(
            std::stoi(n.address.substr(n.address.rfind(':') + 1))));
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        v1::Receipt receipt;
        if (s->Submit(&ctx, factory.Signed(seq), &receipt).ok()) {
          ++seq;
          break;
        }
        if (Clock::now() - killed > std::chrono::seconds(60)) Die("no leader 60 s after a kill");
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      const double s = Secs(Clock::now() - killed);
      failover_s.push_back(s);
      std::cout << absl::StrFormat("  failover %d: replica r%d killed, first append %.2f s later\n",
                                   k + 1, victim, s);
      nodes[victim].Start(f);
    }
  }

  const double single_rate = Median(single.rate), repl_rate = Median(replicated.rate);
  std::cout << "\nresults (medians of " << f.runs << " runs, spread min-max; " << f.clients
            << " clients):\n";
  std::cout << absl::StrFormat(
      "  single node: %8.0f appends/s (%s), p99 %.2f ms (%s); %.2f x verify\n", single_rate,
      Spread(single.rate, "%.0f"), Median(single.p99), Spread(single.p99, "%.2f"),
      single_rate / verify2);
  std::cout << absl::StrFormat(
      "  replicated:  %8.0f appends/s (%s), p99 %.2f ms (%s); %.2f x verify; %.2f x single node "
      "(goal >= 0.5: %s)\n",
      repl_rate, Spread(replicated.rate, "%.0f"), Median(replicated.p99),
      Spread(replicated.p99, "%.2f"), repl_rate / verify2, repl_rate / single_rate,
      repl_rate / single_rate >= 0.5 ? "met" : "MISSED");
  std::cout << absl::StrFormat(
      "  failover:    %.2f s median of %d kills (%s s; goal < 5 s: %s), lease 3 s\n",
      Median(failover_s), f.failovers, Spread(failover_s, "%.2f"),
      Median(failover_s) < 5 ? "met" : "MISSED");
  std::cout << "load at end: " << LoadAvg() << "\n";
  nodes.clear();
  std::filesystem::remove_all(f.work_dir);
  return 0;
}
