// Debian 12's abseil has its own absl::string_view, distinct from
// std::string_view; Sv() passes a std::string_view to absl string functions.
#ifndef TOUCHSTONE_LEDGER_BASE_STRINGS_H_
#define TOUCHSTONE_LEDGER_BASE_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace touchstone {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BASE_STRINGS_H_
