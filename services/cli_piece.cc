// touchstone piece bundle|verify|show: a piece's provenance bundle
// (proto/bundle.proto), fetched from the server, and verified offline with
// nothing but the log's verifier key (ledger/bundle/bundle_verify.h).
#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ledger/audit.h"
#include "ledger/base/status_macros.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify.h"
#include "ledger/bundle_builder.h"
#include "ledger/log/audit_note.h"
#include "ledger/log/cosignature.h"
#include "ledger/provenance/rebuild.h"
#include "ledger/provenance/units.h"
#include "ledger/tiles.h"
#include "nlohmann/json.hpp"
#include "proto/provenance_service.grpc.pb.h"
#include "services/cli.h"
#include "services/cli_hints.h"
#include "services/cli_log_reader.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

struct VerifyFlags {
  std::string vkey;
  std::vector<std::string> witnesses;
  size_t quorum = 0;
  std::vector<std::string> auditor_keys;  // cosignature/v1 keys of auditors pinned
  size_t auditor_quorum = 0;              // 0: all of them
  bool require_audit = false;
  bool json = false;
  std::string piece;      // verify: the piece the bundle must be about
  std::string tiles;      // verify: an export of the log, to check completeness against
  std::string state_dir;  // show: where the trusted heads are kept
};

[[nodiscard]] absl::StatusOr<v1::PieceBundle> FetchBundle(const Context& ctx,
                                                          const std::string& piece_id) {
  auto stub = v1::Provenance::NewStub(ctx.Channel());
  v1::LookupRequest req;
  req.set_id(piece_id);
  v1::PieceBundle bundle;
  RETURN_IF_ERROR(FromGrpc(stub->GetPieceBundle(ctx.Call().get(), req, &bundle)));
  return bundle;
}

std::string Time(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

std::string Claims(const std::vector<v1::Claim>& claims) {
  std::vector<std::string> names;
  for (v1::Claim c : claims) names.push_back(ClaimText(c));
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

// The claims a piece registered: its material claims (the trade rules), else
// its legacy claims.
std::string Claims(const BundleReport& r) {
  if (r.material_claims.empty()) return Claims(r.asserted_claims);
  std::vector<std::string> lines;
  for (const MaterialClaimLine& c : r.material_claims) lines.push_back(c.text);
  return absl::StrJoin(lines, "; ");
}

// "gold 75.0% (3.000 g (0.096 ozt, 1.929 dwt))", "diamond: 25 stones, 0.980 ct".
std::string ShareLine(const MaterialShare& m) {
  if (m.stone) {
    return absl::StrCat(m.material, ": ", m.stones, m.stones == 1 ? " stone, " : " stones, ",
                        CaratText(m.amount));
  }
  return absl::StrCat(m.material, " ", m.share_ptt / 100, ".", (m.share_ptt % 100) / 10, "% (",
                      MassText(m.amount), ")");
}

// "key 1a2b3c4d5e6f7a8b (ed25519), accepted; reported stolen; recovery key
// 9f8e7d6c5b4a3210, recovery agent d1-jeweler; insurer d1-insurer": key ids,
// never a name for an owner.
std::string OwnerText(const OwnerLine& o) {
  std::vector<std::string> recovery;
  if (!o.recovery_key_id.empty()) recovery.push_back("key " + o.recovery_key_id);
  if (!o.recovery_agent.empty()) recovery.push_back("agent " + o.recovery_agent);
  return absl::StrCat("key ", o.key_id, " (", o.kind, "), ",
                      o.accepted ? "accepted" : "not yet accepted",
                      o.status == "none" ? "" : "; reported " + o.status,
                      "; recovery: ", recovery.empty() ? "none" : absl::StrJoin(recovery, ", "),
                      "; insurer: ", o.insurer.empty() ? "none" : o.insurer);
}

// "i-1 (entry 40): 14k gold curb bracelet; 12.400 g gross, 11.800 g metal,
// gold 585 (14k) by fire assay; owner key K; ..."
std::string IntakeText(const IntakeStory& i) {
  auto grams = [](int64_t mg) { return absl::StrFormat("%d.%03d g", mg / 1000, mg % 1000); };
  return absl::StrCat(i.intake_id, " (entry ", i.index, ", ", i.jeweler, "): ", i.description, "; ",
                      grams(i.gross_weight_mg), " gross, ", grams(i.metal_mg), " metal, ",
                      i.material, " ", MetalFinenessText(i.material, i.fineness_ptt), " by ",
                      i.assay_method, "; owner key ", i.owner_key_id, "; lot ", i.lot_id,
                      i.photo_sha256_hex.empty()
                          ? ""
                          : "; photos sha-256 " + absl::StrJoin(i.photo_sha256_hex, ", "),
                      i.repurposed_piece_id.empty()
                          ? ""
                          : absl::StrCat("; closes piece ", i.repurposed_piece_id,
                                         i.repurposed_piece_description.empty()
                                             ? ""
                                             : " (" + i.repurposed_piece_description + ")"));
}

// ------------------------------------------------------------------ JSON

// Adds the owner, repurposing, heirloom claim and intakes to `out`.
void OwnersJson(const BundleReport& r, nlohmann::json& out) {
  if (r.owner) {
    out["owner"] = {{"key_id", r.owner->key_id},
                    {"kind", r.owner->kind},
                    {"accepted", r.owner->accepted},
                    {"status", r.owner->status},
                    {"recovery_key_id", r.owner->recovery_key_id},
                    {"recovery_agent", r.owner->recovery_agent},
                    {"insurer", r.owner->insurer},
                    {"since_index", r.owner->since_index},
                    {"text", OwnerText(*r.owner)}};
  } else {
    out["owner"] = nullptr;
  }
  if (r.repurposed_index != 0) {
    out["repurposed"] = {{"index", r.repurposed_index}, {"intake_id", r.repurposed_intake}};
  } else {
    out["repurposed"] = nullptr;
  }
  if (!r.heirloom.owner_key_id().empty()) {
    out["heirloom"] = {{"owner_key_id", r.heirloom.owner_key_id()},
                       {"material", r.heirloom.material()},
                       {"owner_fine", r.heirloom.owner_fine()},
                       {"material_fine", r.heirloom.material_fine()},
                       {"owner_stone_lot_ids", r.heirloom.owner_stone_lot_ids()},
                       {"intake_ids", r.heirloom.intake_ids()},
                       {"text", r.heirloom_text}};
  } else {
    out["heirloom"] = nullptr;
  }
  nlohmann::json intakes = nlohmann::json::array();
  for (const IntakeStory& i : r.intakes) {
    intakes.push_back({{"intake_id", i.intake_id},
                       {"index", i.index},
                       {"jeweler", i.jeweler},
                       {"description", i.description},
                       {"photo_sha256", i.photo_sha256_hex},
                       {"gross_weight_mg", i.gross_weight_mg},
                       {"metal_mg", i.metal_mg},
                       {"material", i.material},
                       {"fineness_ptt", i.fineness_ptt},
                       {"assay_method", i.assay_method},
                       {"owner_key_id", i.owner_key_id},
                       {"lot_id", i.lot_id},
                       {"repurposed_piece_id", i.repurposed_piece_id},
                       {"repurposed_piece_description", i.repurposed_piece_description},
                       {"text", IntakeText(i)}});
  }
  out["intakes"] = std::move(intakes);
}

std::vector<std::string> ClaimNames(const std::vector<v1::Claim>& claims) {
  std::vector<std::string> names;
  for (v1::Claim c : claims) names.push_back(v1::Claim_Name(c));
  return names;
}

nlohmann::json MaterialClaimsJson(const BundleReport& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const MaterialClaimLine& c : r.material_claims) {
    out.push_back({{"material", c.claim.material()},
                   {"attribute", v1::Attribute_Name(c.claim.attribute())},
                   {"model", v1::CustodyModel_Name(c.claim.model())},
                   {"share_bp", c.claim.share_bp()},
                   {"account_id", c.claim.account_id()},
                   {"scheme", c.claim.scheme()},
                   {"text", c.text}});
  }
  return out;
}

nlohmann::json CompositionJson(const BundleReport& r) {
  nlohmann::json out = nlohmann::json::array();
  for (const MaterialShare& m : r.composition) {
    out.push_back({{"material", m.material},
                   {"stone", m.stone},
                   {"amount", m.amount},
                   {"stones", m.stones},
                   {"share_ptt", m.share_ptt},
                   {"text", ShareLine(m)}});
  }
  return out;
}

// The verdict as `piece verify --json` prints it; the keys are read by
// tests/bundle_e2e_test.py and the conformance runner.
nlohmann::json Json(const absl::StatusOr<BundleReport>& r, const std::string& key_source) {
  if (!r.ok()) {
    return {{"verdict", false},
            {"reason",
             absl::StrCat(absl::StatusCodeToString(r.status().code()), ": ", r.status().message())},
            {"rule", rule::RuleOf(r.status())},
            {"key_source", key_source}};
  }
  nlohmann::json timeline = nlohmann::json::array();
  for (const TimelineEntry& t : r->timeline) {
    timeline.push_back({{"index", t.index},
                        {"event_time_micros", t.event_time_micros},
                        {"event_time", Time(t.event_time_micros)},
                        {"recorded_at_micros", t.recorded_at_micros},
                        {"recorded_at", Time(t.recorded_at_micros)},
                        {"recorded_late", t.recorded_late},
                        {"signer", t.signer},
                        {"signer_name", t.signer_name},
                        {"kind", t.kind},
                        {"description", t.description},
                        {"certificates", t.certificates},
                        {"declared_wrong", t.declared_wrong},
                        {"key_added_by_other", t.key_added_by_other}});
  }
  nlohmann::json out = {{"verdict", true},
                        {"reason", ""},
                        {"key_source", key_source},
                        {"piece_id", r->piece_id},
                        {"description", r->piece_description},
                        {"jeweler", r->jeweler},
                        {"stones", r->stones},
                        {"checkpoint",
                         {{"origin", r->origin},
                          {"size", r->tree_size},
                          {"root", HashToBase64(r->root)},
                          {"key_name", r->log_key_name},
                          {"checkpoint_key", r->checkpoint_key},
                          {"witness_cosignatures", r->witness_cosignatures}}},
                        {"auditors",
                         {{"names", r->auditors},
                          {"audited_size", r->audited_size},
                          {"text", AuditorsText(r->auditors, r->audited_size)}}},
                        {"asserted_claims", ClaimNames(r->asserted_claims)},
                        {"claims", ClaimNames(r->derived_claims)},
                        {"material_claims", MaterialClaimsJson(*r)},
                        {"composition", CompositionJson(*r)},
                        {"timeline", std::move(timeline)},
                        {"warnings", r->warnings}};
  OwnersJson(*r, out);
  // Sealed records (issue 16): openings verified, entries left sealed, and the
  // checks this verifier did not do alone.
  nlohmann::json vouched = nlohmann::json::array();
  for (const VouchedFact& f : r->vouched) {
    vouched.push_back({{"index", f.index}, {"kind", f.kind}, {"what", f.what}});
  }
  out["opened"] = r->opened;
  out["sealed"] = r->sealed;
  out["vouched"] = std::move(vouched);
  return out;
}

// ------------------------------------------------------------------ text

std::string Text(const BundleReport& r) {
  std::string out = absl::StrCat("Piece ", r.piece_id, ": ", r.piece_description, "\n",
                                 "  jeweler         ", r.jeweler, "\n", "  stones now      ",
                                 r.stones.empty() ? "none" : absl::StrJoin(r.stones, ", "), "\n",
                                 "  claims asserted ", Claims(r), "\n");
  if (r.material_claims.empty()) {
    absl::StrAppend(&out, "  claims derived  ", Claims(r.derived_claims), "\n");
  }
  for (const MaterialShare& m : r.composition) {
    absl::StrAppend(&out, "  made of         ", ShareLine(m), "\n");
  }
  if (r.owner) absl::StrAppend(&out, "  owner           ", OwnerText(*r.owner), "\n");
  if (r.repurposed_index != 0) {
    absl::StrAppend(&out, "  repurposed      by heirloom intake ", r.repurposed_intake, " (entry ",
                    r.repurposed_index, ")\n");
  }
  if (!r.heirloom_text.empty()) {
    // Whose material: "the owner" is the intakes' owner key, who need not be
    // the piece's owner now (a jeweler could take in metal under a key of its own).
    const std::string& material_owner = r.heirloom.owner_key_id();
    const std::string whose =
        !r.owner ? "; the piece has no owner key"
        : r.owner->key_id == material_owner
            ? ", the piece's current owner"
            : absl::StrCat("; the piece now belongs to owner key ", r.owner->key_id);
    absl::StrAppend(&out, "  heirloom        ", r.heirloom_text, " (the owner: key ",
                    material_owner, whose, ")\n");
  }
  for (const IntakeStory& i : r.intakes) {
    absl::StrAppend(&out, "  heirloom intake ", IntakeText(i), "\n");
  }
  absl::StrAppend(&out, "  log             ", r.origin, " at size ", r.tree_size, ", root ",
                  HashToBase64(r.root), "\n\n", "Timeline (", r.timeline.size(), " records):\n");
  for (const TimelineEntry& t : r.timeline) {
    // The event time the record claims, and when the log recorded it.
    absl::StrAppend(&out, absl::StrFormat("  entry %-5d %s (recorded %s)  %s (%s)\n", t.index,
                                          Time(t.event_time_micros), Time(t.recorded_at_micros),
                                          t.signer_name, t.signer));
    absl::StrAppend(&out, "      ", t.description, "\n");
    if (!t.recorded_late.empty()) absl::StrAppend(&out, "      ! ", t.recorded_late, "\n");
    for (const std::string& c : t.certificates)
      absl::StrAppend(&out, "      certificate ", c, "\n");
    for (const std::string& d : t.declared_wrong) absl::StrAppend(&out, "      ! ", d, "\n");
    if (!t.key_added_by_other.empty())
      absl::StrAppend(&out, "      ! ", t.key_added_by_other, "\n");
  }
  if (!r.sealed.empty() || !r.opened.empty()) {
    // What this verifier checked itself, and what it did not: the checks that
    // read values a sealed record keeps committed (issue 16).
    absl::StrAppend(&out,
                    "\nchecked by this verifier: signatures, inclusion, consistency, roles, "
                    "custody order, origin classes, certificates, claims");
    if (!r.opened.empty()) {
      absl::StrAppend(
          &out, "; the openings of ",
          absl::StrJoin(r.opened, ", ",
                        [](std::string* o, uint64_t i) { absl::StrAppend(o, "entry ", i); }),
          " against their commitments, and their values");
    }
    absl::StrAppend(&out, "\n");
    if (!r.sealed.empty()) {
      absl::StrAppend(
          &out, "not checked here: committed (",
          absl::StrJoin(r.sealed, ", ",
                        [](std::string* o, uint64_t i) { absl::StrAppend(o, "entry ", i); }),
          "), on the ledger's word and its auditors':",
          r.vouched.empty() ? " no check of this piece reads them" : "", "\n");
      for (const VouchedFact& f : r.vouched) {
        absl::StrAppend(&out, "  - entry ", f.index, " (", f.kind, "): ", f.what, "\n");
      }
    }
  }
  if (!r.warnings.empty()) {
    absl::StrAppend(&out, "\nWarnings:\n");
    for (const std::string& w : r.warnings) absl::StrAppend(&out, "  ! ", w, "\n");
  }
  return out;
}

std::string Verdict(const BundleReport& r) {
  return absl::StrCat(
      "VERIFIED: piece ", r.piece_id, ": ", r.timeline.size(),
      " records, each signed by its participant's registered key and included in ", r.origin,
      " at size ", r.tree_size, " under a checkpoint signed by ", r.log_key_name,
      r.witness_cosignatures
          ? absl::StrCat(" and cosigned by ", r.witness_cosignatures, " witnesses")
          : "",
      "; no rule broken; claims ", Claims(r), " follow from the records",
      r.warnings.empty() ? "" : absl::StrCat("; ", r.warnings.size(), " warning(s) above"),
      r.auditors.empty() ? "" : absl::StrCat("\n", AuditorsText(r.auditors, r.audited_size)));
}

// Prints "NOT VERIFIED: ..." (or its JSON) for a bundle that could not even be checked.
int NotVerified(const VerifyFlags& flags, const absl::Status& s) {
  if (flags.json) {
    PrintJson(Json(s, flags.vkey.empty() ? "none" : "given"));
  } else {
    std::cout << "NOT VERIFIED: " << absl::StatusCodeToString(s.code()) << ": " << s.message()
              << "\n";
  }
  return 1;
}

// Checks, from a tlog-tiles export of the same log, that the bundle's
// checkpoint is part of the exported log and that the bundle leaves out no
// record of the piece's graph as of that checkpoint (a later revocation, say).
[[nodiscard]] absl::Status CheckCompleteAgainstExport(const v1::PieceBundle& bundle,
                                                      const BundleReport& report,
                                                      const NoteVerifier& log_key,
                                                      const std::string& dir) {
  ASSIGN_OR_RETURN(MirroredExport exp, MirrorTiles(dir, log_key));
  if (exp.checkpoint.size < report.tree_size) {
    return absl::FailedPreconditionError(
        absl::StrCat("the export at ", dir, " is at size ", exp.checkpoint.size,
                     ", older than the bundle's checkpoint at size ", report.tree_size,
                     ": export the log again"));
  }
  ASSIGN_OR_RETURN(const Hash root, exp.mirror->RootAt(report.tree_size));
  if (root != report.root) {
    return absl::DataLossError(absl::StrCat(
        "LOG INCONSISTENT: the exported log's root at size ", report.tree_size,
        " is not the bundle checkpoint's: the operator signed two different histories"));
  }
  ASSIGN_OR_RETURN(const MemoryState state,
                   RebuildState(exp.mirror->store(), report.tree_size, RuleOptions()));
  return CheckBundleComplete(bundle, report.tree_size, MirrorBundleSource(*exp.mirror, state));
}

// Verifies `bundle` and prints the result; returns the exit code.
int VerifyAndPrint(const v1::PieceBundle& bundle, const NoteVerifier& log_key,
                   const VerifyFlags& flags, const std::string& key_source) {
  std::vector<NoteVerifier> witnesses;
  for (const std::string& w : flags.witnesses) {
    absl::StatusOr<NoteVerifier> v = ParseCosignatureVerifier(w);
    if (!v.ok()) {
      return NotVerified(flags, absl::InvalidArgumentError(
                                    absl::StrCat("--witness ", w, ": ", v.status().message())));
    }
    witnesses.push_back(*std::move(v));
  }
  AuditorPins auditors{.keys = {}, .quorum = flags.auditor_quorum, .required = flags.require_audit};
  for (const std::string& a : flags.auditor_keys) {
    absl::StatusOr<NoteVerifier> v = ParseCosignatureVerifier(a);
    if (!v.ok()) {
      return NotVerified(flags, absl::InvalidArgumentError(
                                    absl::StrCat("--auditor-key ", a, ": ", v.status().message())));
    }
    auditors.keys.push_back(*std::move(v));
  }
  absl::StatusOr<BundleReport> report =
      VerifyPieceBundle(bundle, log_key, witnesses, flags.quorum, flags.piece, auditors);
  if (report.ok() && !flags.tiles.empty()) {
    if (absl::Status s = CheckCompleteAgainstExport(bundle, *report, log_key, flags.tiles);
        !s.ok()) {
      report = s;
    }
  }
  if (flags.json) {
    PrintJson(Json(report, key_source));
  } else if (report.ok()) {
    std::cout << Text(*report) << "\n" << Verdict(*report) << "\n";
  } else {
    std::cout << "NOT VERIFIED: " << absl::StatusCodeToString(report.status().code()) << ": "
              << report.status().message() << "\n";
    if (const std::string rule = rule::RuleOf(report.status()); !rule.empty()) {
      std::cout << "rule broken: " << rule << "\n";
    }
  }
  if (!flags.json && key_source == "server") {
    std::cout << "note: checked against the key the server itself reports (" << log_key.name
              << "); pass --vkey with a key obtained independently to trust this verdict "
              << "(it is then pinned, with a trusted head of the log)\n";
  }
  return report.ok() ? 0 : 1;
}

int VerifyFile(const std::string& path, const VerifyFlags& flags) {
  if (flags.vkey.empty()) return NotVerified(flags, MissingVkey());
  absl::StatusOr<NoteVerifier> key = NoteVerifier::Parse(flags.vkey);
  if (!key.ok()) return NotVerified(flags, key.status());
  absl::StatusOr<std::string> data = ReadWholeFile(path);
  if (!data.ok()) return NotVerified(flags, data.status());
  v1::PieceBundle bundle;
  if (!bundle.ParseFromString(*data)) {
    return NotVerified(flags, absl::InvalidArgumentError(absl::StrCat(
                                  path, " is not a piece bundle (not a PieceBundle)")));
  }
  return VerifyAndPrint(bundle, *key, flags, "given");
}

// The verifier key `piece show` checks with: --vkey, else the key pinned with
// this client's trusted head of the bundle's log, else (proving nothing) the
// key the server reports. *source says which.
[[nodiscard]] absl::StatusOr<std::string> ShowKey(const Context& ctx, const v1::PieceBundle& bundle,
                                                  const VerifyFlags& flags, std::string* source) {
  ASSIGN_OR_RETURN(ParsedNote note, ParseNote(bundle.checkpoint()));
  ASSIGN_OR_RETURN(Checkpoint unverified, Checkpoint::FromText(note.text));
  std::optional<std::string> pinned = TrustedHeads(flags.state_dir).PinnedKey(unverified.origin);
  if (!flags.vkey.empty() || pinned) {
    *source = flags.vkey.empty() ? "pinned" : "given";
    return flags.vkey.empty() ? *pinned : flags.vkey;
  }
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetLogInfo(ctx.Call().get(), {}, &info)));
  *source = "server";
  return info.verifier_key();
}

// Fetches and verifies a piece's bundle. With a key from the user or a trusted
// head, the trusted head is advanced first and the bundle's checkpoint must be
// part of it: a server showing this client another history is caught (exit 2).
int Show(const Context& ctx, const std::string& piece_id, const VerifyFlags& flags) {
  absl::StatusOr<v1::PieceBundle> bundle = FetchBundle(ctx, piece_id);
  if (!bundle.ok()) return Fail(bundle.status());
  std::string source;
  absl::StatusOr<std::string> vkey = ShowKey(ctx, *bundle, flags, &source);
  if (!vkey.ok()) return NotVerified(flags, vkey.status());
  absl::StatusOr<NoteVerifier> key = NoteVerifier::Parse(*vkey);
  if (!key.ok()) return NotVerified(flags, key.status());
  if (source != "server") {
    GrpcLogReader log(ctx);
    absl::StatusOr<TrustedHeadUpdate> head = TrustedHeads(flags.state_dir).Update(log, *vkey);
    absl::Status s = head.status();
    if (s.ok()) {
      if (auto cp = VerifyBundleCheckpoint(*bundle, *key); cp.ok()) {
        s = CheckAgainstHead(log, cp->first, head->head);
      }  // else VerifyAndPrint reports the bad checkpoint
    }
    if (!s.ok()) {
      NotVerified(flags, s);
      return absl::IsDataLoss(s) ? 2 : 1;
    }
    if (!flags.json) std::cout << "trusted head: " << head->report << "\n\n";
  }
  return VerifyAndPrint(*bundle, *key, flags, source);
}

// The bundle built here from a tlog-tiles export alone: the export is verified
// and audited (signatures, rules) on the way, then the graph is walked in the
// rebuilt state. No server involved.
[[nodiscard]] absl::StatusOr<v1::PieceBundle> BundleFromExport(const std::string& piece_id,
                                                               const std::string& dir,
                                                               const std::string& vkey) {
  ASSIGN_OR_RETURN(const NoteVerifier verifier, NoteVerifier::Parse(vkey));
  ASSIGN_OR_RETURN(MirroredExport exp, MirrorTiles(dir, verifier));
  MemoryState state;
  RETURN_IF_ERROR(
      AuditMirror(exp.mirror->store(), exp.note, verifier, AuditOptions(), &state).status());
  return BuildPieceBundle(MirrorBundleSource(*exp.mirror, state), piece_id, exp.checkpoint.size,
                          exp.note);
}

[[nodiscard]] absl::Status SaveBundle(const Context& ctx, const std::string& piece_id,
                                      const std::string& out, const std::string& tiles,
                                      const std::string& vkey, bool json) {
  if (json && out == "-") {
    return absl::InvalidArgumentError(
        "--json prints a summary on stdout, where -o - would write the bundle: give -o FILE");
  }
  v1::PieceBundle bundle;
  if (tiles.empty()) {
    ASSIGN_OR_RETURN(bundle, FetchBundle(ctx, piece_id));
  } else if (vkey.empty()) {
    return MissingVkey("--tiles needs --vkey");
  } else {
    ASSIGN_OR_RETURN(bundle, BundleFromExport(piece_id, tiles, vkey));
  }
  const std::string bytes = bundle.SerializeAsString();
  RETURN_IF_ERROR(WriteFile(out, bytes));
  if (json) {
    ASSIGN_OR_RETURN(ParsedNote note, ParseNote(bundle.checkpoint()));
    ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::FromText(note.text));
    PrintJson({{"file", out},
               {"piece_id", bundle.piece_id()},
               {"entries", bundle.entries_size()},
               {"bytes", bytes.size()},
               {"source", tiles.empty() ? "server" : "tiles"},
               {"origin", cp.origin},
               {"size", cp.size},
               {"root", HashToBase64(cp.root)},
               {"verified", false}});
  } else if (out != "-") {
    std::cout << "wrote " << out << ": piece " << piece_id << ", " << bundle.entries_size()
              << " entries, " << bytes.size()
              << " bytes; check it offline with: touchstone piece verify " << out
              << " --vkey <the log's verifier key>\n";
  }
  return absl::OkStatus();
}

void AddVerifyFlags(CLI::App* cmd, VerifyFlags& f) {
  cmd->add_option("--witness", f.witnesses,
                  "a witness's cosignature verifier key (repeatable; c2sp.org/tlog-cosignature)");
  cmd->add_option("--quorum", f.quorum, "how many of the --witness keys must have cosigned");
  cmd->add_option("--auditor-key", f.auditor_keys,
                  "an auditor's cosignature verifier key (repeatable): its cosignature on the "
                  "bundle's audited checkpoint is checked and named");
  cmd->add_option("--auditor-quorum", f.auditor_quorum,
                  "how many of the --auditor-key keys must have cosigned the audited checkpoint "
                  "(default: all)");
  cmd->add_flag("--require-audit", f.require_audit,
                "refuse a bundle that carries no audited checkpoint");
  cmd->add_flag("--json", f.json, "print one JSON object: verdict, reason, claims, timeline");
}

// `piece bundle` options.
struct BundleFlags {
  std::string piece_id;
  std::string out;    // "-" = stdout
  std::string tiles;  // build from this export instead of a server
  std::string vkey;   // with tiles
  bool json = false;
};

// `piece verify` and `piece show` options: the bundle file or the piece, and
// how to verify it.
struct PieceFlags {
  std::string target;
  VerifyFlags verify;
};

}  // namespace

void AddPieceCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto* piece = app.add_subcommand("piece", "a piece's provenance bundle, verified offline");
  piece->require_subcommand(1);

  auto b = std::make_shared<BundleFlags>();
  auto* bundle = piece->add_subcommand(
      "bundle", "fetch a piece's provenance bundle (binary PieceBundle); never overwrites");
  bundle->add_option("piece_id", b->piece_id, "the piece")->required();
  bundle->add_option("-o,--out", b->out, "output file (- for stdout)")->required();
  bundle->add_option("--tiles", b->tiles,
                     "build it from a tlog-tiles export (touchstone export) instead of a server");
  bundle->add_option("--vkey", b->vkey, "the log's verifier key (with --tiles)");
  bundle->add_flag("--json", b->json,
                   "print what was written (file, entries, bytes, checkpoint) as JSON");
  bundle->callback([&ctx, exit_code, b] {
    if (absl::Status s = SaveBundle(ctx, b->piece_id, b->out, b->tiles, b->vkey, b->json);
        !s.ok()) {
      *exit_code = Fail(s);
    }
  });

  auto v = std::make_shared<PieceFlags>();
  auto* verify = piece->add_subcommand(
      "verify", "verify a bundle file with no network: signatures, proofs, graph and claims");
  verify->add_option("file", v->target, "the bundle file")->required();
  verify->add_option("--piece", v->verify.piece,
                     "the piece the bundle must be about (refused if it is about another)");
  verify->add_option("--vkey", v->verify.vkey, "the log's note verifier key (required)");
  verify->add_option("--tiles", v->verify.tiles,
                     "a tlog-tiles export of the log: also check the bundle leaves nothing out");
  AddVerifyFlags(verify, v->verify);
  verify->callback([exit_code, v] { *exit_code = VerifyFile(v->target, v->verify); });

  auto sh = std::make_shared<PieceFlags>();
  auto* show =
      piece->add_subcommand("show", "fetch a piece's bundle and verify it as `piece verify` does");
  show->add_option("piece_id", sh->target, "the piece")->required();
  show->add_option("--vkey", sh->verify.vkey,
                   "the log's note verifier key (default: the key pinned with this client's "
                   "trusted head of the log, else the key the server reports, which proves "
                   "nothing about the server)");
  show->add_option("--state_dir", sh->verify.state_dir,
                   "where trusted heads are kept (default ~/.touchstone/trusted)");
  AddVerifyFlags(show, sh->verify);
  show->callback([&ctx, exit_code, sh] { *exit_code = Show(ctx, sh->target, sh->verify); });
}

}  // namespace touchstone::cli
