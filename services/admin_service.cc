// gRPC adapter of operator functions, and its Unix socket (see admin_service.h).
#include "services/admin_service.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "services/malformed_request.h"
#include "services/status_convert.h"

namespace touchstone {
namespace {

// True if a process accepts connections on the Unix socket at `path`.
bool SomeoneListens(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool connected = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return connected;
}

}  // namespace

grpc::Status AdminService::Backup(grpc::ServerContext*, const v1::BackupRequest*,
                                  v1::BackupResponse* resp) {
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

[[nodiscard]] absl::StatusOr<std::unique_ptr<grpc::Server>> ServeAdminOnUnixSocket(
    AdminService* service, const std::string& path) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the admin socket path must be 1 to ", sizeof(sockaddr_un::sun_path) - 1,
                     " bytes long, not ", path.size(), ": '", path, "'"));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::AlreadyExistsError(
          absl::StrCat(path, " exists and is not a socket; refusing to replace it"));
    }
    if (SomeoneListens(path)) {
      return absl::AlreadyExistsError(
          absl::StrCat("another process serves on the admin socket ", path));
    }
    unlink(path.c_str());  // stale
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials());
  builder.RegisterService(service);
  // A request body that is not the request message: INVALID_ARGUMENT, as on the TCP port.
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MalformedRequestInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  // The umask is the process's: tightened for the instant the socket is made,
  // so that it is never open to others, not even before the chmod below. Files
  // other threads create meanwhile come out private too, which they are anyway.
  const mode_t old_umask = umask(0077);
  umask(old_umask | 0077);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  umask(old_umask);
  if (server == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot serve on the admin socket ", path));
  }
  if (chmod(path.c_str(), 0600) != 0) {
    const int err = errno;
    server->Shutdown();
    return absl::UnavailableError(
        absl::StrCat("cannot make the admin socket ", path, " mode 0600: ", std::strerror(err)));
  }
  return server;
}

}  // namespace touchstone
