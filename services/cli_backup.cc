// touchstone backup: ask the running touchstoned for a consistent backup (into
// its --backup_dir), over its Admin socket (--admin). touchstone restore BACKUP --data_dir D:
// audit a backup from genesis and make it the data directory D.
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/backup.h"
#include "ledger/base/status_macros.h"
#include "proto/admin_service.grpc.pb.h"
#include "services/cli.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

[[nodiscard]] absl::Status Backup(const Context& ctx) {
  auto stub = v1::Admin::NewStub(ctx.AdminChannel());
  v1::BackupResponse resp;
  const grpc::Status st = stub->Backup(ctx.Call().get(), v1::BackupRequest(), &resp);
  if (st.error_code() == grpc::UNAVAILABLE &&
      absl::StrContains(st.error_message(), "failed to connect")) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the Admin socket ", ctx.admin, ": ", st.error_message()));
  }
  RETURN_IF_ERROR(FromGrpc(st));
  std::cout << "backup written: " << resp.path() << "\n"
            << "size " << resp.size() << "\n"
            << "checkpoint\n"
            << resp.checkpoint();
  return absl::OkStatus();
}

[[nodiscard]] absl::Status Restore(const std::string& backup, const std::string& data_dir) {
  ASSIGN_OR_RETURN(AuditReport report, RestoreBackup(backup, data_dir));
  std::cout << "restored " << backup << " to " << data_dir << ": log " << report.origin
            << " at size " << report.entries << "; audit passed (" << report.entries << " entries, "
            << report.checkpoints << " checkpoints, " << report.state_keys << " state values)\n"
            << "start it with: touchstoned --data_dir " << data_dir << "\n";
  return absl::OkStatus();
}

// `restore` options.
struct RestoreFlags {
  std::string from;  // the backup directory
  std::string data_dir;
};

}  // namespace

void AddBackupCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* backup = app.add_subcommand(
      "backup",
      "have the running server write a consistent backup into its --backup_dir, asked over "
      "its Admin socket (--admin; as the server's user)");
  backup->callback([&ctx, exit_code] {
    if (absl::Status s = Backup(ctx); !s.ok()) *exit_code = Fail(s);
  });

  auto* restore = app.add_subcommand(
      "restore", "audit a backup from genesis and make it a new data directory (offline)");
  auto flags = std::make_shared<RestoreFlags>();
  restore->add_option("BACKUP", flags->from, "a backup directory (backup-...-size-N)")->required();
  restore->add_option("--data_dir", flags->data_dir, "the data directory to create (new or empty)")
      ->required();
  restore->callback([exit_code, flags] {
    if (absl::Status s = Restore(flags->from, flags->data_dir); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
