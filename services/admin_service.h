// The gRPC adapter of operator functions (proto/admin_service.proto): backups.
// Served only on a Unix socket (mode 0600) by a gRPC server of its own, never
// on touchstoned's TCP port: who may call it is who may open the socket, which
// a proxy in front of the TCP port cannot change.
#ifndef TOUCHSTONE_SERVICES_ADMIN_SERVICE_H_
#define TOUCHSTONE_SERVICES_ADMIN_SERVICE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "ledger/ledger.h"
#include "proto/admin_service.grpc.pb.h"

namespace touchstone {

// Thread-safe (the ledger is).
class AdminService final : public v1::Admin::Service {
 public:
  // `backup_dir` is where backups go; empty disables them.
  AdminService(Ledger* ledger, std::string backup_dir)
      : ledger_(ledger), backup_dir_(std::move(backup_dir)) {}

  grpc::Status Backup(grpc::ServerContext* ctx, const v1::BackupRequest* req,
                      v1::BackupResponse* resp) override;

 private:
  Ledger* ledger_;
  const std::string backup_dir_;
};

// Serves `service` (which must outlive the server) on a Unix socket at `path`
// with a gRPC server of its own, and makes the socket mode 0600. The socket is
// never connectable by others: it is created under a umask of at least 0077.
// A socket already at `path` that nothing listens on (left by a server that
// died) is replaced. INVALID_ARGUMENT if `path` is empty or too long for a Unix
// socket address; ALREADY_EXISTS if something other than a socket is there, or
// another process listens on it; UNAVAILABLE if it cannot be bound or its mode
// set.
[[nodiscard]] absl::StatusOr<std::unique_ptr<grpc::Server>> ServeAdminOnUnixSocket(
    AdminService* service, const std::string& path);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_ADMIN_SERVICE_H_
