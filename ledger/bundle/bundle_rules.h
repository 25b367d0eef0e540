// The rules a bundle verifier enforces, by name: one vocabulary for the C++
// verifier (bundle_verify.cc, bundle_links.cc, bundle_graph.cc), the page's
// verifier (services/web/verify.js, whose `check` is the same name) and the
// conformance corpus of forged bundles (tests/conformance/), which both
// verifiers must refuse for the same rule.
//
// A C++ verification failure carries its rule as a Status payload under
// kRulePayloadUrl (the message stays for people); RuleOf reads it back.
#ifndef TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_RULES_H_
#define TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_RULES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace touchstone::rule {

inline constexpr std::string_view kPayloadUrl = "touchstone.v1/bundle-rule";

// The bundle names its format "touchstone-bundle/v1".
inline constexpr std::string_view kFormat = "format";
// The bundle is about the piece the verifier asked for.
inline constexpr std::string_view kPiece = "piece";
// The checkpoint is signed by the log's key (following key handovers).
inline constexpr std::string_view kCheckpoint = "checkpoint";
// Enough pinned witnesses cosigned the checkpoint, each validly.
inline constexpr std::string_view kWitnesses = "witnesses";
// Entries in strictly increasing index order, well formed, naming their index.
inline constexpr std::string_view kEntries = "entries";
// Every entry's inclusion proof leads to the checkpoint's root.
inline constexpr std::string_view kInclusion = "inclusion";
// Consecutive entries chain by their previous-leaf hash.
inline constexpr std::string_view kChain = "chain";
// Every record is canonically encoded (ledger/provenance/canonical.h).
inline constexpr std::string_view kEncoding = "encoding";
// Every record is signed by a key its signer held, unrevoked, when it was written.
inline constexpr std::string_view kSignature = "signature";
// The signer held a role that may write the record and was not suspended;
// keys, certificate statuses, piece records and error declarations only by
// whom may change them.
inline constexpr std::string_view kRoles = "roles";
// A participant, lot, certificate or piece is created once.
inline constexpr std::string_view kOnce = "once";
// The log policy in force at an entry allows its date and any import mark
// (ledger/provenance/log_policy.h: the backdating and history import rules).
inline constexpr std::string_view kTime = "time";
// Everything a record names is in the bundle, and every record is linked to the piece.
inline constexpr std::string_view kCompleteness = "completeness";
// Only a lot's holder ships, transforms or sets it, never in transit; only the addressee receives.
inline constexpr std::string_view kCustody = "custody";
// A certificate a record relies on was in force when the record says and when it was recorded.
inline constexpr std::string_view kCertificates = "certificates";
// A grading report agrees with its stone's origin class.
inline constexpr std::string_view kOrigin = "origin";
// A transformation takes its material; a piece takes graded stones and metal by weight.
inline constexpr std::string_view kMaterial = "material";
// Every claim the piece makes follows from its inputs.
inline constexpr std::string_view kClaims = "claims";

// `s` with its rule attached (OK stays OK).
[[nodiscard]] inline absl::Status Tag(std::string_view rule, absl::Status s) {
  if (!s.ok()) {
    s.SetPayload(absl::string_view(kPayloadUrl.data(), kPayloadUrl.size()),
                 absl::Cord(absl::string_view(rule.data(), rule.size())));
  }
  return s;
}

// The rule a verification failure broke; "" if none is attached.
inline std::string RuleOf(const absl::Status& s) {
  auto p = s.GetPayload(absl::string_view(kPayloadUrl.data(), kPayloadUrl.size()));
  return p ? std::string(*p) : std::string();
}

}  // namespace touchstone::rule

#endif  // TOUCHSTONE_LEDGER_BUNDLE_BUNDLE_RULES_H_
