// The table of who may write which record (see writer_roles.h).
#include "ledger/provenance/writer_roles.h"

#include "absl/strings/str_join.h"

namespace touchstone {

std::vector<v1::Role> WriterRoles(const v1::Record& r) {
  switch (r.body_case()) {
    case v1::Record::kParticipantRegistered:
    case v1::Record::kRoleGranted:
    case v1::Record::kParticipantSuspended:
    case v1::Record::kParticipantReinstated:
    case v1::Record::kOperatorKeyRotated:
    case v1::Record::kLogPolicy:
    case v1::Record::kSchemeRegistered:
      return {v1::ROLE_OPERATOR};
    case v1::Record::kCertificateIssued:
    case v1::Record::kCertificateStatusChanged:
      return {v1::ROLE_CERTIFIER};
    case v1::Record::kLotCreated:
      switch (r.lot_created().origin_class()) {
        case v1::ORIGIN_CLASS_MINED:
          return {v1::ROLE_MINER, v1::ROLE_REFINER};
        case v1::ORIGIN_CLASS_RECYCLED_PRE_CONSUMER:
        case v1::ORIGIN_CLASS_RECYCLED_POST_CONSUMER:
          return {v1::ROLE_RECYCLER, v1::ROLE_REFINER};
        case v1::ORIGIN_CLASS_LAB_GROWN:
          return {v1::ROLE_GROWER};
        default:
          return {v1::ROLE_UNSPECIFIED};  // nobody creates a lot of a derived class
      }
    case v1::Record::kTransformation:
      return {v1::ROLE_REFINER, v1::ROLE_RECYCLER,     v1::ROLE_GROWER,
              v1::ROLE_CUTTER,  v1::ROLE_MANUFACTURER, v1::ROLE_JEWELER};
    case v1::Record::kCreditAccountOpened:
    case v1::Record::kCreditBooked:
    case v1::Record::kCreditAllocated:
      return {v1::ROLE_REFINER, v1::ROLE_MANUFACTURER};
    case v1::Record::kPieceRegistered:
    case v1::Record::kPieceLifecycle:
    case v1::Record::kStoneReplaced:
      return {v1::ROLE_JEWELER};
    case v1::Record::kHeirloomReceived:
      return {v1::ROLE_JEWELER, v1::ROLE_MANUFACTURER};
    case v1::Record::kOwnershipAccepted:
    case v1::Record::kOwnershipTransferred:
    case v1::Record::kOwnerReport:
    case v1::Record::kOwnerKeyReplaced:
      // Not a role: the piece's owner key, or the insurer or recovery agent its
      // owner's terms name (rules_owners.cc).
      return {};
    default:
      return {};
  }
}

std::string RoleNames(const std::vector<v1::Role>& roles) {
  std::vector<std::string> names;
  for (v1::Role r : roles) names.push_back(r == v1::ROLE_UNSPECIFIED ? "none" : v1::Role_Name(r));
  return absl::StrJoin(names, " or ");
}

}  // namespace touchstone
