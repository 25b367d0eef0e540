// Witness cosignatures on checkpoints (c2sp.org/tlog-cosignature, cosignature/v1)
// with Ed25519 keys.
//
// A witness adds a signature line to the log's checkpoint note:
//   "\xE2\x80\x94 " <witness name> " " base64(key ID (4) || timestamp (8) || signature (64)) "\n"
// key ID    = SHA-256(name || 0x0A || 0x04 || 32-byte public key)[0:4] (type 0x04, not 0x01)
// timestamp = unix seconds when the witness cosigned, 8 bytes big-endian
// signature = Ed25519 over "cosignature/v1\ntime <timestamp, decimal>\n" || checkpoint text
// (the note text, with its final '\n'). The witness's verifier key string is
// <name> "+" <key ID hex> "+" base64(0x04 || public key).
#ifndef TOUCHSTONE_LEDGER_LOG_COSIGNATURE_H_
#define TOUCHSTONE_LEDGER_LOG_COSIGNATURE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/keys.h"
#include "ledger/log/note.h"

namespace touchstone {

// The message a cosignature/v1 signature covers.
std::string CosignatureMessage(uint64_t timestamp, std::string_view checkpoint_text);

// Parses a witness verifier key "<name>+<hex id>+<base64(0x04||key)>". The result's
// key_id is the cosignature key ID. INVALID_ARGUMENT if malformed, not type 0x04,
// or the key ID does not match.
[[nodiscard]] absl::StatusOr<NoteVerifier> ParseCosignatureVerifier(std::string_view vkey);

// The verifier key string of a witness key.
std::string FormatCosignatureVerifierKey(std::string_view name, const PublicKey& key);

// The signature line a witness `name` holding `key` adds to a checkpoint with
// this text, cosigned at `timestamp`. INVALID_ARGUMENT if the name is not valid.
[[nodiscard]] absl::StatusOr<std::string> CosignatureLine(std::string_view name,
                                                          const PrivateKey& key, uint64_t timestamp,
                                                          std::string_view checkpoint_text);

// How many distinct witness keys of `witnesses` (parsed by
// ParseCosignatureVerifier) cosigned `note`. A witness is its public key: each
// key counts at most once, however many of its lines the note has, however
// often it is listed and under however many names (one key under two names
// must not make a quorum of two alone). PERMISSION_DENIED if a line that names
// a witness's key does not verify; INVALID_ARGUMENT if the note is malformed.
// Lines of other keys are ignored.
[[nodiscard]] absl::StatusOr<size_t> CountCosignatures(std::string_view note,
                                                       const std::vector<NoteVerifier>& witnesses);

// How many distinct public keys `witnesses` holds: the largest quorum they can
// make. Never fails.
size_t CountWitnessKeys(const std::vector<NoteVerifier>& witnesses);

// A witness's cosigning key: name + Ed25519 key, cosignature/v1 key ID (type 0x04).
// Thread-safe (immutable).
class CosignatureSigner {
 public:
  // INVALID_ARGUMENT if name is not a valid key name.
  [[nodiscard]] static absl::StatusOr<CosignatureSigner> Create(std::string name, PrivateKey key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  const PrivateKey& key() const { return key_; }
  // "<name>+<key ID hex>+<base64(0x04 || public key)>", as ParseCosignatureVerifier reads it.
  std::string VerifierKey() const;
  // The parsed verifier of this key (for CountCosignatures).
  NoteVerifier Verifier() const;

  // The cosignature line on a checkpoint with this text at `timestamp` (unix
  // seconds). INVALID_ARGUMENT if the text is not a checkpoint note text (empty,
  // no final '\n') or the timestamp exceeds 2^63-1.
  [[nodiscard]] absl::StatusOr<std::string> SignatureLine(std::string_view checkpoint_text,
                                                          uint64_t timestamp) const;

 private:
  CosignatureSigner(std::string name, PrivateKey key);
  std::string name_;
  PrivateKey key_;
  uint32_t key_id_;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_COSIGNATURE_H_
