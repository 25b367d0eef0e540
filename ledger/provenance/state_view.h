// The derived state the rules read and write (participants, certificates,
// lots, pieces, error declarations), as one commit group sees it: committed
// state plus the group's own changes, with per-record rollback.
//
// State keys and their layouts: ledger/store/storage_map.h (CF "state").
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_STATE_VIEW_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_STATE_VIEW_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/provenance/registry.h"
#include "ledger/store/state_reader.h"
#include "ledger/store/storage_map.h"
#include "proto/state.pb.h"

namespace touchstone {

// Typed reads of committed state (for the services' lookups and bundle
// building), so that no caller builds a state key or parses a state value
// itself. Each returns the stored value, or NOT_FOUND "no <kind> '<id>'"
// (kind: participant, lot, certificate, piece); DATA_LOSS "stored state
// '<key>' is corrupt" if it does not parse; the reader's errors otherwise.
[[nodiscard]] absl::StatusOr<v1::ParticipantState> ReadParticipant(const StateReader& state,
                                                                   std::string_view id);
[[nodiscard]] absl::StatusOr<v1::LotState> ReadLot(const StateReader& state, std::string_view id);
[[nodiscard]] absl::StatusOr<v1::CertificateState> ReadCertificate(const StateReader& state,
                                                                   std::string_view id);
[[nodiscard]] absl::StatusOr<v1::PieceState> ReadPiece(const StateReader& state,
                                                       std::string_view id);
// A registered scheme (SchemeKey) and a mass-balance account
// (CreditAccountKey): as above, NOT_FOUND "no scheme 'x'" / "no account 'x'".
[[nodiscard]] absl::StatusOr<v1::SchemeState> ReadScheme(const StateReader& state,
                                                         std::string_view name);
[[nodiscard]] absl::StatusOr<v1::CreditAccountState> ReadCreditAccount(const StateReader& state,
                                                                       std::string_view id);
// An heirloom intake (IntakeKey): as above, NOT_FOUND "no intake 'x'".
[[nodiscard]] absl::StatusOr<v1::IntakeState> ReadIntake(const StateReader& state,
                                                         std::string_view id);
// The log's checkpoint key state and policy state (ledger/provenance/key_handover.h,
// log_policy.h); nullopt if none is stored. DATA_LOSS "the checkpoint key state
// is corrupt" / "the log policy state is corrupt" if it does not parse.
[[nodiscard]] absl::StatusOr<std::optional<v1::CheckpointKeyState>> ReadCheckpointKeyState(
    const StateReader& state);
[[nodiscard]] absl::StatusOr<std::optional<v1::LogPolicyState>> ReadLogPolicyState(
    const StateReader& state);
// The error declarations about entry `index`; nullopt if none. DATA_LOSS
// "stored error state is corrupt" if it does not parse.
[[nodiscard]] absl::StatusOr<std::optional<v1::ErrorState>> ReadErrorState(const StateReader& state,
                                                                           uint64_t index);

// State held in memory (for rebuilding state from the log). Thread-compatible.
class MemoryState : public StateReader {
 public:
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> GetState(
      std::string_view key) const override;
  void Put(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// Thread-compatible: owned by the sequencer for one group.
class StateView {
 public:
  // `registry` caches participants of `committed`.
  StateView(const StateReader* committed, const Registry* registry)
      : committed_(committed), registry_(registry) {}

  // A participant; NOT_FOUND ("unknown participant 'x'") if not registered.
  [[nodiscard]] absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> Participant(
      const std::string& id) const;
  void PutParticipant(const v1::ParticipantState& p);

  // Reads a state message; nullopt if absent. DATA_LOSS if it does not parse.
  template <typename T>
  [[nodiscard]] absl::StatusOr<std::optional<T>> Get(const std::string& key) const {
    absl::StatusOr<std::optional<std::string>> raw = Raw(key);
    if (!raw.ok()) return raw.status();
    if (!raw->has_value()) return std::nullopt;
    T value;
    if (!value.ParseFromString(**raw)) return CorruptState(key);
    return value;
  }
  // Stages a write for the current record.
  void Put(const std::string& key, const google::protobuf::Message& value);

  // Sets `sealed` on every lot, piece and credit account the current record
  // wrote (a sealed record touched them: ledger/provenance/redaction.h).
  // DATA_LOSS if a staged value does not parse (cannot happen: Put wrote it).
  [[nodiscard]] absl::Status MarkRecordSealed();
  // Keeps the current record's writes (after its rules passed).
  void CommitRecord();
  // Drops the current record's writes (after a rule refused it).
  void RollbackRecord() { pending_.clear(); }

  // Every key changed by the group, with its new value, in key order.
  const std::map<std::string, std::string>& changes() const { return changed_; }
  // Publishes changed participants to the registry (after the commit is durable).
  void Publish(Registry* registry) const;
  // Forgets everything (after a failed commit).
  void Clear() {
    pending_.clear();
    changed_.clear();
  }

 private:
  [[nodiscard]] absl::StatusOr<std::optional<std::string>> Raw(const std::string& key) const;
  [[nodiscard]] static absl::Status CorruptState(const std::string& key);

  const StateReader* committed_;
  const Registry* registry_;
  std::map<std::string, std::string> changed_;  // this group, records already accepted
  std::map<std::string, std::string> pending_;  // the record being checked
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_STATE_VIEW_H_
