// A certificate's status at a moment, from its validity window and its status
// changes. One definition shared by the rules (rules_certificates.cc), the
// lookups (services/provenance_service.cc) and the offline bundle verifier
// (bundle_graph.cc, bundle_timeline.cc), which must not need the store.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_CERTIFICATE_STATUS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_CERTIFICATE_STATUS_H_

#include <cstdint>
#include <string>

#include "proto/state.pb.h"

namespace touchstone {

// A certificate's status at time t (unix micros): "valid", "not yet valid",
// "expired", "suspended" or "revoked" (status changes effective at or before t
// count). Pure; never fails.
std::string CertificateStatusAt(const v1::CertificateState& cert, int64_t t);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_CERTIFICATE_STATUS_H_
