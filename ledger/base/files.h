// Small file helpers the core shares: reading a whole file, replacing a file
// durably, and making a directory entry (a new file, a rename) durable.
#ifndef TOUCHSTONE_LEDGER_BASE_FILES_H_
#define TOUCHSTONE_LEDGER_BASE_FILES_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace touchstone {

// The file's bytes. NOT_FOUND ("<path>: missing") if it does not exist,
// UNAVAILABLE if it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Replaces `path` with `data`: writes <path>.tmp with `mode`, fsyncs it, renames
// it over `path` and syncs the directory, so that after a crash `path` holds
// the old bytes or the new ones. UNAVAILABLE naming the step that failed.
absl::Status ReplaceFileDurably(const std::string& path, std::string_view data, mode_t mode);

// Makes new entries of directory `dir` (files created or renamed into it)
// durable: fsync of the directory. Best effort: a directory that cannot be
// opened is skipped.
void SyncDir(const std::string& dir);
// SyncDir of the directory holding `path` ("." for a bare file name).
void SyncParentDir(const std::string& path);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BASE_FILES_H_
