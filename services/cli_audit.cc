// touchstone audit --data_dir DIR: re-verify a whole log from genesis, straight
// from a (stopped or running) server's data directory, read-only; or
// touchstone audit --tiles DIR --vkey KEY: verify a tlog-tiles export (ledger/tiles.h); or
// touchstone audit --from_server --vkey KEY [--as AUDITOR --key KEY]: mirror the
// server's entries through Ledger.GetEntries and re-verify them against its
// latest checkpoint, an auditor reading each sealed record's opening through
// the Openings service. Any of them with --cosign-key FILE --cosign-name NAME:
// cosign the checkpoint a passed audit reached and hand it to --server
// (Ledger.AddAuditCosignature; docs/auditing.md).
#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "ledger/audit.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/cosignature.h"
#include "ledger/log/keys.h"
#include "ledger/log_mirror.h"
#include "ledger/provenance/opening_access.h"
#include "ledger/tiles.h"
#include "nlohmann/json.hpp"
#include "proto/openings_service.grpc.pb.h"
#include "services/cli.h"
#include "services/cli_hints.h"
#include "services/cli_progress.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

// Reports an audit failure as such (and, for an auditor, that it cosigned nothing).
[[nodiscard]] absl::Status Failed(const absl::Status& s, bool cosigning = false) {
  return absl::Status(
      s.code(), absl::StrCat("AUDIT FAILED: ", s.message(), cosigning ? "; nothing cosigned" : ""));
}

// An auditor participant's read identity (--as ID --key FILE) for a remote
// audit: each sealed entry's opening is read through the server's Openings
// service with a signed read request (ledger/provenance/opening_access.h).
struct Reader {
  std::string as;
  std::string key_file;
  bool given() const { return !as.empty() || !key_file.empty(); }
};

// The openings source of a remote audit: for the sealed entry at `index`, a
// request signed by `reader` for the server's log `origin`, sent to
// Openings.GetOpening. The opening is not trusted: the rule replay opens the
// mirrored entry with it (OpenRecord), so one that does not match fails the
// audit naming the index. Errors: the server's (PERMISSION_DENIED for a
// participant who is not an auditor), as they are.
[[nodiscard]] absl::StatusOr<OpeningSource> RemoteOpenings(const Context& ctx, const Reader& reader,
                                                           const std::string& origin) {
  if (reader.as.empty() || reader.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--as and --key go together (the auditor participant reading openings)");
  }
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::LoadPemFile(reader.key_file));
  auto stub = std::shared_ptr<v1::Openings::Stub>(v1::Openings::NewStub(ctx.Channel()));
  auto shared_key = std::make_shared<PrivateKey>(std::move(key));
  return OpeningSource([&ctx, stub, shared_key, as = reader.as,
                        origin](uint64_t index) -> absl::StatusOr<std::optional<v1::Opening>> {
    const ReadRequest r = SignReadRequest(*shared_key, origin, as, OpeningWhat(index),
                                          absl::ToUnixMicros(absl::Now()));
    v1::GetOpeningRequest req;
    req.set_index(index);
    req.mutable_auth()->set_reader(r.reader);
    req.mutable_auth()->set_key_id(r.key_id);
    req.mutable_auth()->set_micros(r.micros);
    req.mutable_auth()->set_signature(r.signature);
    v1::GetOpeningResponse resp;
    absl::Status s = FromGrpc(stub->GetOpening(ctx.Call().get(), req, &resp));
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("reading the opening of entry ", index, " as ", as,
                                                 ": ", s.message()));
    }
    if (!resp.sealed()) return std::nullopt;
    return resp.opening();
  });
}

// An auditor's cosigning identity (--cosign-key FILE --cosign-name NAME): the
// checkpoint a clean audit reached is cosigned with it and handed to the
// server (Ledger.AddAuditCosignature; ledger/log/audit_note.h).
struct Cosign {
  std::string key_file;
  std::string name;
  bool wanted() const { return !key_file.empty() || !name.empty(); }
};

// Cosigns the checkpoint `report` reached and hands it to ctx.server; returns
// the line to print (or JSON fields). Only called for a passed audit.
[[nodiscard]] absl::StatusOr<nlohmann::json> CosignAndSend(const Context& ctx, const Cosign& c,
                                                           const AuditReport& report) {
  if (c.key_file.empty() || c.name.empty()) {
    return absl::InvalidArgumentError("--cosign-key and --cosign-name go together");
  }
  ASSIGN_OR_RETURN(PrivateKey key, PrivateKey::LoadPemFile(c.key_file));
  ASSIGN_OR_RETURN(const CosignatureSigner signer,
                   CosignatureSigner::Create(c.name, std::move(key)));
  ASSIGN_OR_RETURN(
      const std::string cosigned,
      CosignAudit(report, signer, static_cast<uint64_t>(absl::ToUnixSeconds(absl::Now()))));
  v1::AddAuditCosignatureRequest req;
  req.set_cosigned_checkpoint(cosigned);
  v1::AddAuditCosignatureResponse resp;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->AddAuditCosignature(ctx.Call().get(), req, &resp)));
  return nlohmann::json{{"cosigned_size", resp.size()},
                        {"cosigned_as", c.name},
                        {"auditor_key", signer.VerifierKey()},
                        {"auditors_at_size",
                         std::vector<std::string>(resp.auditors().begin(), resp.auditors().end())},
                        {"audited_size", resp.audited_size()}};
}

// The sentence for a cosignature handed in.
std::string CosignedText(const nlohmann::json& j) {
  std::string who;
  for (const auto& a : j["auditors_at_size"]) {
    absl::StrAppend(&who, who.empty() ? "" : ", ", a.get<std::string>());
  }
  const uint64_t audited = j["audited_size"].get<uint64_t>();
  return absl::StrCat(
      "cosigned the checkpoint at size ", j["cosigned_size"].get<uint64_t>(), " as auditor ",
      j["cosigned_as"].get<std::string>(),
      " and handed it to the server; cosigned at that size by: ", who,
      audited == 0 ? std::string("; no checkpoint has the auditor quorum yet")
                   : absl::StrCat("; the audited checkpoint bundles carry is at size ", audited),
      "\n");
}

// How a passed audit is printed: its sentence, or (--json) one JSON object.
struct Output {
  bool json = false;
  void Passed(const std::string& text, const AuditReport& r, nlohmann::json extra) const {
    if (!json) {
      std::cout << text;
      for (const std::string& n : r.non_canonical) {
        std::cout << "warning: " << n
                  << " (stored before the ledger checked encodings; every verifier refuses a "
                     "bundle that includes it)\n";
      }
      return;
    }
    extra.update({{"passed", true},
                  {"origin", r.origin},
                  {"entries", r.entries},
                  {"checkpoints", r.checkpoints},
                  {"tree_nodes", r.tree_nodes},
                  {"state_keys", r.state_keys},
                  {"checkpoint_key", r.checkpoint_key},
                  {"key_handovers", r.key_handovers},
                  {"non_canonical_entries", r.non_canonical}});
    PrintJson(extra);
  }
};

// `extra` with the cosignature's fields, if any.
nlohmann::json Extra(nlohmann::json extra, const nlohmann::json& cosigned) {
  if (!cosigned.is_null()) extra.update(cosigned);
  return extra;
}

// How the checkpoint key was reached from `pinned`: "" if it is the pinned key.
std::string HandoverText(const AuditReport& r, const std::string& pinned) {
  if (r.key_handovers.empty() && r.checkpoint_key == pinned) return "";
  std::string text = " (reached from the genesis key through the key handovers at entries";
  for (uint64_t h : r.key_handovers) absl::StrAppend(&text, " ", h);
  return absl::StrCat(text, "; given key ", pinned, ")");
}

// Audit options that draw `progress` (on a terminal only).
AuditOptions WithProgress(Progress& progress) {
  AuditOptions options;
  options.progress = progress.Callback();
  return options;
}

[[nodiscard]] absl::Status Audit(const Context& ctx, const std::string& data_dir,
                                 const Cosign& cosign, const Output& out) {
  ASSIGN_OR_RETURN(
      std::unique_ptr<Store> store,
      Store::Open({.path = data_dir + "/db", .create_if_missing = false, .read_only = true}));
  absl::StatusOr<AuditReport> report;
  {
    Progress progress("audited", "entries");
    report = AuditStore(*store, WithProgress(progress));
  }
  if (!report.ok()) return Failed(report.status(), cosign.wanted());
  nlohmann::json cosigned;
  if (cosign.wanted()) {
    ASSIGN_OR_RETURN(cosigned, CosignAndSend(ctx, cosign, *report));
  }
  out.Passed(
      absl::StrCat("audit passed: ", report->entries,
                   " entries re-hashed, chained, signature-checked and re-applied through "
                   "the rules (",
                   report->sealed, " sealed records opened and checked on their opened values); ",
                   report->tree_nodes, " tree nodes and ", report->checkpoints,
                   " checkpoints match the entries; ", report->state_keys,
                   " state values match the rebuilt state\nlog ", report->origin, ", key ",
                   report->verifier_key,
                   report->key_handovers.empty()
                       ? std::string()
                       : absl::StrCat(", handed over to ", report->checkpoint_key,
                                      HandoverText(*report, report->verifier_key)),
                   "\n", cosigned.is_null() ? std::string() : CosignedText(cosigned)),
      *report, Extra({{"source", "data_dir"}, {"verifier_key", report->verifier_key}}, cosigned));
  return absl::OkStatus();
}

// The export's files (checkpoint, tiles, entry bundles) and then every entry's
// signature and rules, through a mirror.
[[nodiscard]] absl::Status AuditTiles(const std::string& dir, const std::string& vkey,
                                      const Output& out) {
  ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(vkey));
  absl::StatusOr<MirroredExport> exp = MirrorTiles(dir, verifier);
  if (!exp.ok()) return Failed(exp.status());
  absl::StatusOr<AuditReport> report;
  {
    Progress progress("audited", "entries");
    report = AuditMirror(exp->mirror->store(), exp->note, verifier, WithProgress(progress));
  }
  if (!report.ok()) return Failed(report.status());
  out.Passed(
      absl::StrCat("tiles audit passed: checkpoint signed by ", report->checkpoint_key,
                   HandoverText(*report, vkey), " at size ", exp->checkpoint.size,
                   "; every entry bundle decoded and chained from genesis, every hash "
                   "tile and the root match the entries; ",
                   report->entries, " entries signature-checked and re-applied through the rules (",
                   report->state_keys, " state values rebuilt)\n"),
      *report, {{"source", "tiles"}, {"size", exp->checkpoint.size}, {"verifier_key", vkey}});
  return absl::OkStatus();
}

// Mirrors every entry the server has, then audits the mirror.
[[nodiscard]] absl::Status AuditFromServer(const Context& ctx, const std::string& vkey,
                                           const Reader& reader, const Cosign& cosign,
                                           const Output& out) {
  ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(vkey));
  auto stub = ctx.Stub();
  v1::CheckpointResponse latest;
  RETURN_IF_ERROR(FromGrpc(stub->GetCheckpoint(ctx.Call().get(), {}, &latest)));
  // Signed by the key in force at its size: checked once the entries (and any
  // key handovers among them) are mirrored, by AuditMirror.
  ASSIGN_OR_RETURN(ParsedNote latest_note, ParseNote(latest.checkpoint()));
  ASSIGN_OR_RETURN(const Checkpoint cp, Checkpoint::FromText(latest_note.text));

  ASSIGN_OR_RETURN(std::unique_ptr<LogMirror> mirror, LogMirror::Create());
  // Pages of kAuditPage entries, each one call with the CLI's deadline (the
  // server also ends any stream at its --max_call_seconds).
  constexpr uint64_t kAuditPage = 10000;
  Progress fetched("fetched", "entries", /*every=*/1000);
  while (mirror->size() < cp.size) {
    v1::GetEntriesRequest req;
    req.set_start(mirror->size());
    req.set_end(std::min(cp.size, mirror->size() + kAuditPage));
    const uint64_t page_end = req.end();
    auto call = ctx.Call();
    auto reader = stub->GetEntries(call.get(), req);
    v1::Entry e;
    while (reader->Read(&e)) {
      if (e.index() != mirror->size() || mirror->size() >= page_end) {
        return Failed(absl::DataLossError(absl::StrCat("the server streamed entry ", e.index(),
                                                       " where ", mirror->size(), " belongs")));
      }
      RETURN_IF_ERROR(mirror->Append(e.data()));
      fetched.Update(mirror->size(), cp.size);
    }
    RETURN_IF_ERROR(FromGrpc(reader->Finish()));
    if (mirror->size() != page_end) break;  // reported below
  }
  if (mirror->size() != cp.size) {
    return Failed(absl::DataLossError(absl::StrCat("the server streamed ", mirror->size(),
                                                   " entries for a checkpoint of size ", cp.size)));
  }
  fetched.Clear();
  RETURN_IF_ERROR(mirror->Flush());
  // The mirror holds no openings: an auditor participant reads them from the
  // server (--as, --key); without one a sealed record cannot be opened, and
  // the audit says so, naming its index.
  OpeningSource openings = [](uint64_t index) -> absl::StatusOr<std::optional<v1::Opening>> {
    return absl::FailedPreconditionError(absl::StrCat(
        "entry ", index,
        " is sealed: its rules can be re-checked only on its opening, which an auditor "
        "participant reads (audit --from_server --as AUDITOR --key KEY)"));
  };
  if (reader.given()) {
    ASSIGN_OR_RETURN(openings, RemoteOpenings(ctx, reader, cp.origin));
  }
  absl::StatusOr<AuditReport> report;
  {
    Progress progress("audited", "entries");
    AuditOptions options = WithProgress(progress);
    options.openings = openings;
    report = AuditMirror(mirror->store(), latest.checkpoint(), verifier, options);
  }
  if (!report.ok()) return Failed(report.status(), cosign.wanted());
  nlohmann::json cosigned;
  if (cosign.wanted()) {
    ASSIGN_OR_RETURN(cosigned, CosignAndSend(ctx, cosign, *report));
  }
  out.Passed(
      absl::StrCat("audit passed: ", report->entries, " entries streamed from ", ctx.server,
                   ", re-hashed, chained, signature-checked and re-applied through the "
                   "rules (",
                   report->sealed,
                   " sealed records opened and checked on their opened values); their "
                   "root is the root of the checkpoint at size ",
                   cp.size, " signed by ", report->checkpoint_key, HandoverText(*report, vkey),
                   "\n", cosigned.is_null() ? std::string() : CosignedText(cosigned)),
      *report, Extra({{"source", "server"}, {"size", cp.size}, {"verifier_key", vkey}}, cosigned));
  return absl::OkStatus();
}

// `audit` options: one source (data_dir, tiles or from_server).
struct AuditFlags {
  std::string data_dir;
  std::string tiles;
  bool from_server = false;
  std::string vkey;
  bool json = false;
  Cosign cosign;
  Reader reader;
};

}  // namespace

void AddAuditCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* audit = app.add_subcommand(
      "audit", "re-verify a whole log from genesis out of a data directory (read-only)");
  auto flags = std::make_shared<AuditFlags>();
  auto* d = audit->add_option("--data_dir", flags->data_dir, "touchstoned's data directory");
  auto* t = audit->add_option("--tiles", flags->tiles, "a tlog-tiles export (touchstone export)");
  auto* f = audit->add_flag("--from_server", flags->from_server,
                            "stream the entries from --server and audit them");
  audit->add_option("--vkey", flags->vkey,
                    "the log's note verifier key (required with --tiles and --from_server)");
  audit->add_option("--as", flags->reader.as,
                    "with --from_server: the auditor participant (ROLE_AUDITOR) that reads each "
                    "sealed record's opening through the Openings service");
  audit->add_option("--key", flags->reader.key_file,
                    "with --as: that participant's PEM key, which signs each read request");
  audit->add_option("--cosign-key", flags->cosign.key_file,
                    "an auditor's Ed25519 PEM key (touchstone keygen): cosign the checkpoint a "
                    "passed audit reached and hand it to --server (Ledger.AddAuditCosignature)");
  audit->add_option("--cosign-name", flags->cosign.name,
                    "the auditor's key name, as the server's --auditor NAME=VKEY names it "
                    "(VKEY: touchstone witness-key KEYFILE --name NAME)");
  audit->add_flag("--json", flags->json,
                  "print one JSON object: passed, and the counts or the reason it failed");
  d->excludes(t);
  f->excludes(d)->excludes(t);
  audit->callback([&ctx, exit_code, flags] {
    const Output out{.json = flags->json};
    absl::Status s;
    if (flags->from_server) {
      s = flags->vkey.empty()
              ? MissingVkey("--from_server needs --vkey")
              : AuditFromServer(ctx, flags->vkey, flags->reader, flags->cosign, out);
    } else if (!flags->tiles.empty()) {
      s = flags->vkey.empty() ? MissingVkey("--tiles needs --vkey")
                              : AuditTiles(flags->tiles, flags->vkey, out);
    } else if (!flags->data_dir.empty()) {
      s = Audit(ctx, flags->data_dir, flags->cosign, out);
    } else {
      s = absl::InvalidArgumentError("give --data_dir DIR or --tiles DIR --vkey KEY");
    }
    if (!s.ok() && flags->json) {
      PrintJson({{"passed", false},
                 {"code", absl::StatusCodeToString(s.code())},
                 {"reason", std::string(s.message())}});
    }
    if (!s.ok()) *exit_code = Fail(s);
  });
}

}  // namespace touchstone::cli
