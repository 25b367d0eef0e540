// Auditor cosignatures (issue 16): an auditor re-checks a whole log, sealed
// records opened (ledger/audit.h), and cosigns the checkpoint it reached with
// the same cosignature/v1 line a witness gives (cosignature.h), under a key of
// its own. The "audited checkpoint" is the log's signed checkpoint note plus
// the auditor cosignature lines it gathered:
//
//   <checkpoint text>
//   "\n"
//   "\xE2\x80\x94 " <log key name> " " base64(key ID || signature) "\n"      (the log's)
//   zero or more: "\xE2\x80\x94 " <auditor name> " " base64(key ID (4) ||
//                  timestamp (8) || Ed25519 signature (64)) "\n"           (cosignature/v1)
//
// Auditor keys are cosignature/v1 verifier keys ("<name>+<id hex>+<base64(0x04||key)>");
// touchstoned takes them as --auditor NAME=VKEY, `piece verify` as --auditor-key VKEY,
// the customer page as <meta name="touchstone-auditor-key" content="VKEY">.
//
// Thread safety: pure functions.
#ifndef TOUCHSTONE_LEDGER_LOG_AUDIT_NOTE_H_
#define TOUCHSTONE_LEDGER_LOG_AUDIT_NOTE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/note.h"

namespace touchstone {

// Parses a --auditor flag "NAME=VKEY": a cosignature/v1 verifier key whose key
// name is NAME. INVALID_ARGUMENT if malformed or the names differ.
[[nodiscard]] absl::StatusOr<NoteVerifier> ParseAuditorFlag(std::string_view flag);

// The names of the auditors of `auditors` whose cosignature line on `note`
// verifies, one per distinct public key (the first name it is listed under),
// in the order of `auditors`. Lines of other keys are ignored.
// PERMISSION_DENIED if a line naming an auditor's key does not verify;
// INVALID_ARGUMENT if the note is malformed.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> CosigningAuditors(
    std::string_view note, const std::vector<NoteVerifier>& auditors);

// The result of adding an auditor's cosignature lines to an audited checkpoint.
struct AuditorMerge {
  std::string note;                   // `base` with the new lines appended
  std::vector<std::string> added;     // names of auditors whose line was new
  std::vector<std::string> cosigned;  // every auditor whose line `note` holds now
};

// Adds to `base` (the log's signed note at some size, possibly with auditor
// lines already) the lines of `submitted` made by keys of `auditors` that
// `base` lacks. `submitted` must be a note of the same text (it may carry the
// log's signature and other lines too; only auditor lines are taken).
// FAILED_PRECONDITION if the texts differ ("not the checkpoint this log
// issued at that size"); PERMISSION_DENIED if `submitted` holds no line by a
// key of `auditors` ("not cosigned by a configured auditor": an unknown key
// is refused) or an auditor's line does not verify; INVALID_ARGUMENT if a
// note is malformed.
[[nodiscard]] absl::StatusOr<AuditorMerge> MergeAuditorCosignatures(
    std::string_view base, std::string_view submitted, const std::vector<NoteVerifier>& auditors);

// What a verifier says the auditors vouched for: "mass balance and custody
// re-checked by auditors A and B through entry N" (N = audited_size - 1, the
// last entry the audit covered; one auditor: "by auditor A"). "" if `names` is
// empty or audited_size is 0.
std::string AuditorsText(const std::vector<std::string>& names, uint64_t audited_size);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_AUDIT_NOTE_H_
