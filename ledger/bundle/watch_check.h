// Checks a Watch stream (proto/watch.proto; ledger/watch.h serves it) as it
// arrives, without trusting the server: each entry's bytes, index, leaf hash
// and record type, and that its record concerns what the filter asked for;
// each checkpoint's signature by the log's key, every entry's inclusion proof
// in its tree, and its consistency with the checkpoint before it (across
// reconnects too: the client passes the last checkpoint it kept). Entries are
// handed back only with the checkpoint that proves them, so a client that
// keeps what OnCheckpoint returns together with position() and resumes from
// there keeps every event exactly once.
//
// What it cannot show: that the server left nothing out (only a full read of
// the log, e.g. `touchstone audit`, shows that); which pieces a certificate's
// status change reaches (WatchEntry.affected_pieces is the server's reading),
// or what an ErrorDeclared's wrong record concerns (both need the log: such
// entries pass the filter check on their type alone); witness cosignatures.
// Thread-compatible.
#ifndef TOUCHSTONE_LEDGER_BUNDLE_WATCH_CHECK_H_
#define TOUCHSTONE_LEDGER_BUNDLE_WATCH_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/note.h"
#include "proto/watch.pb.h"

namespace touchstone {

// Entries a stream may send before the checkpoint that proves them (a server
// sends at most WatchLimits::max_entries, 256, a round).
inline constexpr size_t kMaxPendingEntries = 4096;

class WatchChecker {
 public:
  // `known`: the last checkpoint the client verified (its successors must be
  // consistent with it); `from_index`: where the stream starts.
  WatchChecker(NoteVerifier verifier, v1::WatchFilter filter, uint64_t from_index,
               std::optional<Checkpoint> known);

  // An entry event. DATA_LOSS "watch: entry N ..." if it is before the
  // position or not after the previous entry, its bytes do not decode as entry
  // N (the index they carry included), its leaf hash or record type is not
  // that of its bytes, or its record does not concern what the filter asks
  // for; DATA_LOSS too beyond kMaxPendingEntries unproven entries. Its
  // affected_pieces are the server's reading and are not checked.
  [[nodiscard]] absl::Status OnEntry(const v1::WatchEntry& entry);

  // A checkpoint event: returns the entries since the last one, now proven.
  // Errors: VerifyCheckpoint's (PERMISSION_DENIED: not the log's key);
  // DATA_LOSS "watch: ..." if its size is below the last one's or does not
  // cover the entries, next_index goes back or beyond the size or before the
  // last entry, a proof is missing, malformed or does not verify, or the
  // consistency proof from the last checkpoint is missing or wrong (a forked
  // or rewound log).
  [[nodiscard]] absl::StatusOr<std::vector<v1::WatchEntry>> OnCheckpoint(
      const v1::WatchCheckpoint& checkpoint);

  // Every entry below this was considered, as of the last verified checkpoint.
  uint64_t position() const { return position_; }
  // The last verified checkpoint (nullopt before the first and with no `known`).
  const std::optional<Checkpoint>& checkpoint() const { return checkpoint_; }

 private:
  NoteVerifier verifier_;
  v1::WatchFilter filter_;
  uint64_t position_;
  std::optional<Checkpoint> checkpoint_;
  std::vector<v1::WatchEntry> pending_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BUNDLE_WATCH_CHECK_H_
