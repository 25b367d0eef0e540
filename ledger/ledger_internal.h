// What the files of the Ledger share and nothing else sees: a queued
// submission's two halves (Prepared, Pending) and the helpers more than one of
// ledger_open.cc, ledger_policy.cc, ledger_genesis.cc, ledger_append.cc,
// ledger_commit.cc, ledger_keys.cc and ledger_reads.cc use.
#ifndef TOUCHSTONE_LEDGER_LEDGER_INTERNAL_H_
#define TOUCHSTONE_LEDGER_LEDGER_INTERNAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "ledger/ledger.h"
#include "ledger/log/hash.h"
#include "ledger/log/keys.h"
#include "ledger/log/note.h"
#include "ledger/provenance/rules.h"
#include "ledger/provenance/state_view.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"

namespace touchstone {

// A submission parsed and verified on its caller's thread (Ledger::Prepare).
struct Ledger::Prepared {
  std::string record_bytes;  // the public record, as signed and stored in the entry
  std::string signature;
  // The record the rules check: for a sealed record, the one its opening opens.
  v1::Record record;
  std::optional<PublicKey> key;
  // The record signature version the signature was verified in (ledger/provenance/record.h).
  uint32_t signature_version = kOriginBoundRecordSignatures;
  // A key handover: the key that signs checkpoints once it commits.
  std::shared_ptr<const NoteSigner> rotate_to;
  // A sealed record's opening (only its salt and fields), stored with the entry.
  std::optional<v1::Opening> opening;
};

// A queued submission; the sequencer fills in its outcome, then notifies done.
struct Ledger::Pending {
  Prepared in;
  absl::Notification done;
  // Set by the sequencer before done is notified.
  absl::Status status;
  uint64_t index = 0;
  Hash leaf_hash{};
  uint64_t tree_size = 0;
  std::string checkpoint;
  Hash root{};  // the root `checkpoint` states, which the receipt's proof is checked against
  bool duplicate = false;
};

// What one group commit builds (ledger_commit.cc), or one replicated group
// applied (ledger_replica.cc), under commit_mu_.
struct Ledger::Group {
  // `now`: the group's recorded time (its entries' recorded_at).
  Group(Ledger& ledger, int64_t now)
      : saved_tree(ledger.tree_),
        saved_last(ledger.last_leaf_hash_),
        state(ledger.store_.get(), &ledger.registry_),
        batch(ledger.store_->NewBatch()),
        signer(ledger.signer()),
        now(now),
        policy(ledger.policy_),
        record_at([this, &ledger](uint64_t index) -> absl::StatusOr<v1::Record> {
          if (index >= saved_tree.size()) {
            const size_t i = index - saved_tree.size();
            if (i < appended.size()) return appended[i]->in.record;
            return absl::NotFoundError(absl::StrCat("no entry ", index));
          }
          return ledger.ReadRecord(index);
        }) {}
  Group(const Group&) = delete;  // record_at refers to this group
  Group& operator=(const Group&) = delete;

  // The head before the group, restored if its write fails.
  const CompactRange saved_tree;
  const Hash saved_last;
  StateView state;
  StoreBatch batch;
  std::vector<NewNode> nodes;
  // Submissions appended, in index order.
  std::vector<Pending*> appended;
  // Replicated mode: their entries' bytes and the openings written with them.
  std::vector<std::string> entries;
  std::vector<std::pair<uint64_t, std::string>> openings;
  // In-group record ids, and in-group retries of a record appended by this group.
  absl::flat_hash_map<std::string, Pending*> ids;
  std::vector<std::pair<Pending*, Pending*>> retries;
  // Set when this group holds a key handover: its checkpoint is signed by both keys.
  std::shared_ptr<const NoteSigner> rotate_to;
  const std::shared_ptr<const NoteSigner> signer;
  // recorded_at of every entry of the group.
  const int64_t now;
  // The log's policy as this group changes it (a LogPolicy entry takes effect at once).
  std::optional<v1::LogPolicy> policy;
  // Earlier records, including those appended earlier in this group (every
  // commit and every applied group reads through it: the rules of an error
  // declaration, an owner's record, ...).
  const RecordReader record_at;
};

namespace ledger_internal {

// The status of appends refused because the storage cannot be written: the
// cause's code, with a message saying nothing was appended and what to do.
[[nodiscard]] absl::Status NotAppended(const absl::Status& cause);

// Renames `from` over `to` and syncs the directory: the new key is in place or
// not. UNAVAILABLE if the rename fails.
[[nodiscard]] absl::Status InstallKeyFile(const std::string& from, const std::string& to);

// The operator key a log with checkpoint key state `ck` must be opened with:
// `loaded` if it is the key in force; else the staged key (<path>.next) of a
// rotation that committed before its key file was replaced (installed now).
// FAILED_PRECONDITION naming both keys otherwise.
[[nodiscard]] absl::StatusOr<PrivateKey> KeyInForce(const v1::CheckpointKeyState& ck,
                                                    PrivateKey loaded, const std::string& path);

}  // namespace ledger_internal
}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LEDGER_INTERNAL_H_
