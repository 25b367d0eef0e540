// Owner records (OwnershipAccepted, OwnershipTransferred, OwnerReport,
// OwnerKeyReplaced): the rules of owners who hold their own keys.
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {

absl::Status ApplyOwnerRecord(const Env& env) {
  return absl::UnimplementedError(absl::StrCat(RecordKind(env.record()), " is not accepted yet"));
}

}  // namespace touchstone::rules
