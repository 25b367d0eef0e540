// The signal-wait stop thread (see stop_signal.h).
#include "services/stop_signal.h"

#include <pthread.h>
#include <signal.h>

#include <utility>

namespace touchstone {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

StopSignalThread::StopSignalThread() {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void StopSignalThread::Start(std::function<void(int)> on_signal) {
  thread_ = std::thread([this, on_signal = std::move(on_signal)] {
    const sigset_t set = StopSignals();
    int sig = 0;
    sigwait(&set, &sig);
    if (done_.exchange(true)) return;  // woken by the destructor
    on_signal(sig);
  });
}

StopSignalThread::~StopSignalThread() { Join(); }

void StopSignalThread::Join() {
  if (!thread_.joinable()) return;
  if (!done_.exchange(true)) pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

}  // namespace touchstone
