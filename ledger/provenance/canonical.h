// The one encoding of a record that the ledger accepts, and every verifier
// requires: the protobuf bytes a record parses to must be exactly the
// deterministic serialization of what they parse to. A record then has one
// reading only, whoever decodes it (the ledger's C++ protobuf, the page's
// JavaScript decoder in services/web/verify.js, an auditor's tool).
//
// Canonical protobuf (proto3) bytes, as C++'s deterministic serializer writes
// them, and as CheckCanonicalEncoding walks them:
//  - fields appear in increasing field-number order; a singular field appears
//    at most once; only a repeated string, bytes or message field repeats, and
//    then as consecutive copies;
//  - at most one field of a oneof is present;
//  - every field number is known to the schema, with its schema's wire type;
//  - a field without explicit presence (plain proto3 scalar, string, bytes) is
//    left out when it holds its default (0, false, empty); a oneof member, an
//    `optional` field or a message field is written even when empty;
//  - repeated numeric fields are packed, in one non-empty run;
//  - varints are in their shortest form (negative int32 and enum values take
//    ten bytes, as protobuf writes them); strings are UTF-8.
// What the walk finds is named by its first offence, in byte order; anything
// else that makes the bytes differ from the re-serialization is named by the
// first differing byte.
//
// The page's decoder walks the same rules from a schema generated from the same
// .proto (services/web_tables.cc), and says the same thing.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_CANONICAL_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_CANONICAL_H_

#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace touchstone {

// OK if `bytes` are the canonical encoding of a message of `type`.
// INVALID_ARGUMENT "non-canonical encoding: <where>: <offence>" otherwise, e.g.
// "non-canonical encoding: Record: fields piece_registered (24) and
// piece_lifecycle (25) of oneof body are both set". Pure; never crashes on any input.
[[nodiscard]] absl::Status CheckCanonicalEncoding(const google::protobuf::Descriptor& type,
                                                  std::string_view bytes);

// OK if `parsed` (parsed from `bytes`) serializes deterministically to exactly
// `bytes`; INVALID_ARGUMENT naming the first differing byte otherwise. The
// backstop behind CheckCanonicalEncoding.
[[nodiscard]] absl::Status CheckReserializesTo(const google::protobuf::Message& parsed,
                                               std::string_view bytes);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_CANONICAL_H_
