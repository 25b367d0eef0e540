// The LogReader of the CLI: the Ledger service's reads (see cli_log_reader.h).
#include "services/cli_log_reader.h"

#include <cstdlib>
#include <iostream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "services/status_convert.h"

namespace touchstone::cli {
namespace {

[[nodiscard]] absl::StatusOr<std::vector<Hash>> Hashes(
    const google::protobuf::RepeatedPtrField<std::string>& bytes) {
  std::vector<Hash> hashes;
  for (const std::string& h : bytes) {
    ASSIGN_OR_RETURN(Hash hash, HashFromBytes(h));
    hashes.push_back(hash);
  }
  return hashes;
}

}  // namespace

GrpcLogReader::GrpcLogReader(const Context& ctx) : ctx_(ctx), stub_(ctx.Stub()) {}

absl::StatusOr<std::string> GrpcLogReader::GetCheckpoint() {
  v1::CheckpointResponse resp;
  RETURN_IF_ERROR(FromGrpc(stub_->GetCheckpoint(ctx_.Call().get(), {}, &resp)));
  return std::move(*resp.mutable_checkpoint());
}

absl::StatusOr<std::vector<Hash>> GrpcLogReader::GetConsistencyProof(uint64_t old_size,
                                                                     uint64_t new_size) {
  v1::GetConsistencyProofRequest req;
  req.set_old_size(old_size);
  req.set_new_size(new_size);
  v1::ConsistencyProofResponse resp;
  RETURN_IF_ERROR(FromGrpc(stub_->GetConsistencyProof(ctx_.Call().get(), req, &resp)));
  return Hashes(resp.hashes());
}

absl::StatusOr<std::vector<uint64_t>> GrpcLogReader::GetKeyHandoverIndices() {
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(stub_->GetLogInfo(ctx_.Call().get(), {}, &info)));
  return std::vector<uint64_t>(info.key_handovers().begin(), info.key_handovers().end());
}

absl::StatusOr<std::string> GrpcLogReader::GetEntry(uint64_t index) {
  v1::GetEntryRequest req;
  req.set_index(index);
  v1::Entry entry;
  RETURN_IF_ERROR(FromGrpc(stub_->GetEntry(ctx_.Call().get(), req, &entry)));
  return std::move(*entry.mutable_data());
}

absl::StatusOr<std::vector<Hash>> GrpcLogReader::GetInclusionProof(uint64_t index,
                                                                   uint64_t tree_size) {
  v1::GetInclusionProofRequest req;
  req.set_index(index);
  req.set_tree_size(tree_size);
  v1::InclusionProofResponse resp;
  RETURN_IF_ERROR(FromGrpc(stub_->GetInclusionProof(ctx_.Call().get(), req, &resp)));
  return Hashes(resp.hashes());
}

TrustedHeadStore TrustedHeads(const std::string& state_dir) {
  if (!state_dir.empty()) return TrustedHeadStore(state_dir);
  const char* home = std::getenv("HOME");
  return TrustedHeadStore(absl::StrCat(home != nullptr ? home : ".", "/.touchstone/trusted"));
}

absl::StatusOr<NoteVerifier> LogKeyFor(const Context& ctx, std::string_view note,
                                       const std::string& vkey, const std::string& state_dir,
                                       std::string* source) {
  if (!vkey.empty()) {
    *source = "given";
    return NoteVerifier::Parse(vkey);
  }
  std::string latest_note;
  if (note.empty()) {  // the origin of the server's latest checkpoint
    v1::CheckpointResponse latest;
    RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetCheckpoint(ctx.Call().get(), {}, &latest)));
    latest_note = latest.checkpoint();
    note = latest_note;
  }
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  ASSIGN_OR_RETURN(Checkpoint unverified, Checkpoint::FromText(parsed.text));
  if (std::optional<std::string> pinned = TrustedHeads(state_dir).PinnedKey(unverified.origin)) {
    *source = "pinned";
    return NoteVerifier::Parse(*pinned);
  }
  v1::LogInfo info;
  RETURN_IF_ERROR(FromGrpc(ctx.Stub()->GetLogInfo(ctx.Call().get(), {}, &info)));
  *source = "server";
  return NoteVerifier::Parse(info.verifier_key());
}

void WarnIfServerKey(const std::string& source) {
  if (source != "server") return;
  std::cerr << "note: checked against the key the server itself reports, which proves nothing; "
               "pass --vkey with a key obtained independently, or pin one with `touchstone log "
               "update --vkey KEY`\n";
}

}  // namespace touchstone::cli
