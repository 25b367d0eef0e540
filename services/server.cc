// Starting and stopping touchstoned's gRPC server.
#include "services/server.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "ledger/status_macros.h"

namespace touchstone {

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServerOptions options) {
  auto server = std::unique_ptr<Server>(new Server());
  ASSIGN_OR_RETURN(server->ledger_, Ledger::Open(options.ledger));
  std::vector<WitnessEndpoint> witnesses;
  for (const std::string& flag : options.witnesses) {
    ASSIGN_OR_RETURN(WitnessEndpoint w, ParseWitnessFlag(flag));
    witnesses.push_back(std::move(w));
  }
  const size_t quorum = options.witness_quorum == 0 ? witnesses.size() : options.witness_quorum;
  if (quorum > witnesses.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a witness quorum of ", quorum, " needs at least ", quorum, " witnesses"));
  }
  server->service_ = std::make_unique<LedgerService>(server->ledger_.get());
  server->provenance_ = std::make_unique<ProvenanceService>(server->ledger_.get());
  server->admin_ = std::make_unique<AdminService>(server->ledger_.get(), options.backup_dir);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  builder.RegisterService(server->service_.get());
  builder.RegisterService(server->provenance_.get());
  builder.RegisterService(server->admin_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  if (!witnesses.empty()) {
    server->cosigner_ =
        std::make_unique<Cosigner>(server->ledger_.get(), std::move(witnesses), quorum);
  }
  return server;
}

Server::~Server() { Shutdown(); }

void Server::Wait() {
  if (server_) server_->Wait();
}

void Server::Shutdown() {
  cosigner_.reset();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  if (ledger_) ledger_->Shutdown();
}

}  // namespace touchstone
