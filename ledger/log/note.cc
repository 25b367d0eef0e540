// C2SP signed notes: key IDs, verifier and private key strings, signing and
// verification. Parsing follows golang.org/x/mod/sumdb/note, with base64 held to
// its canonical form so a signature line has exactly one encoding.
#include "ledger/log/note.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/hash.h"

namespace touchstone {
namespace {

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr std::string_view kPrivateKeyPrefix = "PRIVATE+KEY+";
constexpr size_t kMaxSignatureLines = 100;

// Decodes one UTF-8 code point at s[i]; returns its length, or 0 if invalid
// (overlong forms, surrogates and values past U+10FFFF are invalid).
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  char32_t min;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, *cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, *cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, *cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b(k) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return len;
}

// Go's unicode.IsSpace: the Unicode White_Space property.
bool IsUnicodeSpace(char32_t r) {
  if ((r >= '\t' && r <= '\r') || (r >= 0x2000 && r <= 0x200A)) return true;
  for (char32_t space : {0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000}) {
    if (r == space) return true;
  }
  return false;
}

// Well-formed UTF-8 with no control characters other than '\n'.
bool IsValidNoteBytes(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    char32_t r;
    const size_t n = DecodeUtf8(s, i, &r);
    if (n == 0 || (r < 0x20 && r != '\n') || r == 0x7F) return false;
    i += n;
  }
  return true;
}

// Standard base64 in its one canonical form (padding present, zero trailing bits).
bool StrictBase64Decode(std::string_view b64, std::string* out) {
  return absl::Base64Unescape(Sv(b64), out) && absl::Base64Escape(*out) == b64;
}

// The part of `s` before the first `sep`, and the rest after it (Go's strings.Cut).
std::pair<std::string_view, std::string_view> Cut(std::string_view s, char sep, bool* found) {
  const size_t i = s.find(sep);
  *found = i != std::string_view::npos;
  if (!*found) return {s, {}};
  return {s.substr(0, i), s.substr(i + 1)};
}

// Parses exactly 8 hex digits (either case, as Go's ParseUint(s, 16, 32) does).
bool ParseKeyIdHex(std::string_view hex, uint32_t* id) {
  if (hex.size() != 8) return false;
  uint32_t v = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  *id = v;
  return true;
}

std::string KeyIdHex(uint32_t id) { return absl::StrFormat("%08x", id); }

std::string KeyIdBytes(uint32_t id) {
  return std::string{static_cast<char>(id >> 24), static_cast<char>(id >> 16),
                     static_cast<char>(id >> 8), static_cast<char>(id)};
}

uint32_t KeyIdFromBytes(std::string_view b) {
  return (uint32_t{static_cast<unsigned char>(b[0])} << 24) |
         (uint32_t{static_cast<unsigned char>(b[1])} << 16) |
         (uint32_t{static_cast<unsigned char>(b[2])} << 8) |
         uint32_t{static_cast<unsigned char>(b[3])};
}

[[nodiscard]] absl::Status CheckNoteText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("note text must be non-empty and end in a newline");
  }
  if (!IsValidNoteBytes(text)) {
    return absl::InvalidArgumentError(
        "note text must be UTF-8 without control characters other than newline");
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t NoteKeyId(std::string_view name, uint8_t type, std::string_view public_key) {
  std::string data;
  data.reserve(name.size() + 2 + public_key.size());
  absl::StrAppend(&data, Sv(name), "\n");
  data.push_back(static_cast<char>(type));
  data.append(public_key);
  const Hash digest = Sha256(data);
  return KeyIdFromBytes(std::string_view(reinterpret_cast<const char*>(digest.data()), 4));
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size();) {
    char32_t r;
    const size_t n = DecodeUtf8(name, i, &r);
    if (n == 0 || r == '+' || r < 0x20 || r == 0x7F || IsUnicodeSpace(r)) return false;
    i += n;
  }
  return true;
}

std::string FormatVerifierKey(std::string_view name, const PublicKey& key) {
  std::string typed(1, static_cast<char>(kNoteTypeEd25519));
  typed.append(key.raw());
  return absl::StrCat(Sv(name), "+", KeyIdHex(NoteKeyId(name, kNoteTypeEd25519, key.raw())), "+",
                      absl::Base64Escape(typed));
}

absl::StatusOr<NoteVerifier> NoteVerifier::Parse(std::string_view vkey) {
  bool found1, found2;
  auto [name, rest] = Cut(vkey, '+', &found1);
  auto [hex, key64] = Cut(rest, '+', &found2);
  uint32_t id;
  std::string typed;
  if (!found1 || !found2 || !IsValidKeyName(name) || !ParseKeyIdHex(hex, &id) ||
      !StrictBase64Decode(key64, &typed) || typed.empty()) {
    return absl::InvalidArgumentError("malformed verifier key");
  }
  if (static_cast<uint8_t>(typed[0]) != kNoteTypeEd25519) {
    return absl::InvalidArgumentError(absl::StrCat(
        "verifier key type ", static_cast<int>(static_cast<uint8_t>(typed[0])), " is not Ed25519"));
  }
  if (typed.size() != 1 + kEd25519PublicKeySize) {
    return absl::InvalidArgumentError("verifier key is not 32 bytes");
  }
  if (NoteKeyId(name, kNoteTypeEd25519, std::string_view(typed).substr(1)) != id) {
    return absl::InvalidArgumentError("verifier key ID does not match its name and key");
  }
  ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromRaw(std::string_view(typed).substr(1)));
  return NoteVerifier{std::string(name), id, std::move(key)};
}

NoteSigner::NoteSigner(std::string name, PrivateKey key)
    : name_(std::move(name)),
      key_(std::move(key)),
      key_id_(NoteKeyId(name_, kNoteTypeEd25519, key_.public_key().raw())) {}

absl::StatusOr<NoteSigner> NoteSigner::Create(std::string name, PrivateKey key) {
  if (!IsValidKeyName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid key name '", name, "'"));
  }
  return NoteSigner(std::move(name), std::move(key));
}

absl::StatusOr<NoteSigner> NoteSigner::ParsePrivateKey(std::string_view skey) {
  if (skey.substr(0, kPrivateKeyPrefix.size()) != kPrivateKeyPrefix) {
    return absl::InvalidArgumentError("private key must start with PRIVATE+KEY+");
  }
  bool found1, found2;
  auto [name, rest] = Cut(skey.substr(kPrivateKeyPrefix.size()), '+', &found1);
  auto [hex, key64] = Cut(rest, '+', &found2);
  uint32_t id;
  std::string typed;
  if (!found1 || !found2 || !IsValidKeyName(name) || !ParseKeyIdHex(hex, &id) ||
      !StrictBase64Decode(key64, &typed) || typed.empty()) {
    return absl::InvalidArgumentError("malformed private key");
  }
  if (static_cast<uint8_t>(typed[0]) != kNoteTypeEd25519 ||
      typed.size() != 1 + kEd25519PublicKeySize) {
    return absl::InvalidArgumentError("private key is not a 32-byte Ed25519 seed");
  }
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::FromSeed(std::string_view(typed).substr(1)));
  NoteSigner signer(std::string(name), std::move(key));
  if (signer.key_id() != id) {
    return absl::InvalidArgumentError("private key ID does not match its name and key");
  }
  return signer;
}

std::string NoteSigner::VerifierKey() const { return FormatVerifierKey(name_, key_.public_key()); }

absl::StatusOr<std::string> NoteSigner::SignatureLine(std::string_view text) const {
  RETURN_IF_ERROR(CheckNoteText(text));
  const std::string payload = absl::StrCat(KeyIdBytes(key_id_), key_.Sign(text));
  return absl::StrCat(Sv(kSigPrefix), name_, " ", absl::Base64Escape(payload), "\n");
}

absl::StatusOr<std::string> NoteSigner::Sign(std::string_view text) const {
  ASSIGN_OR_RETURN(std::string line, SignatureLine(text));
  return absl::StrCat(Sv(text), "\n", line);
}

[[nodiscard]] absl::StatusOr<ParsedNote> ParseNote(std::string_view note) {
  if (!IsValidNoteBytes(note)) {
    return absl::InvalidArgumentError(
        "malformed note: not UTF-8 or has control characters other than newline");
  }
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) {
    return absl::InvalidArgumentError("malformed note: no blank line before signatures");
  }
  ParsedNote parsed;
  parsed.text = std::string(note.substr(0, split + 1));
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty()) return absl::InvalidArgumentError("malformed note: no signature");
  if (sigs.back() != '\n') {
    return absl::InvalidArgumentError("malformed note: does not end in a newline");
  }
  while (!sigs.empty()) {
    const size_t eol = sigs.find('\n');
    std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    if (parsed.signatures.size() == kMaxSignatureLines) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed note: more than ", kMaxSignatureLines, " signatures"));
    }
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return absl::InvalidArgumentError("malformed note: signature line must start with '\u2014 '");
    }
    line.remove_prefix(kSigPrefix.size());
    bool found;
    auto [name, b64] = Cut(line, ' ', &found);
    std::string decoded;
    if (!found || !IsValidKeyName(name) || !StrictBase64Decode(b64, &decoded) ||
        decoded.size() < 5) {
      return absl::InvalidArgumentError("malformed note: bad signature line");
    }
    parsed.signatures.push_back(
        NoteSignature{std::string(name), KeyIdFromBytes(decoded), decoded.substr(4)});
  }
  return parsed;
}

[[nodiscard]] absl::StatusOr<std::string> VerifyNote(std::string_view note,
                                                     const NoteVerifier& verifier) {
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  bool signed_by_verifier = false;
  for (const NoteSignature& sig : parsed.signatures) {
    if (sig.name != verifier.name || sig.key_id != verifier.key_id) continue;  // unknown key
    if (!verifier.key.Verify(parsed.text, sig.payload)) {
      return absl::PermissionDeniedError(absl::StrCat("bad signature by ", verifier.name));
    }
    signed_by_verifier = true;
  }
  if (!signed_by_verifier) {
    return absl::PermissionDeniedError(absl::StrCat("no signature by ", verifier.name));
  }
  return std::move(parsed.text);
}

}  // namespace touchstone
