// Rotating the log's checkpoint key: which key signs a checkpoint, and how a
// verifier holding an older key follows the log's handover records to the key
// in force.
//
// The rule: the checkpoint of a tree of size s is signed by the key named in
// the newest OperatorKeyRotated entry (proto/record.proto) with index < s or,
// if there is none, by the key that signed the genesis entry. The checkpoint a
// handover commits in is signed by the old key and by the new one (two
// signature lines of one C2SP signed note), so a verifier holding the old key
// can check that checkpoint directly.
//
// A handover entry is followed from key K when its record is an
// OperatorKeyRotated, its key_id is K's record key id (Record.key_id form), its
// record signature verifies with K (in either form of ledger/provenance/record.h, for the
// origin K is named by: which form the entry needs is checked by the verifiers
// that know the log's policy), and its new key is not K. Each link of a
// chain is signed by the key before it, so no link can be forged or skipped:
// a verifier that pinned the genesis key reaches the key in force only through
// every handover in between.
//
// What following cannot do: a verifier that has not yet seen a handover still
// accepts checkpoints signed by the old key. If the old key leaks, its holder
// can sign a log without the handover; a verifier's trusted head (which keeps
// the key it followed to) and witnesses that followed the handover refuse that.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_KEY_HANDOVER_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_KEY_HANDOVER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"
#include "ledger/store/storage_map.h"
#include "proto/record.pb.h"

namespace touchstone {

// kCheckpointKeyStateKey, where the rules keep the CheckpointKeyState: ledger/store/storage_map.h.

// Follows one handover from `current`: the verifier of the new key (same name)
// if `record` (with its exact bytes and signature) is a handover from it.
// Errors: INVALID_ARGUMENT if the record is not an OperatorKeyRotated or its new
// key is not an Ed25519 key or is `current`'s; PERMISSION_DENIED if it is not
// signed by `current` (other key id, or the signature does not verify).
[[nodiscard]] absl::StatusOr<NoteVerifier> FollowHandover(const NoteVerifier& current,
                                                          const v1::Record& record,
                                                          std::string_view record_bytes,
                                                          std::string_view signature);

// The same for a stored entry (ledger/log/entry_format.h). DATA_LOSS if the entry
// or its record does not decode; otherwise errors as above, naming `index`.
[[nodiscard]] absl::StatusOr<NoteVerifier> FollowHandoverEntry(const NoteVerifier& current,
                                                               uint64_t index,
                                                               std::string_view entry);

// The key that signs the checkpoints of a log until its first handover: the
// key its genesis record is signed with, named by the genesis origin.
// INVALID_ARGUMENT if `genesis` is not a genesis record signed by a key it registers.
[[nodiscard]] absl::StatusOr<NoteVerifier> GenesisCheckpointKey(const v1::Record& genesis);

// The checkpoint keys of one log as a verifier learns them, from its first key
// on. Thread-compatible.
class CheckpointKeys {
 public:
  explicit CheckpointKeys(NoteVerifier first);
  // From the genesis entry's key (GenesisCheckpointKey); DATA_LOSS if entry 0
  // is not a well-formed genesis.
  [[nodiscard]] static absl::StatusOr<CheckpointKeys> FromGenesisEntry(std::string_view entry);

  // Follows the handover entry at `index`. INVALID_ARGUMENT if `index` is not
  // above every handover followed so far; otherwise errors as FollowHandoverEntry.
  [[nodiscard]] absl::Status Follow(uint64_t index, std::string_view entry);
  // For a walk over a stored log: follows `entry` if its `record` is a
  // handover; OK for any other record. DATA_LOSS if the handover cannot be followed.
  [[nodiscard]] absl::Status FollowIfHandover(uint64_t index, std::string_view entry,
                                              const v1::Record& record);
  // Verifies the checkpoint `note` of a tree of `size` entries with ForSize(size).
  // Errors as VerifyCheckpoint, the message ending in the key in force at that size.
  [[nodiscard]] absl::StatusOr<Checkpoint> VerifyAtSize(std::string_view note, uint64_t size) const;
  // The key that signs the checkpoint of a tree of `size` entries.
  const NoteVerifier& ForSize(uint64_t size) const;
  // The key in force after every handover followed.
  const NoteVerifier& Latest() const { return keys_.back().second; }
  // Indices of the handovers followed, in order.
  std::vector<uint64_t> Handovers() const;
  // OK if `pinned` (a key a user trusts) is one of the keys in force at some
  // tree size up to `size`: the genesis key or one a handover before it named.
  // PERMISSION_DENIED naming the log's keys otherwise.
  [[nodiscard]] absl::Status RequirePinned(const NoteVerifier& pinned, uint64_t size) const;

 private:
  std::vector<std::pair<uint64_t, NoteVerifier>> keys_;  // (first tree size it signs, key)
};

// A handover entry with its inclusion proof, as a client fetches them.
struct HandoverProof {
  uint64_t index = 0;
  std::string entry;        // the entry's bytes
  std::vector<Hash> proof;  // inclusion proof against the checkpoint being verified
};

// Verifies the checkpoint `note` for a verifier holding `known`: follows
// `handovers` (increasing indices, each below the checkpoint's size; those
// before the first one signed by `known` are skipped: they lead to it) from
// `known`, verifies the note with the key they lead to, and checks that each
// handover is in that checkpoint's tree. Returns the checkpoint and that key.
// Errors: INVALID_ARGUMENT (malformed note, indices out of order or not below
// the size); PERMISSION_DENIED (a handover not signed by the key before it, or
// the note not signed by the key reached: a missing handover shows here);
// DATA_LOSS (a handover's inclusion proof fails).
[[nodiscard]] absl::StatusOr<std::pair<Checkpoint, NoteVerifier>> VerifyCheckpointWithHandovers(
    std::string_view note, const NoteVerifier& known, std::span<const HandoverProof> handovers);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_KEY_HANDOVER_H_
