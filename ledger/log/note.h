// C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and the
// verifier-key and private-key strings of golang.org/x/mod/sumdb/note.
//
// Note layout (bytes):
//   <text, UTF-8, no control characters but '\n', ending in '\n'>
//   "\n"
//   one or more lines: "\xE2\x80\x94 " <key name> " " base64(key ID (4) || signature) "\n"
// The signature covers the text including its final '\n'.
// Ed25519 key ID = SHA-256(name || 0x0A || 0x01 || 32-byte public key)[0:4].
// Verifier key  = <name> "+" <key ID, 8 lowercase hex> "+" base64(0x01 || public key).
// Private key   = "PRIVATE+KEY+" <name> "+" <key ID hex> "+" base64(0x01 || seed).
// Cosignature keys (c2sp.org/tlog-cosignature) use type byte 0x04 in the key ID.
#ifndef TOUCHSTONE_LEDGER_LOG_NOTE_H_
#define TOUCHSTONE_LEDGER_LOG_NOTE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/keys.h"

namespace touchstone {

inline constexpr uint8_t kNoteTypeEd25519 = 0x01;
inline constexpr uint8_t kNoteTypeCosignatureV1 = 0x04;

// The 4-byte key ID of (name, type byte, 32-byte public key), big-endian.
uint32_t NoteKeyId(std::string_view name, uint8_t type, std::string_view public_key);

// A key name must be non-empty and contain no whitespace or '+'.
bool IsValidKeyName(std::string_view name);

// Formats the verifier key string for an Ed25519 key.
std::string FormatVerifierKey(std::string_view name, const PublicKey& key);

// A parsed Ed25519 verifier key. Thread-safe (immutable).
struct NoteVerifier {
  std::string name;
  uint32_t key_id = 0;
  PublicKey key;

  // Parses "<name>+<hex id>+<base64(0x01||key)>". INVALID_ARGUMENT if malformed,
  // not Ed25519, or the key ID does not match the name and key.
  [[nodiscard]] static absl::StatusOr<NoteVerifier> Parse(std::string_view vkey);
};

// A named Ed25519 signing key. Thread-safe (immutable).
class NoteSigner {
 public:
  // INVALID_ARGUMENT if name is not a valid key name.
  [[nodiscard]] static absl::StatusOr<NoteSigner> Create(std::string name, PrivateKey key);
  // Parses "PRIVATE+KEY+<name>+<hex id>+<base64(0x01||seed)>".
  [[nodiscard]] static absl::StatusOr<NoteSigner> ParsePrivateKey(std::string_view skey);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  const PrivateKey& key() const { return key_; }
  std::string VerifierKey() const;

  // The signature line ("— name base64\n") for `text`. INVALID_ARGUMENT if text is
  // not a valid note text (empty, no final '\n', control characters).
  [[nodiscard]] absl::StatusOr<std::string> SignatureLine(std::string_view text) const;
  // text + "\n" + signature line: a complete signed note.
  [[nodiscard]] absl::StatusOr<std::string> Sign(std::string_view text) const;

 private:
  NoteSigner(std::string name, PrivateKey key);
  std::string name_;
  PrivateKey key_;
  uint32_t key_id_;
};

// One signature line of a note.
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string payload;  // the bytes after the 4-byte key ID (signature, or timestamp||signature)
};

// A note split into text and signature lines (no signature checked).
struct ParsedNote {
  std::string text;  // including its final '\n'
  std::vector<NoteSignature> signatures;
};

// Splits a note. INVALID_ARGUMENT if malformed (no blank line, bad line, bad
// base64, control characters, more than 100 signature lines, no signature).
[[nodiscard]] absl::StatusOr<ParsedNote> ParseNote(std::string_view note);

// Parses `note` and checks that `verifier` signed it. Returns the text on
// success; INVALID_ARGUMENT if malformed; PERMISSION_DENIED ("no signature by
// <name>" or "bad signature by <name>") otherwise. Unknown signers are ignored.
[[nodiscard]] absl::StatusOr<std::string> VerifyNote(std::string_view note,
                                                     const NoteVerifier& verifier);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_NOTE_H_
