// The state overlay of one commit group.
#include "ledger/provenance/state_view.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"

namespace touchstone {

absl::StatusOr<std::optional<std::string>> MemoryState::GetState(std::string_view key) const {
  auto it = values_.find(std::string(key));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::Status StateView::CorruptState(const std::string& key) {
  return absl::DataLossError(absl::StrCat("stored state '", key, "' is corrupt"));
}

namespace {

// The state value at `key`, parsed; NOT_FOUND "no <kind> '<id>'" if absent.
template <typename T>
[[nodiscard]] absl::StatusOr<T> ReadObject(const StateReader& state, std::string_view kind,
                                           std::string_view id, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, state.GetState(key));
  if (!raw) return absl::NotFoundError(absl::StrCat("no ", Sv(kind), " '", Sv(id), "'"));
  T value;
  if (!value.ParseFromString(*raw)) {
    return absl::DataLossError(absl::StrCat("stored state '", key, "' is corrupt"));
  }
  return value;
}

// The state value at `key`, parsed; nullopt if absent; DATA_LOSS `corrupt`.
template <typename T>
[[nodiscard]] absl::StatusOr<std::optional<T>> ReadLogState(const StateReader& state,
                                                            std::string_view key,
                                                            std::string_view corrupt) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, state.GetState(key));
  if (!raw) return std::nullopt;
  T value;
  if (!value.ParseFromString(*raw)) return absl::DataLossError(Sv(corrupt));
  return value;
}

}  // namespace

[[nodiscard]] absl::StatusOr<v1::ParticipantState> ReadParticipant(const StateReader& state,
                                                                   std::string_view id) {
  return ReadObject<v1::ParticipantState>(state, "participant", id, ParticipantStateKey(id));
}
[[nodiscard]] absl::StatusOr<v1::LotState> ReadLot(const StateReader& state, std::string_view id) {
  return ReadObject<v1::LotState>(state, "lot", id, LotKey(id));
}
[[nodiscard]] absl::StatusOr<v1::CertificateState> ReadCertificate(const StateReader& state,
                                                                   std::string_view id) {
  return ReadObject<v1::CertificateState>(state, "certificate", id, CertificateKey(id));
}
[[nodiscard]] absl::StatusOr<v1::PieceState> ReadPiece(const StateReader& state,
                                                       std::string_view id) {
  return ReadObject<v1::PieceState>(state, "piece", id, PieceKey(id));
}

[[nodiscard]] absl::StatusOr<v1::SchemeState> ReadScheme(const StateReader& state,
                                                         std::string_view name) {
  return ReadObject<v1::SchemeState>(state, "scheme", name, SchemeKey(name));
}

[[nodiscard]] absl::StatusOr<v1::CreditAccountState> ReadCreditAccount(const StateReader& state,
                                                                       std::string_view id) {
  return ReadObject<v1::CreditAccountState>(state, "account", id, CreditAccountKey(id));
}

[[nodiscard]] absl::StatusOr<v1::IntakeState> ReadIntake(const StateReader& state,
                                                         std::string_view id) {
  return ReadObject<v1::IntakeState>(state, "intake", id, IntakeKey(id));
}

[[nodiscard]] absl::StatusOr<std::optional<v1::CheckpointKeyState>> ReadCheckpointKeyState(
    const StateReader& state) {
  return ReadLogState<v1::CheckpointKeyState>(state, kCheckpointKeyStateKey,
                                              "the checkpoint key state is corrupt");
}

[[nodiscard]] absl::StatusOr<std::optional<v1::ErrorState>> ReadErrorState(const StateReader& state,
                                                                           uint64_t index) {
  return ReadLogState<v1::ErrorState>(state, ErrorKey(index), "stored error state is corrupt");
}

[[nodiscard]] absl::StatusOr<std::optional<v1::LogPolicyState>> ReadLogPolicyState(
    const StateReader& state) {
  return ReadLogState<v1::LogPolicyState>(state, kLogPolicyStateKey,
                                          "the log policy state is corrupt");
}

absl::StatusOr<std::optional<std::string>> StateView::Raw(const std::string& key) const {
  if (auto it = pending_.find(key); it != pending_.end()) return it->second;
  if (auto it = changed_.find(key); it != changed_.end()) return it->second;
  return committed_->GetState(key);
}

absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> StateView::Participant(
    const std::string& id) const {
  const std::string key = ParticipantStateKey(id);
  const bool staged = pending_.count(key) > 0 || changed_.count(key) > 0;
  if (!staged) return registry_->Get(id);
  absl::StatusOr<std::optional<v1::ParticipantState>> p = Get<v1::ParticipantState>(key);
  if (!p.ok()) return p.status();
  if (!p->has_value()) {
    return absl::NotFoundError(absl::StrCat("unknown participant '", id, "'"));
  }
  return std::make_shared<const v1::ParticipantState>(std::move(**p));
}

void StateView::PutParticipant(const v1::ParticipantState& p) {
  Put(ParticipantStateKey(p.participant_id()), p);
}

void StateView::Put(const std::string& key, const google::protobuf::Message& value) {
  pending_[key] = value.SerializeAsString();
}

namespace {

// Sets `sealed` in the serialized T `value`.
template <typename T>
[[nodiscard]] bool SetSealed(std::string& value) {
  T m;
  if (!m.ParseFromString(value)) return false;
  m.set_sealed(true);
  value = m.SerializeAsString();
  return true;
}

}  // namespace

absl::Status StateView::MarkRecordSealed() {
  const std::string lot = LotKey(""), piece = PieceKey(""), account = CreditAccountKey("");
  for (auto& [key, value] : pending_) {
    auto starts = [&k = key](const std::string& prefix) { return k.rfind(prefix, 0) == 0; };
    bool ok = true;
    if (starts(lot)) {
      ok = SetSealed<v1::LotState>(value);
    } else if (starts(piece)) {
      ok = SetSealed<v1::PieceState>(value);
    } else if (starts(account)) {
      ok = SetSealed<v1::CreditAccountState>(value);
    }
    if (!ok) return CorruptState(key);
  }
  return absl::OkStatus();
}

void StateView::CommitRecord() {
  for (auto& [k, v] : pending_) changed_[k] = std::move(v);
  pending_.clear();
}

void StateView::Publish(Registry* registry) const {
  const std::string prefix = ParticipantStateKeyPrefix();
  for (auto it = changed_.lower_bound(prefix); it != changed_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    auto p = std::make_shared<v1::ParticipantState>();
    if (p->ParseFromString(it->second)) registry->Publish(std::move(p));
  }
}

}  // namespace touchstone
