// touchstone: the command-line client of the Touchstone ledger.
#include <cstdlib>

#include "services/cli.h"

int main(int argc, char** argv) {
  touchstone::cli::Context ctx;
  if (const char* s = std::getenv("TOUCHSTONE_SERVER")) ctx.server = s;
  if (const char* s = std::getenv("TOUCHSTONE_ADMIN")) ctx.admin = s;
  int exit_code = 0;
  CLI::App app{"touchstone: submit signed records to a Touchstone ledger and verify what it says"};
  app.require_subcommand(1);
  app.add_option("--server", ctx.server, "touchstoned gRPC address (env TOUCHSTONE_SERVER)")
      ->capture_default_str();
  app.add_option("--admin", ctx.admin,
                 "touchstoned's Admin socket, for `backup`: unix:PATH, as its --admin_socket "
                 "(env TOUCHSTONE_ADMIN)")
      ->capture_default_str();
  app.add_option("--timeout", ctx.timeout_seconds, "per-call deadline in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--tls_ca", ctx.tls.ca,
                 "PEM CA bundle that issued the server's certificate: connect with TLS "
                 "(env TOUCHSTONE_TLS_CA)")
      ->envname("TOUCHSTONE_TLS_CA");
  app.add_option("--tls_cert", ctx.tls.cert,
                 "PEM client certificate for a mutual-TLS server (env TOUCHSTONE_TLS_CERT)")
      ->envname("TOUCHSTONE_TLS_CERT");
  app.add_option("--tls_key", ctx.tls.key, "PEM key of --tls_cert (env TOUCHSTONE_TLS_KEY)")
      ->envname("TOUCHSTONE_TLS_KEY");
  app.add_option("--tls_server_name", ctx.tls.server_name,
                 "name the server's certificate must carry, if not the --server host "
                 "(env TOUCHSTONE_TLS_SERVER_NAME)")
      ->envname("TOUCHSTONE_TLS_SERVER_NAME");
  // Runs after the options are parsed and before any command's callback; reads
  // files only (gRPC starts later, when a command connects).
  app.parse_complete_callback([&ctx] {
    if (absl::Status s = ctx.LoadTls(); !s.ok()) {
      throw CLI::ValidationError("TLS", std::string(s.message()));
    }
  });
  touchstone::cli::AddKeyCommands(app, ctx, &exit_code);
  touchstone::cli::AddRecordCommands(app, ctx, &exit_code);
  touchstone::cli::AddLogCommands(app, ctx, &exit_code);
  touchstone::cli::AddDemoCommands(app, ctx, &exit_code);
  touchstone::cli::AddLookupCommands(app, ctx, &exit_code);
  touchstone::cli::AddFindCommands(app, ctx, &exit_code);
  touchstone::cli::AddImpactCommands(app, ctx, &exit_code);
  touchstone::cli::AddWatchCommands(app, ctx, &exit_code);
  touchstone::cli::AddEpcisCommands(app, ctx, &exit_code);
  touchstone::cli::AddImportCommands(app, ctx, &exit_code);
  touchstone::cli::AddOpeningCommands(app, ctx, &exit_code);
  touchstone::cli::AddPieceCommands(app, ctx, &exit_code);
  touchstone::cli::AddTradeCommands(app, ctx, &exit_code);
  touchstone::cli::AddAccountCommands(app, ctx, &exit_code);
  touchstone::cli::AddPieceSaleCommands(app, ctx, &exit_code);
  touchstone::cli::AddOwnerCommands(app, ctx, &exit_code);
  touchstone::cli::AddHeirloomCommands(app, ctx, &exit_code);
  touchstone::cli::AddPieceQrCommand(app, &exit_code);
  touchstone::cli::AddTrustCommands(app, ctx, &exit_code);
  touchstone::cli::AddAuditCommands(app, ctx, &exit_code);
  touchstone::cli::AddWitnessCommands(app, ctx, &exit_code);
  touchstone::cli::AddExportCommands(app, ctx, &exit_code);
  touchstone::cli::AddBackupCommands(app, ctx, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
