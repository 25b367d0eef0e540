// Rules for participant records: registration, keys, roles, suspension.
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone {
namespace {

[[nodiscard]] absl::StatusOr<v1::ParticipantState> NewParticipant(
    const v1::ParticipantRegistered& reg, uint64_t index, int64_t event_micros) {
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
  p.set_registered_micros(event_micros);
  p.add_history(index);
  *p.mutable_identifiers() = reg.identifiers();
  for (int role : reg.roles()) {
    if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
      return absl::InvalidArgumentError(absl::StrCat("role ", role, " is not a known role"));
    }
    if (HasRole(p, static_cast<v1::Role>(role))) continue;
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

// Binds each external identifier of `p` (LEI, GLN, RJC member number) to it in
// the search index (storage_map.h IdentifierKey). INVALID_ARGUMENT for an empty
// or repeated one; FAILED_PRECONDITION "identifier rule: ..." if one already
// names another participant: one identifier, one participant.
[[nodiscard]] absl::Status BindIdentifiers(StateView& state, const v1::ParticipantState& p,
                                           uint64_t index) {
  std::set<std::pair<std::string, std::string>> seen;
  for (const v1::Identifier& id : p.identifiers()) {
    if (id.scheme().empty() || id.value().empty() || id.scheme().find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          "an identifier needs a scheme (\"LEI\", \"GLN\", \"RJC\") and a value");
    }
    if (!seen.insert({id.scheme(), id.value()}).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("identifier ", id.scheme(), " '", id.value(), "' is listed twice"));
    }
    const std::string key = IdentifierKey(id.scheme(), id.value());
    ASSIGN_OR_RETURN(std::optional<v1::IndexedName> bound, state.Get<v1::IndexedName>(key));
    if (bound && bound->id() != p.participant_id()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "identifier rule: ", id.scheme(), " '", id.value(), "' already identifies participant '",
          bound->id(), "' (entry ", bound->index(), ")"));
    }
    v1::IndexedName name;
    name.set_id(p.participant_id());
    name.set_index(index);
    state.Put(key, name);
  }
  return absl::OkStatus();
}

}  // namespace

[[nodiscard]] absl::Status ApplyGenesis(const v1::Record& record, uint64_t index,
                                        StateView& state) {
  if (record.body_case() != v1::Record::kGenesis) {
    return absl::InvalidArgumentError("entry 0 must be a genesis record");
  }
  ASSIGN_OR_RETURN(v1::ParticipantState p,
                   NewParticipant(record.genesis().operator_(), index, record.event_time_micros()));
  if (!HasRole(p, v1::ROLE_OPERATOR)) {
    return absl::InvalidArgumentError("the genesis participant must hold ROLE_OPERATOR");
  }
  if (record.signer() != p.participant_id()) {
    return absl::InvalidArgumentError(
        "the genesis record must be signed by the operator it registers");
  }
  const v1::KeyState* signing = FindKey(p, record.key_id());
  if (signing == nullptr) {
    return absl::InvalidArgumentError("the genesis record must be signed by a key it registers");
  }
  // The key that signs genesis signs the checkpoints until a handover.
  v1::CheckpointKeyState checkpoint_key;
  checkpoint_key.set_operator_id(p.participant_id());
  checkpoint_key.set_ed25519(signing->ed25519());
  state.Put(std::string(kCheckpointKeyStateKey), checkpoint_key);
  // A new log's policy is in force from entry 0 on (ledger/provenance/log_policy.h).
  if (record.genesis().has_policy()) {
    RETURN_IF_ERROR(ValidatePolicy(record.genesis().policy()));
    v1::LogPolicyState policy;
    *policy.mutable_policy() = record.genesis().policy();
    policy.set_since_index(index);
    state.Put(std::string(kLogPolicyStateKey), policy);
  }
  RETURN_IF_ERROR(BindIdentifiers(state, p, index));
  state.PutParticipant(p);
  return absl::OkStatus();
}

namespace rules {
namespace {

// The participant a record targets; the signer must be it or the operator
// (`self_allowed`), or the operator only.
[[nodiscard]] absl::StatusOr<v1::ParticipantState> Target(const Env& env, const std::string& id,
                                                          bool self_allowed,
                                                          std::string_view what) {
  const bool is_operator = HasRole(env.signer, v1::ROLE_OPERATOR);
  if (!is_operator && !(self_allowed && env.record().signer() == id)) {
    return absl::PermissionDeniedError(
        absl::StrCat("role rule: only ", self_allowed ? absl::StrCat("'", id, "' itself or ") : "",
                     "the operator may ", Sv(what), ", not '", env.record().signer(), "'"));
  }
  absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> p = env.state.Participant(id);
  if (!p.ok()) return p.status();
  RETURN_IF_ERROR(RequireNotBefore(env, (*p)->registered_micros(),
                                   absl::StrCat("the registration of '", id, "'")));
  v1::ParticipantState copy = **p;
  copy.add_history(env.index());
  return copy;
}

}  // namespace

[[nodiscard]] absl::Status ApplyParticipantRecord(const Env& env) {
  const v1::Record& r = env.record();
  switch (r.body_case()) {
    case v1::Record::kParticipantRegistered: {
      if (!HasRole(env.signer, v1::ROLE_OPERATOR)) {
        return absl::PermissionDeniedError(
            absl::StrCat("only the operator may register participants; '", r.signer(), "' is not"));
      }
      const auto& reg = r.participant_registered();
      if (env.state.Participant(reg.participant_id()).ok()) {
        return absl::AlreadyExistsError(
            absl::StrCat("participant '", reg.participant_id(), "' is already registered"));
      }
      ASSIGN_OR_RETURN(v1::ParticipantState p, NewParticipant(reg, env.index(), env.t()));
      RETURN_IF_ERROR(BindIdentifiers(env.state, p, env.index()));
      env.state.PutParticipant(p);
      return absl::OkStatus();
    }
    case v1::Record::kKeyAdded: {
      const auto& add = r.key_added();
      ASSIGN_OR_RETURN(v1::ParticipantState p,
                       Target(env, add.participant_id(), true, "change its keys"));
      auto pub = PublicKey::FromRaw(add.key().ed25519());
      if (!pub.ok()) return absl::InvalidArgumentError("the added key is not an Ed25519 key");
      if (FindKey(p, pub->Fingerprint()) != nullptr) {
        return absl::AlreadyExistsError(absl::StrCat("participant '", add.participant_id(),
                                                     "' already has key ", pub->Fingerprint()));
      }
      auto* ks = p.add_keys();
      ks->set_key_id(pub->Fingerprint());
      ks->set_ed25519(pub->raw());
      ks->set_added_index(env.index());
      ks->set_added_micros(env.t());
      env.state.PutParticipant(p);
      return absl::OkStatus();
    }
    case v1::Record::kKeyRevoked: {
      const auto& rev = r.key_revoked();
      ASSIGN_OR_RETURN(v1::ParticipantState p,
                       Target(env, rev.participant_id(), true, "change its keys"));
      v1::KeyState* k = nullptr;
      for (auto& ks : *p.mutable_keys()) {
        if (ks.key_id() == rev.key_id()) k = &ks;
      }
      if (k == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("participant '", rev.participant_id(), "' has no key ", rev.key_id()));
      }
      if (k->revoked()) {
        return absl::FailedPreconditionError(
            absl::StrCat("key ", rev.key_id(), " is already revoked"));
      }
      RETURN_IF_ERROR(RequireNotBefore(env, k->added_micros(), "the key's addition"));
      // The key signing checkpoints leaves only through a handover, which names its successor.
      ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> ck,
                       env.state.Get<v1::CheckpointKeyState>(std::string(kCheckpointKeyStateKey)));
      if (ck && ck->operator_id() == rev.participant_id() && ck->ed25519() == k->ed25519()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "key rule: key ", rev.key_id(),
            " signs this log's checkpoints; rotate it with touchstoned --rotate_operator_key"));
      }
      // A participant's last key may go (a stolen laptop); the operator adds a new
      // one. The operator's own last key may not: nobody could sign again.
      int active = 0;
      for (const auto& ks : p.keys()) active += ks.revoked() ? 0 : 1;
      if (active == 1 && HasRole(p, v1::ROLE_OPERATOR)) {
        return absl::FailedPreconditionError(
            absl::StrCat("key rule: key ", rev.key_id(), " is the last active key of '",
                         rev.participant_id(), "'; add its successor first"));
      }
      k->set_revoked(true);
      k->set_revoked_index(env.index());
      k->set_revoked_micros(env.t());
      env.state.PutParticipant(p);
      return absl::OkStatus();
    }
    case v1::Record::kRoleGranted: {
      const auto& g = r.role_granted();
      ASSIGN_OR_RETURN(v1::ParticipantState p,
                       Target(env, g.participant_id(), false, "grant roles"));
      if (g.role() == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(g.role())) {
        return absl::InvalidArgumentError("role_granted needs a known role");
      }
      if (HasRole(p, g.role())) {
        return absl::AlreadyExistsError(absl::StrCat(
            "participant '", g.participant_id(), "' already holds the role ", RoleName(g.role())));
      }
      p.add_roles(g.role());
      env.state.PutParticipant(p);
      return absl::OkStatus();
    }
    case v1::Record::kParticipantSuspended:
    case v1::Record::kParticipantReinstated: {
      const bool suspend = r.has_participant_suspended();
      const std::string& id = suspend ? r.participant_suspended().participant_id()
                                      : r.participant_reinstated().participant_id();
      ASSIGN_OR_RETURN(v1::ParticipantState p,
                       Target(env, id, false, suspend ? "suspend" : "reinstate"));
      if (id == r.signer()) {
        return absl::FailedPreconditionError("a participant cannot suspend or reinstate itself");
      }
      if (p.suspended() == suspend) {
        return absl::FailedPreconditionError(absl::StrCat(
            "participant '", id, "' is ", suspend ? "already suspended" : "not suspended"));
      }
      p.set_suspended(suspend);
      env.state.PutParticipant(p);
      return absl::OkStatus();
    }
    case v1::Record::kOperatorKeyRotated: {
      // The checkpoint key hands over to a new key (ledger/provenance/key_handover.h).
      ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> ck,
                       env.state.Get<v1::CheckpointKeyState>(std::string(kCheckpointKeyStateKey)));
      if (!ck) return absl::DataLossError("the log's checkpoint key is not in its state");
      if (r.signer() != ck->operator_id() || env.ctx.signer_key == nullptr ||
          env.ctx.signer_key->raw() != ck->ed25519()) {
        return absl::PermissionDeniedError(absl::StrCat(
            "key rule: only the operator '", ck->operator_id(),
            "' with the checkpoint key in force may hand it over; this record is signed by key ",
            r.key_id(), " of '", r.signer(), "'"));
      }
      auto next = PublicKey::FromRaw(r.operator_key_rotated().new_key().ed25519());
      if (!next.ok())
        return absl::InvalidArgumentError("the new checkpoint key is not an Ed25519 key");
      v1::ParticipantState p = env.signer;
      p.add_history(env.index());
      if (FindKey(p, next->Fingerprint()) != nullptr) {
        return absl::AlreadyExistsError(
            absl::StrCat("key rule: key ", next->Fingerprint(), " is or was already a key of '",
                         p.participant_id(), "'; a checkpoint key is used once"));
      }
      for (auto& ks : *p.mutable_keys()) {
        if (ks.key_id() != r.key_id()) continue;
        ks.set_revoked(true);
        ks.set_revoked_index(env.index());
        ks.set_revoked_micros(env.t());
      }
      auto* ks = p.add_keys();
      ks->set_key_id(next->Fingerprint());
      ks->set_ed25519(next->raw());
      ks->set_added_index(env.index());
      ks->set_added_micros(env.t());
      env.state.PutParticipant(p);
      ck->set_ed25519(next->raw());
      ck->add_handovers(env.index());
      env.state.Put(std::string(kCheckpointKeyStateKey), *ck);
      return absl::OkStatus();
    }
    default:
      return absl::InternalError("not a participant record");
  }
}

[[nodiscard]] absl::Status ApplyLogPolicy(const Env& env) {
  RETURN_IF_ERROR(RequireRole(env, "setting the log's policy"));
  RETURN_IF_ERROR(ValidatePolicy(env.record().log_policy()));
  ASSIGN_OR_RETURN(std::optional<v1::LogPolicyState> state,
                   env.state.Get<v1::LogPolicyState>(std::string(kLogPolicyStateKey)));
  if (state && state->policy().rules_version() > env.record().log_policy().rules_version()) {
    return absl::FailedPreconditionError(
        absl::StrCat("policy rule: a log's rules version never goes down (in force: ",
                     state->policy().rules_version(),
                     "; this policy: ", env.record().log_policy().rules_version(), ")"));
  }
  v1::LogPolicyState next = state.value_or(v1::LogPolicyState());
  *next.mutable_policy() = env.record().log_policy();
  next.set_since_index(env.index());
  next.add_changes(env.index());
  env.state.Put(std::string(kLogPolicyStateKey), next);
  return absl::OkStatus();
}

}  // namespace rules
}  // namespace touchstone
