// Step 2b of the bundle verifier: the audited checkpoint and the pinned
// auditors' cosignatures on it (bundle_verify.h, ledger/log/audit_note.h).
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/log/audit_note.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/provenance/record.h"

namespace touchstone::bundle {
namespace {

[[nodiscard]] absl::Status Refuse(absl::StatusCode code, const std::string& why) {
  return rule::Tag(rule::kAuditors, absl::Status(code, absl::StrCat("audited checkpoint: ", why)));
}

// The log's checkpoint key in force at `size`: `log_key`, followed through
// the bundle's handover entries below `size` (their inclusion was proven
// against the bundle's checkpoint, which VerifyBundleCheckpoint checked; a
// handover that `log_key` did not sign is one leading to it, and is skipped).
NoteVerifier KeyAtSize(const v1::PieceBundle& bundle, const NoteVerifier& log_key, uint64_t size) {
  CheckpointKeys keys(log_key);
  for (const v1::BundleEntry& e : bundle.entries()) {
    if (e.index() >= size) break;
    absl::StatusOr<v1::Record> r = RecordOfEntry(e.index(), e.entry());
    if (!r.ok() || !r->has_operator_key_rotated()) continue;
    if (!keys.Follow(e.index(), e.entry()).ok()) continue;
  }
  return keys.ForSize(size);
}

}  // namespace

absl::Status CheckAuditedCheckpoint(const v1::PieceBundle& bundle, const NoteVerifier& log_key,
                                    const Checkpoint& cp, const AuditorPins& pins,
                                    BundleReport* report) {
  const size_t keys = CountWitnessKeys(pins.keys);
  const size_t quorum = pins.quorum == 0 ? keys : pins.quorum;
  if (quorum > keys) {
    return Refuse(absl::StatusCode::kInvalidArgument,
                  absl::StrCat("a quorum of ", quorum, " needs at least ", quorum,
                               " distinct auditor keys; ", keys, " given"));
  }
  if (bundle.audited_checkpoint().empty()) {
    if (pins.required) {
      return Refuse(absl::StatusCode::kPermissionDenied,
                    "the bundle carries none, and an audited one is required");
    }
    if (!bundle.audit_consistency().empty()) {
      return Refuse(absl::StatusCode::kInvalidArgument,
                    "a consistency proof without an audited checkpoint");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<Checkpoint> claimed = ParseCheckpointNote(bundle.audited_checkpoint());
  if (!claimed.ok())
    return Refuse(claimed.status().code(), std::string(claimed.status().message()));
  if (claimed->origin != cp.origin) {
    return Refuse(absl::StatusCode::kPermissionDenied,
                  absl::StrCat("it is of log '", claimed->origin, "', not '", cp.origin, "'"));
  }
  if (claimed->size == 0 || claimed->size > cp.size) {
    return Refuse(absl::StatusCode::kInvalidArgument,
                  absl::StrCat("its size ", claimed->size, " is not within the bundle's (1 to ",
                               cp.size, ")"));
  }
  const NoteVerifier key = KeyAtSize(bundle, log_key, claimed->size);
  absl::StatusOr<Checkpoint> audited = VerifyCheckpoint(bundle.audited_checkpoint(), key);
  if (!audited.ok()) {
    return Refuse(absl::StatusCode::kPermissionDenied,
                  absl::StrCat("not signed by the log's key ", key.name, " in force at size ",
                               claimed->size, ": ", audited.status().message()));
  }
  std::vector<Hash> proof;
  for (const std::string& h : bundle.audit_consistency()) {
    absl::StatusOr<Hash> hash = HashFromBytes(h);
    if (!hash.ok())
      return Refuse(absl::StatusCode::kInvalidArgument, std::string(hash.status().message()));
    proof.push_back(*hash);
  }
  if (absl::Status s = VerifyConsistency(audited->size, cp.size, audited->root, cp.root, proof);
      !s.ok()) {
    return Refuse(absl::StatusCode::kDataLoss,
                  absl::StrCat("the log at size ", cp.size, " does not extend it (size ",
                               audited->size, "): consistency proof: ", s.message()));
  }
  absl::StatusOr<std::vector<std::string>> names =
      CosigningAuditors(bundle.audited_checkpoint(), pins.keys);
  if (!names.ok()) return Refuse(names.status().code(), std::string(names.status().message()));
  if (names->size() < quorum) {
    return Refuse(absl::StatusCode::kPermissionDenied,
                  absl::StrCat("cosigned by ", names->size(), " of the ", keys, " auditors given; ",
                               quorum, " required"));
  }
  report->auditors = *std::move(names);
  report->audited_size = report->auditors.empty() ? 0 : audited->size;
  return absl::OkStatus();
}

}  // namespace touchstone::bundle
