// Committed fields: how a record keeps a supplier's business data (volumes,
// losses, the counterparty a shipment names, business references, facilities,
// free-text notes) out of the public log while the ledger still checks every
// rule on the real values.
//
// A sealed record is signed and stored with each field the table below names
// for its body left at its default, and a commitment (Record.sealed) to an
// Opening that holds those fields' values:
//
//   commitment = SHA-256("touchstone-opening/v1" || 0x0A || salt || fields)
//
// where `salt` is 32 random bytes (fresh per record: the values are small and
// guessable, the salt is what hides them) and `fields` is the canonical
// encoding (canonical.h) of a Record holding only the record's body field, and
// in it only committed fields and the messages and repeated messages that lead
// to them, element for element (a committed field inside the third input of a
// transformation is in the third input of the opening's transformation; the
// opening's repeated messages have exactly the public record's counts).
// Opening the record (OpenRecord) puts those values back: the result is the
// record the submitter means, and the one the rules check.
//
// The table is the one definition of what may be committed. What stays public
// is what a customer's verdict rests on: the origin class, materials, fineness,
// certificates relied on, who signed what in which order (custody order), the
// claims. A record without `sealed` is public as before; a sealed record must
// hide every field of its body's table entry (none may be "sealed but public").
//
// Thread safety: pure functions.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_COMMITMENTS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_COMMITMENTS_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/limits.h"
#include "proto/record.pb.h"

namespace touchstone {

// One committed field: `body` is the Record body field's name ("lot_created"),
// `path` the field inside it, dotted through message and repeated message
// fields ("inputs.quantity": the quantity of every input).
struct CommittedField {
  std::string_view body;
  std::string_view path;
};

// Every committed field, grouped by body in Record field order. The table is
// printed in docs/confidential.md.
std::span<const CommittedField> CommittedFields();

// True if `body` (a Record body field name) has committed fields, i.e. a
// record of that kind may be sealed.
bool IsSealableBody(std::string_view body);

// True if `path` is a committed field of `body`.
bool IsCommittedField(std::string_view body, std::string_view path);

inline constexpr size_t kOpeningSaltBytes = 32;
inline constexpr std::string_view kOpeningDomain = "touchstone-opening/v1\n";

// The commitment of an opening (formula above). `salt` must be 32 bytes.
Hash OpeningCommitment(std::string_view salt, std::string_view fields);

// The structural check of a sealed record, part of ParseRecord (record.h):
// OK if `record` carries no `sealed`, or carries a 32-byte commitment on a
// body that has committed fields and leaves each of them at its default.
// INVALID_ARGUMENT naming the field otherwise, e.g. "sealed: lot_created.quantity
// is committed and must be left out of a sealed record".
[[nodiscard]] absl::Status CheckSealedPublicPart(const v1::Record& record);

// The record `public_record` (sealed, and passed CheckSealedPublicPart) means:
// its committed fields filled in from `opening`. INVALID_ARGUMENT, nothing
// else changed, if the salt is not 32 bytes, the fields are larger than
// `max_bytes` or not canonical, the commitment does not match ("opening: does
// not match the record's commitment"), the opening holds another body, a field
// that is not committed, or a message or element the public record lacks.
[[nodiscard]] absl::StatusOr<v1::Record> OpenRecord(const v1::Record& public_record,
                                                    const v1::Opening& opening,
                                                    size_t max_bytes = kDefaultMaxRecordBytes);

// For clients: splits `full` (any record whose body IsSealableBody) into the
// public record to sign and submit (committed fields cleared, `sealed` set)
// and its opening, salted with `salt` (32 bytes: fresh random bytes; tests
// pass fixed ones). INVALID_ARGUMENT if the body has no committed fields or
// the salt is not 32 bytes.
struct SealedRecord {
  v1::Record record;
  v1::Opening opening;
};
[[nodiscard]] absl::StatusOr<SealedRecord> SealRecord(const v1::Record& full, std::string salt);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_COMMITMENTS_H_
