// The state overlay of one commit group.
#include "ledger/provenance/state_view.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/strings.h"

namespace touchstone {

std::string CertificateKey(std::string_view id) { return absl::StrCat("cert/", Sv(id)); }
std::string LotKey(std::string_view id) { return absl::StrCat("lot/", Sv(id)); }
std::string PieceKey(std::string_view id) { return absl::StrCat("piece/", Sv(id)); }
std::string ErrorKey(uint64_t index) { return absl::StrCat("error/", EncodeU64(index)); }
std::string ReportNumberKey(std::string_view number) { return absl::StrCat("report/", Sv(number)); }
std::string InscriptionKey(std::string_view inscription) {
  return absl::StrCat("inscription/", Sv(inscription));
}

absl::StatusOr<std::optional<std::string>> MemoryState::GetState(std::string_view key) const {
  auto it = values_.find(std::string(key));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

absl::Status StateView::CorruptState(const std::string& key) {
  return absl::DataLossError(absl::StrCat("stored state '", key, "' is corrupt"));
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

void StateView::CommitRecord() {
  for (auto& [k, v] : pending_) changed_[k] = std::move(v);
  pending_.clear();
}

void StateView::Publish(Registry* registry) const {
  const std::string prefix = ParticipantStateKey("");
  for (auto it = changed_.lower_bound(prefix); it != changed_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    auto p = std::make_shared<v1::ParticipantState>();
    if (p->ParseFromString(it->second)) registry->Publish(std::move(p));
  }
}

}  // namespace touchstone
