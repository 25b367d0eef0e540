// touchstone lookup participant|lot|certificate|piece|account ID: the state the ledger
// derived for it, as JSON (with or without --json), with the log indices of the
// records behind it.
#include <iostream>

#include "grpcpp/channel.h"
#include "ledger/base/status_macros.h"
#include "proto/provenance_service.grpc.pb.h"
#include "services/cli.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

[[nodiscard]] absl::Status PrintMessageJson(const google::protobuf::Message& m) {
  ASSIGN_OR_RETURN(std::string json, MessageToJson(m));
  std::cout << json << "\n";
  return absl::OkStatus();
}

template <typename Response, typename Method>
[[nodiscard]] absl::Status Lookup(const Context& ctx, const std::string& id, Method method) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::LookupRequest req;
  req.set_id(id);
  Response resp;
  RETURN_IF_ERROR(FromGrpc(((*stub).*method)(ctx.Call().get(), req, &resp)));
  return PrintMessageJson(resp);
}

}  // namespace

void AddLookupCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* lookup = app.add_subcommand(
      "lookup",
      "what the ledger knows now about a participant, lot, certificate, piece or account");
  lookup->require_subcommand(1);
  auto id = std::make_shared<std::string>();
  auto add = [&](const char* kind, auto run) {
    auto* cmd = lookup->add_subcommand(kind, std::string("look up a ") + kind);
    cmd->add_option("id", *id, "its id")->required();
    // The output is always JSON; the flag is accepted so that every read command takes it.
    cmd->add_flag("--json")->description("print JSON (the default and only format)");
    cmd->callback([&ctx, exit_code, id, run] {
      if (absl::Status s = run(ctx, *id); !s.ok()) *exit_code = Fail(s);
    });
  };
  add("participant", [](const Context& c, const std::string& i) {
    return Lookup<v1::ParticipantState>(c, i, &v1::Provenance::Stub::GetParticipant);
  });
  add("lot", [](const Context& c, const std::string& i) {
    return Lookup<v1::LotState>(c, i, &v1::Provenance::Stub::GetLot);
  });
  add("certificate", [](const Context& c, const std::string& i) {
    return Lookup<v1::CertificateLookup>(c, i, &v1::Provenance::Stub::GetCertificate);
  });
  add("piece", [](const Context& c, const std::string& i) {
    return Lookup<v1::PieceState>(c, i, &v1::Provenance::Stub::GetPiece);
  });
  add("account", [](const Context& c, const std::string& i) {
    return Lookup<v1::CreditAccountState>(c, i, &v1::Provenance::Stub::GetCreditAccount);
  });
}

}  // namespace touchstone::cli
