// Shared by the benchmark programs: the machine they run on (CPU model, load,
// kernel) and who used its cores during a measurement (per-thread CPU time of
// this process, grouped by thread name, and other processes), so a figure from
// a shared machine says how shared it was. Header-only; Linux /proc.
#ifndef TOUCHSTONE_BENCH_BENCH_MACHINE_H_
#define TOUCHSTONE_BENCH_BENCH_MACHINE_H_

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace touchstone::bench {

using Clock = std::chrono::steady_clock;

inline double Secs(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

inline void SetThreadName(const char* name) { pthread_setname_np(pthread_self(), name); }

// Prints "<program>: what" and exits 1.
[[noreturn]] inline void Die(const std::string& what) {
  std::cerr << program_invocation_short_name << ": " << what << std::endl;
  std::exit(1);
}

// ---------------------------------------------------------------- machine info

inline int OnlineCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::thread::hardware_concurrency());
}

inline std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto pos = line.find(':');
      if (pos != std::string::npos) return line.substr(pos + 2);
    }
  }
  return "unknown";
}

inline std::string CpuFlagsOfInterest() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      std::string out;
      for (const char* f : {" sha_ni", " avx2", " avx512f", " adx", " bmi2"}) {
        if ((line + " ").find(std::string(f) + " ") != std::string::npos) {
          out += f;
        }
      }
      return out.empty() ? "-" : out.substr(1);
    }
  }
  return "-";
}

inline std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

inline std::string Kernel() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return absl::StrCat(u.sysname, " ", u.release);
}

inline std::string LoadAvg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return absl::StrCat(a, " ", b, " ", c);
}

// ---------------------------------------------------------------- CPU accounting

// Per-thread CPU time of this process (grouped by thread name), the process
// total, and the whole machine's busy time, so a result says who used the cores.
struct CpuSnap {
  Clock::time_point t;
  std::map<int, std::pair<std::string, uint64_t>> tasks;  // tid -> (comm, ticks)
  uint64_t process_ticks = 0;
  uint64_t machine_busy = 0, machine_total = 0;  // /proc/stat ticks, all cpus
};

// utime+stime and comm from a /proc/.../stat line.
inline bool ParseStat(const std::string& s, std::string* comm, uint64_t* ticks) {
  auto l = s.find('('), r = s.rfind(')');
  if (l == std::string::npos || r == std::string::npos) return false;
  *comm = s.substr(l + 1, r - l - 1);
  std::istringstream rest(s.substr(r + 2));
  std::string f;
  // After ')': state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
  // utime(14) stime(15)
  uint64_t utime = 0, stime = 0;
  for (int field = 3; field <= 15 && rest >> f; ++field) {
    if (field == 14) utime = std::stoull(f);
    if (field == 15) stime = std::stoull(f);
  }
  *ticks = utime + stime;
  return true;
}

inline CpuSnap TakeCpuSnap() {
  CpuSnap snap;
  snap.t = Clock::now();
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream in(e.path() / "stat");
    std::string line, comm;
    uint64_t ticks = 0;
    if (std::getline(in, line) && ParseStat(line, &comm, &ticks)) {
      snap.tasks[std::atoi(e.path().filename().c_str())] = {comm, ticks};
    }
  }
  {
    std::ifstream in("/proc/self/stat");
    std::string line, comm;
    if (std::getline(in, line)) ParseStat(line, &comm, &snap.process_ticks);
  }
  {
    std::ifstream in("/proc/stat");
    std::string cpu;
    in >> cpu;
    uint64_t v[10] = {};
    for (auto& x : v) in >> x;
    uint64_t total = 0;
    for (uint64_t x : v) total += x;
    total -= v[8] + v[9];  // guest time is already counted in user
    snap.machine_total = total;
    snap.machine_busy = total - v[3] - v[4];  // minus idle and iowait
  }
  return snap;
}

inline std::string ThreadGroup(const std::string& comm) {
  if (comm == "bench-client") return "bench clients";
  if (comm == "ts-sequencer") return "ledger sequencer";
  if (comm == "ts-verify") return "ledger verify pool";
  if (comm.rfind("rocksdb", 0) == 0) return "rocksdb background";
  if (comm.rfind("grpcpp_sync_ser", 0) == 0) return "grpc sync-server handlers";
  if (comm.rfind("bench-", 0) == 0) return comm;
  return absl::StrCat("other (", comm, ")");
}

struct CpuUse {
  double wall = 0;
  double process_cores = 0;                            // this process, cores busy on average
  double machine_cores = 0;                            // the whole machine
  double others_cores = 0;                             // machine - this process
  std::vector<std::pair<std::string, double>> groups;  // cores, biggest first
};

inline CpuUse CpuBetween(const CpuSnap& a, const CpuSnap& b) {
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  CpuUse u;
  u.wall = Secs(b.t - a.t);
  if (u.wall <= 0) return u;
  u.process_cores = (b.process_ticks - a.process_ticks) / hz / u.wall;
  const double ncpu = OnlineCpus();
  const uint64_t dt = b.machine_total - a.machine_total;
  if (dt > 0) u.machine_cores = ncpu * double(b.machine_busy - a.machine_busy) / double(dt);
  u.others_cores = std::max(0.0, u.machine_cores - u.process_cores);
  std::map<std::string, double> g;
  double live = 0;
  for (const auto& [tid, v] : b.tasks) {
    auto it = a.tasks.find(tid);
    const uint64_t before = it == a.tasks.end() ? 0 : it->second.second;
    const double cores = (v.second - before) / hz / u.wall;
    g[ThreadGroup(v.first)] += cores;
    live += cores;
  }
  const double exited = u.process_cores - live;
  if (exited > 0.005) g["exited threads (mostly gRPC sync-server workers)"] += exited;
  for (auto& [k, c] : g) {
    if (c >= 0.005) u.groups.emplace_back(k, c);
  }
  std::sort(u.groups.begin(), u.groups.end(),
            [](const auto& x, const auto& y) { return x.second > y.second; });
  return u;
}

inline std::string CpuLine(const CpuUse& u) {
  std::string s = absl::StrFormat("cpu (cores busy): this process %.2f, other processes %.2f; ",
                                  u.process_cores, u.others_cores);
  for (size_t i = 0; i < u.groups.size(); ++i) {
    absl::StrAppendFormat(&s, "%s%s %.2f", i ? ", " : "", u.groups[i].first, u.groups[i].second);
  }
  return s;
}

}  // namespace touchstone::bench

#endif  // TOUCHSTONE_BENCH_BENCH_MACHINE_H_
