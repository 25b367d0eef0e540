// JSON answers of touchstoned's HTTP port (the JSON API, the owner-record and
// opening routes): an error's HTTP status and body, and a protobuf message as
// JSON. One mapping of status codes for every JSON route.
#ifndef TOUCHSTONE_SERVICES_HTTP_JSON_H_
#define TOUCHSTONE_SERVICES_HTTP_JSON_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "httplib.h"

namespace touchstone {

// The HTTP status of an error, one per code: 400 INVALID_ARGUMENT and
// OUT_OF_RANGE, 403 PERMISSION_DENIED, 404 NOT_FOUND, 409 ALREADY_EXISTS,
// 412 FAILED_PRECONDITION, 429 RESOURCE_EXHAUSTED, 501 UNIMPLEMENTED, 503
// UNAVAILABLE and DEADLINE_EXCEEDED, 500 otherwise.
int HttpStatusOfCode(const absl::Status& s);

// {"error": message, "code": "FAILED_PRECONDITION"} with `http_status`, not cached.
void SendJsonError(httplib::Response& res, const absl::Status& s, int http_status);

// The message as JSON (proto field names; uint64 as strings, bytes as base64,
// as proto3's JSON mapping says). INTERNAL if it cannot be printed.
[[nodiscard]] absl::StatusOr<std::string> ProtoJson(const google::protobuf::Message& m);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_HTTP_JSON_H_
