// The deadline a gRPC handler works to: the client's own, capped at the
// server's per-call limit (--max_call_seconds), so that no call holds a
// handler thread, a queued submission or an open stream forever.
#ifndef TOUCHSTONE_SERVICES_CALL_DEADLINE_H_
#define TOUCHSTONE_SERVICES_CALL_DEADLINE_H_

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/server_context.h"
#include "services/status_convert.h"

namespace touchstone {

// Thread-compatible; one per call.
class CallDeadline {
 public:
  CallDeadline(const grpc::ServerContext& ctx, absl::Duration cap) : cap_(cap) {
    const auto client = ctx.deadline();
    const auto capped = std::chrono::system_clock::now() + absl::ToChronoMicroseconds(cap);
    capped_by_server_ = capped < client;
    time_ = absl::FromChrono(std::min(client, capped));
  }

  // When the call must end.
  absl::Time time() const { return time_; }
  bool Expired() const { return absl::Now() >= time_; }

  // `s` as a gRPC status; a DEADLINE_EXCEEDED that the server's cap (rather
  // than the client's deadline) caused says so, naming the limit.
  grpc::Status Explain(const absl::Status& s) const {
    if (!absl::IsDeadlineExceeded(s) || !capped_by_server_) return ToGrpc(s);
    return ToGrpc(absl::DeadlineExceededError(
        absl::StrCat(s.message(), " (call limit: the server ends any call after ",
                     absl::FormatDuration(cap_), ", --max_call_seconds)")));
  }

 private:
  absl::Duration cap_;
  absl::Time time_;
  bool capped_by_server_ = false;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_CALL_DEADLINE_H_
