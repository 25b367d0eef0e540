// The derived state the rules read and write (participants, certificates,
// lots, pieces, error declarations), as one commit group sees it: committed
// state plus the group's own changes, with per-record rollback.
//
// State keys in the "state" column family (values are serialized state protos,
// proto/state.proto):
//   "participant/" id  -> ParticipantState
//   "cert/" id         -> CertificateState
//   "lot/" id          -> LotState
//   "piece/" id        -> PieceState
//   "error/" index(8)  -> ErrorState   (index big-endian)
//   "report/" number   -> StoneIdentity (a grading report number)
//   "inscription/" text -> StoneIdentity (a laser inscription)
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
#include "proto/state.pb.h"

namespace touchstone {

std::string CertificateKey(std::string_view id);
std::string LotKey(std::string_view id);
std::string PieceKey(std::string_view id);
std::string ErrorKey(uint64_t index);
std::string ReportNumberKey(std::string_view number);
std::string InscriptionKey(std::string_view inscription);

// State held in memory (for rebuilding state from the log). Thread-compatible.
class MemoryState : public StateReader {
 public:
  absl::StatusOr<std::optional<std::string>> GetState(std::string_view key) const override;
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
  absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> Participant(
      const std::string& id) const;
  void PutParticipant(const v1::ParticipantState& p);

  // Reads a state message; nullopt if absent. DATA_LOSS if it does not parse.
  template <typename T>
  absl::StatusOr<std::optional<T>> Get(const std::string& key) const {
    absl::StatusOr<std::optional<std::string>> raw = Raw(key);
    if (!raw.ok()) return raw.status();
    if (!raw->has_value()) return std::nullopt;
    T value;
    if (!value.ParseFromString(**raw)) return CorruptState(key);
    return value;
  }
  // Stages a write for the current record.
  void Put(const std::string& key, const google::protobuf::Message& value);

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
  absl::StatusOr<std::optional<std::string>> Raw(const std::string& key) const;
  static absl::Status CorruptState(const std::string& key);

  const StateReader* committed_;
  const Registry* registry_;
  std::map<std::string, std::string> changed_;  // this group, records already accepted
  std::map<std::string, std::string> pending_;  // the record being checked
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_STATE_VIEW_H_
