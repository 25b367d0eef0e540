// touchstone: the command-line client of the Touchstone ledger.
#include <cstdlib>

#include "services/cli.h"

int main(int argc, char** argv) {
  touchstone::cli::Context ctx;
  if (const char* s = std::getenv("TOUCHSTONE_SERVER")) ctx.server = s;
  int exit_code = 0;
  CLI::App app{"touchstone: submit signed records to a Touchstone ledger and verify what it says"};
  app.require_subcommand(1);
  app.add_option("--server", ctx.server, "touchstoned gRPC address (env TOUCHSTONE_SERVER)")
      ->capture_default_str();
  app.add_option("--timeout", ctx.timeout_seconds, "per-call deadline in seconds")
      ->capture_default_str();
  touchstone::cli::AddKeyCommands(app, ctx, &exit_code);
  touchstone::cli::AddRecordCommands(app, ctx, &exit_code);
  touchstone::cli::AddLogCommands(app, ctx, &exit_code);
  touchstone::cli::AddDemoCommands(app, ctx, &exit_code);
  touchstone::cli::AddLookupCommands(app, ctx, &exit_code);
  touchstone::cli::AddPieceCommands(app, ctx, &exit_code);
  touchstone::cli::AddTrustCommands(app, ctx, &exit_code);
  touchstone::cli::AddAuditCommands(app, ctx, &exit_code);
  touchstone::cli::AddWitnessCommands(app, ctx, &exit_code);
  touchstone::cli::AddExportCommands(app, ctx, &exit_code);
  touchstone::cli::AddBackupCommands(app, ctx, &exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
