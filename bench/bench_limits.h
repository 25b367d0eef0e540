// Shared by the benchmark programs: the storage limit of this machine measured
// in the same run (RocksDB synced WriteBatch and single Put rates on the
// benchmark's disk), to print beside a result. Header-only.
#ifndef TOUCHSTONE_BENCH_BENCH_LIMITS_H_
#define TOUCHSTONE_BENCH_BENCH_LIMITS_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "bench/bench_machine.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace touchstone::bench {

struct RocksLimits {
  double batch_puts_per_s = 0, batches_per_s = 0, single_puts_per_s = 0;
  int batch_size = 100, value_bytes = 512;
};

// Synced WriteBatch (100 x 512 B) and synced single Put rates of a new RocksDB
// in `dir`, each for about `seconds`; dies if RocksDB fails.
inline RocksLimits MeasureRocks(const std::string& dir, double seconds) {
  RocksLimits out;
  rocksdb::Options opts;
  opts.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(opts, dir, &raw);
  if (!s.ok()) Die("rocksdb open " + dir + ": " + s.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::mt19937_64 rng(42);
  std::string value(out.value_bytes, '\0');
  auto fill = [&] {
    for (size_t i = 0; i < value.size(); i += 8) {
      uint64_t r = rng();
      memcpy(value.data() + i, &r, std::min<size_t>(8, value.size() - i));
    }
  };
  rocksdb::WriteOptions wo;
  wo.sync = true;
  uint64_t key = 0;
  auto key_bytes = [&] {
    std::string k(8, '\0');
    for (int i = 0; i < 8; ++i) k[i] = static_cast<char>((key >> (56 - 8 * i)) & 0xff);
    ++key;
    return k;
  };
  SetThreadName("bench-rocks");
  {  // synced WriteBatch of 100 puts
    uint64_t batches = 0;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
      rocksdb::WriteBatch b;
      for (int i = 0; i < out.batch_size; ++i) {
        fill();
        b.Put(key_bytes(), value);
      }
      s = db->Write(wo, &b);
      if (!s.ok()) Die("rocksdb write: " + s.ToString());
      ++batches;
    }
    const double el = Secs(Clock::now() - t0);
    out.batches_per_s = batches / el;
    out.batch_puts_per_s = batches * out.batch_size / el;
  }
  {  // synced single puts
    uint64_t puts = 0;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration<double>(seconds / 2);
    while (Clock::now() < end) {
      fill();
      s = db->Put(wo, key_bytes(), value);
      if (!s.ok()) Die("rocksdb put: " + s.ToString());
      ++puts;
    }
    out.single_puts_per_s = puts / Secs(Clock::now() - t0);
  }
  return out;
}

}  // namespace touchstone::bench

#endif  // TOUCHSTONE_BENCH_BENCH_LIMITS_H_
