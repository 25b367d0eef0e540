// Registered schemes (see schemes.h).
#include "ledger/provenance/schemes.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"

namespace touchstone {

absl::Status ValidSchemeName(std::string_view name) {
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (!first && (c == '.' || c == '_' || c == '-'));
  };
  bool valid = !name.empty() && name.size() <= 64;
  for (size_t i = 0; valid && i < name.size(); ++i) valid = ok(name[i], i == 0);
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat(
        "scheme name '", Sv(name), "' must be 1 to 64 of a-z 0-9 . _ - (starting a-z 0-9)"));
  }
  return absl::OkStatus();
}

absl::Status CheckSchemeMayIssue(v1::SchemeKind kind, const v1::CertificateIssued& cert) {
  const bool report = cert.has_grading_report() || cert.has_parcel_report();
  const bool lab = kind == v1::SCHEME_KIND_GRADING_LABORATORY;
  if (report != lab) {
    return absl::FailedPreconditionError(
        absl::StrCat("scheme rule: scheme '", cert.scheme(), "' is ", v1::SchemeKind_Name(kind),
                     report ? "; only a grading laboratory issues grading and parcel reports"
                            : "; a grading laboratory issues only grading and parcel reports"));
  }
  if (cert.has_kimberley_process() != (kind == v1::SCHEME_KIND_KIMBERLEY_PROCESS)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "scheme rule: scheme '", cert.scheme(), "' is ", v1::SchemeKind_Name(kind),
        "; Kimberley Process certificates come from a Kimberley Process authority, and it "
        "issues nothing else"));
  }
  return absl::OkStatus();
}

}  // namespace touchstone
