// The Ledger's operator key: the key in force when a log opens (completing a
// rotation a crash interrupted) and the rotation to a new key
// (ledger/provenance/key_handover.h).
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/ledger_internal.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/state_view.h"

namespace touchstone {
namespace ledger_internal {

[[nodiscard]] absl::Status InstallKeyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot move the new operator key ", from, " to ", to, ": ", ec.message()));
  }
  SyncParentDir(to);
  return absl::OkStatus();
}

[[nodiscard]] absl::StatusOr<PrivateKey> KeyInForce(const v1::CheckpointKeyState& ck,
                                                    PrivateKey loaded, const std::string& path) {
  const std::string staged = path + ".next";
  std::error_code ec;
  if (loaded.public_key().raw() == ck.ed25519()) {
    std::filesystem::remove(staged, ec);  // a rotation that did not commit
    return loaded;
  }
  if (std::filesystem::exists(staged, ec)) {
    RETURN_IF_ERROR(CheckKeyFileIsPrivate(staged));
    ASSIGN_OR_RETURN(PrivateKey next, PrivateKey::LoadPemFile(staged));
    if (next.public_key().raw() == ck.ed25519()) {
      RETURN_IF_ERROR(InstallKeyFile(staged, path));
      return next;
    }
  }
  ASSIGN_OR_RETURN(PublicKey in_force, PublicKey::FromRaw(ck.ed25519()));
  return absl::FailedPreconditionError(absl::StrCat(
      "the operator key in ", path, " (", loaded.public_key().Fingerprint(),
      ") does not sign this log's checkpoints: its checkpoint key is ", in_force.Fingerprint(),
      ck.handovers().empty()
          ? ""
          : absl::StrCat(" since the handover at entry ", ck.handovers(ck.handovers_size() - 1)),
      "; put that key's PEM file there"));
}

}  // namespace ledger_internal

std::shared_ptr<const NoteSigner> Ledger::signer() const {
  absl::MutexLock lock(&head_mu_);
  return signer_;
}

NoteVerifier Ledger::verifier() const {
  absl::MutexLock lock(&head_mu_);
  return verifier_;
}

absl::StatusOr<Receipt> Ledger::RotateOperatorKey(const std::string& new_key_path,
                                                  const std::string& reason) {
  absl::MutexLock rotating(&rotate_mu_);
  RETURN_IF_ERROR(CheckKeyFileIsPrivate(new_key_path));
  ASSIGN_OR_RETURN(PrivateKey next_key, PrivateKey::LoadPemFile(new_key_path));
  const std::shared_ptr<const NoteSigner> current = signer();
  if (next_key.public_key().raw() == current->key().public_key().raw()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the key in ", new_key_path, " already signs this log's checkpoints"));
  }
  ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> ck, ReadCheckpointKeyState(*store_));
  if (!ck) return absl::DataLossError("the log has no checkpoint key state");
  ASSIGN_OR_RETURN(NoteSigner next, NoteSigner::Create(current->name(), next_key));

  // Staged beside the key file first: if the process dies once the handover is
  // durable, Open installs it (KeyInForce).
  const std::string staged = options_.operator_key_path + ".next";
  std::error_code ec;
  std::filesystem::remove(staged, ec);
  RETURN_IF_ERROR(next_key.SavePemFile(staged));

  v1::Record record;
  record.set_record_id(absl::StrCat("checkpoint-key-", next_key.public_key().Fingerprint()));
  record.set_signer(ck->operator_id());
  record.set_key_id(current->key().public_key().Fingerprint());
  record.set_event_time_micros(options_.now_micros());
  record.mutable_operator_key_rotated()->mutable_new_key()->set_ed25519(
      next_key.public_key().raw());
  record.mutable_operator_key_rotated()->set_reason(reason);
  std::string bytes = SerializeRecord(record);
  std::string signature = SignRecord(current->key(), origin_, bytes);
  absl::StatusOr<Prepared> prepared =
      Prepare(std::move(bytes), std::move(signature), std::nullopt, true);
  absl::StatusOr<Receipt> receipt = absl::UnknownError("not submitted");
  if (prepared.ok()) {
    prepared->rotate_to = std::make_shared<const NoteSigner>(std::move(next));
    std::vector<Prepared> one;
    one.push_back(*std::move(prepared));
    receipt = Await(*Enqueue(std::move(one))[0], absl::InfiniteFuture());
  } else {
    receipt = prepared.status();
  }
  if (!receipt.ok()) {
    std::filesystem::remove(staged, ec);
    return receipt.status();
  }
  RETURN_IF_ERROR(ledger_internal::InstallKeyFile(staged, options_.operator_key_path));
  return receipt;
}

}  // namespace touchstone
