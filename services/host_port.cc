// host:port parsing (see host_port.h).
#include "services/host_port.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"

namespace touchstone {

[[nodiscard]] absl::StatusOr<HostPort> ParseHostPort(std::string_view address,
                                                     std::string_view what) {
  const size_t colon = address.rfind(':');
  HostPort out;
  if (colon == std::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(Sv(address.substr(colon + 1)), &out.port) || out.port < 0 ||
      out.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), " must be host:port, not '", Sv(address), "'"));
  }
  out.host = std::string(address.substr(0, colon));
  return out;
}

}  // namespace touchstone
