// Records as signed and submitted: the signing message, structural validation,
// and the checks every record must pass before anything else looks at it.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_RECORD_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/keys.h"
#include "ledger/provenance/limits.h"
#include "proto/record.pb.h"

namespace touchstone {

// Record signatures. A record signature is Ed25519 over one of two messages;
// which one an entry must carry is set by the log's policy in force at it
// (ledger/provenance/log_policy.h, proto/record.proto LogPolicy.record_signature_version):
//
//   version 2, origin-bound: every entry of a log from its genesis, or, for a
//   log created before LogPolicy existed, from its first LogPolicy entry on:
//     "touchstone.v1 record signature for log\n" || origin || "\n" || record bytes
//   version 1, legacy: entries of such a log before its first LogPolicy entry:
//     "touchstone.v1 record signature\n" || record bytes
//
// `origin` is the log's origin exactly as its genesis and checkpoints name it
// (the first line of a checkpoint: it holds no newline), so a record signed for
// one log does not verify in another log, even where the same participant id
// and key exist there. Both contexts start with the same 30 bytes and differ in
// the 31st (' ' against '\n'), so no message is both forms and no signature
// verifies in both; the context also keeps a record signature from ever
// being mistaken for a checkpoint or note signature.
inline constexpr std::string_view kRecordSigningContext =
    "touchstone.v1 record signature for log\n";
inline constexpr std::string_view kLegacyRecordSigningContext = "touchstone.v1 record signature\n";
inline constexpr uint32_t kLegacyRecordSignatures = 1;
inline constexpr uint32_t kOriginBoundRecordSignatures = 2;

// The exact message a record's signature covers under signature `version`
// (kOriginBoundRecordSignatures; any other value is the legacy form, which
// ignores `origin`).
std::string RecordSigningMessage(uint32_t version, std::string_view origin,
                                 std::string_view record_bytes);

// Signs serialized record bytes for the log `origin` (version 2).
std::string SignRecord(const PrivateKey& key, std::string_view origin,
                       std::string_view record_bytes);

// Signs in the legacy form (version 1), as clients did before LogPolicy: only
// for logs, tests and tools that reproduce such history.
std::string SignLegacyRecord(const PrivateKey& key, std::string_view record_bytes);

// The end of a refusal "... is not signed by key K of 'P'" for a signature
// that does not verify with `key` under `version` for the log `origin`: under
// version 2, " for log 'O'" and either that it is in the legacy form (checked
// with one more verification, so a client still signing without the origin
// learns what to fix) or that a record signed for another log does not verify
// here. A signature made for another origin cannot be told apart from a bad one
// without knowing that origin, so only the origin checked for is named.
std::string SignatureMismatch(const PublicKey& key, uint32_t version, std::string_view origin,
                              std::string_view record_bytes, std::string_view signature);

// True if `id` is a valid participant id: [a-z0-9][a-z0-9._-]{0,63}.
bool IsValidParticipantId(std::string_view id);

// Parses and structurally validates record bytes. INVALID_ARGUMENT with a
// precise message if: larger than max_bytes, not the canonical encoding of a
// Record (ledger/provenance/canonical.h: one body, no field twice, no unknown field, fields
// in order, no default written; the message names the first offence), record_id empty/longer than
// 128/non-printable, signer not a valid participant id, key_id not 16 lowercase hex, negative event
// time, or no body. Owner signatures (ledger/provenance/owner_signature.h): the signer
// may be empty only together with an empty key_id and a present owner_signature,
// and only for the four owner bodies (IsOwnerOnly); a participant-signed record
// carries an owner_signature only if it is a HeirloomReceived or a PieceLifecycle
// REPAIRED ("owner_signature: a <kind> record carries no owner signature"); an
// owner_signature's key_id is 16 lowercase hex. A sealed record must pass
// CheckSealedPublicPart (ledger/provenance/commitments.h): its committed fields
// left out, a 32-byte commitment, a body that has committed fields.
[[nodiscard]] absl::StatusOr<v1::Record> ParseRecord(std::string_view bytes,
                                                     size_t max_bytes = kDefaultMaxRecordBytes);

// True if `record` is signed by an owner key alone: no signer, and an
// owner_signature (the entry's signature is then empty). ParseRecord admits
// such a record only for the bodies of IsOwnerBody.
bool IsOwnerOnly(const v1::Record& record);

// True for the bodies an owner key may sign alone: OwnershipAccepted,
// OwnershipTransferred, OwnerReport, OwnerKeyReplaced.
bool IsOwnerBody(const v1::Record& record);

// An owner body's prev_index (the piece's ownership record it follows);
// nullopt for another body.
std::optional<uint64_t> OwnerPrevIndex(const v1::Record& record);

// Sets an owner body's prev_index; does nothing to another body.
void SetOwnerPrevIndex(v1::Record& record, uint64_t index);

// Whose record ids `record`'s id is unique among: its signer, or for an
// owner-only record "owner:" + the owner key id (participant ids hold no ':').
std::string RecordIdScope(const v1::Record& record);

// The record an entry holds (its exact bytes parsed, not validated: the
// ledger validated them before storing). DATA_LOSS naming `index` if the entry
// is malformed or holds no parsable record.
[[nodiscard]] absl::StatusOr<v1::Record> RecordOfEntry(uint64_t index, std::string_view entry);

// The record's kind: its body's field name ("lot_created", "transformation",
// ...), or "empty record".
std::string RecordKind(const v1::Record& record);

// Serializes a record (clients only: the ledger never re-serializes what it stores).
std::string SerializeRecord(const v1::Record& record);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_RECORD_H_
