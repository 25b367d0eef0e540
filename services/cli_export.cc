// touchstone export DIR --data_dir D: write the log's C2SP tlog-tiles layout
// (checkpoint, hash tiles, entry bundles) from a data directory, read-only.
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/store/store.h"
#include "ledger/tiles.h"
#include "services/cli.h"
#include "services/cli_progress.h"

namespace touchstone::cli {
namespace {

[[nodiscard]] absl::Status Export(const std::string& out_dir, const std::string& data_dir) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<Store> store,
      Store::Open({.path = data_dir + "/db", .create_if_missing = false, .read_only = true}));
  absl::StatusOr<ExportReport> exported;
  {
    Progress progress("exported", "tiles and bundles", /*every=*/64);
    exported = ExportTiles(*store, out_dir, progress.Callback());
  }
  ASSIGN_OR_RETURN(ExportReport report, std::move(exported));
  for (const std::string& path : report.written) std::cout << "wrote " << path << "\n";
  std::cout << "exported log " << report.origin << " at size " << report.size << " to " << out_dir
            << ": " << report.written.size() << " files written, " << report.unchanged
            << " full tiles and bundles unchanged\n";
  return absl::OkStatus();
}

// `export` options.
struct ExportFlags {
  std::string dir;  // output directory
  std::string data_dir;
};

}  // namespace

void AddExportCommands(CLI::App& app, Context&, int* exit_code) {
  auto* exp = app.add_subcommand(
      "export", "write the log as static C2SP tlog-tiles files (incremental; read-only store)");
  auto flags = std::make_shared<ExportFlags>();
  exp->add_option("DIR", flags->dir, "output directory")->required();
  exp->add_option("--data_dir", flags->data_dir, "touchstoned's data directory")->required();
  exp->callback([exit_code, flags] {
    if (absl::Status s = Export(flags->dir, flags->data_dir); !s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
