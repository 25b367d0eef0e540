// SHA-256 and the RFC 9162 leaf and interior-node hashes, plus encodings of hashes.
#ifndef TOUCHSTONE_LEDGER_LOG_HASH_H_
#define TOUCHSTONE_LEDGER_LOG_HASH_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace touchstone {

// A SHA-256 digest. Value type; thread-compatible.
using Hash = std::array<uint8_t, 32>;

// Returns SHA-256(data).
Hash Sha256(std::string_view data);

// RFC 9162: SHA-256(0x00 || leaf).
Hash LeafHash(std::string_view leaf);

// RFC 9162: SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);

// SHA-256 of the empty string: the root of the empty tree.
Hash EmptyRoot();

// The 32 bytes as a std::string.
std::string HashBytes(const Hash& h);

// Returns the hash held in exactly 32 bytes; INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<Hash> HashFromBytes(std::string_view bytes);

// Standard base64 (with padding) of the 32 bytes.
std::string HashToBase64(const Hash& h);

// Parses standard base64 of exactly 32 bytes; INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<Hash> HashFromBase64(std::string_view b64);

// Lowercase hex of the 32 bytes.
std::string HashToHex(const Hash& h);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_HASH_H_
