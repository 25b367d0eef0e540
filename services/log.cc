// One line per event on stderr.
#include "services/log.h"

#include <iostream>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace touchstone {
namespace {

bool g_json = true;
LogLevel g_min = LogLevel::kInfo;
std::mutex g_mu;

constexpr const char* kLevelNames[] = {"debug", "info", "warning", "error"};

}  // namespace

[[nodiscard]] absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat("log level '", std::string(name),
                                                 "' is not one of debug, info, warning, error"));
}

[[nodiscard]] absl::Status ConfigureLog(std::string_view format, LogLevel min_level) {
  if (format != "json" && format != "text") {
    return absl::InvalidArgumentError(
        absl::StrCat("log format '", std::string(format), "' is not json or text"));
  }
  g_json = format == "json";
  g_min = min_level;
  return absl::OkStatus();
}

void Log(LogLevel level, std::string_view event, std::string_view msg,
         const nlohmann::json& fields) {
  if (level < g_min) return;
  std::string line;
  if (g_json) {
    nlohmann::json j = {
        {"time", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone())},
        {"level", kLevelNames[static_cast<int>(level)]},
        {"event", std::string(event)},
        {"msg", std::string(msg)}};
    if (fields.is_object()) {
      for (const auto& [k, v] : fields.items()) {
        if (!j.contains(k)) j[k] = v;
      }
    }
    // Invalid UTF-8 (from a peer's message) is replaced, never thrown.
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = absl::StrCat("touchstoned: ", std::string(msg));
  }
  std::lock_guard<std::mutex> lock(g_mu);
  std::cerr << line << std::endl;
}

}  // namespace touchstone
