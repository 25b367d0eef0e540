// Hints for failed commands (see cli_hints.h).
#include "services/cli_hints.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace touchstone::cli {

std::string NextStep(const absl::Status& status) {
  const std::string message = absl::AsciiStrToLower(status.message());
  const auto has = [&message](const char* s) { return absl::StrContains(message, s); };
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      if (absl::StartsWith(message, "cannot reach the admin socket")) {
        return "run it on the server's host as the server's user (the socket is mode 0600), "
               "with --admin unix:PATH naming touchstoned's --admin_socket (default "
               "<data_dir>/admin.sock)";
      }
      if (has("handshake") || has("ssl") || has("tls")) {
        return "does the server use TLS? Give its CA with --tls_ca (and --tls_cert/--tls_key "
               "if it asks for a client certificate), or leave them out for a plaintext server";
      }
      if (has("failed to connect") || has("connection refused") || has("dns resolution")) {
        return "is touchstoned running and listening there? Start it (scripts/serve.sh), or "
               "give its address with --server HOST:PORT (or TOUCHSTONE_SERVER)";
      }
      return "";
    case absl::StatusCode::kDeadlineExceeded:
      return "the server did not answer in time: check that it is up and reachable, or allow "
             "more with --timeout SECONDS";
    case absl::StatusCode::kNotFound:
      if (absl::StartsWith(message, "no key file ")) {
        return "check the key file's path (--key FILE, --keys_dir DIR holding "
               "<participant>.pem, --operator_key FILE), or create a key with `touchstone "
               "keygen -o FILE`";
      }
      if (absl::StartsWith(message, "no piece '")) {
        return "piece ids are exact and case-sensitive: copy it from the piece's card or QR "
               "code, and check that --server names the ledger that holds it";
      }
      return "";
    default:
      return "";
  }
}

[[nodiscard]] absl::Status MissingVkey(std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(what),
                   ": give --vkey KEY, the key the log's operator publishes (`touchstone log info` "
                   "prints the key a server reports about itself, which proves nothing about it)"));
}

}  // namespace touchstone::cli
