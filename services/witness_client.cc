// POST add-checkpoint with cpp-httplib.
#include "services/witness_client.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/witness.h"

namespace touchstone {

[[nodiscard]] absl::StatusOr<std::string> RequestCosignature(
    const std::string& url, uint64_t old_size, std::span<const Hash> proof,
    std::string_view checkpoint_note, uint64_t* witness_size, int timeout_seconds) {
  if (proof.size() > kMaxWitnessProofLines) {
    return absl::InvalidArgumentError("a consistency proof has at most 63 hashes");
  }
  AddCheckpointRequest req{old_size, {proof.begin(), proof.end()}, std::string(checkpoint_note)};
  return PostAddCheckpoint(url, req.ToText(), witness_size, timeout_seconds);
}

namespace {

// POSTs `body` to <url><path>; the result, or UNAVAILABLE (malformed URL:
// INVALID_ARGUMENT) if there is no answer.
[[nodiscard]] absl::StatusOr<httplib::Result> Post(const std::string& url, const std::string& path,
                                                   const std::string& body, int timeout_seconds) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos || url.substr(0, scheme) != "http") {
    return absl::InvalidArgumentError(
        absl::StrCat("witness URL must be http://host:port[/prefix], not '", url, "'"));
  }
  const size_t path_at = url.find('/', scheme + 3);
  const std::string origin = url.substr(0, path_at);
  std::string prefix = path_at == std::string::npos ? "" : url.substr(path_at);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();

  httplib::Client client(origin);
  client.set_connection_timeout(timeout_seconds, 0);
  client.set_read_timeout(timeout_seconds, 0);
  client.set_write_timeout(timeout_seconds, 0);
  httplib::Result res = client.Post(prefix + path, body, "text/plain");
  if (!res) {
    return absl::UnavailableError(
        absl::StrCat("witness ", url, ": ", httplib::to_string(res.error())));
  }
  return res;
}

}  // namespace

[[nodiscard]] absl::Status PostKeyHandover(const std::string& url, const std::string& body,
                                           int timeout_seconds) {
  ASSIGN_OR_RETURN(httplib::Result res, Post(url, "/key-handover", body, timeout_seconds));
  const std::string why = std::string(absl::StripTrailingAsciiWhitespace(res->body));
  switch (res->status) {
    case 200:
      return absl::OkStatus();
    case 400:
      return absl::InvalidArgumentError(absl::StrCat("witness ", url, ": ", why));
    case 403:
      return absl::PermissionDeniedError(absl::StrCat("witness ", url, ": ", why));
    case 404:
      return absl::NotFoundError(absl::StrCat("witness ", url, ": ", why));
    case 422:
      return absl::DataLossError(absl::StrCat("witness ", url, ": ", why));
    default:
      return absl::UnavailableError(
          absl::StrCat("witness ", url, " answered HTTP ", res->status, ": ", why));
  }
}

[[nodiscard]] absl::StatusOr<std::string> PostAddCheckpoint(const std::string& url,
                                                            const std::string& body,
                                                            uint64_t* witness_size,
                                                            int timeout_seconds) {
  ASSIGN_OR_RETURN(httplib::Result res, Post(url, "/add-checkpoint", body, timeout_seconds));
  const std::string& text = res->body;
  const std::string why = std::string(absl::StripTrailingAsciiWhitespace(text));
  switch (res->status) {
    case 200:
      if (text.empty() || text.back() != '\n' || text.rfind("\xE2\x80\x94 ", 0) != 0) {
        return absl::UnavailableError(
            absl::StrCat("witness ", url, " answered 200 without signature lines"));
      }
      return text;
    case 409: {
      uint64_t size = 0;
      if (res->get_header_value("Content-Type").rfind(kTlogSizeContentType, 0) == 0) {
        if (text.empty() || text.back() != '\n' ||
            !absl::SimpleAtoi(absl::string_view(text.data(), text.size() - 1), &size)) {
          return absl::UnavailableError(
              absl::StrCat("witness ", url, " answered 409 with a malformed size"));
        }
        if (witness_size != nullptr) *witness_size = size;
        return absl::FailedPreconditionError(absl::StrCat("witness ", url, " is at size ", size));
      }
      return absl::DataLossError(
          absl::StrCat("witness ", url, " cosigned another tree of this size: ", why));
    }
    case 422:
      return absl::DataLossError(
          absl::StrCat("witness ", url, " refused an inconsistent checkpoint: ", why));
    case 403:
      return absl::PermissionDeniedError(absl::StrCat("witness ", url, ": ", why));
    case 404:
      return absl::NotFoundError(absl::StrCat("witness ", url, ": ", why));
    case 400:
      return absl::InvalidArgumentError(absl::StrCat("witness ", url, ": ", why));
    default:
      return absl::UnavailableError(
          absl::StrCat("witness ", url, " answered HTTP ", res->status, ": ", why));
  }
}

}  // namespace touchstone
