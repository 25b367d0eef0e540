// The gRPC adapter of operator functions (proto/admin_service.proto): backups.
// Only callers on the server's own host are served.
#ifndef TOUCHSTONE_SERVICES_ADMIN_SERVICE_H_
#define TOUCHSTONE_SERVICES_ADMIN_SERVICE_H_

#include <string>

#include "ledger/ledger.h"
#include "proto/admin_service.grpc.pb.h"

namespace touchstone {

// True if a gRPC peer string ("ipv4:127.0.0.1:5000", "ipv6:[::1]:5000",
// "unix:/path") names a caller on this host.
bool IsLocalPeer(const std::string& peer);

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

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_ADMIN_SERVICE_H_
