// Who may write which record: the one table of roles, read by the ledger's
// rules (rules_*.cc), the offline bundle verifier (bundle_verify.cc) and, through
// the generated services/web tables, the customer page's verifier.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_WRITER_ROLES_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_WRITER_ROLES_H_

#include <string>
#include <vector>

#include "proto/record.pb.h"

namespace touchstone {

// The roles that may write `r` (any one of them suffices). Empty if the rule
// for this record is not a role: keys are changed by their participant or the
// operator, custody by the custodian, errors declared by the wrong record's
// signer or the operator, the genesis by the log itself, owner records by the
// piece's owner key or whom its terms name (insurer, recovery agent). {ROLE_UNSPECIFIED}
// if nobody may write it (a lot of a derived origin class). Pure.
std::vector<v1::Role> WriterRoles(const v1::Record& r);

// "ROLE_MINER or ROLE_REFINER"; "none" for ROLE_UNSPECIFIED.
std::string RoleNames(const std::vector<v1::Role>& roles);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_WRITER_ROLES_H_
