// A client's trusted heads, one per log, kept in a directory: the state
// machine behind `touchstone log update` (and every command that checks a log
// against what this client saw before). For each log it keeps
//   <dir>/<id>.checkpoint  the newest checkpoint note this client verified;
//   <dir>/<id>.vkey        the verifier key pinned on first use;
//   <dir>/<id>.ckey        once the log handed its checkpoint key over
//                          (ledger/provenance/key_handover.h): the keys followed,
//                          newest first, one per line;
// where <id> is the first 16 hex digits of SHA-256(origin). A newer checkpoint
// is accepted only if it is signed by the key of the trusted head (or one its
// handovers lead to) and extends it (ledger/log/trusted_head.h).
//
// Crash safety: each file is replaced durably (ledger/base/files.h), and they
// are written in the order .ckey, .checkpoint, .vkey, so that after a crash
// between any two writes the next update still verifies the kept head with a
// key in the kept list and carries on: a new key listed before a head it signs;
// a head kept before the key is pinned (the next update needs --vkey again).
#ifndef TOUCHSTONE_LEDGER_TRUSTED_HEAD_STORE_H_
#define TOUCHSTONE_LEDGER_TRUSTED_HEAD_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log_reader.h"

namespace touchstone {

// What an update did.
struct TrustedHeadUpdate {
  Checkpoint head;             // the trusted head now
  std::string vkey;            // the key pinned with the first trusted head
  std::string checkpoint_key;  // the key that signs the head: vkey, or one it handed over to
  // The size of the head it replaced; nullopt on first use.
  std::optional<uint64_t> previous_size;
  // One line for people: "first use: ...", "unchanged: ...", "advanced: ...",
  // and "; followed the log's checkpoint key handover to KEY" when it did.
  std::string report;
};

// Thread-compatible; processes updating one directory at once each replace
// whole files (the last rename wins), never a torn one.
class TrustedHeadStore {
 public:
  // Replaces the file at `path` with `data`. Default: ReplaceFileDurably with
  // mode 0644. Tests pass one that fails, to stop an update between files.
  using FileWriter = std::function<absl::Status(const std::string& path, std::string_view data)>;

  explicit TrustedHeadStore(std::string dir, FileWriter write = nullptr);

  // Fetches the latest checkpoint from `log` and checks it against the trusted
  // head of its log: verified with the key that signed the trusted head (the
  // pinned key, or `vkey` the first time, which pins it) or, when the log
  // rotated its checkpoint key since, with the key its handovers lead to
  // (fetched with their inclusion proofs), which is kept from then on; and
  // consistent with the trusted head. Keeps it as the new head. Errors, with
  // nothing kept: DATA_LOSS ("LOG INCONSISTENT ...") if the log rewound or
  // forked; FAILED_PRECONDITION if `vkey` differs from the pinned key;
  // INVALID_ARGUMENT if nothing is pinned and `vkey` is empty;
  // PERMISSION_DENIED if the checkpoint is not signed by the key held (nor
  // one its handovers lead to); UNAVAILABLE if a file cannot be read or
  // written; the log's errors as they are.
  [[nodiscard]] absl::StatusOr<TrustedHeadUpdate> Update(LogReader& log,
                                                         const std::string& vkey) const;

  // The verifier key pinned for the log named `origin`, or nullopt if this
  // store has no trusted head for it (or cannot read it).
  std::optional<std::string> PinnedKey(const std::string& origin) const;

  const std::string& dir() const { return dir_; }

 private:
  // The path prefix of a log's files: <dir>/<first 16 hex of SHA-256(origin)>.
  std::string Base(const std::string& origin) const;

  std::string dir_;
  FileWriter write_;
};

// Checks that `older` (verified, no newer than `head`) is a prefix of the
// trusted head `head`, with a consistency proof fetched from `log`. DATA_LOSS
// ("LOG INCONSISTENT ...") if it is not: the log shows another history;
// otherwise as CheckPrefixOfHead (ledger/log/trusted_head.h) and the log's
// errors.
[[nodiscard]] absl::Status CheckAgainstHead(LogReader& log, const Checkpoint& older,
                                            const Checkpoint& head);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_TRUSTED_HEAD_STORE_H_
