// C2SP tlog-checkpoint text and C2SP tlog-proof files.
//
// Checkpoint text (the body of a signed note, key name = origin):
//   <origin>\n
//   <tree size, decimal, no leading zeros>\n
//   <root hash, standard base64>\n
//   [extension lines, each ending in \n]
//
// tlog-proof file (c2sp.org/tlog-proof@v1):
//   c2sp.org/tlog-proof@v1\n
//   [extra <base64>\n]
//   index <decimal>\n
//   <one base64 hash a line>\n ...
//   \n
//   <the checkpoint note, verbatim>
#ifndef TOUCHSTONE_LEDGER_LOG_CHECKPOINT_H_
#define TOUCHSTONE_LEDGER_LOG_CHECKPOINT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/hash.h"
#include "ledger/log/note.h"

namespace touchstone {

// A checkpoint's content. Value type.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::vector<std::string> extensions;  // without their '\n'

  // The note text.
  std::string ToText() const;
  // Parses a checkpoint text. INVALID_ARGUMENT if malformed.
  [[nodiscard]] static absl::StatusOr<Checkpoint> FromText(std::string_view text);
};

// Verifies the note's signature by `verifier`, whose name must equal the
// checkpoint's origin, and parses it. Errors as VerifyNote and Checkpoint::FromText;
// PERMISSION_DENIED if origin and key name differ.
[[nodiscard]] absl::StatusOr<Checkpoint> VerifyCheckpoint(std::string_view note,
                                                          const NoteVerifier& verifier);

// Parses a checkpoint note without checking any signature: for a note this
// process signed or has verified. Errors as ParseNote and Checkpoint::FromText.
[[nodiscard]] absl::StatusOr<Checkpoint> ParseCheckpointNote(std::string_view note);

// A parsed tlog-proof.
struct TlogProof {
  std::optional<std::string> extra;  // decoded bytes of the "extra" line
  uint64_t index = 0;
  std::vector<Hash> hashes;
  std::string checkpoint_note;  // verbatim

  std::string ToText() const;
  // INVALID_ARGUMENT if malformed.
  [[nodiscard]] static absl::StatusOr<TlogProof> FromText(std::string_view text);
};

// Checks a tlog-proof for `leaf_bytes` (the entry bytes) against a verifier key:
// checkpoint signature, then inclusion of LeafHash(leaf_bytes) at proof.index.
// Returns the verified checkpoint. Errors: INVALID_ARGUMENT (malformed),
// PERMISSION_DENIED (signature), FAILED_PRECONDITION (proof does not match root).
[[nodiscard]] absl::StatusOr<Checkpoint> VerifyTlogProof(const TlogProof& proof,
                                                         std::string_view leaf_bytes,
                                                         const NoteVerifier& verifier);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_CHECKPOINT_H_
