// A certificate's status at a moment (certificate_status.h).
#include "ledger/provenance/certificate_status.h"

namespace touchstone {

std::string CertificateStatusAt(const v1::CertificateState& cert, int64_t t) {
  if (t < cert.valid_from_micros()) return "not yet valid";
  v1::CertificateStatus status = v1::CERTIFICATE_STATUS_UNSPECIFIED;
  for (const auto& c : cert.changes()) {
    if (c.effective_micros() > t) break;
    status = c.status();
  }
  if (status == v1::CERTIFICATE_STATUS_REVOKED) return "revoked";
  if (status == v1::CERTIFICATE_STATUS_SUSPENDED) return "suspended";
  if (cert.valid_until_micros() != 0 && t > cert.valid_until_micros()) return "expired";
  return "valid";
}

}  // namespace touchstone
