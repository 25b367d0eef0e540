// C2SP tlog-checkpoint text and tlog-proof files: formatting, strict parsing and
// offline verification of an entry's inclusion against a signed checkpoint.
#include "ledger/log/checkpoint.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/merkle.h"

namespace touchstone {
namespace {

constexpr std::string_view kTlogProofHeader = "c2sp.org/tlog-proof@v1";
// An inclusion proof in a tree of fewer than 2^64 leaves has at most 64 hashes.
constexpr size_t kMaxProofHashes = 64;

// Standard base64 in its one canonical form (padding present, zero trailing bits).
bool StrictBase64Decode(std::string_view b64, std::string* out) {
  return absl::Base64Unescape(Sv(b64), out) && absl::Base64Escape(*out) == b64;
}

[[nodiscard]] absl::StatusOr<Hash> StrictHashFromBase64(std::string_view b64,
                                                        std::string_view what) {
  std::string raw;
  if (!StrictBase64Decode(b64, &raw) || raw.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat(Sv(what), " is not base64 of 32 bytes"));
  }
  return HashFromBytes(raw);
}

// A decimal uint64 with no sign, no leading zeros (but "0") and no overflow.
[[nodiscard]] absl::StatusOr<uint64_t> ParseDecimal(std::string_view s, std::string_view what) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), " must be decimal without leading zeros"));
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(absl::StrCat(Sv(what), " must be decimal"));
    }
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return absl::InvalidArgumentError(absl::StrCat(Sv(what), " overflows 64 bits"));
    }
    v = v * 10 + d;
  }
  return v;
}

// Takes the next '\n'-terminated line (without its '\n') off the front of `s`.
bool NextLine(std::string_view* s, std::string_view* line) {
  const size_t eol = s->find('\n');
  if (eol == std::string_view::npos) return false;
  *line = s->substr(0, eol);
  s->remove_prefix(eol + 1);
  return true;
}

}  // namespace

std::string Checkpoint::ToText() const {
  std::string text = absl::StrCat(origin, "\n", size, "\n", HashToBase64(root), "\n");
  for (const std::string& ext : extensions) absl::StrAppend(&text, ext, "\n");
  return text;
}

absl::StatusOr<Checkpoint> Checkpoint::FromText(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("checkpoint text must end in a newline");
  }
  Checkpoint cp;
  std::string_view origin, size, root, line;
  if (!NextLine(&text, &origin) || !NextLine(&text, &size) || !NextLine(&text, &root)) {
    return absl::InvalidArgumentError("checkpoint needs origin, size and root lines");
  }
  if (origin.empty()) return absl::InvalidArgumentError("checkpoint origin is empty");
  cp.origin = std::string(origin);
  ASSIGN_OR_RETURN(cp.size, ParseDecimal(size, "checkpoint size"));
  ASSIGN_OR_RETURN(cp.root, StrictHashFromBase64(root, "checkpoint root"));
  while (NextLine(&text, &line)) {
    if (line.empty()) return absl::InvalidArgumentError("checkpoint extension line is empty");
    cp.extensions.emplace_back(line);
  }
  return cp;
}

[[nodiscard]] absl::StatusOr<Checkpoint> ParseCheckpointNote(std::string_view note) {
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  return Checkpoint::FromText(parsed.text);
}

[[nodiscard]] absl::StatusOr<Checkpoint> VerifyCheckpoint(std::string_view note,
                                                          const NoteVerifier& verifier) {
  ASSIGN_OR_RETURN(std::string text, VerifyNote(note, verifier));
  ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::FromText(text));
  if (cp.origin != verifier.name) {
    return absl::PermissionDeniedError(absl::StrCat("checkpoint origin '", cp.origin,
                                                    "' is not the key name '", verifier.name, "'"));
  }
  return cp;
}

std::string TlogProof::ToText() const {
  std::string text = absl::StrCat(Sv(kTlogProofHeader), "\n");
  if (extra.has_value()) absl::StrAppend(&text, "extra ", absl::Base64Escape(*extra), "\n");
  absl::StrAppend(&text, "index ", index, "\n");
  for (const Hash& h : hashes) absl::StrAppend(&text, HashToBase64(h), "\n");
  absl::StrAppend(&text, "\n", checkpoint_note);
  return text;
}

absl::StatusOr<TlogProof> TlogProof::FromText(std::string_view text) {
  TlogProof proof;
  std::string_view line;
  if (!NextLine(&text, &line) || line != kTlogProofHeader) {
    return absl::InvalidArgumentError(
        absl::StrCat("tlog-proof must start with ", Sv(kTlogProofHeader)));
  }
  if (!NextLine(&text, &line)) return absl::InvalidArgumentError("tlog-proof has no index line");
  if (line.substr(0, 6) == "extra ") {
    std::string extra;
    if (!StrictBase64Decode(line.substr(6), &extra)) {
      return absl::InvalidArgumentError("tlog-proof extra line is not base64");
    }
    proof.extra = std::move(extra);
    if (!NextLine(&text, &line)) return absl::InvalidArgumentError("tlog-proof has no index line");
  }
  if (line.substr(0, 6) != "index ") {
    return absl::InvalidArgumentError("tlog-proof has no index line");
  }
  ASSIGN_OR_RETURN(proof.index, ParseDecimal(line.substr(6), "tlog-proof index"));
  while (true) {
    if (!NextLine(&text, &line)) {
      return absl::InvalidArgumentError("tlog-proof has no blank line before its checkpoint");
    }
    if (line.empty()) break;
    if (proof.hashes.size() == kMaxProofHashes) {
      return absl::InvalidArgumentError("tlog-proof has too many hashes");
    }
    ASSIGN_OR_RETURN(Hash h, StrictHashFromBase64(line, "tlog-proof hash"));
    proof.hashes.push_back(h);
  }
  // The rest is the checkpoint note; reject it here if it cannot be one.
  ASSIGN_OR_RETURN(ParsedNote note, ParseNote(text));
  RETURN_IF_ERROR(Checkpoint::FromText(note.text).status());
  proof.checkpoint_note = std::string(text);
  return proof;
}

[[nodiscard]] absl::StatusOr<Checkpoint> VerifyTlogProof(const TlogProof& proof,
                                                         std::string_view leaf_bytes,
                                                         const NoteVerifier& verifier) {
  ASSIGN_OR_RETURN(Checkpoint cp, VerifyCheckpoint(proof.checkpoint_note, verifier));
  RETURN_IF_ERROR(
      VerifyInclusion(proof.index, cp.size, LeafHash(leaf_bytes), proof.hashes, cp.root));
  return cp;
}

}  // namespace touchstone
