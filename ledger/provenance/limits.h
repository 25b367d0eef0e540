// Limits on what one client request can make the server hold, parse, verify or
// store, with their defaults in one place. Each is enforced before anything
// changes, and a request over one is refused with a message naming the limit:
//
//   limit                         default   enforced by                 refusal
//   gRPC message size             8 MiB     gRPC, before parsing        RESOURCE_EXHAUSTED
//   records per SubmitBatch       1000      Ledger::SubmitBatch         INVALID_ARGUMENT
//   record size (serialized)      64 KiB    ParseRecord                 INVALID_ARGUMENT
//   identifier field              128 B     CheckFieldLimits            INVALID_ARGUMENT
//   free-text field               4096 B    CheckFieldLimits            INVALID_ARGUMENT
//   bytes field (hashes, keys)    64 B      CheckFieldLimits            INVALID_ARGUMENT
//   elements of a repeated field  256       CheckFieldLimits            INVALID_ARGUMENT
//   time one call may take        60 s      the gRPC handlers           DEADLINE_EXCEEDED
//
// The rules add tighter, field-specific bounds (participant ids 64, piece ids
// 64, legal names 256, hashes exactly 32 bytes, owner notes 512). The bytes
// fields of an owner's passkey and signatures have the sizes their format sets
// (ledger/provenance/owner_signature.h: a P-256 point 65, a credential id 1023,
// a signature 72, authenticator data 1024, client data 2048) instead of the
// bytes field limit. Field limits apply to records
// submitted; a verifier reading entries already in a log does not apply them.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_LIMITS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "proto/record.pb.h"

namespace touchstone {

// Largest gRPC message touchstoned accepts or sends, in bytes. Holds a full
// batch of typical records (about 700 B each) with room to spare.
inline constexpr int kDefaultMaxMessageBytes = 8 << 20;
// Most records one SubmitBatch call carries.
inline constexpr size_t kDefaultMaxBatchRecords = 1000;
// Largest serialized record.
inline constexpr size_t kDefaultMaxRecordBytes = 64 * 1024;
// Longest a call may run on the server, in seconds, whatever the client's
// deadline. A submission waits at most this long for its commit; a GetEntries
// stream ends here (the client continues from the next index).
inline constexpr double kDefaultMaxCallSeconds = 60;

// Length limits on the fields of a record, checked on every field of every
// nested message by reflection, so a new field is covered the day it is added.
struct FieldLimits {
  // Longest identifier: a string field named *_id or *_ids, signer,
  // to_participant, subject_participant or subject_lot. Default: 128 bytes
  size_t max_id_bytes = 128;
  // Longest other string (names, notes, reasons, descriptions, locations).
  // Default: 4096 bytes
  size_t max_text_bytes = 4096;
  // Longest bytes field (hashes are 32, Ed25519 keys 32). Default: 64 bytes
  size_t max_binary_bytes = 64;
  // Most elements of any repeated field (inputs, outputs, keys, claims,
  // certificate ids, stones). Default: 256
  size_t max_repeated = 256;
};

// OK if every field of `record`, at any depth, is within `limits`.
// INVALID_ARGUMENT naming the field path (e.g. "transformation.inputs"), its
// size and the limit otherwise.
[[nodiscard]] absl::Status CheckFieldLimits(const v1::Record& record,
                                            const FieldLimits& limits = {});

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_LIMITS_H_
