// touchstone epcis export piece|participant|range: the log's entries as a GS1
// EPCIS 2.0 JSON-LD document (ledger/epcis/epcis_export.h), from entries this
// client has verified first: a piece's bundle (VerifyPieceBundle), or the
// entries of a participant or an index range through a checked Watch stream
// (ledger/bundle/watch_check.h). Exit 2 if they do not verify.
#include <iostream>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "ledger/base/status_macros.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/epcis/epcis_export.h"
#include "proto/provenance_service.grpc.pb.h"
#include "services/cli.h"
#include "services/cli_log_reader.h"
#include "services/cli_watch.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

struct EpcisFlags {
  std::string id;
  uint64_t from = 0;
  uint64_t until = 0;
  std::string out = "-";
  std::string vkey;
  std::string state_dir;
};

// A failure to verify what is exported: exit 2.
int NotVerified(const absl::Status& s) {
  std::cerr << "NOT VERIFIED: " << s.message() << "\n";
  return 2;
}

int Write(const EpcisFlags& f, std::string_view origin, const std::vector<EpcisEntryIn>& entries) {
  absl::StatusOr<EpcisExport> doc = ExportEpcis(origin, entries, absl::Now());
  if (!doc.ok()) return Fail(doc.status());
  if (absl::Status s = WriteFile(f.out, doc->document + "\n"); !s.ok()) return Fail(s);
  std::map<std::string, int> skipped;
  for (const EpcisUnmapped& u : doc->unmapped) ++skipped[u.record_type];
  std::cerr << "epcis: " << doc->events << " events from " << entries.size() << " entries";
  if (!skipped.empty()) {
    std::cerr << "; " << doc->unmapped.size() << " with no EPCIS event ("
              << absl::StrJoin(skipped, ", ", absl::PairFormatter(" x")) << ")";
  }
  std::cerr << "\n";
  return 0;
}

int ExportPiece(const Context& ctx, const EpcisFlags& f) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::LookupRequest req;
  req.set_id(f.id);
  v1::PieceBundle bundle;
  if (absl::Status s = FromGrpc(stub->GetPieceBundle(ctx.Call().get(), req, &bundle)); !s.ok()) {
    return Fail(s);
  }
  std::string source;
  absl::StatusOr<NoteVerifier> key =
      LogKeyFor(ctx, bundle.checkpoint(), f.vkey, f.state_dir, &source);
  if (!key.ok()) return Fail(key.status());
  WarnIfServerKey(source);
  if (absl::StatusOr<BundleReport> r = VerifyPieceBundle(bundle, *key, {}, 0, f.id); !r.ok()) {
    return NotVerified(r.status());
  }
  std::vector<EpcisEntryIn> entries;
  for (const v1::BundleEntry& e : bundle.entries()) entries.push_back({e.index(), e.entry()});
  return Write(f, key->name, entries);
}

int ExportWatched(const Context& ctx, const EpcisFlags& f, const v1::WatchFilter& filter) {
  std::string source;
  absl::StatusOr<NoteVerifier> key = LogKeyFor(ctx, "", f.vkey, f.state_dir, &source);
  if (!key.ok()) return Fail(key.status());
  WarnIfServerKey(source);
  uint64_t until = f.until;
  if (until == 0) {
    v1::CheckpointResponse latest;
    if (absl::Status s = FromGrpc(ctx.Stub()->GetCheckpoint(ctx.Call().get(), {}, &latest));
        !s.ok()) {
      return Fail(s);
    }
    until = latest.size();
  }
  bool unverified = false;
  absl::StatusOr<std::vector<v1::WatchEntry>> watched =
      ReadWatched(ctx, *key, filter, f.from, until, &unverified);
  if (unverified) return NotVerified(watched.status());
  if (!watched.ok()) return Fail(watched.status());
  std::vector<EpcisEntryIn> entries;
  for (const v1::WatchEntry& e : *watched) entries.push_back({e.index(), e.data()});
  return Write(f, key->name, entries);
}

}  // namespace

void AddEpcisCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* epcis = app.add_subcommand("epcis", "GS1 EPCIS 2.0: the log's events for other systems");
  epcis->require_subcommand(1);
  auto* exp = epcis->add_subcommand(
      "export", "write verified entries as an EPCIS 2.0 JSON-LD document (docs/epcis.md)");
  exp->require_subcommand(1);
  auto f = std::make_shared<EpcisFlags>();
  auto common = [&](CLI::App* cmd) {
    cmd->add_option("-o,--out", f->out, "the document's file (default: stdout; never overwritten)");
    cmd->add_option("--vkey", f->vkey,
                    "the log's note verifier key (default: pinned, else the server's)");
    cmd->add_option("--state_dir", f->state_dir,
                    "where trusted heads are kept (default ~/.touchstone/trusted)");
  };
  auto* piece = exp->add_subcommand("piece", "a piece's whole history, from its verified bundle");
  piece->add_option("id", f->id, "the piece")->required();
  common(piece);
  piece->callback([&ctx, exit_code, f] { *exit_code = ExportPiece(ctx, *f); });
  auto* participant =
      exp->add_subcommand("participant", "every entry a participant signed or that names it");
  participant->add_option("id", f->id, "the participant")->required();
  auto* range = exp->add_subcommand("range", "the entries of an index range");
  for (CLI::App* cmd : {participant, range}) {
    cmd->add_option("--from", f->from, "the first index (default 0)");
    cmd->add_option("--until", f->until, "the index to stop before (default: the log's size)");
    common(cmd);
  }
  participant->callback([&ctx, exit_code, f] {
    v1::WatchFilter filter;
    filter.add_participants(f->id);
    *exit_code = ExportWatched(ctx, *f, filter);
  });
  range->callback([&ctx, exit_code, f] { *exit_code = ExportWatched(ctx, *f, {}); });
  AddEpcisImportCommand(epcis, ctx, exit_code);
}

}  // namespace touchstone::cli
