// touchstone log update: keep a trusted head per log (the newest checkpoint this
// client verified) and accept a newer one only with a valid consistency proof.
// The state machine and its files are ledger/trusted_head_store.h; this is the
// command over it.
#include <iostream>
#include <memory>

#include "ledger/trusted_head_store.h"
#include "nlohmann/json.hpp"
#include "services/cli.h"
#include "services/cli_log_reader.h"

namespace touchstone::cli {
namespace {

// `log update` options.
struct UpdateFlags {
  std::string vkey;       // needed the first time
  std::string state_dir;  // "" = ~/.touchstone/trusted
  bool json = false;
};

}  // namespace

void AddTrustCommands(CLI::App& app, Context& ctx, int* exit_code) {
  CLI::App* log = app.get_subcommand("log");
  auto* update = log->add_subcommand(
      "update", "check the latest checkpoint against this client's trusted head and keep it");
  auto flags = std::make_shared<UpdateFlags>();
  update->add_option("--vkey", flags->vkey, "the log's verifier key (needed the first time)");
  update->add_option("--state_dir", flags->state_dir,
                     "where trusted heads are kept (default ~/.touchstone/trusted)");
  update->add_flag("--json", flags->json,
                   "print one JSON object: ok, the trusted head and how it moved, or the reason");
  update->callback([&ctx, exit_code, flags] {
    GrpcLogReader log(ctx);
    absl::StatusOr<TrustedHeadUpdate> head =
        TrustedHeads(flags->state_dir).Update(log, flags->vkey);
    if (!head.ok()) {
      const bool attack = absl::IsDataLoss(head.status());  // evidence of a rewind or fork
      if (flags->json) {
        PrintJson({{"ok", false},
                   {"inconsistent", attack},
                   {"code", absl::StatusCodeToString(head.status().code())},
                   {"reason", std::string(head.status().message())}});
      }
      *exit_code = Fail(head.status());
      if (attack) *exit_code = 2;
      return;
    }
    if (!flags->json) {
      std::cout << head->report << "\nroot " << HashToBase64(head->head.root) << "\n";
      return;
    }
    const Checkpoint& cp = head->head;
    const char* moved = !head->previous_size              ? "first use"
                        : *head->previous_size == cp.size ? "unchanged"
                                                          : "advanced";
    PrintJson({{"ok", true},
               {"status", moved},
               {"origin", cp.origin},
               {"size", cp.size},
               {"root", HashToBase64(cp.root)},
               {"previous_size", head->previous_size ? nlohmann::json(*head->previous_size)
                                                     : nlohmann::json(nullptr)},
               {"verifier_key", head->vkey},
               {"checkpoint_key", head->checkpoint_key}});
  });
}

}  // namespace touchstone::cli
