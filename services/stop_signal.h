// The one way a Touchstone binary stops on SIGTERM / SIGINT: the signals are
// blocked in every thread and taken by one thread of its own (sigwait), which
// then runs the binary's stop action (touchstoned drains and shuts down, the
// witness server stops).
#ifndef TOUCHSTONE_SERVICES_STOP_SIGNAL_H_
#define TOUCHSTONE_SERVICES_STOP_SIGNAL_H_

#include <atomic>
#include <functional>
#include <thread>

namespace touchstone {

// Thread-compatible: construct, Start and destroy it on the main thread.
class StopSignalThread {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread; threads started after
  // inherit the mask. Construct it before starting any other thread.
  StopSignalThread();
  // Join()s.
  ~StopSignalThread();
  StopSignalThread(const StopSignalThread&) = delete;
  StopSignalThread& operator=(const StopSignalThread&) = delete;

  // Starts the thread that waits for SIGTERM or SIGINT and then calls
  // on_signal(signal number). REQUIRES: called at most once.
  void Start(std::function<void(int)> on_signal);
  // Wakes the waiting thread if no signal came (its action is then not run)
  // and joins it: once this returns, the action has finished or will never
  // run. Call it before destroying what the action uses.
  void Join();

 private:
  std::atomic<bool> done_{false};  // a signal was taken, or the destructor woke the thread
  std::thread thread_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_STOP_SIGNAL_H_
