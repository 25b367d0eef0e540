// RocksDB's info log (the LOG file in the database directory), written by us
// instead of by RocksDB's own logger, so that a full disk can never abort the
// process through it.
//
// Why: RocksDB's logger (EnvLogger in 7.8) keeps lines in a buffered
// WritableFileWriter, ignores a failed write, and is flushed by a background
// timer every 10 s. Once one of its writes fails (ENOSPC on a full disk, EFBIG
// past a file size limit), that writer holds the error, and Debian's RocksDB,
// built with assertions, aborts on the next line logged
// (WritableFileWriter::AssertFalseAndGetStatusForPrevError: "Assertion
// `sync_without_flush_called_' failed"), e.g. "Shutdown: canceling all
// background work" when the database closes, or any flush or compaction.
// InfoLogFile writes each line with write(2) and drops it if that fails: the
// log may lose lines while the disk is full, and nothing else happens.
#ifndef TOUCHSTONE_LEDGER_STORE_INFO_LOG_H_
#define TOUCHSTONE_LEDGER_STORE_INFO_LOG_H_

#include <cstdarg>
#include <memory>
#include <string>

#include "rocksdb/env.h"

namespace touchstone {

// Appends RocksDB's log lines to `dir`/LOG, unbuffered, in RocksDB's line format
// ("2026/11/26-10:15:02.123456 7f1c... message"). Thread-safe: each line is one
// write(2) to a file opened with O_APPEND.
class InfoLogFile : public rocksdb::Logger {
 public:
  // Renames an existing `dir`/LOG to LOG.old.<microseconds> (RocksDB's name for
  // it, so RocksDB still deletes all but the newest keep_log_file_num of them)
  // and starts a new LOG. If LOG cannot be created (no such directory, no
  // space), the logger drops every line; ok() tells.
  static std::shared_ptr<InfoLogFile> Open(const std::string& dir, rocksdb::InfoLogLevel level);
  ~InfoLogFile() override;

  // True if lines go to the file.
  bool ok() const { return fd_ >= 0; }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;

 private:
  InfoLogFile(int fd, rocksdb::InfoLogLevel level) : rocksdb::Logger(level), fd_(fd) {}
  const int fd_;  // -1: drop every line
};

// A logger that drops every line: for read-only opens, which must not write
// into a directory that a running server may own. Thread-safe.
std::shared_ptr<rocksdb::Logger> NewDiscardingInfoLog();

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_STORE_INFO_LOG_H_
