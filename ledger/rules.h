// The rules a record must satisfy against the log's state before it is
// appended, and the state changes it makes. Used by the sequencer, one group
// of records at a time.
#ifndef TOUCHSTONE_LEDGER_RULES_H_
#define TOUCHSTONE_LEDGER_RULES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/registry.h"
#include "ledger/store.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"

namespace touchstone {

// The state as seen by one commit group: committed state plus the group's own
// changes so far. Thread-compatible (the sequencer owns it).
class GroupState {
 public:
  explicit GroupState(const Registry* registry) : registry_(registry) {}

  // The participant as of the records applied so far; NOT_FOUND if unknown.
  absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> Participant(
      const std::string& id) const;
  // Records a changed participant.
  void SetParticipant(std::shared_ptr<const v1::ParticipantState> p);

  // Writes every change into `batch`.
  void WriteTo(StoreBatch& batch) const;
  // Publishes every change to the registry (after the commit is durable).
  void Publish(Registry* registry) const;
  // Forgets every change (after a failed commit).
  void Clear() { changed_.clear(); }

 private:
  const Registry* registry_;
  absl::flat_hash_map<std::string, std::shared_ptr<const v1::ParticipantState>> changed_;
};

// Checks `record` (already parsed, signature already verified with `signer_key`)
// against `state` and applies its effects. On error nothing in `state` changes.
// Errors: PERMISSION_DENIED (signer may not write this), NOT_FOUND (a referenced
// participant or key is unknown), ALREADY_EXISTS (participant id taken),
// FAILED_PRECONDITION (key revoked meanwhile, other rules), INVALID_ARGUMENT.
absl::Status CheckAndApply(const v1::Record& record, const PublicKey& signer_key, uint64_t index,
                           GroupState& state);

// The operator's registration record in the genesis entry, applied to empty state.
absl::Status ApplyGenesis(const v1::Record& record, uint64_t index, GroupState& state);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_RULES_H_
