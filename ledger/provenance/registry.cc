// Participant lookups with a cache of committed state.
#include "ledger/provenance/registry.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"

namespace touchstone {

bool HasRole(const v1::ParticipantState& p, v1::Role role) {
  for (int r : p.roles()) {
    if (r == role) return true;
  }
  return false;
}

const v1::KeyState* FindKey(const v1::ParticipantState& p, std::string_view key_id) {
  for (const auto& k : p.keys()) {
    if (k.key_id() == key_id) return &k;
  }
  return nullptr;
}

absl::StatusOr<std::shared_ptr<const v1::ParticipantState>> Registry::Get(
    std::string_view id) const {
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(Sv(id));
    if (it != cache_.end()) return it->second;
  }
  auto raw = store_->GetState(ParticipantStateKey(id));
  if (!raw.ok()) return raw.status();
  if (!raw->has_value()) {
    return absl::NotFoundError(absl::StrCat("no participant '", Sv(id), "'"));
  }
  auto state = std::make_shared<v1::ParticipantState>();
  if (!state->ParseFromString(**raw)) {
    return absl::DataLossError(
        absl::StrCat("stored state of participant '", Sv(id), "' is corrupt"));
  }
  absl::MutexLock lock(&mu_);
  // Another thread may have published a newer state meanwhile: keep that one.
  auto [it, inserted] = cache_.emplace(std::string(id), std::move(state));
  return it->second;
}

absl::StatusOr<PublicKey> Registry::SigningKey(std::string_view signer,
                                               std::string_view key_id) const {
  auto p = Get(signer);
  if (absl::IsNotFound(p.status())) {
    return absl::NotFoundError(absl::StrCat("unknown signer: no participant '", Sv(signer), "'"));
  }
  if (!p.ok()) return p.status();
  const v1::KeyState* key = FindKey(**p, key_id);
  if (key == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("unknown key: participant '", Sv(signer), "' has no key ", Sv(key_id)));
  }
  const std::string cache_key = absl::StrCat(Sv(signer), "/", Sv(key_id));
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(cache_key);
    if (it != keys_.end() && it->second.raw() == key->ed25519()) return it->second;
  }
  auto pub = PublicKey::FromRaw(key->ed25519());
  if (!pub.ok()) {
    return absl::DataLossError(absl::StrCat("stored key ", Sv(key_id), " of '", Sv(signer),
                                            "' is not a valid Ed25519 key"));
  }
  absl::MutexLock lock(&mu_);
  keys_.insert_or_assign(cache_key, *pub);
  return *pub;
}

void Registry::Publish(std::shared_ptr<const v1::ParticipantState> state) {
  absl::MutexLock lock(&mu_);
  cache_.insert_or_assign(state->participant_id(), std::move(state));
}

void Registry::Clear() {
  absl::MutexLock lock(&mu_);
  cache_.clear();
}

}  // namespace touchstone
