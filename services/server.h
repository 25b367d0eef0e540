// A running touchstoned: the ledger plus its gRPC server (ledger service,
// health checking, reflection). Used by the binary and by integration tests.
#ifndef TOUCHSTONE_SERVICES_SERVER_H_
#define TOUCHSTONE_SERVICES_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "ledger/ledger.h"
#include "services/admin_service.h"
#include "services/cosigner.h"
#include "services/ledger_service.h"
#include "services/provenance_service.h"

namespace touchstone {

struct ServerOptions {
  LedgerOptions ledger;
  // Address to listen on; port 0 picks a free port. Default: 127.0.0.1:50051
  std::string listen = "127.0.0.1:50051";
  // Largest gRPC message accepted, in bytes. Default: 8 MiB
  int max_message_bytes = 8 << 20;
  // Witnesses to obtain checkpoint cosignatures from, "URL=VKEY" each. Default: none
  std::vector<std::string> witnesses;
  // How many witnesses must cosign a checkpoint before it is served as
  // witnessed. Default: all of them
  size_t witness_quorum = 0;
  // Directory Admin.Backup writes backups into; empty: no backups. Default: empty
  std::string backup_dir;
};

// Thread-safe.
class Server {
 public:
  // Opens the ledger and starts serving. UNAVAILABLE if the address cannot be bound;
  // ledger errors as Ledger::Open.
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);
  ~Server();

  // The port actually bound.
  int port() const { return port_; }
  Ledger& ledger() { return *ledger_; }

  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting calls, lets in-flight calls finish (up to a deadline), then
  // drains and closes the ledger. Idempotent.
  void Shutdown();

 private:
  Server() = default;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<LedgerService> service_;
  std::unique_ptr<ProvenanceService> provenance_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<Cosigner> cosigner_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_SERVER_H_
