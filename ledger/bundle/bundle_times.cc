// The bundle's time rules: which log policy is in force at each entry, the
// backdating and history import rules it sets (ledger/provenance/log_policy.h), and the
// timeline's mark for a record recorded long after its event time.
#include "absl/strings/str_cat.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/log_policy.h"

namespace touchstone::bundle {

void AssignPolicies(std::vector<Item>& items) {
  const v1::LogPolicy* current = nullptr;
  for (Item& item : items) {
    if (const v1::LogPolicy* carried = CarriedPolicy(item.record)) current = carried;
    item.policy = current;
  }
}

[[nodiscard]] absl::Status CheckTimes(const std::vector<Item>& items) {
  for (const Item& item : items) {
    absl::Status s = CheckRecordTime(item.record, item.view.recorded_at_micros, item.policy);
    if (!s.ok()) {
      return rule::Tag(rule::kTime,
                       absl::Status(s.code(), absl::StrCat(Where(item), ": ", s.message())));
    }
  }
  return absl::OkStatus();
}

std::string RecordedLate(const Item& item) {
  const int64_t late = item.view.recorded_at_micros - item.record.event_time_micros();
  const int64_t bound =
      item.policy != nullptr ? item.policy->max_backdate_micros() : kDefaultMaxBackdateMicros;
  if (!item.record.history_import() && late <= bound) return "";
  return absl::StrCat("recorded ", DurationText(late), " after its event time",
                      item.record.history_import() ? " (an import of history)"
                      : item.policy == nullptr     ? " (before the log had a backdating bound)"
                                                   : "");
}

}  // namespace touchstone::bundle
