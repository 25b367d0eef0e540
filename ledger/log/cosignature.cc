// Witness cosignatures (c2sp.org/tlog-cosignature): keys, signing and counting.
#include "ledger/log/cosignature.h"

#include <cstdint>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"

namespace touchstone {
namespace {

constexpr size_t kTimestampSize = 8;

std::string KeyIdBytes(uint32_t id) {
  std::string s(4, '\0');
  StoreBE(s.data(), id, 4);
  return s;
}

}  // namespace

std::string CosignatureMessage(uint64_t timestamp, std::string_view checkpoint_text) {
  return absl::StrCat("cosignature/v1\ntime ", timestamp, "\n", Sv(checkpoint_text));
}

[[nodiscard]] absl::StatusOr<NoteVerifier> ParseCosignatureVerifier(std::string_view vkey) {
  const size_t plus1 = vkey.find('+');
  const size_t plus2 = plus1 == std::string_view::npos ? plus1 : vkey.find('+', plus1 + 1);
  if (plus2 == std::string_view::npos) {
    return absl::InvalidArgumentError("malformed witness key: want <name>+<id>+<key>");
  }
  const std::string_view name = vkey.substr(0, plus1);
  const std::string_view hex = vkey.substr(plus1 + 1, plus2 - plus1 - 1);
  std::string typed;
  if (!IsValidKeyName(name) || hex.size() != 8 ||
      !absl::Base64Unescape(Sv(vkey.substr(plus2 + 1)), &typed) ||
      absl::Base64Escape(typed) != vkey.substr(plus2 + 1)) {
    return absl::InvalidArgumentError("malformed witness key");
  }
  if (typed.size() != 1 + kEd25519PublicKeySize ||
      static_cast<uint8_t>(typed[0]) != kNoteTypeCosignatureV1) {
    return absl::InvalidArgumentError(
        "witness key is not a cosignature/v1 key (type 0x04, 32-byte Ed25519)");
  }
  ASSIGN_OR_RETURN(PublicKey key, PublicKey::FromRaw(std::string_view(typed).substr(1)));
  const uint32_t id = NoteKeyId(name, kNoteTypeCosignatureV1, key.raw());
  if (absl::AsciiStrToLower(Sv(hex)) != absl::StrFormat("%08x", id)) {
    return absl::InvalidArgumentError("witness key ID does not match its name and key");
  }
  return NoteVerifier{std::string(name), id, std::move(key)};
}

std::string FormatCosignatureVerifierKey(std::string_view name, const PublicKey& key) {
  std::string typed(1, static_cast<char>(kNoteTypeCosignatureV1));
  typed.append(key.raw());
  return absl::StrCat(Sv(name), "+",
                      absl::StrFormat("%08x", NoteKeyId(name, kNoteTypeCosignatureV1, key.raw())),
                      "+", absl::Base64Escape(typed));
}

[[nodiscard]] absl::StatusOr<std::string> CosignatureLine(std::string_view name,
                                                          const PrivateKey& key, uint64_t timestamp,
                                                          std::string_view checkpoint_text) {
  if (!IsValidKeyName(name)) return absl::InvalidArgumentError("invalid witness name");
  const uint32_t id = NoteKeyId(name, kNoteTypeCosignatureV1, key.public_key().raw());
  const std::string payload =
      absl::StrCat(KeyIdBytes(id), EncodeU64(timestamp),
                   key.Sign(CosignatureMessage(timestamp, checkpoint_text)));
  return absl::StrCat("\xE2\x80\x94 ", Sv(name), " ", absl::Base64Escape(payload), "\n");
}

[[nodiscard]] absl::StatusOr<size_t> CountCosignatures(std::string_view note,
                                                       const std::vector<NoteVerifier>& witnesses) {
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  std::set<std::string_view> cosigned_keys;  // raw public keys
  for (const NoteVerifier& w : witnesses) {
    bool cosigned = false;
    for (const NoteSignature& sig : parsed.signatures) {
      if (sig.name != w.name || sig.key_id != w.key_id) continue;
      if (sig.payload.size() != kTimestampSize + kEd25519SignatureSize) {
        return absl::PermissionDeniedError(
            absl::StrCat("witness ", w.name, ": cosignature is not timestamp || signature"));
      }
      const uint64_t timestamp = LoadBE(sig.payload.data(), kTimestampSize);
      if (timestamp > static_cast<uint64_t>(INT64_MAX)) {
        return absl::PermissionDeniedError(
            absl::StrCat("witness ", w.name, ": cosignature timestamp exceeds 2^63-1"));
      }
      if (!w.key.Verify(CosignatureMessage(timestamp, parsed.text),
                        std::string_view(sig.payload).substr(kTimestampSize))) {
        return absl::PermissionDeniedError(absl::StrCat("bad cosignature by witness ", w.name));
      }
      cosigned = true;
    }
    // One key is one witness, whatever names it is listed under: every line of
    // it is verified above, but it counts once.
    if (cosigned) cosigned_keys.insert(w.key.raw());
  }
  return cosigned_keys.size();
}

size_t CountWitnessKeys(const std::vector<NoteVerifier>& witnesses) {
  std::set<std::string_view> keys;
  for (const NoteVerifier& w : witnesses) keys.insert(w.key.raw());
  return keys.size();
}

CosignatureSigner::CosignatureSigner(std::string name, PrivateKey key)
    : name_(std::move(name)),
      key_(std::move(key)),
      key_id_(NoteKeyId(name_, kNoteTypeCosignatureV1, key_.public_key().raw())) {}

absl::StatusOr<CosignatureSigner> CosignatureSigner::Create(std::string name, PrivateKey key) {
  if (!IsValidKeyName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid witness name '", name, "': non-empty, no spaces or '+'"));
  }
  return CosignatureSigner(std::move(name), std::move(key));
}

std::string CosignatureSigner::VerifierKey() const {
  return FormatCosignatureVerifierKey(name_, key_.public_key());
}

NoteVerifier CosignatureSigner::Verifier() const {
  return NoteVerifier{name_, key_id_, key_.public_key()};
}

absl::StatusOr<std::string> CosignatureSigner::SignatureLine(std::string_view checkpoint_text,
                                                             uint64_t timestamp) const {
  if (checkpoint_text.empty() || checkpoint_text.back() != '\n') {
    return absl::InvalidArgumentError("a checkpoint text ends in a newline");
  }
  if (timestamp > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError("cosignature timestamp exceeds 2^63-1");
  }
  return CosignatureLine(name_, key_, timestamp, checkpoint_text);
}

}  // namespace touchstone
