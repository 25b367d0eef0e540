// absl::Status <-> grpc::Status: the codes are the same numbers, so the mapping
// is one to one.
#ifndef TOUCHSTONE_SERVICES_STATUS_CONVERT_H_
#define TOUCHSTONE_SERVICES_STATUS_CONVERT_H_

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace touchstone {

inline grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

[[nodiscard]] inline absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_STATUS_CONVERT_H_
