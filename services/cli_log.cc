// touchstone log ... and touchstone proof verify: the log in its public formats
// (C2SP checkpoints, tlog-proof, tlog-witness consistency bodies), and an
// offline check of a tlog-proof.
#include <iostream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/entry_format.h"
#include "ledger/provenance/record.h"
#include "nlohmann/json.hpp"
#include "services/cli.h"
#include "services/cli_hints.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

[[nodiscard]] absl::Status LogInfoCmd(const Context& ctx, bool json) {
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetLogInfo(ctx.Call().get(), {}, &info)));
  if (json) {
    PrintJson({{"origin", info.origin()},
               {"verifier_key", info.verifier_key()},
               {"size", info.size()},
               {"witnessed_size", info.witnessed_size()},
               {"audited_size", info.audited_size()},
               {"max_batch", info.max_batch()},
               {"max_record_bytes", info.max_record_bytes()},
               {"key_handovers",
                std::vector<uint64_t>(info.key_handovers().begin(), info.key_handovers().end())}});
    return absl::OkStatus();
  }
  std::cout << "origin " << info.origin() << "\n"
            << "verifier_key " << info.verifier_key() << "\n"
            << "size " << info.size() << "\n"
            << "witnessed_size " << info.witnessed_size() << "\n"
            << "audited_size " << info.audited_size() << "\n";
  if (!info.key_handovers().empty()) {
    std::cout << "key_handovers " << absl::StrJoin(info.key_handovers(), " ") << "\n";
  }
  return absl::OkStatus();
}

[[nodiscard]] absl::Status CheckpointCmd(const Context& ctx, uint64_t size, bool json) {
  v1::GetCheckpointRequest req;
  req.set_size(size);
  v1::CheckpointResponse resp;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetCheckpoint(ctx.Call().get(), req, &resp)));
  if (!json) {
    std::cout << resp.checkpoint();
    return absl::OkStatus();
  }
  // Parsed, not verified: `log update` and `proof verify` check signatures.
  ASSIGN_OR_RETURN(ParsedNote note, ParseNote(resp.checkpoint()));
  ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::FromText(note.text));
  PrintJson({{"origin", cp.origin},
             {"size", cp.size},
             {"root", HashToBase64(cp.root)},
             {"note", resp.checkpoint()},
             {"signatures_verified", false}});
  return absl::OkStatus();
}

[[nodiscard]] absl::Status EntryCmd(const Context& ctx, uint64_t index, bool raw, bool json) {
  v1::GetEntryRequest req;
  req.set_index(index);
  v1::Entry e;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetEntry(ctx.Call().get(), req, &e)));
  if (raw) return WriteFile("-", e.data());
  if (json) {  // the entry decoded (ledger/log/entry_format.h), its record as protobuf JSON
    ASSIGN_OR_RETURN(EntryView view, DecodeEntry(e.data()));
    ASSIGN_OR_RETURN(v1::Record record, RecordOfEntry(index, e.data()));
    ASSIGN_OR_RETURN(std::string record_json, MessageToJson(record));
    PrintJson({{"index", view.index},
               {"recorded_at_micros", view.recorded_at_micros},
               {"prev_leaf_hash", HashToBase64(view.prev_leaf_hash)},
               {"leaf_hash", HashToBase64(LeafHash(e.data()))},
               {"kind", RecordKind(record)},
               {"record", nlohmann::json::parse(record_json)},
               {"record_base64", absl::Base64Escape(Sv(view.record))},
               {"signature_base64", absl::Base64Escape(Sv(view.signature))},
               {"entry_base64", absl::Base64Escape(e.data())}});
    return absl::OkStatus();
  }
  std::cout << absl::Base64Escape(e.data()) << "\n";
  return absl::OkStatus();
}

// Proof hashes as base64 strings, in order.
nlohmann::json Base64List(const google::protobuf::RepeatedPtrField<std::string>& hashes) {
  nlohmann::json list = nlohmann::json::array();
  for (const std::string& h : hashes) list.push_back(absl::Base64Escape(h));
  return list;
}

// The checkpoint note's fields, parsed but not verified (as `log checkpoint --json`).
[[nodiscard]] absl::StatusOr<Checkpoint> ParseUnverified(const std::string& note) {
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  return Checkpoint::FromText(parsed.text);
}

[[nodiscard]] absl::Status ProofCmd(const Context& ctx, uint64_t index, bool json) {
  v1::GetInclusionProofRequest req;
  req.set_index(index);
  v1::InclusionProofResponse resp;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetInclusionProof(ctx.Call().get(), req, &resp)));
  ASSIGN_OR_RETURN(TlogProof proof, MakeTlogProof(resp.index(), resp.checkpoint(), resp.hashes()));
  if (!json) {
    std::cout << proof.ToText();
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Checkpoint cp, ParseUnverified(resp.checkpoint()));
  PrintJson({{"index", resp.index()},
             {"size", cp.size},
             {"root", HashToBase64(cp.root)},
             {"hashes", Base64List(resp.hashes())},
             {"checkpoint", resp.checkpoint()},
             {"tlog_proof", proof.ToText()},
             {"signatures_verified", false}});
  return absl::OkStatus();
}

[[nodiscard]] absl::Status ConsistencyCmd(const Context& ctx, uint64_t old_size, bool json) {
  v1::GetConsistencyProofRequest req;
  req.set_old_size(old_size);
  v1::ConsistencyProofResponse resp;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetConsistencyProof(ctx.Call().get(), req, &resp)));
  if (json) {
    ASSIGN_OR_RETURN(Checkpoint cp, ParseUnverified(resp.checkpoint()));
    PrintJson({{"old_size", resp.old_size()},
               {"size", cp.size},
               {"root", HashToBase64(cp.root)},
               {"hashes", Base64List(resp.hashes())},
               {"checkpoint", resp.checkpoint()},
               {"signatures_verified", false}});
    return absl::OkStatus();
  }
  std::cout << "old " << resp.old_size() << "\n";
  for (const std::string& h : resp.hashes()) std::cout << absl::Base64Escape(h) << "\n";
  std::cout << "\n" << resp.checkpoint();
  return absl::OkStatus();
}

// Offline: no server is contacted.
[[nodiscard]] absl::Status VerifyProofCmd(const std::string& proof_file,
                                          const std::string& entry_file, bool entry_base64,
                                          const std::string& vkey, bool json) {
  if (vkey.empty()) return MissingVkey();
  ASSIGN_OR_RETURN(std::string proof_text, ReadWholeFile(proof_file));
  ASSIGN_OR_RETURN(std::string entry, ReadWholeFile(entry_file));
  if (entry_base64) {
    std::string raw;
    if (!absl::Base64Unescape(absl::StripAsciiWhitespace(entry), &raw)) {
      return absl::InvalidArgumentError(absl::StrCat(entry_file, " is not base64"));
    }
    entry = std::move(raw);
  }
  ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(vkey));
  ASSIGN_OR_RETURN(TlogProof proof, TlogProof::FromText(proof_text));
  ASSIGN_OR_RETURN(Checkpoint cp, VerifyTlogProof(proof, entry, verifier));
  // Defence in depth: a Touchstone entry names its own index.
  ASSIGN_OR_RETURN(EntryView view, DecodeEntry(entry));
  if (view.index != proof.index) {
    return absl::FailedPreconditionError(absl::StrCat("the entry says it is index ", view.index,
                                                      ", the proof is for index ", proof.index));
  }
  if (json) {
    PrintJson({{"valid", true},
               {"index", proof.index},
               {"leaf_hash", HashToBase64(LeafHash(entry))},
               {"origin", cp.origin},
               {"size", cp.size},
               {"root", HashToBase64(cp.root)},
               {"key_name", verifier.name}});
    return absl::OkStatus();
  }
  std::cout << "valid: entry " << proof.index << " (leaf hash " << HashToBase64(LeafHash(entry))
            << ") is in " << cp.origin << " at size " << cp.size << ", checkpoint signed by "
            << verifier.name << "\n";
  return absl::OkStatus();
}

// Each command's options.
struct InfoFlags {
  bool json = false;
};
struct CheckpointFlags {
  uint64_t size = 0;  // 0: the latest
  bool json = false;
};
struct EntryFlags {
  uint64_t index = 0;
  bool raw = false;
  bool json = false;
};
struct ProofFlags {
  uint64_t index = 0;
  bool json = false;
};
struct ConsistencyFlags {
  uint64_t old_size = 0;
  bool json = false;
};
struct VerifyProofFlags {
  std::string proof_file;
  std::string entry_file;
  bool entry_base64 = false;
  std::string vkey;
  bool json = false;
};

}  // namespace

void AddLogCommands(CLI::App& app, Context& ctx, int* exit_code) {
  auto run = [exit_code](absl::Status s) {
    if (!s.ok()) *exit_code = Fail(s);
  };
  auto* log = app.add_subcommand("log", "read the log in its public formats");
  log->require_subcommand(1);
  auto info_flags = std::make_shared<InfoFlags>();
  auto* info = log->add_subcommand("info", "origin, verifier key and size");
  info->add_flag("--json", info_flags->json, "print JSON");
  info->callback([&ctx, run, f = info_flags] { run(LogInfoCmd(ctx, f->json)); });

  auto cp_flags = std::make_shared<CheckpointFlags>();
  auto* cp = log->add_subcommand("checkpoint", "the signed checkpoint note, verbatim");
  cp->add_option("--size", cp_flags->size, "a checkpoint issued at this size (default: latest)");
  cp->add_flag("--json", cp_flags->json,
               "print its fields (parsed, signatures not verified) as JSON");
  cp->callback([&ctx, run, f = cp_flags] { run(CheckpointCmd(ctx, f->size, f->json)); });

  auto entry_flags = std::make_shared<EntryFlags>();
  auto* entry = log->add_subcommand("entry", "an entry's stored bytes (base64, or --raw)");
  entry->add_option("index", entry_flags->index, "entry index")->required();
  auto* raw_flag = entry->add_flag("--raw", entry_flags->raw, "write the raw bytes");
  entry->add_flag("--json", entry_flags->json, "print the entry decoded, its record as JSON")
      ->excludes(raw_flag);
  entry->callback([&ctx, run, f = entry_flags] { run(EntryCmd(ctx, f->index, f->raw, f->json)); });

  auto proof_flags = std::make_shared<ProofFlags>();
  auto* proof = log->add_subcommand(
      "proof", "a c2sp.org/tlog-proof@v1 of an entry against the latest checkpoint");
  proof->add_option("index", proof_flags->index, "entry index")->required();
  proof->add_flag("--json", proof_flags->json,
                  "print the proof's index, hashes and checkpoint (not verified) as JSON");
  proof->callback([&ctx, run, f = proof_flags] { run(ProofCmd(ctx, f->index, f->json)); });

  auto cons_flags = std::make_shared<ConsistencyFlags>();
  auto* cons = log->add_subcommand(
      "consistency",
      "consistency proof from OLD_SIZE to the latest checkpoint (tlog-witness body)");
  cons->add_option("old_size", cons_flags->old_size, "the older tree size")->required();
  cons->add_flag("--json", cons_flags->json,
                 "print the sizes, hashes and checkpoint (not verified) as JSON");
  cons->callback([&ctx, run, f = cons_flags] { run(ConsistencyCmd(ctx, f->old_size, f->json)); });

  auto* verify = app.add_subcommand("proof", "offline checks");
  verify->require_subcommand(1);
  auto pv_flags = std::make_shared<VerifyProofFlags>();
  auto* pv = verify->add_subcommand(
      "verify", "check a tlog-proof for an entry against a verifier key, with no network");
  pv->add_option("proof", pv_flags->proof_file, "tlog-proof file")->required();
  pv->add_option("entry", pv_flags->entry_file, "entry bytes file (raw, or --base64)")->required();
  pv->add_flag("--base64", pv_flags->entry_base64, "the entry file holds base64");
  pv->add_option("--vkey", pv_flags->vkey, "the log's note verifier key (required)");
  pv->add_flag("--json", pv_flags->json,
               "print one JSON object: valid, and what was proven or the reason it failed");
  pv->callback([run, f = pv_flags] {
    const absl::Status s =
        VerifyProofCmd(f->proof_file, f->entry_file, f->entry_base64, f->vkey, f->json);
    if (!s.ok() && f->json) {
      PrintJson({{"valid", false},
                 {"code", absl::StatusCodeToString(s.code())},
                 {"reason", std::string(s.message())}});
    }
    run(s);
  });
}

}  // namespace touchstone::cli
