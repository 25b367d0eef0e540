// Record signing message and structural validation.
#include "ledger/provenance/record.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/provenance/canonical.h"
#include "ledger/provenance/commitments.h"

namespace touchstone {
namespace {

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string RecordSigningMessage(uint32_t version, std::string_view origin,
                                 std::string_view record_bytes) {
  if (version == kOriginBoundRecordSignatures) {
    return absl::StrCat(Sv(kRecordSigningContext), Sv(origin), "\n", Sv(record_bytes));
  }
  return absl::StrCat(Sv(kLegacyRecordSigningContext), Sv(record_bytes));
}

std::string SignRecord(const PrivateKey& key, std::string_view origin,
                       std::string_view record_bytes) {
  return key.Sign(RecordSigningMessage(kOriginBoundRecordSignatures, origin, record_bytes));
}

std::string SignLegacyRecord(const PrivateKey& key, std::string_view record_bytes) {
  return key.Sign(RecordSigningMessage(kLegacyRecordSignatures, "", record_bytes));
}

std::string SignatureMismatch(const PublicKey& key, uint32_t version, std::string_view origin,
                              std::string_view record_bytes, std::string_view signature) {
  if (version != kOriginBoundRecordSignatures) {
    if (key.Verify(RecordSigningMessage(kOriginBoundRecordSignatures, origin, record_bytes),
                   signature)) {
      return "; it is an origin-bound signature, but the entry comes before the log's first "
             "LogPolicy and needs the legacy form";
    }
    return "; the entry needs the legacy form (no origin), and the signature does not verify in it";
  }
  if (key.Verify(RecordSigningMessage(kLegacyRecordSignatures, "", record_bytes), signature)) {
    return absl::StrCat(
        " for log '", Sv(origin),
        "': it is signed in the legacy form, without the log's origin, which "
        "this log no longer accepts: sign \"touchstone.v1 record signature for "
        "log\\n\" || origin || \"\\n\" || record bytes (ledger/provenance/record.h)");
  }
  return absl::StrCat(" for log '", Sv(origin),
                      "' (a record signed for another log, or by another key, does not verify "
                      "here; record signatures bind the log's origin: ledger/provenance/record.h)");
}

bool IsValidParticipantId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

[[nodiscard]] absl::StatusOr<v1::Record> ParseRecord(std::string_view bytes, size_t max_bytes) {
  if (bytes.empty()) return absl::InvalidArgumentError("record is empty");
  if (bytes.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("record limit: the record is ", bytes.size(),
                                                   " bytes; the limit is ", max_bytes,
                                                   " (max_record_bytes)"));
  }
  // One reading only: the canonical bytes of what they parse to (ledger/provenance/canonical.h).
  RETURN_IF_ERROR(CheckCanonicalEncoding(*v1::Record::descriptor(), bytes));
  v1::Record r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("record bytes are not a touchstone.v1.Record");
  }
  RETURN_IF_ERROR(CheckReserializesTo(r, bytes));
  if (r.record_id().empty() || r.record_id().size() > 128 || !IsPrintableAscii(r.record_id())) {
    return absl::InvalidArgumentError(
        "record_id must be 1 to 128 printable ASCII characters without spaces");
  }
  if (r.event_time_micros() < 0) {
    return absl::InvalidArgumentError("event_time_micros must not be negative");
  }
  if (r.body_case() == v1::Record::BODY_NOT_SET) {
    return absl::InvalidArgumentError("record has no body");
  }
  RETURN_IF_ERROR(CheckSealedPublicPart(r));
  if (r.has_owner_signature()) {
    const std::string& id = r.owner_signature().key_id();
    if (id.size() != 16 || !IsLowerHex(id)) {
      return absl::InvalidArgumentError(
          "owner_signature.key_id must be 16 lowercase hex characters");
    }
  }
  if (r.signer().empty()) {
    // Signed by an owner key alone (ledger/provenance/owner_signature.h).
    std::string_view wrong;
    if (!IsOwnerBody(r)) {
      wrong = "is not an owner record";
    } else if (!r.has_owner_signature()) {
      wrong = "carries no owner_signature";
    } else if (!r.key_id().empty()) {
      wrong = "has a key_id";
    }
    if (!wrong.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "signer is empty, but only an ownership_accepted, ownership_transferred, owner_report "
          "or owner_key_replaced record may be signed by an owner key alone, with no key_id and "
          "an owner_signature: this ",
          RecordKind(r), " record ", Sv(wrong)));
    }
    return r;
  }
  if (!IsValidParticipantId(r.signer())) {
    return absl::InvalidArgumentError(
        absl::StrCat("signer '", absl::CHexEscape(r.signer()),
                     "' is not a participant id ([a-z0-9][a-z0-9._-]{0,63})"));
  }
  if (r.key_id().size() != 16 || !IsLowerHex(r.key_id())) {
    return absl::InvalidArgumentError("key_id must be 16 lowercase hex characters");
  }
  if (r.has_owner_signature()) {
    const bool may_carry =
        r.has_heirloom_received() ||
        (r.has_piece_lifecycle() && r.piece_lifecycle().event() == v1::PIECE_EVENT_REPAIRED);
    if (!may_carry) {
      return absl::InvalidArgumentError(
          absl::StrCat("owner_signature: a ", RecordKind(r),
                       r.has_piece_lifecycle() ? " record other than REPAIRED" : " record",
                       " carries no owner signature"));
    }
  }
  return r;
}

bool IsOwnerOnly(const v1::Record& record) {
  return record.signer().empty() && record.has_owner_signature();
}

bool IsOwnerBody(const v1::Record& record) {
  switch (record.body_case()) {
    case v1::Record::kOwnershipAccepted:
    case v1::Record::kOwnershipTransferred:
    case v1::Record::kOwnerReport:
    case v1::Record::kOwnerKeyReplaced:
      return true;
    default:
      return false;
  }
}

std::optional<uint64_t> OwnerPrevIndex(const v1::Record& record) {
  switch (record.body_case()) {
    case v1::Record::kOwnershipAccepted:
      return record.ownership_accepted().prev_index();
    case v1::Record::kOwnershipTransferred:
      return record.ownership_transferred().prev_index();
    case v1::Record::kOwnerReport:
      return record.owner_report().prev_index();
    case v1::Record::kOwnerKeyReplaced:
      return record.owner_key_replaced().prev_index();
    default:
      return std::nullopt;
  }
}

void SetOwnerPrevIndex(v1::Record& record, uint64_t index) {
  switch (record.body_case()) {
    case v1::Record::kOwnershipAccepted:
      record.mutable_ownership_accepted()->set_prev_index(index);
      break;
    case v1::Record::kOwnershipTransferred:
      record.mutable_ownership_transferred()->set_prev_index(index);
      break;
    case v1::Record::kOwnerReport:
      record.mutable_owner_report()->set_prev_index(index);
      break;
    case v1::Record::kOwnerKeyReplaced:
      record.mutable_owner_key_replaced()->set_prev_index(index);
      break;
    default:
      break;
  }
}

std::string RecordIdScope(const v1::Record& record) {
  if (IsOwnerOnly(record)) return absl::StrCat("owner:", record.owner_signature().key_id());
  return record.signer();
}

std::string SerializeRecord(const v1::Record& record) {
  std::string out;
  record.SerializeToString(&out);
  return out;
}

[[nodiscard]] absl::StatusOr<v1::Record> RecordOfEntry(uint64_t index, std::string_view entry) {
  absl::StatusOr<EntryView> view = DecodeEntry(entry);
  if (!view.ok()) {
    return absl::DataLossError(absl::StrCat("entry ", index, ": ", view.status().message()));
  }
  v1::Record record;
  if (!record.ParseFromArray(view->record.data(), static_cast<int>(view->record.size()))) {
    return absl::DataLossError(absl::StrCat("entry ", index, " holds no parsable record"));
  }
  return record;
}

std::string RecordKind(const v1::Record& record) {
  const auto* field = v1::Record::descriptor()->FindFieldByNumber(record.body_case());
  return field == nullptr ? "empty record" : field->name();
}

}  // namespace touchstone
