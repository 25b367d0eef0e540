// The checks every step of the graph's replay shares (bundle_verify_internal.h):
// a broken rule's status, a lot named, held and not in transit, and the
// certificates a record relies on in force.
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/certificate_status.h"
#include "ledger/provenance/log_policy.h"

namespace touchstone::bundle {

[[nodiscard]] absl::Status Broken(const Item& item, std::string_view rule, std::string_view label,
                                  std::string_view what) {
  return rule::Tag(rule, absl::FailedPreconditionError(
                             absl::StrCat(Sv(label), " rule: ", Where(item), " ", Sv(what))));
}

[[nodiscard]] absl::Status Refused(const Item& item, std::string_view rule, const absl::Status& s) {
  return rule::Tag(rule, absl::Status(s.code(), absl::StrCat(Where(item), ": ", s.message())));
}

[[nodiscard]] absl::StatusOr<Lot*> GetLot(Graph& g, const Item& item, const std::string& id) {
  auto it = g.lots.find(id);
  if (it == g.lots.end()) {
    return Broken(item, rule::kCompleteness, "reference",
                  absl::StrCat("names lot '", id, "', created by no earlier record"));
  }
  return &it->second;
}

[[nodiscard]] absl::Status Hold(const Item& item, const std::string& id, const Lot& lot) {
  if (!lot.in_transit_to.empty()) {
    return Broken(item, rule::kCustody, "custody",
                  absl::StrCat("uses lot '", id, "', in transit to '", lot.in_transit_to,
                               "' (shipment '", lot.shipment_id, "')"));
  }
  if (lot.custodian != item.record.signer()) {
    return Broken(item, rule::kCustody, "custody",
                  absl::StrCat("is signed by '", item.record.signer(), "', but lot '", id,
                               "' is held by '", lot.custodian, "'"));
  }
  return absl::OkStatus();
}

// Each certificate was issued earlier and valid at the record's event time,
// and, when the log appended the record, valid too under a log policy unless
// the record is an import of history, or else at least not suspended or
// revoked (ledger/provenance/log_policy.h; as CertificateInForce in rules_certificates.cc).
[[nodiscard]] absl::Status Rely(Graph& g, const Item& item,
                                const google::protobuf::RepeatedPtrField<std::string>& ids) {
  const bool when_recorded = CertificatesCheckedWhenRecorded(item.record, item.policy);
  for (const std::string& id : ids) {
    auto it = g.certificates.find(id);
    if (it == g.certificates.end()) {
      return Broken(item, rule::kCompleteness, "certificate",
                    absl::StrCat("cites certificate '", id, "', issued by no earlier record"));
    }
    const std::string then = CertificateStatusAt(it->second, item.record.event_time_micros());
    const std::string appended = CertificateStatusAt(it->second, item.view.recorded_at_micros);
    if (then != "valid" || appended == "suspended" || appended == "revoked" ||
        (when_recorded && appended != "valid")) {
      return Broken(
          item, rule::kCertificates, "certificate",
          absl::StrCat("relies on certificate '", id, "', ", then != "valid" ? then : appended,
                       then != "valid" ? " at its event time" : " when appended"));
    }
    g.uses[item.index].push_back({id, then});
  }
  return absl::OkStatus();
}

}  // namespace touchstone::bundle
