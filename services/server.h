// A running touchstoned: the ledger plus its gRPC server (ledger and provenance
// services, health checking, reflection), its Admin service on a Unix socket
// of its own, and its HTTP pages. Used by the binary and by integration tests.
#ifndef TOUCHSTONE_SERVICES_SERVER_H_
#define TOUCHSTONE_SERVICES_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/server.h"
#include "ledger/ledger.h"
#include "services/admin_service.h"
#include "services/cosigner.h"
#include "services/http_server.h"
#include "services/ledger_service.h"
#include "services/openings_service.h"
#include "services/provenance_service.h"
#include "services/replicator.h"
#include "services/tls.h"

namespace touchstone {

struct ServerOptions {
  LedgerOptions ledger;
  // Address to listen on; port 0 picks a free port. Default: 127.0.0.1:50051
  std::string listen = "127.0.0.1:50051";
  // Largest gRPC message accepted, in bytes (a bigger one is refused with
  // RESOURCE_EXHAUSTED before it is parsed). Default: 8 MiB
  int max_message_bytes = kDefaultMaxMessageBytes;
  // Longest any call may take on the server, whatever deadline the client set
  // (or none): Submit, SubmitBatch and GetEntries end with DEADLINE_EXCEEDED
  // naming this limit; any other call ends when its connection is closed, at
  // most 2 x max(this, 1 s) after the connection opened. Default: 60 s
  double max_call_seconds = kDefaultMaxCallSeconds;
  // TLS for the gRPC port, mutual TLS with a client CA. Default: plaintext
  ServerTlsFiles tls;
  // Witnesses to obtain checkpoint cosignatures from, "URL=VKEY" each. Default: none
  std::vector<std::string> witnesses;
  // How many witnesses (distinct keys: one key under two names counts once)
  // must cosign a checkpoint before it is served as witnessed. Default: all of them
  size_t witness_quorum = 0;
  // Auditors whose cosignatures of audited checkpoints the server keeps
  // (Ledger.AddAuditCosignature), "NAME=VKEY" each (a cosignature/v1 key named
  // NAME: ledger/log/audit_note.h); pinned in the page too. Default: none
  std::vector<std::string> auditors;
  // How many auditors (distinct keys) must cosign a checkpoint before bundles
  // carry it as audited. Default: all of them
  size_t auditor_quorum = 0;
  // The customer pages and /metrics over HTTP (services/http_server.h); on if
  // http.listen or http.metrics_listen is set. Default: off
  HttpOptions http;
  // Handler threads of the gRPC sync server kept waiting for calls. A Submit
  // holds its thread until the commit is durable, so fewer idle threads than
  // concurrent callers makes gRPC create and destroy a thread per call.
  // Default: 4 at least, 256 at most
  int min_handler_threads = 4;
  int max_handler_threads = 256;
  // Provenance.Watch streams served at once; more are refused
  // RESOURCE_EXHAUSTED. Each holds a handler thread. Default: 64
  int max_watches = 64;
  // Directory Admin.Backup writes backups into; empty: no backups. Default: empty
  std::string backup_dir;
  // The Unix socket the Admin service (backups) is served on, by a gRPC server
  // of its own: the TCP port does not serve Admin at all. Made mode 0600 (only
  // the server's user may connect), replacing a stale socket left there.
  // Default: "" (<data_dir>/admin.sock)
  std::string admin_socket;
  // Replicated mode (services/replicator.h, docs/replication.md): with etcd
  // endpoints, this server is one replica of a set that etcd coordinates.
  // Default: not replicated
  ReplicationOptions replication;
  // Polled while Start waits for a replica to catch up: true stops the wait
  // (Start returns CANCELLED). Default: never
  std::function<bool()> stop_requested;
};

// Thread-safe.
class Server {
 public:
  // Opens the ledger and starts serving. UNAVAILABLE if an address or the admin
  // socket cannot be bound; INVALID_ARGUMENT / NOT_FOUND for bad TLS files
  // (MakeServerCredentials), a max_call_seconds not above 0, an admin socket
  // path too long for a Unix socket, or bad HTTP options (HttpServer::Start);
  // ALREADY_EXISTS if something not a socket is at the admin socket's path;
  // ledger errors as Ledger::Open.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Server>> Start(ServerOptions options);
  ~Server();

  // The port actually bound.
  int port() const { return port_; }
  // The HTTP pages' port actually bound, or 0 if they are off.
  int http_port() const { return http_ ? http_->port() : 0; }
  // The HTTP metrics port actually bound, or 0 if /metrics has no port of its own.
  int metrics_port() const { return http_ ? http_->metrics_port() : 0; }
  // The path of the Admin service's Unix socket.
  const std::string& admin_socket() const { return admin_socket_; }
  Ledger& ledger() { return *ledger_; }
  // The replicator in replicated mode; null otherwise.
  Replicator* replicator() { return replicator_.get(); }

  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting calls, lets in-flight calls finish (up to a deadline), then
  // drains and closes the ledger. Idempotent.
  void Shutdown();

 private:
  Server() = default;
  // Replicated mode: tells the replicator where clients reach this replica
  // (`advertise`, else the listen host and bound port) and waits until it has caught up with etcd
  // and the log has its genesis (led or applied). The replica's failure if it stops first.
  [[nodiscard]] absl::Status AwaitReplica(const std::string& listen, const std::string& advertise,
                                          const std::function<bool()>& stop_requested);
  std::unique_ptr<Replicator> replicator_;  // before the ledger: it holds the ledger's hook
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<LedgerService> service_;
  std::unique_ptr<ProvenanceService> provenance_;
  std::unique_ptr<OpeningsService> openings_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<Cosigner> cosigner_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> admin_server_;
  std::unique_ptr<HttpServer> http_;
  std::string admin_socket_;
  int port_ = 0;
};

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_SERVER_H_
