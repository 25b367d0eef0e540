// Read access to committed derived state, by key (layout: ledger/provenance/state_view.h).
#ifndef TOUCHSTONE_LEDGER_STORE_STATE_READER_H_
#define TOUCHSTONE_LEDGER_STORE_STATE_READER_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace touchstone {

// Implementations say their own thread safety.
class StateReader {
 public:
  virtual ~StateReader() = default;
  // The value at key, or nullopt.
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> GetState(
      std::string_view key) const = 0;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_STORE_STATE_READER_H_
