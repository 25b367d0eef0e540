// The trusted-head state machine: read the kept state, verify the latest
// checkpoint, check it extends the head, keep it (see trusted_head_store.h).
#include "ledger/trusted_head_store.h"

#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/note.h"
#include "ledger/log/trusted_head.h"

namespace touchstone {
namespace {

// The file's bytes, or nullopt if it does not exist; other read errors as they are.
[[nodiscard]] absl::StatusOr<std::optional<std::string>> ReadIfPresent(const std::string& path) {
  absl::StatusOr<std::string> data = ReadWholeFile(path);
  if (absl::IsNotFound(data.status())) return std::optional<std::string>();
  if (!data.ok()) return data.status();
  return std::optional<std::string>(*std::move(data));
}

// What the store holds for one log.
struct KeptState {
  std::optional<std::string> pinned;  // .vkey
  std::string vkey;                   // the pinned key, or the one given on first use
  // The keys this client followed the log's checkpoint key to, newest first:
  // the pinned one until a handover.
  std::vector<std::string> followed;
  std::optional<Checkpoint> trusted;  // .checkpoint, verified
};

[[nodiscard]] absl::StatusOr<KeptState> LoadState(const std::string& base,
                                                  const std::string& origin,
                                                  const std::string& vkey_given) {
  KeptState state;
  ASSIGN_OR_RETURN(state.pinned, ReadIfPresent(base + ".vkey"));
  // The key: pinned with the first trusted head; a different one later is refused.
  state.vkey = vkey_given;
  if (state.pinned) {
    if (!vkey_given.empty() && vkey_given != *state.pinned) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the trusted head of ", origin, " is pinned to ", *state.pinned, ", not ", vkey_given));
    }
    state.vkey = *state.pinned;
  } else if (vkey_given.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no trusted head for ", origin,
                     " yet: give the log's verifier key with --vkey (published by the operator)"));
  }
  state.followed = {state.vkey};
  ASSIGN_OR_RETURN(const std::optional<std::string> ckey, ReadIfPresent(base + ".ckey"));
  if (ckey) {
    state.followed = absl::StrSplit(*ckey, '\n', absl::SkipEmpty());
    state.followed.push_back(state.vkey);
  }
  ASSIGN_OR_RETURN(const std::optional<std::string> note, ReadIfPresent(base + ".checkpoint"));
  if (note) {
    // Signed by one of them (the newest, unless the last update stopped between files).
    absl::StatusOr<Checkpoint> head = absl::PermissionDeniedError("no key");
    for (const std::string& k : state.followed) {
      ASSIGN_OR_RETURN(const NoteVerifier v, NoteVerifier::Parse(k));
      head = VerifyCheckpoint(*note, v);
      if (head.ok()) break;
    }
    if (!head.ok()) return head.status();
    state.trusted = *std::move(head);
  }
  return state;
}

// Verifies the latest checkpoint `note` (of `size`) for a client holding
// `known`: with it, or else through the log's checkpoint key handovers, each
// fetched with its inclusion proof in that checkpoint's tree. Returns the
// checkpoint and its key.
[[nodiscard]] absl::StatusOr<std::pair<Checkpoint, NoteVerifier>> VerifyLatest(
    LogReader& log, const std::string& note, uint64_t size, const NoteVerifier& known) {
  absl::StatusOr<Checkpoint> direct = VerifyCheckpoint(note, known);
  if (!absl::IsPermissionDenied(direct.status())) {
    if (!direct.ok()) return direct.status();
    return std::make_pair(*std::move(direct), known);
  }
  ASSIGN_OR_RETURN(const std::vector<HandoverProof> handovers, FetchKeyHandovers(log, size));
  return VerifyCheckpointWithHandovers(note, known, handovers);
}

std::string Report(const std::optional<Checkpoint>& trusted, const Checkpoint& head,
                   bool followed_handover, const std::string& key) {
  std::string report =
      !trusted ? absl::StrCat("first use: now trusting ", head.origin, " at size ", head.size)
      : trusted->size == head.size
          ? absl::StrCat("unchanged: ", head.origin, " at size ", head.size)
          : absl::StrCat("advanced: ", head.origin, " from size ", trusted->size, " to ", head.size,
                         ", consistency proof verified");
  if (followed_handover) {
    absl::StrAppend(&report, "; followed the log's checkpoint key handover to ", key);
  }
  return report;
}

}  // namespace

TrustedHeadStore::TrustedHeadStore(std::string dir, FileWriter write)
    : dir_(std::move(dir)), write_(std::move(write)) {
  if (!write_) {
    write_ = [](const std::string& path, std::string_view data) {
      return ReplaceFileDurably(path, data, 0644);
    };
  }
}

std::string TrustedHeadStore::Base(const std::string& origin) const {
  return absl::StrCat(dir_, "/", HashToHex(Sha256(origin)).substr(0, 16));
}

std::optional<std::string> TrustedHeadStore::PinnedKey(const std::string& origin) const {
  absl::StatusOr<std::string> pinned = ReadWholeFile(Base(origin) + ".vkey");
  if (!pinned.ok()) return std::nullopt;
  return *std::move(pinned);
}

absl::StatusOr<TrustedHeadUpdate> TrustedHeadStore::Update(LogReader& log,
                                                           const std::string& vkey) const {
  ASSIGN_OR_RETURN(const std::string latest, log.GetCheckpoint());
  ASSIGN_OR_RETURN(const ParsedNote parsed, ParseNote(latest));
  ASSIGN_OR_RETURN(const Checkpoint unverified, Checkpoint::FromText(parsed.text));
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir_, ": ", ec.message()));
  }
  const std::string base = Base(unverified.origin);

  ASSIGN_OR_RETURN(const KeptState state, LoadState(base, unverified.origin, vkey));
  const std::string& held = state.followed.front();
  ASSIGN_OR_RETURN(const NoteVerifier verifier, NoteVerifier::Parse(held));
  ASSIGN_OR_RETURN(const auto verified, VerifyLatest(log, latest, unverified.size, verifier));
  const Checkpoint& fresh = verified.first;
  const std::string fresh_key = FormatVerifierKey(verified.second.name, verified.second.key);
  std::vector<Hash> proof;
  if (state.trusted && state.trusted->size > 0 && fresh.size > state.trusted->size) {
    ASSIGN_OR_RETURN(proof, log.GetConsistencyProof(state.trusted->size, fresh.size));
  }
  ASSIGN_OR_RETURN(Checkpoint head, AdvanceTrustedHead(state.trusted, fresh, proof));

  // The keys first, then the head, then the pin (the order trusted_head_store.h
  // explains): a crash between leaves a head signed by a key still in the list.
  const bool followed_handover = fresh_key != held;
  if (followed_handover) {
    RETURN_IF_ERROR(write_(base + ".ckey", absl::StrCat(fresh_key, "\n", held, "\n")));
  }
  RETURN_IF_ERROR(write_(base + ".checkpoint", latest));
  if (!state.pinned) RETURN_IF_ERROR(write_(base + ".vkey", state.vkey));

  TrustedHeadUpdate out;
  out.report = Report(state.trusted, head, followed_handover, fresh_key);
  out.head = std::move(head);
  out.vkey = state.vkey;
  out.checkpoint_key = fresh_key;
  if (state.trusted) out.previous_size = state.trusted->size;
  return out;
}

[[nodiscard]] absl::Status CheckAgainstHead(LogReader& log, const Checkpoint& older,
                                            const Checkpoint& head) {
  std::vector<Hash> proof;
  if (older.size > 0 && older.size < head.size) {
    ASSIGN_OR_RETURN(proof, log.GetConsistencyProof(older.size, head.size));
  }
  return CheckPrefixOfHead(older, head, proof);
}

}  // namespace touchstone
