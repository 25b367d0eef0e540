#include "services/http_json.h"

#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace touchstone {

int HttpStatusOfCode(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kFailedPrecondition:
      return 412;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:  // the same bytes again are an idempotent retry
      return 503;
    default:
      return 500;
  }
}

void SendJsonError(httplib::Response& res, const absl::Status& s, int http_status) {
  res.status = http_status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(nlohmann::json{{"error", std::string(s.message())},
                                 {"code", absl::StatusCodeToString(s.code())}}
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

absl::StatusOr<std::string> ProtoJson(const google::protobuf::Message& m) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(m, &json, options).ok()) {
    return absl::InternalError("the answer cannot be printed as JSON");
  }
  return json;
}

}  // namespace touchstone
