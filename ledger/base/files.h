// Small file helpers every part of Touchstone shares (the core, the server, the
// CLI, the witness): reading a whole file, creating a new file durably without
// overwriting, replacing a file durably, and making a directory entry (a new
// file, a rename) durable. Errors name the path and the step that failed.
#ifndef TOUCHSTONE_LEDGER_BASE_FILES_H_
#define TOUCHSTONE_LEDGER_BASE_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace touchstone {

// The file's bytes. NOT_FOUND ("<path>: missing") if it does not exist;
// OUT_OF_RANGE ("<path> is larger than N bytes") if it holds more than
// `max_bytes` (read no further: a file of any size, or a device, is safe to
// name); UNAVAILABLE if it cannot be read.
[[nodiscard]] absl::StatusOr<std::string> ReadWholeFile(
    const std::string& path, size_t max_bytes = std::numeric_limits<size_t>::max());

// Creates `path` holding `data` with `mode` (less the umask), never overwriting: writes a
// temporary beside it, fsyncs it, links it into place and syncs the directory,
// so that after a crash `path` is absent or complete (never empty or partial).
// ALREADY_EXISTS ("<path> exists; refusing to overwrite it") if `path` exists;
// UNAVAILABLE naming the step that failed.
[[nodiscard]] absl::Status CreateFileDurably(const std::string& path, std::string_view data,
                                             mode_t mode);

// Replaces `path` with `data` (creating it if absent): writes a temporary of
// its own beside it (<path>.tmp-<pid>-<n>: writers of one file at once never
// touch each other's; the last rename wins) with `mode` (less the umask),
// fsyncs it, renames it over `path` and syncs the directory, so that after a
// crash `path` holds the old bytes or the new ones. UNAVAILABLE naming the
// step that failed; the temporary is removed.
[[nodiscard]] absl::Status ReplaceFileDurably(const std::string& path, std::string_view data,
                                              mode_t mode);

// Appends `data` to `path` (creating it with `mode`, less the umask, if
// absent), fsyncs it and syncs the directory. A crash may leave part of `data`
// at the end: readers of such a file keep only what they can tell is whole.
// UNAVAILABLE naming the step that failed.
[[nodiscard]] absl::Status AppendFileDurably(const std::string& path, std::string_view data,
                                             mode_t mode);

// Makes new entries of directory `dir` (files created or renamed into it)
// durable: fsync of the directory. Best effort: a directory that cannot be
// opened is skipped.
void SyncDir(const std::string& dir);
// SyncDir of the directory holding `path` ("." for a bare file name).
void SyncParentDir(const std::string& path);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BASE_FILES_H_
