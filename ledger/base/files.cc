// Whole-file reads, durable replacement, directory syncs (see files.h).
#include "ledger/base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"

namespace touchstone {
namespace {

absl::Status IoError(std::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat(Sv(what), " ", path, ": ", strerror(errno)));
}

}  // namespace

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": missing"));
    return IoError("cannot read", path);
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IoError("cannot read", path);
  return std::move(ss).str();
}

absl::Status ReplaceFileDurably(const std::string& path, std::string_view data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return IoError("cannot create", tmp);
  absl::Status s = absl::OkStatus();
  while (s.ok() && !data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = IoError("cannot write", tmp);
    } else {
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  if (s.ok() && ::fsync(fd) != 0) s = IoError("cannot sync", tmp);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", strerror(errno)));
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

}  // namespace touchstone
