// Provenance.Watch: streams a Watcher's rounds (ledger/watch.h) until the
// call's deadline (capped at --max_call_seconds), the client cancelling, or
// the server stopping.
#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "ledger/watch.h"
#include "services/call_deadline.h"
#include "services/provenance_service.h"
#include "services/status_convert.h"

namespace touchstone {
namespace {

// How long one wait for new entries lasts before the stream checks for a
// cancelled call or a stopping server.
constexpr absl::Duration kWaitSlice = absl::Milliseconds(200);

[[nodiscard]] bool Send(grpc::ServerWriter<v1::WatchEvent>* writer,
                        const std::vector<v1::WatchEvent>& events) {
  for (const v1::WatchEvent& e : events) {
    if (!writer->Write(e)) return false;
  }
  return true;
}

}  // namespace

void ProvenanceService::StopWatches() { watches_stopped_ = true; }

grpc::Status ProvenanceService::Watch(grpc::ServerContext* ctx, const v1::WatchRequest* req,
                                      grpc::ServerWriter<v1::WatchEvent>* writer) {
  if (req->cosigned() && !watch_.witnesses) {
    return ToGrpc(absl::FailedPreconditionError(
        "this server has no witnesses (--witness): no checkpoint will be cosigned"));
  }
  {
    absl::MutexLock lock(&watch_mu_);
    if (watches_ >= watch_.max_watches) {
      return ToGrpc(absl::ResourceExhaustedError(
          absl::StrCat("this server serves at most ", watch_.max_watches,
                       " Watch streams at once (--max_watches); try again later")));
    }
    ++watches_;
  }
  absl::Cleanup done = [this] {
    absl::MutexLock lock(&watch_mu_);
    --watches_;
  };
  absl::StatusOr<Watcher> watcher = Watcher::Start(*ledger_, *req);
  if (!watcher.ok()) return ToGrpc(watcher.status());
  const CallDeadline deadline(*ctx, watch_.max_call);
  // Leave time for the last checkpoint event before the deadline itself.
  const absl::Time end = deadline.time() - std::min(absl::Seconds(1), watch_.max_call / 10);
  while (absl::Now() < end) {
    if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (watches_stopped_) {
      // Where the client stands first, so that it resumes from there.
      absl::StatusOr<std::vector<v1::WatchEvent>> last = watcher->Flush();
      if (last.ok() && !Send(writer, *last)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
      }
      return ToGrpc(absl::UnavailableError(
          "the server is shutting down; resume from the last checkpoint event's next_index"));
    }
    absl::StatusOr<std::vector<v1::WatchEvent>> events =
        watcher->Next(std::min(end, absl::Now() + kWaitSlice));
    if (!events.ok()) return ToGrpc(events.status());
    if (!Send(writer, *events)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
  }
  absl::StatusOr<std::vector<v1::WatchEvent>> last = watcher->Flush();
  if (!last.ok()) return ToGrpc(last.status());
  if (!Send(writer, *last)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
  return grpc::Status::OK;
}

}  // namespace touchstone
