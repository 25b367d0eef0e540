// The byte layout of a log entry: what is stored, hashed and proven.
//
// Entry v1 (integers big-endian; nothing precedes or follows):
//   offset  size  field
//   0       4     magic "TSE1" (0x54 0x53 0x45 0x31)
//   4       8     index: the entry's position in the log (u64)
//   12      8     recorded_at: server clock when sequenced, microseconds since
//                 the Unix epoch, UTC (i64)
//   20      32    prev_leaf_hash: leaf hash of entry index-1; 32 zero bytes for index 0
//   52      4     R = length of the record bytes (u32)
//   56      R     record: a serialized touchstone.v1.Record exactly as its signer signed it
//   56+R    2     S = length of the signature (u16); 64 for Ed25519, 0 for a record
//                 an owner key signs alone (its owner_signature is in the record:
//                 ledger/provenance/owner_signature.h)
//   58+R    S     signature: Ed25519 over RecordSigningMessage(record) (ledger/provenance/record.h)
//
// Leaf hash = SHA-256(0x00 || entry bytes) (RFC 9162). The prev_leaf_hash field
// chains every entry to its predecessor, so the log is also a hash chain.
#ifndef TOUCHSTONE_LEDGER_LOG_ENTRY_FORMAT_H_
#define TOUCHSTONE_LEDGER_LOG_ENTRY_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/log/hash.h"

namespace touchstone {

inline constexpr std::string_view kEntryMagic = "TSE1";
inline constexpr size_t kEntryHeaderSize = 56;

// A decoded entry; the views point into the bytes it was decoded from.
struct EntryView {
  uint64_t index = 0;
  int64_t recorded_at_micros = 0;
  Hash prev_leaf_hash{};
  std::string_view record;
  std::string_view signature;
};

// Returns the entry bytes for the given fields.
std::string EncodeEntry(uint64_t index, int64_t recorded_at_micros, const Hash& prev_leaf_hash,
                        std::string_view record, std::string_view signature);

// Decodes entry bytes. DATA_LOSS if they are not a well-formed v1 entry
// (wrong magic, truncated, trailing bytes), with a message saying what is wrong.
[[nodiscard]] absl::StatusOr<EntryView> DecodeEntry(std::string_view bytes);

// The chain link of a decoded entry: the one copy of this check, used by
// every reader that walks a log (the tail check on open, rebuild, scrub, tile
// and bundle verification). Each returns DATA_LOSS with a message that
// completes "entry <index>" (it starts with its own separator), so that
// callers prefix where they read it.
//
// OK if `view`, read at position `index`, says it is entry `index`; else
// " says it is entry <N>".
[[nodiscard]] absl::Status CheckEntryIndex(const EntryView& view, uint64_t index);
// OK if `view`'s prev_leaf_hash is `prev_leaf_hash`: the leaf hash of entry
// index - 1 (32 zero bytes for entry 0); else ": prev_leaf_hash is not the
// leaf hash of entry <index - 1>" ("... of entry (none: zeros)" for entry 0).
[[nodiscard]] absl::Status CheckEntryChain(const EntryView& view, uint64_t index,
                                           const Hash& prev_leaf_hash);
// Both: the index, then the chain if `prev_leaf_hash` is given (a reader that
// starts mid-log may not know the hash before its first entry).
[[nodiscard]] absl::Status CheckEntryLink(const EntryView& view, uint64_t index,
                                          const Hash* prev_leaf_hash);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_ENTRY_FORMAT_H_
