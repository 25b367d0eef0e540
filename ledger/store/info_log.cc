// RocksDB's info log without RocksDB's buffered file writer (see info_log.h).
#include "ledger/store/info_log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "absl/strings/str_cat.h"

namespace touchstone {
namespace {

// Lines longer than this are cut (RocksDB's EnvLogger cuts at 64 KiB too).
constexpr size_t kMaxLine = 65536;

// Writes all of `data` or gives up at the first error (ENOSPC, EFBIG, ...).
void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

class DiscardingInfoLog : public rocksdb::Logger {
 public:
  DiscardingInfoLog() : rocksdb::Logger(rocksdb::InfoLogLevel::HEADER_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
  void Logv(rocksdb::InfoLogLevel /*level*/, const char* /*format*/, va_list /*ap*/) override {}
};

}  // namespace

std::shared_ptr<InfoLogFile> InfoLogFile::Open(const std::string& dir,
                                               rocksdb::InfoLogLevel level) {
  const std::string path = dir + "/LOG";
  struct timeval now;
  ::gettimeofday(&now, nullptr);
  const uint64_t micros = static_cast<uint64_t>(now.tv_sec) * 1000000 + now.tv_usec;
  // As RocksDB does: a missing LOG is fine, and a failed rename only means the
  // old lines are truncated away.
  std::rename(path.c_str(), absl::StrCat(path, ".old.", micros).c_str());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  return std::shared_ptr<InfoLogFile>(new InfoLogFile(fd, level));
}

InfoLogFile::~InfoLogFile() {
  if (fd_ >= 0) ::close(fd_);
}

void InfoLogFile::Logv(const char* format, va_list ap) {
  if (fd_ < 0) return;
  struct timeval now;
  ::gettimeofday(&now, nullptr);
  const time_t seconds = now.tv_sec;
  struct tm t;
  ::localtime_r(&seconds, &t);
  char prefix[64];
  const int prefix_size = std::snprintf(
      prefix, sizeof(prefix), "%04d/%02d/%02d-%02d:%02d:%02d.%06d %llx ", t.tm_year + 1900,
      t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, static_cast<int>(now.tv_usec),
      static_cast<unsigned long long>(::pthread_self()));
  if (prefix_size < 0) return;

  // One write(2) per line, so that lines of different threads never interleave.
  char stack[512];
  std::vector<char> heap;
  char* line = stack;
  size_t capacity = sizeof(stack);
  for (;;) {
    va_list copy;
    va_copy(copy, ap);
    const size_t head = std::min(static_cast<size_t>(prefix_size), capacity - 1);
    std::memcpy(line, prefix, head);
    const int n = std::vsnprintf(line + head, capacity - head, format, copy);
    va_end(copy);
    if (n < 0) return;
    size_t size = head + static_cast<size_t>(n);
    if (size + 1 >= capacity && capacity < kMaxLine) {  // +1: the newline
      capacity = std::min(size + 2, kMaxLine);
      heap.resize(capacity);
      line = heap.data();
      continue;
    }
    size = std::min(size, capacity - 2);
    if (size == 0 || line[size - 1] != '\n') line[size++] = '\n';
    WriteAll(fd_, line, size);
    return;
  }
}

std::shared_ptr<rocksdb::Logger> NewDiscardingInfoLog() {
  return std::make_shared<DiscardingInfoLog>();
}

}  // namespace touchstone
