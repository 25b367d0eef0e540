// The Ledger's reads: the head (size, checkpoints, key), entries and records,
// leaf lookups, typed lookups of derived state, publishing cosigned
// checkpoints, and backups. Proofs are in ledger_proofs.cc.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/state_view.h"
#include "ledger/store/storage_map.h"

namespace touchstone {

absl::StatusOr<v1::Record> Ledger::ReadRecord(uint64_t index) const {
  ASSIGN_OR_RETURN(std::string bytes, store_->GetEntry(index));
  return RecordOfEntry(index, bytes);
}

absl::StatusOr<std::optional<v1::Opening>> Ledger::GetOpening(uint64_t index) const {
  const uint64_t size = Size();
  if (index >= size) {
    return absl::OutOfRangeError(absl::StrCat("entry ", index, " is beyond the log's size ", size));
  }
  ASSIGN_OR_RETURN(v1::Record record, ReadRecord(index));
  if (!record.has_sealed()) return std::nullopt;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store_->GetOpening(index));
  v1::Opening opening;
  if (!stored || !opening.ParseFromString(*stored)) {
    return absl::DataLossError(absl::StrCat("entry ", index, " is sealed and its opening is ",
                                            stored ? "corrupt" : "missing"));
  }
  return opening;
}

LogInfo Ledger::Info() const {
  absl::MutexLock lock(&head_mu_);
  return LogInfo{signer_->name(), signer_->VerifierKey(), size_, key_handovers_};
}

uint64_t Ledger::Size() const {
  absl::MutexLock lock(&head_mu_);
  return size_;
}

uint64_t Ledger::AwaitSize(uint64_t beyond, bool cosigned, absl::Time deadline) const {
  absl::MutexLock lock(&head_mu_);
  const auto head = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(head_mu_) -> uint64_t {
    if (!cosigned) return size_;
    return cosigned_ ? cosigned_->first : 0;
  };
  const auto grown = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(head_mu_) { return head() > beyond; };
  head_mu_.AwaitWithDeadline(absl::Condition(&grown), deadline);
  return head();
}

std::pair<uint64_t, std::string> Ledger::LatestCheckpoint() const {
  absl::MutexLock lock(&head_mu_);
  return {size_, checkpoint_};
}

std::optional<std::pair<uint64_t, std::string>> Ledger::LatestCosigned() const {
  absl::MutexLock lock(&head_mu_);
  return cosigned_;
}

absl::Status Ledger::PublishCosigned(uint64_t size, const std::string& cosigned) {
  ASSIGN_OR_RETURN(std::string plain, GetCheckpoint(size));
  if (cosigned.size() <= plain.size() || cosigned.compare(0, plain.size(), plain) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("a cosigned checkpoint must extend the one issued at size ", size));
  }
  StoreBatch batch = store_->NewBatch();
  batch.PutCheckpoint(size, cosigned);
  batch.PutMeta(kCosignedSizeMetaKey, EncodeU64(size));
  if (const auto latest = LatestCosigned(); latest && latest->first >= size) {
    return absl::OkStatus();  // a newer one is already published
  }
  RETURN_IF_ERROR(store_->Commit(batch));
  absl::MutexLock lock(&head_mu_);
  if (!cosigned_ || cosigned_->first < size) cosigned_ = std::make_pair(size, cosigned);
  return absl::OkStatus();
}

absl::StatusOr<BackupInfo> Ledger::Backup(const std::string& root) const {
  return WriteBackup(*store_, signer()->key(), root, absl::Now());
}

absl::StatusOr<std::string> Ledger::GetEntry(uint64_t index) const {
  const uint64_t size = Size();
  if (index >= size) {
    return absl::OutOfRangeError(
        absl::StrCat("index ", index, " is beyond the log (size ", size, ")"));
  }
  return store_->GetEntry(index);
}

absl::Status Ledger::ScanEntries(
    uint64_t start, uint64_t end,
    const std::function<absl::Status(uint64_t, std::string_view)>& fn) const {
  const uint64_t size = Size();
  if (start > end || end > size) {
    return absl::OutOfRangeError(
        absl::StrCat("range [", start, ", ", end, ") is not within the log (size ", size, ")"));
  }
  return store_->ScanEntries(start, end, fn);
}

absl::StatusOr<std::string> Ledger::GetCheckpoint(uint64_t size) const {
  const uint64_t current = Size();
  if (size > current) {
    return absl::OutOfRangeError(
        absl::StrCat("size ", size, " is beyond the log (size ", current, ")"));
  }
  return store_->GetCheckpoint(size);
}

absl::StatusOr<uint64_t> Ledger::FindLeaf(const Hash& leaf_hash) const {
  ASSIGN_OR_RETURN(std::optional<uint64_t> index, store_->FindLeaf(leaf_hash));
  if (!index || *index >= Size()) {
    return absl::NotFoundError(absl::StrCat("no entry has leaf hash ", HashToHex(leaf_hash)));
  }
  return *index;
}

absl::StatusOr<v1::ParticipantState> Ledger::GetParticipant(std::string_view id) const {
  return ReadParticipant(*store_, id);
}

absl::StatusOr<v1::LotState> Ledger::GetLot(std::string_view id) const {
  return ReadLot(*store_, id);
}

absl::StatusOr<v1::CertificateState> Ledger::GetCertificate(std::string_view id) const {
  return ReadCertificate(*store_, id);
}

absl::StatusOr<v1::PieceState> Ledger::GetPiece(std::string_view id) const {
  return ReadPiece(*store_, id);
}

absl::StatusOr<v1::CreditAccountState> Ledger::GetCreditAccount(std::string_view id) const {
  return ReadCreditAccount(*store_, id);
}

absl::StatusOr<v1::SchemeState> Ledger::GetScheme(std::string_view name) const {
  return ReadScheme(*store_, name);
}

absl::StatusOr<bool> Ledger::HasPiece(std::string_view id) const {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, store_->GetState(PieceKey(id)));
  return raw.has_value();
}

}  // namespace touchstone
