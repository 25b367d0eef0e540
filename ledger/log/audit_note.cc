// Auditor cosignatures on checkpoints: parsing keys, counting and merging lines.
#include "ledger/log/audit_note.h"

#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/big_endian.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/cosignature.h"

namespace touchstone {
namespace {

// The note line of a parsed signature.
std::string LineOf(const NoteSignature& sig) {
  std::string id(4, '\0');
  StoreBE(id.data(), sig.key_id, 4);
  return absl::StrCat("\xE2\x80\x94 ", Sv(sig.name), " ", absl::Base64Escape(id + sig.payload),
                      "\n");
}

// The auditor of `auditors` a line names, or nullptr.
const NoteVerifier* AuditorOf(const NoteSignature& sig, const std::vector<NoteVerifier>& auditors) {
  for (const NoteVerifier& a : auditors) {
    if (a.name == sig.name && a.key_id == sig.key_id) return &a;
  }
  return nullptr;
}

}  // namespace

[[nodiscard]] absl::StatusOr<NoteVerifier> ParseAuditorFlag(std::string_view flag) {
  const size_t eq = flag.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat("--auditor '", Sv(flag), "' is not NAME=VKEY"));
  }
  absl::StatusOr<NoteVerifier> v = ParseCosignatureVerifier(flag.substr(eq + 1));
  if (!v.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auditor '", Sv(flag), "': ", v.status().message()));
  }
  if (v->name != flag.substr(0, eq)) {
    return absl::InvalidArgumentError(absl::StrCat("--auditor '", Sv(flag), "': the key is named '",
                                                   v->name, "', not '", Sv(flag.substr(0, eq)),
                                                   "'"));
  }
  return v;
}

[[nodiscard]] absl::StatusOr<std::vector<std::string>> CosigningAuditors(
    std::string_view note, const std::vector<NoteVerifier>& auditors) {
  RETURN_IF_ERROR(ParseNote(note).status());
  std::vector<std::string> names;
  std::set<std::string> keys;
  for (const NoteVerifier& a : auditors) {
    ASSIGN_OR_RETURN(const size_t n, CountCosignatures(note, {a}));
    if (n == 1 && keys.insert(a.key.raw()).second) names.push_back(a.name);
  }
  return names;
}

[[nodiscard]] absl::StatusOr<AuditorMerge> MergeAuditorCosignatures(
    std::string_view base, std::string_view submitted, const std::vector<NoteVerifier>& auditors) {
  ASSIGN_OR_RETURN(const ParsedNote have, ParseNote(base));
  ASSIGN_OR_RETURN(const ParsedNote in, ParseNote(submitted));
  if (have.text != in.text) {
    return absl::FailedPreconditionError(
        "the cosigned checkpoint is not the checkpoint this log issued at that size");
  }
  AuditorMerge merge{.note = std::string(base), .added = {}, .cosigned = {}};
  std::set<std::pair<std::string, uint32_t>> present;
  for (const NoteSignature& sig : have.signatures) {
    if (AuditorOf(sig, auditors) != nullptr) present.emplace(sig.name, sig.key_id);
  }
  bool any = false;
  for (const NoteSignature& sig : in.signatures) {
    const NoteVerifier* a = AuditorOf(sig, auditors);
    if (a == nullptr) continue;
    any = true;
    // Each line alone must verify with its auditor's key.
    const std::string one = absl::StrCat(in.text, "\n", LineOf(sig));
    absl::StatusOr<size_t> n = CountCosignatures(one, {*a});
    if (!n.ok() || *n != 1) {
      return absl::PermissionDeniedError(
          absl::StrCat("the cosignature of auditor ", a->name, " does not verify"));
    }
    if (!present.emplace(sig.name, sig.key_id).second) continue;
    merge.note.append(LineOf(sig));
    merge.added.push_back(a->name);
  }
  if (!any) {
    return absl::PermissionDeniedError(
        "the checkpoint is not cosigned by a configured auditor (--auditor NAME=VKEY)");
  }
  ASSIGN_OR_RETURN(merge.cosigned, CosigningAuditors(merge.note, auditors));
  return merge;
}

std::string AuditorsText(const std::vector<std::string>& names, uint64_t audited_size) {
  if (names.empty() || audited_size == 0) return "";
  std::string who;
  if (names.size() == 1) {
    who = absl::StrCat("auditor ", names[0]);
  } else {
    who = absl::StrCat(
        "auditors ", absl::StrJoin(std::vector<std::string>(names.begin(), names.end() - 1), ", "),
        " and ", names.back());
  }
  return absl::StrCat("mass balance and custody re-checked by ", who, " through entry ",
                      audited_size - 1);
}

}  // namespace touchstone
