// Subscriptions (Provenance.Watch; proto/watch.proto): follows the log for one
// client, round by round. Each round waits for the head to pass the client's
// position, reads the new entries, keeps those that match the client's filter
// and closes with the signed checkpoint that covers them: every kept entry's
// inclusion proof in its tree, and a consistency proof from the previous
// checkpoint the client got (or the one it said it knows).
//
// Resuming: a checkpoint event's next_index says every entry below it was
// considered, so a client that keeps events only together with the checkpoint
// event that follows them, and reconnects from that next_index, misses nothing
// and gets nothing twice (ledger/bundle/watch_check.h).
//
// What an entry concerns is RecordSubjectsOf (ledger/provenance/record_subjects.h)
// plus what only the log tells: for an ErrorDeclared, what the wrong record
// concerns; for a certificate's status change, its subject (participant or
// lot), and the lots and pieces that descend from what relied on it, and the
// pieces' jewelers (ledger/impact.h), as of the round's checkpoint.
#ifndef TOUCHSTONE_LEDGER_WATCH_H_
#define TOUCHSTONE_LEDGER_WATCH_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ledger/ledger.h"
#include "ledger/provenance/record_subjects.h"
#include "proto/watch.pb.h"

namespace touchstone {

struct WatchLimits {
  // A round reads at most this many entries, and keeps at most max_entries of them.
  uint64_t max_scan = 4096;
  size_t max_entries = 256;
  // A round that kept nothing still sends its checkpoint (the client's new
  // position) if this long has passed since the last checkpoint event.
  absl::Duration heartbeat = absl::Seconds(1);
};

// One client's subscription. Thread-compatible: one per stream; the ledger
// must outlive it.
class Watcher {
 public:
  // Checks the request against the log. Errors: INVALID_ARGUMENT for a record
  // type that is not a Record.body field name (naming them); OUT_OF_RANGE if
  // from_index or known_size is beyond the head (the latest checkpoint, or with
  // `cosigned` the latest cosigned one).
  [[nodiscard]] static absl::StatusOr<Watcher> Start(const Ledger& ledger,
                                                     const v1::WatchRequest& request,
                                                     WatchLimits limits = {});

  // One round: waits until the head is past the position (or until
  // `deadline`), then returns the matching entries among the next ones and the
  // checkpoint event covering them. A round that kept no entry returns nothing
  // until the heartbeat is due; at the deadline with nothing new, a checkpoint
  // event if such rounds moved the position since the last one, else nothing.
  // Errors: DATA_LOSS / UNAVAILABLE from storage (a stored entry that does not
  // decode, a proof that cannot be made).
  [[nodiscard]] absl::StatusOr<std::vector<v1::WatchEvent>> Next(absl::Time deadline);

  // A checkpoint event for the position reached, if it is past the last one
  // sent (rounds that kept nothing move it without saying so); else nothing.
  // For the end of a stream. Errors as Next.
  [[nodiscard]] absl::StatusOr<std::vector<v1::WatchEvent>> Flush();

  // Every entry below this was considered.
  uint64_t position() const { return next_; }

 private:
  Watcher(const Ledger& ledger, const v1::WatchRequest& request, WatchLimits limits)
      : ledger_(&ledger), request_(request), limits_(limits) {}

  // The head (size and signed note) this watcher follows now.
  std::pair<uint64_t, std::string> Head() const;
  // The entry as an event if it matches the filter; nullopt if not.
  [[nodiscard]] absl::StatusOr<std::optional<v1::WatchEntry>> Match(uint64_t index,
                                                                    std::string_view data,
                                                                    uint64_t head_size) const;
  // True if `s` names an id the filter lists (or the filter lists none).
  bool Concerns(const RecordSubjects& s) const;
  // The checkpoint event for `head`, proving `sent` (kept since the last one).
  [[nodiscard]] absl::StatusOr<v1::WatchEvent> CheckpointEvent(
      const std::pair<uint64_t, std::string>& head, const std::vector<uint64_t>& sent);

  const Ledger* ledger_;
  v1::WatchRequest request_;
  WatchLimits limits_;
  uint64_t next_ = 0;
  // The size of the last checkpoint the client has (sent, or known_size).
  uint64_t client_size_ = 0;
  // Where the last checkpoint event put the client.
  uint64_t client_next_ = 0;
  absl::Time last_checkpoint_ = absl::InfinitePast();
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_WATCH_H_
