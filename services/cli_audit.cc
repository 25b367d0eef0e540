// touchstone audit --data_dir DIR: re-verify a whole log from genesis, straight
// from a (stopped or running) server's data directory, read-only.
#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "ledger/audit.h"
#include "ledger/status_macros.h"
#include "services/cli.h"

namespace touchstone::cli {
namespace {

absl::Status Audit(const std::string& data_dir) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<Store> store,
      Store::Open({.path = data_dir + "/db", .create_if_missing = false, .read_only = true}));
  AuditOptions options;
  if (isatty(STDERR_FILENO)) {
    options.progress = [](uint64_t done, uint64_t total) {
      std::cerr << "\raudited " << done << " of " << total << " entries" << std::flush;
    };
  }
  absl::StatusOr<AuditReport> report = AuditStore(*store, options);
  if (options.progress) std::cerr << "\n";
  if (!report.ok()) {
    return absl::Status(report.status().code(),
                        absl::StrCat("AUDIT FAILED: ", report.status().message()));
  }
  std::cout << "audit passed: " << report->entries << " entries re-hashed, chained, signature-"
            << "checked and re-applied through the rules; " << report->tree_nodes
            << " tree nodes and " << report->checkpoints << " checkpoints match the entries; "
            << report->state_keys << " state values match the rebuilt state\n"
            << "log " << report->origin << ", key " << report->verifier_key << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddAuditCommands(CLI::App& app, Context&, int* exit_code) {
  auto* audit = app.add_subcommand(
      "audit", "re-verify a whole log from genesis out of a data directory (read-only)");
  auto data_dir = std::make_shared<std::string>();
  audit->add_option("--data_dir", *data_dir, "touchstoned's data directory")->required();
  audit->callback([exit_code, data_dir] {
    if (absl::Status s = Audit(*data_dir); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
