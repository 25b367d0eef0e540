// The Ledger's audited checkpoints: auditor cosignatures handed in
// (AddAuditCosignature), kept in CF "meta" (storage_map.h), and the newest
// checkpoint that reached the auditor quorum, which bundles carry.
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/log/audit_note.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/cosignature.h"
#include "ledger/store/storage_map.h"

namespace touchstone {

size_t Ledger::AuditorQuorum() const {
  return options_.auditor_quorum == 0 ? CountWitnessKeys(options_.auditors)
                                      : options_.auditor_quorum;
}

absl::Status Ledger::LoadAudited() {
  ASSIGN_OR_RETURN(std::optional<std::string> size_value, store_->GetMeta(kAuditedSizeMetaKey));
  const std::optional<uint64_t> size = size_value ? DecodeU64Value(*size_value) : std::nullopt;
  if (!size || options_.auditors.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<std::string> note,
                   store_->GetMeta(AuditedCheckpointMetaKey(*size)));
  if (!note) return absl::DataLossError(absl::StrCat("no audited checkpoint at size ", *size));
  // Served only if it still makes the quorum of the auditors configured now.
  absl::StatusOr<std::vector<std::string>> names = CosigningAuditors(*note, options_.auditors);
  if (!names.ok() || names->size() < AuditorQuorum()) return absl::OkStatus();
  absl::MutexLock lock(&head_mu_);
  audited_ = std::make_pair(*size, *std::move(note));
  return absl::OkStatus();
}

std::optional<std::pair<uint64_t, std::string>> Ledger::LatestAudited() const {
  absl::MutexLock lock(&head_mu_);
  return audited_;
}

absl::StatusOr<AuditCosignResult> Ledger::AddAuditCosignature(std::string_view cosigned_note) {
  if (options_.auditors.empty()) {
    return absl::FailedPreconditionError(
        "this server takes no auditor cosignatures: it has no --auditor NAME=VKEY");
  }
  ASSIGN_OR_RETURN(const ParsedNote parsed, ParseNote(cosigned_note));
  ASSIGN_OR_RETURN(const Checkpoint cp, Checkpoint::FromText(parsed.text));
  ASSIGN_OR_RETURN(std::string issued, GetCheckpoint(cp.size));

  absl::MutexLock lock(&audit_mu_);
  ASSIGN_OR_RETURN(std::optional<std::string> kept,
                   store_->GetMeta(AuditedCheckpointMetaKey(cp.size)));
  ASSIGN_OR_RETURN(AuditorMerge merge, MergeAuditorCosignatures(kept ? *kept : issued,
                                                                cosigned_note, options_.auditors));
  AuditCosignResult result{.size = cp.size,
                           .added = std::move(merge.added),
                           .auditors = std::move(merge.cosigned),
                           .audited_size = 0};
  const std::optional<std::pair<uint64_t, std::string>> served = LatestAudited();
  const bool serve =
      result.auditors.size() >= AuditorQuorum() && (!served || served->first <= cp.size);
  if (!result.added.empty() || (serve && (!served || served->first != cp.size))) {
    StoreBatch batch = store_->NewBatch();
    batch.PutMeta(AuditedCheckpointMetaKey(cp.size), merge.note);
    if (serve) batch.PutMeta(kAuditedSizeMetaKey, EncodeU64(cp.size));
    RETURN_IF_ERROR(store_->Commit(batch));
  }
  absl::MutexLock head(&head_mu_);
  if (serve) audited_ = std::make_pair(cp.size, std::move(merge.note));
  result.audited_size = audited_ ? audited_->first : 0;
  return result;
}

}  // namespace touchstone
