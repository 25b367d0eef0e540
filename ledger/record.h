// Records as signed and submitted: the signing message, structural validation,
// and the checks every record must pass before anything else looks at it.
#ifndef TOUCHSTONE_LEDGER_RECORD_H_
#define TOUCHSTONE_LEDGER_RECORD_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ledger/entry_format.h"
#include "ledger/keys.h"
#include "ledger/limits.h"
#include "proto/record.pb.h"

namespace touchstone {

// Domain separation: a record signature is Ed25519 over
//   kRecordSigningContext || record bytes
// so a record signature can never be mistaken for a checkpoint or note signature.
inline constexpr std::string_view kRecordSigningContext = "touchstone.v1 record signature\n";

// The exact message a record's signature covers.
std::string RecordSigningMessage(std::string_view record_bytes);

// Signs serialized record bytes.
std::string SignRecord(const PrivateKey& key, std::string_view record_bytes);

// True if `id` is a valid participant id: [a-z0-9][a-z0-9._-]{0,63}.
bool IsValidParticipantId(std::string_view id);

// Parses and structurally validates record bytes. INVALID_ARGUMENT with a
// precise message if: larger than max_bytes, not the canonical encoding of a
// Record (ledger/canonical.h: one body, no field twice, no unknown field, fields
// in order, no default written; the message names the first offence), record_id empty/longer than 128/non-printable, signer not a valid
// participant id, key_id not 16 lowercase hex, negative event time, or no body.
absl::StatusOr<v1::Record> ParseRecord(std::string_view bytes,
                                       size_t max_bytes = kDefaultMaxRecordBytes);

// The record an entry holds (its exact bytes parsed, not validated: the
// ledger validated them before storing). DATA_LOSS naming `index` if the entry
// is malformed or holds no parsable record.
absl::StatusOr<v1::Record> RecordOfEntry(uint64_t index, std::string_view entry);

// The record's kind: its body's field name ("lot_created", "transformation",
// ...), or "empty record".
std::string RecordKind(const v1::Record& record);

// Serializes a record (clients only: the ledger never re-serializes what it stores).
std::string SerializeRecord(const v1::Record& record);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_RECORD_H_
