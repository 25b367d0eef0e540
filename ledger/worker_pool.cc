// A fixed pool of worker threads.
#include "ledger/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>

#include "absl/synchronization/blocking_counter.h"

namespace touchstone {

WorkerPool::WorkerPool(size_t threads, const std::string& name) {
  threads = std::max<size_t>(1, threads);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Loop(); });
    pthread_setname_np(threads_.back().native_handle(), name.substr(0, 15).c_str());
  }
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::Schedule(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  tasks_.push_back(std::move(task));
}

void WorkerPool::Loop() {
  for (;;) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](WorkerPool* p)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) { return !p->tasks_.empty() || p->stopping_; },
          this));
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

void WorkerPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  // Items are claimed one at a time, so an idle core takes over from a slow one.
  std::atomic<size_t> next{0};
  auto drain = [&] {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(i);
  };
  const size_t helpers = std::min(threads_.size(), n - 1);
  absl::BlockingCounter done(static_cast<int>(helpers));
  for (size_t h = 0; h < helpers; ++h) {
    Schedule([&] {
      drain();
      done.DecrementCount();
    });
  }
  drain();
  done.Wait();
}

}  // namespace touchstone
