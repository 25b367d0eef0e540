// touchstone log update: keep a trusted head per log (the newest checkpoint this
// client verified) and accept a newer one only with a valid consistency proof.
// State: <state_dir>/<origin id>.checkpoint (the note) and .vkey (its key).
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/status_macros.h"
#include "ledger/trusted_head.h"
#include "nlohmann/json.hpp"
#include "services/cli.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

std::string DefaultStateDir() {
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : ".", "/.touchstone/trusted");
}

// The path prefix of a log's state files: <state_dir>/<first 16 hex of SHA-256(origin)>.
std::string StateBase(std::string state_dir, const std::string& origin) {
  if (state_dir.empty()) state_dir = DefaultStateDir();
  return absl::StrCat(state_dir, "/", HashToHex(Sha256(origin)).substr(0, 16));
}

absl::StatusOr<std::vector<Hash>> FetchConsistency(const Context& ctx, uint64_t old_size,
                                                   uint64_t new_size) {
  v1::GetConsistencyProofRequest req;
  req.set_old_size(old_size);
  req.set_new_size(new_size);
  v1::ConsistencyProofResponse resp;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetConsistencyProof(ctx.Call().get(), req, &resp)));
  std::vector<Hash> proof;
  for (const std::string& h : resp.hashes()) {
    ASSIGN_OR_RETURN(Hash hash, HashFromBytes(h));
    proof.push_back(hash);
  }
  return proof;
}

}  // namespace

std::optional<std::string> PinnedKey(std::string state_dir, const std::string& origin) {
  absl::StatusOr<std::string> pinned = ReadFile(StateBase(std::move(state_dir), origin) + ".vkey");
  if (!pinned.ok()) return std::nullopt;
  return *pinned;
}

absl::Status CheckAgainstHead(const Context& ctx, const Checkpoint& older, const Checkpoint& head) {
  std::vector<Hash> proof;
  if (older.size > 0 && older.size < head.size) {
    ASSIGN_OR_RETURN(proof, FetchConsistency(ctx, older.size, head.size));
  }
  return CheckPrefixOfHead(older, head, proof);
}

absl::StatusOr<TrustedHead> UpdateTrustedHead(const Context& ctx, const std::string& vkey_flag,
                                              std::string state_dir, std::string* report) {
  if (state_dir.empty()) state_dir = DefaultStateDir();
  auto stub = ctx.Stub();
  v1::CheckpointResponse latest;
  RETURN_IF_ERROR(FromGrpc(stub->GetCheckpoint(ctx.Call().get(), {}, &latest)));
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(latest.checkpoint()));
  ASSIGN_OR_RETURN(Checkpoint unverified, Checkpoint::FromText(parsed.text));
  std::filesystem::create_directories(state_dir);
  const std::string base = StateBase(state_dir, unverified.origin);

  // The key: pinned with the first trusted head; a different --vkey later is refused.
  std::string vkey = vkey_flag;
  absl::StatusOr<std::string> pinned = ReadFile(base + ".vkey");
  if (pinned.ok()) {
    if (!vkey.empty() && vkey != *pinned) {
      return absl::FailedPreconditionError(
          absl::StrCat("the trusted head of ", unverified.origin, " is pinned to ", *pinned,
                       ", not ", vkey));
    }
    vkey = *pinned;
  } else if (vkey.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no trusted head for ", unverified.origin,
                     " yet: give the log's verifier key with --vkey (published by the operator)"));
  }
  ASSIGN_OR_RETURN(NoteVerifier verifier, NoteVerifier::Parse(vkey));
  ASSIGN_OR_RETURN(Checkpoint fresh, VerifyCheckpoint(latest.checkpoint(), verifier));

  std::optional<Checkpoint> trusted;
  if (absl::StatusOr<std::string> note = ReadFile(base + ".checkpoint"); note.ok()) {
    ASSIGN_OR_RETURN(trusted, VerifyCheckpoint(*note, verifier));
  }
  std::vector<Hash> proof;
  if (trusted && trusted->size > 0 && fresh.size > trusted->size) {
    ASSIGN_OR_RETURN(proof, FetchConsistency(ctx, trusted->size, fresh.size));
  }
  ASSIGN_OR_RETURN(Checkpoint head, AdvanceTrustedHead(trusted, fresh, proof));
  RETURN_IF_ERROR(ReplaceFile(base + ".checkpoint", latest.checkpoint()));
  if (!pinned.ok()) RETURN_IF_ERROR(ReplaceFile(base + ".vkey", vkey));
  *report = !trusted ? absl::StrCat("first use: now trusting ", head.origin, " at size ", head.size)
            : trusted->size == head.size
                ? absl::StrCat("unchanged: ", head.origin, " at size ", head.size)
                : absl::StrCat("advanced: ", head.origin, " from size ", trusted->size, " to ",
                               head.size, ", consistency proof verified");
  return TrustedHead{
      .head = head,
      .vkey = vkey,
      .previous_size = trusted ? std::optional<uint64_t>(trusted->size) : std::nullopt};
}

void AddTrustCommands(CLI::App& app, Context& ctx, int* exit_code) {
  CLI::App* log = app.get_subcommand("log");
  auto* update = log->add_subcommand(
      "update", "check the latest checkpoint against this client's trusted head and keep it");
  auto vkey = std::make_shared<std::string>();
  auto state_dir = std::make_shared<std::string>();
  update->add_option("--vkey", *vkey, "the log's verifier key (needed the first time)");
  update->add_option("--state_dir", *state_dir,
                     "where trusted heads are kept (default ~/.touchstone/trusted)");
  auto json = std::make_shared<bool>(false);
  update->add_flag("--json", *json,
                   "print one JSON object: ok, the trusted head and how it moved, or the reason");
  update->callback([&ctx, exit_code, vkey, state_dir, json] {
    std::string report;
    absl::StatusOr<TrustedHead> head = UpdateTrustedHead(ctx, *vkey, *state_dir, &report);
    if (!head.ok()) {
      const bool attack = absl::IsDataLoss(head.status());  // evidence of a rewind or fork
      if (*json) {
        PrintJson({{"ok", false},
                   {"inconsistent", attack},
                   {"code", absl::StatusCodeToString(head.status().code())},
                   {"reason", std::string(head.status().message())}});
      }
      *exit_code = Fail(head.status());
      if (attack) *exit_code = 2;
      return;
    }
    if (!*json) {
      std::cout << report << "\nroot " << HashToBase64(head->head.root) << "\n";
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
               {"verifier_key", head->vkey}});
  });
}

}  // namespace touchstone::cli
