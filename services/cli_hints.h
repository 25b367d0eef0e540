// What to do next after a failed command: a one-line hint for the errors people
// run into first (no server there, TLS mismatch, a slow server, a missing key
// file, a mistyped piece id, no log key given). Fail() prints it under the error.
#ifndef TOUCHSTONE_SERVICES_CLI_HINTS_H_
#define TOUCHSTONE_SERVICES_CLI_HINTS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace touchstone::cli {

// The hint for `status`, or "" if there is none.
std::string NextStep(const absl::Status& status);

// The error for a command run without the log's verifier key (--vkey); `what`
// says what needed it.
[[nodiscard]] absl::Status MissingVkey(std::string_view what = "no log verifier key");

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_HINTS_H_
