// Whole-file reads, durable creation and replacement, directory syncs (see files.h).
#include "ledger/base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"

namespace touchstone {
namespace {

[[nodiscard]] absl::Status IoError(std::string_view what, const std::string& path, int err) {
  return absl::UnavailableError(absl::StrCat(Sv(what), " ", path, ": ", strerror(err)));
}

// Writes all of `data` to `fd` (named `path` in errors), fsyncs and closes it.
[[nodiscard]] absl::Status WriteSyncClose(int fd, std::string_view data, const std::string& path) {
  absl::Status s = absl::OkStatus();
  while (s.ok() && !data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = IoError("cannot write", path, errno);
    } else {
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  if (s.ok() && ::fsync(fd) != 0) s = IoError("cannot sync", path, errno);
  if (::close(fd) != 0 && s.ok()) s = IoError("cannot write", path, errno);
  return s;
}

// Writes `data` to a new temporary beside `path` (<path>.tmp-<pid>-<n>) with
// `mode` (less the umask, as open() makes any file) and fsyncs it. Returns its
// name; on error nothing is left behind.
[[nodiscard]] absl::StatusOr<std::string> WriteSyncedTemporary(const std::string& path,
                                                               std::string_view data, mode_t mode) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp;
  int fd = -1;
  // A name no other process or thread uses: the pid and a counter; one left
  // by a crashed process of the same pid is skipped.
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    tmp = absl::StrCat(path, ".tmp-", ::getpid(), "-", counter++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return IoError("cannot create", tmp, errno);
  if (absl::Status s = WriteSyncClose(fd, data, tmp); !s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return tmp;
}

}  // namespace

[[nodiscard]] absl::StatusOr<std::string> ReadWholeFile(const std::string& path, size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": missing"));
    return IoError("cannot read", path, errno);
  }
  std::string data;
  char buf[16384];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return IoError("cannot read", path, err);
    }
    if (n == 0) break;
    if (static_cast<size_t>(n) > max_bytes - data.size()) {
      ::close(fd);
      return absl::OutOfRangeError(absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

[[nodiscard]] absl::Status CreateFileDurably(const std::string& path, std::string_view data,
                                             mode_t mode) {
  absl::StatusOr<std::string> tmp = WriteSyncedTemporary(path, data, mode);
  if (!tmp.ok()) return tmp.status();
  // link() fails if `path` exists: nothing is ever overwritten.
  const int linked = ::link(tmp->c_str(), path.c_str());
  const int err = errno;
  ::unlink(tmp->c_str());
  if (linked != 0) {
    if (err == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(path, " exists; refusing to overwrite it"));
    }
    return IoError("cannot create", path, err);
  }
  SyncParentDir(path);
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ReplaceFileDurably(const std::string& path, std::string_view data,
                                              mode_t mode) {
  absl::StatusOr<std::string> tmp = WriteSyncedTemporary(path, data, mode);
  if (!tmp.ok()) return tmp.status();
  if (::rename(tmp->c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp->c_str());
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", *tmp, " to ", path, ": ", strerror(err)));
  }
  SyncParentDir(path);
  return absl::OkStatus();
}

void SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void SyncParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  SyncDir(slash == std::string::npos ? std::string(".") : path.substr(0, slash + 1));
}

absl::Status AppendFileDurably(const std::string& path, std::string_view data, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode);
  if (fd < 0) return IoError("cannot open", path, errno);
  RETURN_IF_ERROR(WriteSyncClose(fd, data, path));
  SyncParentDir(path);
  return absl::OkStatus();
}

}  // namespace touchstone
