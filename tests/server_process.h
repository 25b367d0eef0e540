// A touchstoned child process for tests that drive the real server binary
// (crash_test, faults_test, through tests/support/server_fixture.h): spawn it on a
// loopback port 0, read the port back, SIGKILL or SIGTERM it, reap it; and a private
// copy of the binary per run.
#ifndef TOUCHSTONE_TESTS_SERVER_PROCESS_H_
#define TOUCHSTONE_TESTS_SERVER_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

extern char** environ;

namespace touchstone::testing {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// How a waitpid status ended, in words.
inline std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("was killed by signal ", WTERMSIG(status));
  return absl::StrCat("has wait status ", status);
}

// The last `n` bytes of a file, for failure messages.
inline std::string Tail(const std::string& path, size_t n = 3000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string all = ss.str();
  return all.size() <= n ? all : "..." + all.substr(all.size() - n);
}

// Copies the touchstoned binary to `to` for this run's sole use, once it is complete. The build
// tree's touchstoned can be relinked while this test runs (a build alongside ctest): spawning it
// mid-link fails (EACCES: the linker makes it executable only when done), and a run would mix
// server versions. A complete binary is executable and keeps its size and mtime across the copy;
// waits up to `timeout` for one.
[[nodiscard]] inline absl::Status CopyServerBinary(const std::string& from, const std::string& to,
                                                   milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string last_problem;
  for (;;) {
    struct stat before, after;
    if (::stat(from.c_str(), &before) != 0) {
      last_problem = absl::StrCat("stat: ", std::strerror(errno));
    } else if (!S_ISREG(before.st_mode) || (before.st_mode & S_IXUSR) == 0) {
      last_problem = "not (yet) an executable file";
    } else {
      std::error_code ec;
      std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
      if (ec) {
        last_problem = absl::StrCat("copying: ", ec.message());
      } else if (::stat(from.c_str(), &after) != 0 || after.st_size != before.st_size ||
                 after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
                 after.st_mtim.tv_nsec != before.st_mtim.tv_nsec || after.st_ino != before.st_ino ||
                 (after.st_mode & S_IXUSR) == 0) {
        last_problem = "changed while being copied";
      } else if (::chmod(to.c_str(), 0755) != 0) {
        return absl::InternalError(absl::StrCat("chmod ", to, ": ", std::strerror(errno)));
      } else {
        return absl::OkStatus();
      }
    }
    if (Clock::now() > deadline) {
      return absl::UnavailableError(absl::StrCat("no complete touchstoned at ", from, " within ",
                                                 timeout.count(), " ms: ", last_problem));
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
}

// A touchstoned child process. SIGKILLed and reaped on destruction if still running, so a
// failing test never leaves a server behind. Thread-compatible.
class ServerProcess {
 public:
  // Spawns the touchstoned binary `binary` on `data_dir`, listening on a free port of 127.0.0.1
  // that it writes to `port_file` (removed first), with `extra_args` after those; its stdout and
  // stderr are appended to `log_file`. It inherits this process's environment.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ServerProcess>> Spawn(
      const std::string& binary, const std::string& data_dir, const std::string& port_file,
      const std::string& log_file, const std::vector<std::string>& extra_args = {}) {
    std::remove(port_file.c_str());
    std::vector<std::string> args = {binary,        "--data_dir",  data_dir, "--listen",
                                     "127.0.0.1:0", "--port_file", port_file};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    const int err = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err != 0) {
      return absl::InternalError(absl::StrCat("posix_spawn ", binary, ": ", std::strerror(err)));
    }
    return std::unique_ptr<ServerProcess>(new ServerProcess(pid, port_file));
  }

  ~ServerProcess() {
    if (running_) {
      ::kill(pid_, SIGKILL);
      Reap(0);
    }
  }

  // Waits until the server has written its port file and returns the port. FAILED_PRECONDITION
  // if the server exits first, DEADLINE_EXCEEDED after `timeout`.
  [[nodiscard]] absl::StatusOr<int> WaitForPort(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (int port = 0; std::ifstream(port_file_) >> port && port > 0) return port;
      if (std::optional<std::string> exit = Reap(WNOHANG)) {
        return absl::FailedPreconditionError(
            absl::StrCat("touchstoned ", *exit, " before serving"));
      }
      if (Clock::now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("touchstoned wrote no port file in ", timeout.count(), " ms"));
      }
      std::this_thread::sleep_for(milliseconds(5));
    }
  }

  bool Serving() const { return std::ifstream(port_file_).good(); }
  pid_t pid() const { return pid_; }

  // Sends `signal` to the server (nothing once it has been reaped).
  void Signal(int signal) const {
    if (running_) ::kill(pid_, signal);
  }

  // Waits up to `timeout` for the server to exit on its own and returns its exit status (-1 if a
  // signal ended it). DEADLINE_EXCEEDED if it is still running.
  [[nodiscard]] absl::StatusOr<int> WaitForExit(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (Reap(WNOHANG)) return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
      if (Clock::now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("touchstoned still running after ", timeout.count(), " ms"));
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
  }

  // SIGKILLs the server and reaps it. FAILED_PRECONDITION if it had already exited on its own.
  [[nodiscard]] absl::Status Kill() {
    if (std::optional<std::string> exit = Reap(WNOHANG)) {
      return absl::FailedPreconditionError(absl::StrCat("touchstoned ", *exit, " before SIGKILL"));
    }
    ::kill(pid_, SIGKILL);
    const std::string exit = Reap(0).value_or("?");
    if (WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat("touchstoned ", exit, " before SIGKILL"));
  }

  // Sends SIGTERM and waits up to `timeout` for a clean exit.
  [[nodiscard]] absl::Status Terminate(milliseconds timeout) {
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (std::optional<std::string> exit = Reap(WNOHANG)) {
        if (WIFEXITED(status_) && WEXITSTATUS(status_) == 0) return absl::OkStatus();
        return absl::InternalError(absl::StrCat("touchstoned ", *exit, " after SIGTERM"));
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    return absl::DeadlineExceededError("touchstoned did not stop after SIGTERM");
  }

 private:
  ServerProcess(pid_t pid, std::string port_file) : pid_(pid), port_file_(std::move(port_file)) {}

  // If the child has exited (waiting for that unless flags has WNOHANG), reaps it and says how.
  std::optional<std::string> Reap(int flags) {
    if (!running_) return "had already been reaped";
    pid_t r;
    do {
      r = waitpid(pid_, &status_, flags);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return std::nullopt;
    running_ = false;
    return DescribeWaitStatus(status_);
  }

  const pid_t pid_;
  const std::string port_file_;
  bool running_ = true;
  int status_ = 0;
};

// A channel to 127.0.0.1:port with subchannels of its own: never one pooled
// from a channel to a killed server that had the same port, which may still be
// backing off and would fail the first calls at once.
inline std::shared_ptr<grpc::Channel> FreshChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials(), args);
}

}  // namespace touchstone::testing

#endif  // TOUCHSTONE_TESTS_SERVER_PROCESS_H_
