// A small client of etcd's v3 gRPC API (KV, Watch, Lease), over the C++ stubs
// generated from the .proto files Debian's golang-etcd-server-dev ships
// (services/etcd/etcd_protos.cmake): what the replicated writer
// (services/replicator.h) needs, nothing more.
//
// Endpoints: one channel per member. A call that cannot reach its member
// (UNAVAILABLE) moves the client to the next member for later calls; the
// call itself is not retried, because a transaction whose answer was lost
// may have been applied (the caller decides what an ambiguous outcome means).
#ifndef TOUCHSTONE_SERVICES_ETCD_CLIENT_H_
#define TOUCHSTONE_SERVICES_ETCD_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace touchstone {

// The largest response the client accepts from etcd (gRPC's default is 4 MiB).
inline constexpr int kMaxEtcdResponseBytes = 64 << 20;

// The key just past every key that starts with `prefix` (etcd's range_end for a prefix).
std::string EtcdPrefixEnd(std::string prefix);

// Thread-safe.
class EtcdClient {
 public:
  // Channels to `endpoints` ("host:port" each, plaintext). INVALID_ARGUMENT if
  // there is none. Connecting is lazy: an unreachable member shows on a call.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<EtcdClient>> Connect(
      std::vector<std::string> endpoints, absl::Duration call_timeout);

  // One transaction. The call's gRPC status otherwise (UNAVAILABLE,
  // DEADLINE_EXCEEDED: the outcome is then unknown).
  [[nodiscard]] absl::StatusOr<etcdserverpb::TxnResponse> Txn(
      const etcdserverpb::TxnRequest& request) const;
  // Keys in [key, range_end) (range_end empty: `key` alone), ascending, at
  // most `limit` (0: all). Errors as Txn.
  [[nodiscard]] absl::StatusOr<etcdserverpb::RangeResponse> Range(std::string key,
                                                                  std::string range_end,
                                                                  int64_t limit = 0) const;
  // Deletes keys in [key, range_end). Errors as Txn.
  [[nodiscard]] absl::StatusOr<etcdserverpb::DeleteRangeResponse> DeleteRange(
      std::string key, std::string range_end) const;
  // Compacts etcd's history up to `revision`. Errors as Txn.
  [[nodiscard]] absl::Status Compact(int64_t revision) const;
  // The status of the member calls go to now (its database size, in use and
  // allocated). Errors as Txn.
  [[nodiscard]] absl::StatusOr<etcdserverpb::StatusResponse> MemberStatus() const;
  // A new lease of `ttl` seconds; its id. Errors as Txn.
  [[nodiscard]] absl::StatusOr<int64_t> GrantLease(int64_t ttl) const;
  // Renews `lease` once; its remaining TTL in seconds (0 or less: it has
  // expired). Errors as Txn.
  [[nodiscard]] absl::StatusOr<int64_t> KeepAlive(int64_t lease) const;
  // Revokes `lease` (its keys are deleted). Errors as Txn.
  [[nodiscard]] absl::Status RevokeLease(int64_t lease) const;

  // A watch of [key, range_end) from `start_revision` (0: from now). Next()
  // blocks until etcd reports changes (or the watch ends); Cancel() may be
  // called from another thread. Thread-compatible otherwise.
  class Watch {
   public:
    ~Watch();
    // The next response with events; UNAVAILABLE once the stream ended (a
    // member went away, or Cancel()), CANCELLED if etcd cancelled it (as
    // after a compaction past start_revision).
    [[nodiscard]] absl::StatusOr<etcdserverpb::WatchResponse> Next();
    void Cancel();

   private:
    friend class EtcdClient;
    Watch() = default;
    grpc::ClientContext context_;
    std::unique_ptr<
        grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>>
        stream_;
  };
  [[nodiscard]] absl::StatusOr<std::unique_ptr<Watch>> StartWatch(std::string key,
                                                                  std::string range_end,
                                                                  int64_t start_revision) const;

  const std::vector<std::string>& endpoints() const { return endpoints_; }

 private:
  struct Member {
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
    std::unique_ptr<etcdserverpb::Maintenance::Stub> maintenance;
  };
  EtcdClient(std::vector<std::string> endpoints, absl::Duration call_timeout);
  // The member calls go to now.
  const Member& Current() const;
  // The status of a finished call; moves to the next member if it was UNAVAILABLE.
  absl::Status Done(const grpc::Status& status, absl::string_view what) const;
  void Prepare(grpc::ClientContext& context) const;
  // One unary call: call(member, context, &response) on the member calls go to
  // now, with the call timeout. The response, or Done's status.
  template <typename Response, typename Call>
  absl::StatusOr<Response> Unary(absl::string_view what, Call call) const;

  const std::vector<std::string> endpoints_;
  const absl::Duration call_timeout_;
  std::vector<Member> members_;
  mutable std::atomic<size_t> current_{0};
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_ETCD_CLIENT_H_
