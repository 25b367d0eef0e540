// Starting and stopping touchstoned's gRPC server.
#include "services/server.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/audit_note.h"
#include "ledger/log/cosignature.h"
#include "services/host_port.h"
#include "services/log.h"
#include "services/malformed_request.h"

namespace touchstone {

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  // Debian's abseil is built with mutex deadlock detection on: a graph update on
  // every lock, about 2% of a Submit. Process-wide; touchstoned's locks are few
  // and ordered (queue, then head).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Options that need no ledger are checked before the ledger is opened.
  if (!(options.max_call_seconds > 0)) {
    return absl::InvalidArgumentError("max_call_seconds must be more than 0");
  }
  if (options.max_watches < 0) {
    return absl::InvalidArgumentError("max_watches must be 0 or more");
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   MakeServerCredentials(options.tls));
  auto server = std::unique_ptr<Server>(new Server());
  if (!options.ledger.on_damage) {
    // Damaged storage is an alert: a proof was refused, or the scrub found it.
    options.ledger.on_damage = [](const DamageReport& r) {
      Log(LogLevel::kError, "data_loss", r.message,
          {{"source", r.source},
           {"column_family", r.damage.column_family},
           {"key", r.damage.key.empty() ? "" : KeyHex(r.damage.key)},
           {"entry_index", r.damage.entry_index},
           {"tree_size", r.tree_size}});
    };
  }
  for (const std::string& flag : options.auditors) {
    ASSIGN_OR_RETURN(NoteVerifier a, ParseAuditorFlag(flag));
    options.ledger.auditors.push_back(std::move(a));
  }
  const size_t auditor_keys = CountWitnessKeys(options.ledger.auditors);
  options.ledger.auditor_quorum = options.auditor_quorum;
  if (options.auditor_quorum > auditor_keys) {
    return absl::InvalidArgumentError(absl::StrCat(
        "an auditor quorum of ", options.auditor_quorum, " needs at least ", options.auditor_quorum,
        " auditors with distinct keys; the --auditor flags name ", auditor_keys));
  }
  const bool replicated = !options.replication.etcd.empty();
  if (replicated) {
    options.ledger.replica = true;
    if (options.ledger.max_group_bytes == 0) {
      options.ledger.max_group_bytes = options.replication.max_group_bytes;
    }
    // Opening a replica calls no hook: the replicator is made once the origin is known.
    options.ledger.replicate = [s = server.get()](const v1::ReplicatedGroup& group) {
      return s->replicator_->Commit(group);
    };
  }
  ASSIGN_OR_RETURN(server->ledger_, Ledger::Open(options.ledger));
  if (replicated) {
    ASSIGN_OR_RETURN(server->replicator_,
                     Replicator::Create(options.replication, server->ledger_->Info().origin));
    server->replicator_->Start(server->ledger_.get());
  }
  std::vector<WitnessEndpoint> witnesses;
  for (const std::string& flag : options.witnesses) {
    ASSIGN_OR_RETURN(WitnessEndpoint w, ParseWitnessFlag(flag));
    witnesses.push_back(std::move(w));
  }
  // A witness is its key: one key under two names or URLs counts once (cosigner.h).
  std::vector<NoteVerifier> witness_keys;
  for (const WitnessEndpoint& w : witnesses) witness_keys.push_back(w.verifier);
  const size_t distinct = CountWitnessKeys(witness_keys);
  const size_t quorum = options.witness_quorum == 0 ? distinct : options.witness_quorum;
  if (quorum > distinct) {
    return absl::InvalidArgumentError(
        absl::StrCat("a witness quorum of ", quorum, " needs at least ", quorum,
                     " witnesses with distinct keys; the --witness flags name ", distinct));
  }
  server->service_ = std::make_unique<LedgerService>(server->ledger_.get(),
                                                     absl::Seconds(options.max_call_seconds));
  server->provenance_ = std::make_unique<ProvenanceService>(
      server->ledger_.get(),
      WatchServiceOptions{.max_call = absl::Seconds(options.max_call_seconds),
                          .max_watches = options.max_watches,
                          .witnesses = !witnesses.empty()});
  server->openings_ = std::make_unique<OpeningsService>(server->ledger_.get());
  server->admin_ = std::make_unique<AdminService>(server->ledger_.get(), options.backup_dir);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &server->port_);
  // A backstop for calls the handlers cannot end themselves (a stream whose
  // client stopped reading, a health Watch): every connection is told to go
  // away after max(max_call, 1 s) and closed, with whatever calls it still
  // carries, the same time later. A call within the limit always fits in that
  // grace; new calls go to a new connection.
  const int connection_ms =
      std::max(1000, static_cast<int>(std::min(options.max_call_seconds, 1e6) * 1000));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, connection_ms);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, connection_ms);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              options.min_handler_threads);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.max_handler_threads);
  // A request body that is not the method's request message: INVALID_ARGUMENT
  // naming the type, not gRPC's INTERNAL with no message (malformed_request.h).
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(std::make_unique<MalformedRequestInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->provenance_.get());
  builder.RegisterService(server->openings_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  if (replicated) {
    // Readiness is "caught up": grpc.health.v1 says NOT_SERVING until then.
    server->server_->GetHealthCheckService()->SetServingStatus(false);
    RETURN_IF_ERROR(server->AwaitReplica(options.listen, options.replication.advertise,
                                         options.stop_requested));
    server->server_->GetHealthCheckService()->SetServingStatus(true);
  }
  server->admin_socket_ =
      options.admin_socket.empty()
          ? (std::filesystem::path(options.ledger.data_dir) / "admin.sock").string()
          : options.admin_socket;
  ASSIGN_OR_RETURN(server->admin_server_,
                   ServeAdminOnUnixSocket(server->admin_.get(), server->admin_socket_));
  if (!options.http.listen.empty() || !options.http.metrics_listen.empty()) {
    for (const WitnessEndpoint& w : witnesses) {  // pinned in the page (http_server.h)
      options.http.witness_keys.push_back(
          FormatCosignatureVerifierKey(w.verifier.name, w.verifier.key));
    }
    options.http.witness_quorum = witnesses.empty() ? 0 : quorum;
    for (const NoteVerifier& a : options.ledger.auditors) {
      options.http.auditor_keys.push_back(FormatCosignatureVerifierKey(a.name, a.key));
    }
    options.http.auditor_quorum =
        options.auditor_quorum == 0 ? auditor_keys : options.auditor_quorum;
    ASSIGN_OR_RETURN(server->http_, HttpServer::Start(*server->ledger_, options.http));
  }
  if (!witnesses.empty()) {
    server->cosigner_ =
        std::make_unique<Cosigner>(server->ledger_.get(), std::move(witnesses), quorum);
  }
  return server;
}

absl::Status Server::AwaitReplica(const std::string& listen, const std::string& advertise,
                                  const std::function<bool()>& stop_requested) {
  absl::StatusOr<HostPort> host = ParseHostPort(listen, "listen");
  replicator_->SetAddress(
      !advertise.empty()
          ? advertise
          : absl::StrCat(host.ok() ? host->host : std::string("127.0.0.1"), ":", port_));
  absl::Time next_note = absl::Now() + absl::Seconds(5);
  // Ready once caught up with etcd (every group it held applied, and verified) and
  // holding the log's genesis: a replica never serves what it has not verified.
  while (!replicator_->caught_up() || ledger_->Size() == 0) {
    RETURN_IF_ERROR(replicator_->failure());
    if (stop_requested && stop_requested()) {
      return absl::CancelledError("stopped while the replica was catching up");
    }
    absl::SleepFor(absl::Milliseconds(20));
    if (absl::Now() >= next_note) {
      next_note += absl::Seconds(5);
      Log(LogLevel::kWarning, "replica_waiting",
          absl::StrCat("waiting for the replica set's log through etcd (", replicator_->prefix(),
                       ")"),
          {});
    }
  }
  return absl::OkStatus();
}

Server::~Server() { Shutdown(); }

void Server::Wait() {
  if (server_) server_->Wait();
}

void Server::Shutdown() {
  if (http_) http_->Stop();
  cosigner_.reset();
  if (provenance_) provenance_->StopWatches();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  if (admin_server_) {
    admin_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
    admin_server_.reset();
    std::error_code ignored;  // gone already if gRPC removed it
    std::filesystem::remove(admin_socket_, ignored);
  }
  // A leader resigns (revokes its lease) so that another replica leads at once.
  if (replicator_) replicator_->Stop();
  if (ledger_) ledger_->Shutdown();
}

}  // namespace touchstone
