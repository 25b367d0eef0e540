// Registered schemes (SchemeRegistered): which participant speaks for which
// scheme name, and what kind of certificate each kind of scheme may issue.
// Under the trade rules (rules version 2) a certificate is accepted only under
// a registered scheme and only when that scheme's issuer signs it. One
// definition shared by the rules (rules_certificates.cc) and the offline
// bundle verifier; services/web/verify.js gets the table from the generated
// tables.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_SCHEMES_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_SCHEMES_H_

#include <string_view>

#include "absl/status/status.h"
#include "proto/record.pb.h"

namespace touchstone {

// A scheme name: [a-z0-9][a-z0-9._-]{0,63}. INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::Status ValidSchemeName(std::string_view name);

// OK if a scheme of `kind` may issue `cert` (its detail and, for a
// mass-balance account, its kind): a grading or parcel report only from a
// grading laboratory, a Kimberley Process certificate only from a KP
// authority, and a laboratory issues only reports. FAILED_PRECONDITION
// "scheme rule: ..." otherwise.
[[nodiscard]] absl::Status CheckSchemeMayIssue(v1::SchemeKind kind,
                                               const v1::CertificateIssued& cert);

// True if a certificate of a scheme of `kind` may back a mass-balance account.
inline bool BacksMassBalance(v1::SchemeKind kind) {
  return kind == v1::SCHEME_KIND_CHAIN_OF_CUSTODY;
}

// True if a certificate of a scheme of `kind` may back a recycled lot's entry.
inline bool BacksRecycled(v1::SchemeKind kind) {
  return kind == v1::SCHEME_KIND_CHAIN_OF_CUSTODY || kind == v1::SCHEME_KIND_RECYCLED_CONTENT;
}

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_SCHEMES_H_
