// touchstoned's log: one line per event on stderr, as JSON (the default) or as
// plain text, with a minimum level. Lines never carry key material: callers log
// ids, sizes, addresses and status messages only.
//
// JSON line: {"time":"2026-11-26T10:15:02.123456Z","level":"info","event":"serving",
//             "msg":"serving touchstone.local/ledger (size 50) on 127.0.0.1:50051", ...fields}
// Text line: touchstoned: serving touchstone.local/ledger (size 50) on 127.0.0.1:50051
#ifndef TOUCHSTONE_SERVICES_LOG_H_
#define TOUCHSTONE_SERVICES_LOG_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace touchstone {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// "debug", "info", "warning", "error"; INVALID_ARGUMENT otherwise.
[[nodiscard]] absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);

// Process-wide settings; call before any Log (not thread-safe with Log).
// `format` is "json" or "text" (INVALID_ARGUMENT otherwise).
[[nodiscard]] absl::Status ConfigureLog(std::string_view format, LogLevel min_level);

// Writes one event if `level` is at least the configured minimum. `fields`
// (a JSON object) are added to a JSON line and ignored in text. Thread-safe:
// lines never interleave.
void Log(LogLevel level, std::string_view event, std::string_view msg,
         const nlohmann::json& fields = nlohmann::json::object());

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_LOG_H_
