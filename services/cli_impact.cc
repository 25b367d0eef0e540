// touchstone impact lot|certificate|participant ID [--at SIZE]: what a recall
// reaches (Provenance.Impact; ledger/impact.h): the pieces that descend from a
// lot, from what relied on a certificate, or from what a participant made or
// certified, with their jewelers, then every lot,
// transformation and account on the way, each with the entries it descends
// through. The checkpoint it is as of is verified against the log's key.
#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/checkpoint.h"
#include "nlohmann/json.hpp"
#include "proto/provenance_service.grpc.pb.h"
#include "services/cli.h"
#include "services/cli_log_reader.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

struct ImpactFlags {
  std::string id;
  uint64_t at = 0;
  std::string vkey;
  std::string state_dir;
  bool json = false;
};

int RunImpact(const Context& ctx, v1::ImpactQuery query, const ImpactFlags& f,
              const std::string& what) {
  query.set_at_size(f.at);
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::ImpactAnswer answer;
  if (absl::Status s = FromGrpc(stub->Impact(ctx.Call().get(), query, &answer)); !s.ok()) {
    return Fail(s);
  }
  std::string source;
  absl::StatusOr<NoteVerifier> key =
      LogKeyFor(ctx, answer.checkpoint(), f.vkey, f.state_dir, &source);
  if (!key.ok()) return Fail(key.status());
  absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(answer.checkpoint(), *key);
  if (!cp.ok() || cp->size != answer.size()) {
    std::cerr << "NOT VERIFIED: the answer's checkpoint "
              << (cp.ok() ? "is not at the size it states" : cp.status().message()) << "\n";
    return 2;
  }
  if (f.json) {
    nlohmann::json out = {
        {"root", what}, {"size", answer.size()}, {"items", nlohmann::json::array()}};
    for (const v1::ImpactItem& i : answer.items()) {
      out["items"].push_back({{"kind", i.kind()},
                              {"id", i.id()},
                              {"participant", i.participant()},
                              {"path", std::vector<uint64_t>(i.path().begin(), i.path().end())}});
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  int pieces = 0;
  for (const v1::ImpactItem& i : answer.items()) pieces += i.kind() == "piece";
  std::cout << "impact of " << what << " as of checkpoint size " << answer.size() << " (signed by "
            << key->name << ", key " << source << "): " << pieces
            << (pieces == 1 ? " piece" : " pieces") << ", " << answer.items_size() - pieces
            << " lots, transformations and accounts\n";
  for (const v1::ImpactItem& i : answer.items()) {
    if (i.kind() != "piece") continue;
    std::cout << "  piece " << i.id() << "  jeweler " << i.participant() << "  (through entries "
              << absl::StrJoin(i.path(), " > ") << ")\n";
  }
  for (const v1::ImpactItem& i : answer.items()) {
    if (i.kind() == "piece") continue;
    std::cout << "  " << i.kind() << " " << i.id();
    if (!i.path().empty())
      std::cout << "  (through entries " << absl::StrJoin(i.path(), " > ") << ")";
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

void AddImpactCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* impact = app.add_subcommand(
      "impact",
      "what a recall reaches: the pieces (and lots) that descend from a lot, a certificate or "
      "a participant");
  impact->require_subcommand(1);
  auto f = std::make_shared<ImpactFlags>();
  for (const char* kind : {"lot", "certificate", "participant"}) {
    const std::string k = kind;
    auto* cmd = impact->add_subcommand(
        kind, k == "lot"           ? "everything made from a lot"
              : k == "certificate" ? "everything made from what relied on a certificate (or its "
                                     "subject lot)"
                                   : "everything made from the lots a participant created or "
                                     "transformed, the pieces it registered, and what relied on "
                                     "the certificates it issued");
    cmd->add_option("id", f->id, std::string("the ") + kind)->required();
    cmd->add_option("--at", f->at,
                    "as of the checkpoint issued at this size (default: the latest)");
    cmd->add_option("--vkey", f->vkey,
                    "the log's note verifier key (default: pinned, else the server's)");
    cmd->add_option("--state_dir", f->state_dir,
                    "where trusted heads are kept (default ~/.touchstone/trusted)");
    cmd->add_flag("--json", f->json, "print JSON");
    cmd->callback([&ctx, exit_code, f, k] {
      v1::ImpactQuery q;
      if (k == "lot") {
        q.set_lot(f->id);
      } else if (k == "certificate") {
        q.set_certificate(f->id);
      } else {
        q.set_participant(f->id);
      }
      *exit_code = RunImpact(ctx, q, *f, absl::StrCat(k, " ", f->id));
    });
  }
}

}  // namespace touchstone::cli
