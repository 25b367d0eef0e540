// A fixed pool of worker threads for CPU-bound work that one call spreads over
// the cores (signature verification of a batch), so no call creates threads.
#ifndef TOUCHSTONE_LEDGER_WORKER_POOL_H_
#define TOUCHSTONE_LEDGER_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace touchstone {

// Thread-safe.
class WorkerPool {
 public:
  // Starts `threads` workers (at least one), named `name` (at most 15 characters).
  WorkerPool(size_t threads, const std::string& name);
  // Runs the tasks already scheduled, then joins the workers.
  ~WorkerPool();

  size_t size() const { return threads_.size(); }

  // Runs fn(i) for every i in [0, n): up to size() of them on the workers and
  // one on the calling thread, which returns when all are done.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  void Schedule(std::function<void()> task);
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_WORKER_POOL_H_
