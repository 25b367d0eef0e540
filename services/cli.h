// Shared pieces of the touchstone command-line client.
#ifndef TOUCHSTONE_SERVICES_CLI_H_
#define TOUCHSTONE_SERVICES_CLI_H_

#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/channel.h"
#include "ledger/base/files.h"
#include "ledger/log/checkpoint.h"
#include "nlohmann/json_fwd.hpp"
#include "proto/ledger_service.grpc.pb.h"
#include "services/tls.h"

namespace touchstone::cli {

// Options every command shares.
struct Context {
  // gRPC address of touchstoned. Default: 127.0.0.1:50051 (env TOUCHSTONE_SERVER).
  std::string server = "127.0.0.1:50051";
  // Per-call deadline in seconds; every call the CLI makes has one. Default: 30.
  int timeout_seconds = 30;
  // TLS to the server (env TOUCHSTONE_TLS_CA, _CERT, _KEY, _SERVER_NAME).
  // Default: plaintext
  ClientTlsFiles tls;
  // The Unix socket of touchstoned's Admin service (backups): unix:PATH or
  // PATH. Default: unix:/var/lib/touchstone/admin.sock, touchstoned's default
  // (env TOUCHSTONE_ADMIN).
  std::string admin = "unix:/var/lib/touchstone/admin.sock";

  // Reads the TLS files; call once the options are parsed, before Channel().
  // Errors as LoadClientTls.
  [[nodiscard]] absl::Status LoadTls();
  // The one way the CLI connects to touchstoned (TLS if configured).
  std::shared_ptr<grpc::Channel> Channel() const;
  std::unique_ptr<v1::Ledger::Stub> Stub() const;
  // The one way the CLI connects to the Admin service: its Unix socket, with
  // no TLS (the socket's file mode decides who may connect).
  std::shared_ptr<grpc::Channel> AdminChannel() const;
  // A client context with the deadline set.
  std::unique_ptr<grpc::ClientContext> Call() const;

 private:
  ClientTls loaded_tls_;
};

// Writes a command's output file ("-" = stdout) with mode 0644, durably
// (ledger/base/files.h CreateFileDurably). A file that exists is never
// overwritten: ALREADY_EXISTS (an output path that names a key file must not
// destroy it). Files the CLI reads or keeps (trusted heads, port files) go
// through ReadWholeFile and ReplaceFileDurably directly.
[[nodiscard]] absl::Status WriteFile(const std::string& path, std::string_view data);

// The status a failed command exits with; prints "touchstone: <message>" to stderr,
// and under it what to do next when there is a hint for it (cli_hints.h).
int Fail(const absl::Status& status);

// A protobuf message as JSON (proto field names, indented). INTERNAL if it
// cannot be printed.
[[nodiscard]] absl::StatusOr<std::string> MessageToJson(const google::protobuf::Message& m);

// Prints the one JSON object a command's --json writes to stdout (indented, then
// a newline). Every --json output goes through here.
void PrintJson(const nlohmann::json& j);

// A tlog-proof from the parts a gRPC reply carries. INVALID_ARGUMENT if a hash
// is not 32 bytes.
[[nodiscard]] absl::StatusOr<TlogProof> MakeTlogProof(
    uint64_t index, const std::string& checkpoint,
    const google::protobuf::RepeatedPtrField<std::string>& hashes);

// A receipt the client has checked.
struct CheckedReceipt {
  v1::Receipt receipt;
  TlogProof proof;        // the receipt as a tlog-proof
  Checkpoint checkpoint;  // verified
};

// Submits `req` and checks the receipt: the entry stored at its index holds
// exactly the submitted record and signature, and the inclusion proof places it
// under a checkpoint `verifier` signed. The server's error as it is; DATA_LOSS /
// PERMISSION_DENIED / FAILED_PRECONDITION if the receipt does not check out.
[[nodiscard]] absl::StatusOr<CheckedReceipt> SubmitAndCheck(const Context& ctx,
                                                            v1::Ledger::Stub& stub,
                                                            const v1::SubmitRequest& req,
                                                            const NoteVerifier& verifier);

// Command groups; each adds its subcommands to `app`. The callbacks set
// *exit_code.
void AddKeyCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddRecordCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddLogCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddDemoCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddLookupCommands(CLI::App& app, Context& ctx, int* exit_code);
// `find`: search by what a person holds (cli_find.cc).
void AddFindCommands(CLI::App& app, Context& ctx, int* exit_code);
// `impact`: what a recall reaches (cli_impact.cc).
void AddImpactCommands(CLI::App& app, Context& ctx, int* exit_code);
// `watch`: follow the log, checked (cli_watch.cc).
void AddWatchCommands(CLI::App& app, Context& ctx, int* exit_code);
// `epcis export`: GS1 EPCIS 2.0 documents (cli_epcis.cc), and `epcis import`.
void AddEpcisCommands(CLI::App& app, Context& ctx, int* exit_code);
// `epcis import`, under `epcis` (cli_epcis_import.cc).
void AddEpcisImportCommand(CLI::App* epcis, Context& ctx, int* exit_code);
// `import`: one signed record per row of a CSV file (cli_import.cc).
void AddImportCommands(CLI::App& app, Context& ctx, int* exit_code);
// `opening get`, `opening reads` (services/cli_openings.cc).
void AddOpeningCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddPieceCommands(CLI::App& app, Context& ctx, int* exit_code);
// Needs AddLogCommands first (adds `log update`).
void AddTrustCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddAuditCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddWitnessCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddExportCommands(CLI::App& app, Context& ctx, int* exit_code);
// `scheme`, `lot`, `piece register`. Needs AddPieceCommands first (adds `piece`).
void AddTradeCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddAccountCommands(CLI::App& app, Context& ctx, int* exit_code);
// `piece qr`. Needs AddPieceCommands first (adds `piece`).
void AddPieceQrCommand(CLI::App& app, int* exit_code);

void AddBackupCommands(CLI::App& app, Context& ctx, int* exit_code);
// `owner` (services/cli_owner.cc) and `heirloom` (cli_heirloom.cc).
void AddOwnerCommands(CLI::App& app, Context& ctx, int* exit_code);
void AddHeirloomCommands(CLI::App& app, Context& ctx, int* exit_code);
// `piece sold`, `piece repair` (cli_sale.cc). Needs AddPieceCommands first.
void AddPieceSaleCommands(CLI::App& app, Context& ctx, int* exit_code);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_H_
