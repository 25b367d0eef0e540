// The one parser of "host:port" listen addresses (touchstoned's gRPC and HTTP
// ports, the witness server).
#ifndef TOUCHSTONE_SERVICES_HOST_PORT_H_
#define TOUCHSTONE_SERVICES_HOST_PORT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace touchstone {

struct HostPort {
  std::string host;  // as given: a name, an IPv4 address, or a bracketed IPv6 one
  int port = 0;      // 0..65535; 0 = any free port
};

// Splits `address` at its last colon. INVALID_ARGUMENT "<what> must be
// host:port, not '<address>'" if there is no colon, the host is empty or the
// port is not a number in 0..65535.
[[nodiscard]] absl::StatusOr<HostPort> ParseHostPort(std::string_view address,
                                                     std::string_view what);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_HOST_PORT_H_
