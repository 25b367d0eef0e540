// TEMP (until h-ledger): Ledger::GetOpening as helper A specifies it.
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"

namespace touchstone {

absl::StatusOr<std::optional<v1::Opening>> Ledger::GetOpening(uint64_t index) const {
  if (index >= Size()) return absl::OutOfRangeError(absl::StrCat("index ", index, " is beyond the log"));
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, store_->GetOpening(index));
  if (!bytes) return std::nullopt;
  v1::Opening o;
  if (!o.ParseFromString(*bytes)) return absl::DataLossError("opening does not parse");
  return o;
}

}  // namespace touchstone
