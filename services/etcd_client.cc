// The etcd v3 client (services/etcd_client.h).
#include "services/etcd_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "services/status_convert.h"

namespace touchstone {

std::string EtcdPrefixEnd(std::string prefix) {
  // The prefix with its last byte below 0xff incremented, and what follows dropped.
  while (!prefix.empty()) {
    if (static_cast<unsigned char>(prefix.back()) < 0xff) {
      prefix.back() = static_cast<char>(prefix.back() + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');  // every key
}

EtcdClient::EtcdClient(std::vector<std::string> endpoints, absl::Duration call_timeout)
    : endpoints_(std::move(endpoints)), call_timeout_(call_timeout) {
  for (const std::string& endpoint : endpoints_) {
    grpc::ChannelArguments args;
    // Reconnect quickly once a member is back (the default backoff grows to 2 minutes).
    // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also takes it as the least time a
    // connection attempt gets, and on a busy machine a handshake can take longer than a
    // short one (every attempt then fails: "tcp handshaker shutdown").
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    // A range of commit groups (services/replicator.cc reads up to 16 of at most
    // ~0.6 MiB each) is larger than gRPC's default 4 MiB.
    args.SetMaxReceiveMessageSize(kMaxEtcdResponseBytes);
    std::shared_ptr<grpc::Channel> channel =
        grpc::CreateCustomChannel(endpoint, grpc::InsecureChannelCredentials(), args);
    members_.push_back({etcdserverpb::KV::NewStub(channel), etcdserverpb::Watch::NewStub(channel),
                        etcdserverpb::Lease::NewStub(channel),
                        etcdserverpb::Maintenance::NewStub(channel)});
  }
}

absl::StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Connect(std::vector<std::string> endpoints,
                                                                absl::Duration call_timeout) {
  if (endpoints.empty()) return absl::InvalidArgumentError("no etcd endpoint given");
  return std::unique_ptr<EtcdClient>(new EtcdClient(std::move(endpoints), call_timeout));
}

const EtcdClient::Member& EtcdClient::Current() const {
  return members_[current_.load() % members_.size()];
}

void EtcdClient::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + call_timeout_));
}

absl::Status EtcdClient::Done(const grpc::Status& status, absl::string_view what) const {
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    current_.fetch_add(1);
  }
  absl::Status converted = FromGrpc(status);
  return absl::Status(converted.code(), absl::StrCat("etcd (", absl::StrJoin(endpoints_, ","), ") ",
                                                     what, ": ", converted.message()));
}

template <typename Response, typename Call>
absl::StatusOr<Response> EtcdClient::Unary(absl::string_view what, Call call) const {
  grpc::ClientContext context;
  Prepare(context);
  Response response;
  if (absl::Status done = Done(call(Current(), &context, &response), what); !done.ok()) {
    return done;
  }
  return response;
}

absl::StatusOr<etcdserverpb::TxnResponse> EtcdClient::Txn(
    const etcdserverpb::TxnRequest& request) const {
  return Unary<etcdserverpb::TxnResponse>(
      "transaction",
      [&](const Member& m, grpc::ClientContext* c, auto* r) { return m.kv->Txn(c, request, r); });
}

absl::StatusOr<etcdserverpb::RangeResponse> EtcdClient::Range(std::string key,
                                                              std::string range_end,
                                                              int64_t limit) const {
  etcdserverpb::RangeRequest request;
  request.set_key(std::move(key));
  request.set_range_end(std::move(range_end));
  request.set_limit(limit);
  request.set_sort_order(etcdserverpb::RangeRequest::ASCEND);
  request.set_sort_target(etcdserverpb::RangeRequest::KEY);
  return Unary<etcdserverpb::RangeResponse>(
      "range",
      [&](const Member& m, grpc::ClientContext* c, auto* r) { return m.kv->Range(c, request, r); });
}

absl::StatusOr<etcdserverpb::DeleteRangeResponse> EtcdClient::DeleteRange(
    std::string key, std::string range_end) const {
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(std::move(key));
  request.set_range_end(std::move(range_end));
  return Unary<etcdserverpb::DeleteRangeResponse>(
      "delete", [&](const Member& m, grpc::ClientContext* c, auto* r) {
        return m.kv->DeleteRange(c, request, r);
      });
}

absl::Status EtcdClient::Compact(int64_t revision) const {
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  return Unary<etcdserverpb::CompactionResponse>(
             "compaction", [&](const Member& m, grpc::ClientContext* c,
                               auto* r) { return m.kv->Compact(c, request, r); })
      .status();
}

absl::StatusOr<etcdserverpb::StatusResponse> EtcdClient::MemberStatus() const {
  return Unary<etcdserverpb::StatusResponse>(
      "status", [](const Member& m, grpc::ClientContext* c, auto* r) {
        return m.maintenance->Status(c, etcdserverpb::StatusRequest(), r);
      });
}

absl::StatusOr<int64_t> EtcdClient::GrantLease(int64_t ttl) const {
  etcdserverpb::LeaseGrantRequest request;
  request.set_ttl(ttl);
  absl::StatusOr<etcdserverpb::LeaseGrantResponse> response =
      Unary<etcdserverpb::LeaseGrantResponse>(
          "lease grant", [&](const Member& m, grpc::ClientContext* c, auto* r) {
            return m.lease->LeaseGrant(c, request, r);
          });
  if (!response.ok()) return response.status();
  if (!response->error().empty()) {
    return absl::UnavailableError(absl::StrCat("etcd refused a lease: ", response->error()));
  }
  return response->id();
}

absl::StatusOr<int64_t> EtcdClient::KeepAlive(int64_t lease) const {
  grpc::ClientContext context;
  Prepare(context);
  auto stream = Current().lease->LeaseKeepAlive(&context);
  etcdserverpb::LeaseKeepAliveRequest request;
  request.set_id(lease);
  etcdserverpb::LeaseKeepAliveResponse response;
  const bool sent = stream->Write(request) && stream->WritesDone();
  const bool read = sent && stream->Read(&response);
  const grpc::Status status = stream->Finish();
  if (absl::Status done = Done(status, "lease keep-alive"); !done.ok()) return done;
  if (!read) return absl::UnavailableError("etcd did not answer a lease keep-alive");
  return response.ttl();
}

absl::Status EtcdClient::RevokeLease(int64_t lease) const {
  etcdserverpb::LeaseRevokeRequest request;
  request.set_id(lease);
  return Unary<etcdserverpb::LeaseRevokeResponse>(
             "lease revoke", [&](const Member& m, grpc::ClientContext* c,
                                 auto* r) { return m.lease->LeaseRevoke(c, request, r); })
      .status();
}

absl::StatusOr<std::unique_ptr<EtcdClient::Watch>> EtcdClient::StartWatch(
    std::string key, std::string range_end, int64_t start_revision) const {
  auto watch = std::unique_ptr<Watch>(new Watch());
  watch->stream_ = Current().watch->Watch(&watch->context_);
  etcdserverpb::WatchRequest request;
  etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
  create->set_key(std::move(key));
  create->set_range_end(std::move(range_end));
  create->set_start_revision(start_revision);
  if (!watch->stream_->Write(request)) {
    const grpc::Status finished = watch->stream_->Finish();
    watch->stream_.reset();
    absl::Status done = Done(finished, "watch");
    return done.ok() ? absl::UnavailableError("etcd did not take the watch") : done;
  }
  return watch;
}

EtcdClient::Watch::~Watch() {
  Cancel();
  if (stream_) (void)stream_->Finish();
}

void EtcdClient::Watch::Cancel() { context_.TryCancel(); }

absl::StatusOr<etcdserverpb::WatchResponse> EtcdClient::Watch::Next() {
  etcdserverpb::WatchResponse response;
  while (stream_->Read(&response)) {
    if (response.canceled()) {
      return absl::CancelledError(
          absl::StrCat("etcd cancelled the watch: ", response.cancel_reason()));
    }
    if (!response.events().empty()) return response;
  }
  return absl::UnavailableError("the etcd watch ended");
}

}  // namespace touchstone
