// touchstone log update: keep a trusted head per log (the newest checkpoint this
// client verified) and accept a newer one only with a valid consistency proof.
// State: <state_dir>/<origin id>.checkpoint (the note), .vkey (the key pinned
// first) and .ckey (the key that signs the head, once the log handed its
// checkpoint key over: ledger/provenance/key_handover.h).
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/trusted_head.h"
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

// Verifies the latest checkpoint `note` for a client holding `known`: with it,
// or else through the log's checkpoint key handovers, each fetched with its
// inclusion proof in that checkpoint's tree. Returns the checkpoint and its key.
absl::StatusOr<std::pair<Checkpoint, NoteVerifier>> VerifyLatest(const Context& ctx,
                                                                  const std::string& note,
                                                                  uint64_t size,
                                                                  const NoteVerifier& known) {
  absl::StatusOr<Checkpoint> direct = VerifyCheckpoint(note, known);
  if (!absl::IsPermissionDenied(direct.status())) {
    if (!direct.ok()) return direct.status();
    return std::make_pair(*std::move(direct), known);
  }
  auto stub = ctx.Stub();
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(stub->GetLogInfo(ctx.Call().get(), {}, &info)));
  std::vector<HandoverProof> handovers;
  for (uint64_t index : info.key_handovers()) {
    if (index >= size) continue;
    v1::GetEntryRequest ereq;
    ereq.set_index(index);
    v1::Entry entry;
    RETURN_IF_ERROR(FromGrpc(stub->GetEntry(ctx.Call().get(), ereq, &entry)));
    v1::GetInclusionProofRequest preq;
    preq.set_index(index);
    preq.set_tree_size(size);
    v1::InclusionProofResponse proof;
    RETURN_IF_ERROR(FromGrpc(stub->GetInclusionProof(ctx.Call().get(), preq, &proof)));
    HandoverProof h{index, entry.data(), {}};
    for (const std::string& bytes : proof.hashes()) {
      ASSIGN_OR_RETURN(Hash hash, HashFromBytes(bytes));
      h.proof.push_back(hash);
    }
    handovers.push_back(std::move(h));
  }
  return VerifyCheckpointWithHandovers(note, known, handovers);
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
  // The keys this client followed the log's checkpoint key to, newest first:
  // the pinned one until a handover.
  std::vector<std::string> followed = {vkey};
  if (absl::StatusOr<std::string> ckey = ReadFile(base + ".ckey"); ckey.ok()) {
    followed = absl::StrSplit(*ckey, '\n', absl::SkipEmpty());
    followed.push_back(vkey);
  }
  const std::string held = followed.front();
  ASSIGN_OR_RETURN(const NoteVerifier verifier, NoteVerifier::Parse(held));
  std::optional<Checkpoint> trusted;
  if (absl::StatusOr<std::string> note = ReadFile(base + ".checkpoint"); note.ok()) {
    // Signed by one of them (the newest, unless the last update stopped between files).
    absl::StatusOr<Checkpoint> head = absl::PermissionDeniedError("no key");
    for (const std::string& k : followed) {
      ASSIGN_OR_RETURN(const NoteVerifier v, NoteVerifier::Parse(k));
      head = VerifyCheckpoint(*note, v);
      if (head.ok()) break;
    }
    if (!head.ok()) return head.status();
    trusted = *std::move(head);
  }
  ASSIGN_OR_RETURN(const auto verified,
                   VerifyLatest(ctx, latest.checkpoint(), unverified.size, verifier));
  const Checkpoint& fresh = verified.first;
  const std::string fresh_key = FormatVerifierKey(verified.second.name, verified.second.key);
  std::vector<Hash> proof;
  if (trusted && trusted->size > 0 && fresh.size > trusted->size) {
    ASSIGN_OR_RETURN(proof, FetchConsistency(ctx, trusted->size, fresh.size));
  }
  ASSIGN_OR_RETURN(Checkpoint head, AdvanceTrustedHead(trusted, fresh, proof));
  // The keys first, then the head: a crash between leaves a head signed by a
  // key still in the list.
  if (fresh_key != held) {
    RETURN_IF_ERROR(ReplaceFile(base + ".ckey", absl::StrCat(fresh_key, "\n", held, "\n")));
  }
  RETURN_IF_ERROR(ReplaceFile(base + ".checkpoint", latest.checkpoint()));
  if (!pinned.ok()) RETURN_IF_ERROR(ReplaceFile(base + ".vkey", vkey));
  *report = !trusted ? absl::StrCat("first use: now trusting ", head.origin, " at size ", head.size)
            : trusted->size == head.size
                ? absl::StrCat("unchanged: ", head.origin, " at size ", head.size)
                : absl::StrCat("advanced: ", head.origin, " from size ", trusted->size, " to ",
                               head.size, ", consistency proof verified");
  if (fresh_key != held) {
    absl::StrAppend(report, "; followed the log's checkpoint key handover to ", fresh_key);
  }
  return TrustedHead{
      .head = head,
      .vkey = vkey,
      .checkpoint_key = fresh_key,
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
               {"verifier_key", head->vkey},
               {"checkpoint_key", head->checkpoint_key}});
  });
}

}  // namespace touchstone::cli
