// Participants and their keys: who may sign records, looked up by the
// sequencer and by request threads verifying signatures.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_REGISTRY_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "ledger/log/keys.h"
#include "ledger/store/state_reader.h"
#include "ledger/store/storage_map.h"  // ParticipantStateKey
#include "proto/state.pb.h"

namespace touchstone {

// True if the participant holds `role`.
bool HasRole(const v1::ParticipantState& p, v1::Role role);

// Finds the key `key_id` of participant p, or nullptr.
const v1::KeyState* FindKey(const v1::ParticipantState& p, std::string_view key_id);

// A read-through cache of committed participant state over the store.
// Thread-safe.
class Registry {
 public:
  explicit Registry(const StateReader* state) : store_(state) {}

  // The committed state of a participant; NOT_FOUND ("no participant 'x'") if
  // not registered.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> Get(
      std::string_view id) const;

  // The public key a record by (signer, key_id) must be verified with.
  // NOT_FOUND ("unknown signer" / "unknown key"). Whether the key may sign at
  // the record's event time (not yet added, revoked) is for the rules to say.
  [[nodiscard]] absl::StatusOr<PublicKey> SigningKey(std::string_view signer,
                                                     std::string_view key_id) const;

  // Publishes committed state (call after the commit that wrote it is durable).
  void Publish(std::shared_ptr<const v1::ParticipantState> state);
  // Forgets every cached participant (after the store was reopened: what is
  // durable is read again).
  void Clear();

 private:
  const StateReader* store_;
  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const v1::ParticipantState>> cache_
      ABSL_GUARDED_BY(mu_);
  mutable absl::flat_hash_map<std::string, PublicKey> keys_ ABSL_GUARDED_BY(mu_);
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_REGISTRY_H_
