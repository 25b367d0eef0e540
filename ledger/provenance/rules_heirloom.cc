// HeirloomReceived: a customer's own old jewelry enters the ledger as the
// owner's material (ledger/provenance/heirloom.h).
#include "ledger/provenance/record.h"
#include "ledger/provenance/rules_internal.h"

namespace touchstone::rules {

absl::Status ApplyHeirloomRecord(const Env& env) {
  return absl::UnimplementedError(absl::StrCat(RecordKind(env.record()), " is not accepted yet"));
}

}  // namespace touchstone::rules
