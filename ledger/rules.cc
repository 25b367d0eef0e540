// Record rules for participants and keys (provenance rules build on these).
#include "ledger/rules.h"

#include "absl/strings/str_cat.h"
#include "ledger/record.h"

namespace touchstone {
namespace {

absl::StatusOr<v1::ParticipantState> NewParticipant(const v1::ParticipantRegistered& reg,
                                                    uint64_t index, int64_t event_micros) {
  if (!IsValidParticipantId(reg.participant_id())) {
    return absl::InvalidArgumentError(absl::StrCat("participant_id '", reg.participant_id(),
                                                   "' is not valid ([a-z0-9][a-z0-9._-]{0,63})"));
  }
  if (reg.legal_name().empty() || reg.legal_name().size() > 256) {
    return absl::InvalidArgumentError("legal_name must be 1 to 256 bytes");
  }
  if (reg.keys().empty()) return absl::InvalidArgumentError("a participant needs at least one key");
  if (reg.roles().empty()) return absl::InvalidArgumentError("a participant needs a role");
  v1::ParticipantState p;
  p.set_participant_id(reg.participant_id());
  p.set_legal_name(reg.legal_name());
  p.set_registered_index(index);
  for (int role : reg.roles()) {
    if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
      return absl::InvalidArgumentError(absl::StrCat("role ", role, " is not a known role"));
    }
    p.add_roles(static_cast<v1::Role>(role));
  }
  for (const auto& k : reg.keys()) {
    auto pub = PublicKey::FromRaw(k.ed25519());
    if (!pub.ok()) return absl::InvalidArgumentError("a registered key is not an Ed25519 key");
    if (FindKey(p, pub->Fingerprint()) != nullptr) {
      return absl::InvalidArgumentError("the same key is listed twice");
    }
    auto* ks = p.add_keys();
    ks->set_key_id(pub->Fingerprint());
    ks->set_ed25519(pub->raw());
    ks->set_added_index(index);
    ks->set_added_micros(event_micros);
  }
  return p;
}

// The participant a key record targets, if the signer may manage its keys.
absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> KeyTarget(
    const v1::Record& record, const std::string& participant_id, GroupState& state) {
  auto signer = state.Participant(record.signer());
  if (!signer.ok()) return signer.status();
  if (record.signer() != participant_id && !HasRole(**signer, v1::ROLE_OPERATOR)) {
    return absl::PermissionDeniedError(
        absl::StrCat("only '", participant_id,
                     "' itself or the operator may change its keys, not '", record.signer(), "'"));
  }
  return state.Participant(participant_id);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> GroupState::Participant(
    const std::string& id) const {
  auto it = changed_.find(id);
  if (it != changed_.end()) return it->second;
  return registry_->Get(id);
}

void GroupState::SetParticipant(std::shared_ptr<const v1::ParticipantState> p) {
  changed_.insert_or_assign(p->participant_id(), std::move(p));
}

void GroupState::WriteTo(StoreBatch& batch) const {
  for (const auto& [id, p] : changed_)
    batch.PutState(ParticipantStateKey(id), p->SerializeAsString());
}

void GroupState::Publish(Registry* registry) const {
  for (const auto& [id, p] : changed_) registry->Publish(p);
}

absl::Status ApplyGenesis(const v1::Record& record, uint64_t index, GroupState& state) {
  if (record.body_case() != v1::Record::kGenesis) {
    return absl::InvalidArgumentError("entry 0 must be a genesis record");
  }
  auto p = NewParticipant(record.genesis().operator_(), index, record.event_time_micros());
  if (!p.ok()) return p.status();
  if (!HasRole(*p, v1::ROLE_OPERATOR)) {
    return absl::InvalidArgumentError("the genesis participant must hold ROLE_OPERATOR");
  }
  state.SetParticipant(std::make_shared<v1::ParticipantState>(std::move(*p)));
  return absl::OkStatus();
}

absl::Status CheckAndApply(const v1::Record& record, const PublicKey& signer_key, uint64_t index,
                           GroupState& state) {
  // The signer's key may have been revoked, or the signer suspended, by a record
  // sequenced after the signature was checked: check again against this group's view.
  auto signer = state.Participant(record.signer());
  if (!signer.ok()) return signer.status();
  if ((*signer)->suspended()) {
    return absl::PermissionDeniedError(
        absl::StrCat("participant '", record.signer(), "' is suspended"));
  }
  const v1::KeyState* key = FindKey(**signer, record.key_id());
  if (key == nullptr || key->ed25519() != signer_key.raw()) {
    return absl::NotFoundError(absl::StrCat("unknown key: participant '", record.signer(),
                                            "' has no key ", record.key_id()));
  }
  if (key->revoked()) {
    return absl::PermissionDeniedError(absl::StrCat("key ", record.key_id(), " of '",
                                                    record.signer(), "' was revoked at index ",
                                                    key->revoked_index()));
  }

  switch (record.body_case()) {
    case v1::Record::kGenesis:
      return absl::InvalidArgumentError("a genesis record can only be entry 0");

    case v1::Record::kParticipantRegistered: {
      if (!HasRole(**signer, v1::ROLE_OPERATOR)) {
        return absl::PermissionDeniedError(absl::StrCat(
            "only the operator may register participants; '", record.signer(), "' is not"));
      }
      const auto& reg = record.participant_registered();
      if (state.Participant(reg.participant_id()).ok()) {
        return absl::AlreadyExistsError(
            absl::StrCat("participant '", reg.participant_id(), "' is already registered"));
      }
      auto p = NewParticipant(reg, index, record.event_time_micros());
      if (!p.ok()) return p.status();
      state.SetParticipant(std::make_shared<v1::ParticipantState>(std::move(*p)));
      return absl::OkStatus();
    }

    case v1::Record::kKeyAdded: {
      const auto& add = record.key_added();
      auto target = KeyTarget(record, add.participant_id(), state);
      if (!target.ok()) return target.status();
      auto pub = PublicKey::FromRaw(add.key().ed25519());
      if (!pub.ok()) return absl::InvalidArgumentError("the added key is not an Ed25519 key");
      if (FindKey(**target, pub->Fingerprint()) != nullptr) {
        return absl::AlreadyExistsError(absl::StrCat("participant '", add.participant_id(),
                                                     "' already has key ", pub->Fingerprint()));
      }
      auto next = std::make_shared<v1::ParticipantState>(**target);
      auto* ks = next->add_keys();
      ks->set_key_id(pub->Fingerprint());
      ks->set_ed25519(pub->raw());
      ks->set_added_index(index);
      ks->set_added_micros(record.event_time_micros());
      state.SetParticipant(std::move(next));
      return absl::OkStatus();
    }

    case v1::Record::kKeyRevoked: {
      const auto& rev = record.key_revoked();
      auto target = KeyTarget(record, rev.participant_id(), state);
      if (!target.ok()) return target.status();
      const v1::KeyState* k = FindKey(**target, rev.key_id());
      if (k == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("participant '", rev.participant_id(), "' has no key ", rev.key_id()));
      }
      if (k->revoked()) {
        return absl::FailedPreconditionError(
            absl::StrCat("key ", rev.key_id(), " is already revoked"));
      }
      auto next = std::make_shared<v1::ParticipantState>(**target);
      for (auto& ks : *next->mutable_keys()) {
        if (ks.key_id() != rev.key_id()) continue;
        ks.set_revoked(true);
        ks.set_revoked_index(index);
        ks.set_revoked_micros(record.event_time_micros());
      }
      state.SetParticipant(std::move(next));
      return absl::OkStatus();
    }

    case v1::Record::kLotCreated:
      // Provenance rules for lots arrive with the records issue; for now any
      // active participant may record one.
      if (record.lot_created().lot_id().empty()) {
        return absl::InvalidArgumentError("lot_id is required");
      }
      return absl::OkStatus();

    case v1::Record::BODY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("record has no body");
}

}  // namespace touchstone
