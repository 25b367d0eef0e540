// gRPC adapter of operator functions.
#include "services/admin_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/status_convert.h"

namespace touchstone {

bool IsLocalPeer(const std::string& peer) {
  return absl::StartsWith(peer, "ipv4:127.") || absl::StartsWith(peer, "ipv6:[::1]:") ||
         absl::StartsWith(peer, "ipv6:[::ffff:127.") || absl::StartsWith(peer, "unix:");
}

grpc::Status AdminService::Backup(grpc::ServerContext* ctx, const v1::BackupRequest*,
                                  v1::BackupResponse* resp) {
  if (!IsLocalPeer(ctx->peer())) {
    return grpc::Status(grpc::PERMISSION_DENIED,
                        "backups are only taken for callers on the server's own host");
  }
  if (backup_dir_.empty()) {
    return grpc::Status(grpc::FAILED_PRECONDITION,
                        "this server takes no backups: start touchstoned with --backup_dir DIR");
  }
  absl::StatusOr<BackupInfo> info = ledger_->Backup(backup_dir_);
  if (!info.ok()) return ToGrpc(info.status());
  resp->set_path(info->path);
  resp->set_size(info->size);
  resp->set_checkpoint(info->checkpoint);
  return grpc::Status::OK;
}

}  // namespace touchstone
