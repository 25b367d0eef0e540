// Following the log's checkpoint key handovers (see key_handover.h).
#include "ledger/provenance/key_handover.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/record.h"

namespace touchstone {

[[nodiscard]] absl::StatusOr<NoteVerifier> FollowHandover(const NoteVerifier& current,
                                                          const v1::Record& record,
                                                          std::string_view record_bytes,
                                                          std::string_view signature) {
  if (!record.has_operator_key_rotated()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a key handover: the record is a ", RecordKind(record)));
  }
  const std::string current_id = current.key.Fingerprint();
  if (record.key_id() != current_id) {
    return absl::PermissionDeniedError(absl::StrCat("key handover signed by key ", record.key_id(),
                                                    ", not by the checkpoint key in force (",
                                                    current_id, ")"));
  }
  // Either signature form, for the log the key names (ledger/provenance/record.h): which
  // form an entry needs is the log's policy's business, checked by the
  // verifiers that replay it (rebuild, bundle verifier); here what matters is
  // that the key in force signed the handover of this log.
  if (!current.key.Verify(
          RecordSigningMessage(kOriginBoundRecordSignatures, current.name, record_bytes),
          signature) &&
      !current.key.Verify(RecordSigningMessage(kLegacyRecordSignatures, "", record_bytes),
                          signature)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "key handover: bad signature by the checkpoint key in force (", current_id, ")"));
  }
  absl::StatusOr<PublicKey> next =
      PublicKey::FromRaw(record.operator_key_rotated().new_key().ed25519());
  if (!next.ok())
    return absl::InvalidArgumentError("key handover: the new key is not an Ed25519 key");
  if (next->raw() == current.key.raw()) {
    return absl::InvalidArgumentError("key handover: the new key is the key in force");
  }
  return NoteVerifier::Parse(FormatVerifierKey(current.name, *next));
}

[[nodiscard]] absl::StatusOr<NoteVerifier> FollowHandoverEntry(const NoteVerifier& current,
                                                               uint64_t index,
                                                               std::string_view entry) {
  absl::StatusOr<EntryView> view = DecodeEntry(entry);
  if (!view.ok()) {
    return absl::DataLossError(absl::StrCat("entry ", index, ": ", view.status().message()));
  }
  ASSIGN_OR_RETURN(v1::Record record, RecordOfEntry(index, entry));
  absl::StatusOr<NoteVerifier> next =
      FollowHandover(current, record, view->record, view->signature);
  if (!next.ok()) {
    return absl::Status(next.status().code(),
                        absl::StrCat("entry ", index, ": ", next.status().message()));
  }
  return next;
}

[[nodiscard]] absl::StatusOr<NoteVerifier> GenesisCheckpointKey(const v1::Record& genesis) {
  if (!genesis.has_genesis()) return absl::InvalidArgumentError("not a genesis record");
  for (const v1::PublicKey& k : genesis.genesis().operator_().keys()) {
    absl::StatusOr<PublicKey> key = PublicKey::FromRaw(k.ed25519());
    if (key.ok() && key->Fingerprint() == genesis.key_id()) {
      return NoteVerifier::Parse(FormatVerifierKey(genesis.genesis().origin(), *key));
    }
  }
  return absl::InvalidArgumentError("the genesis record is not signed by a key it registers");
}

CheckpointKeys::CheckpointKeys(NoteVerifier first) { keys_.emplace_back(0, std::move(first)); }

absl::StatusOr<CheckpointKeys> CheckpointKeys::FromGenesisEntry(std::string_view entry) {
  ASSIGN_OR_RETURN(v1::Record record, RecordOfEntry(0, entry));
  absl::StatusOr<NoteVerifier> key = GenesisCheckpointKey(record);
  if (!key.ok()) return absl::DataLossError(absl::StrCat("entry 0: ", key.status().message()));
  return CheckpointKeys(*std::move(key));
}

absl::Status CheckpointKeys::RequirePinned(const NoteVerifier& pinned, uint64_t size) const {
  std::string known;
  for (const auto& [first, key] : keys_) {
    if (first > size) break;
    if (key.name == pinned.name && key.key.raw() == pinned.key.raw()) return absl::OkStatus();
    absl::StrAppend(&known, known.empty() ? "" : ", ", FormatVerifierKey(key.name, key.key),
                    first == 0 ? " (genesis)" : absl::StrCat(" (from entry ", first - 1, ")"));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the verifier key ", FormatVerifierKey(pinned.name, pinned.key),
                   " is not one of this log's checkpoint keys: ", known));
}

absl::Status CheckpointKeys::Follow(uint64_t index, std::string_view entry) {
  if (keys_.size() > 1 && index + 1 <= keys_.back().first) {
    return absl::InvalidArgumentError(absl::StrCat("key handover at entry ", index,
                                                   " is not after the one at entry ",
                                                   keys_.back().first - 1));
  }
  ASSIGN_OR_RETURN(NoteVerifier next, FollowHandoverEntry(Latest(), index, entry));
  keys_.emplace_back(index + 1, std::move(next));
  return absl::OkStatus();
}

absl::Status CheckpointKeys::FollowIfHandover(uint64_t index, std::string_view entry,
                                              const v1::Record& record) {
  if (!record.has_operator_key_rotated()) return absl::OkStatus();
  absl::Status followed = Follow(index, entry);
  return followed.ok() ? followed : absl::DataLossError(followed.message());
}

absl::StatusOr<Checkpoint> CheckpointKeys::VerifyAtSize(std::string_view note,
                                                        uint64_t size) const {
  const NoteVerifier& key = ForSize(size);
  absl::StatusOr<Checkpoint> cp = VerifyCheckpoint(note, key);
  if (cp.ok()) return cp;
  return absl::Status(cp.status().code(),
                      absl::StrCat(cp.status().message(), " (the key in force at size ", size,
                                   " is ", FormatVerifierKey(key.name, key.key), ")"));
}

const NoteVerifier& CheckpointKeys::ForSize(uint64_t size) const {
  for (auto it = keys_.rbegin(); it != keys_.rend(); ++it) {
    if (it->first <= size) return it->second;
  }
  return keys_.front().second;
}

std::vector<uint64_t> CheckpointKeys::Handovers() const {
  std::vector<uint64_t> out;
  for (size_t i = 1; i < keys_.size(); ++i) out.push_back(keys_[i].first - 1);
  return out;
}

[[nodiscard]] absl::StatusOr<std::pair<Checkpoint, NoteVerifier>> VerifyCheckpointWithHandovers(
    std::string_view note, const NoteVerifier& known, std::span<const HandoverProof> handovers) {
  ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
  ASSIGN_OR_RETURN(Checkpoint claimed, Checkpoint::FromText(parsed.text));
  CheckpointKeys keys(known);
  // Handovers before the one `known` signed lead to `known`: nothing to follow there.
  const std::string known_id = known.key.Fingerprint();
  size_t first = 0;
  for (size_t i = 0; i < handovers.size(); ++i) {
    absl::StatusOr<v1::Record> r = RecordOfEntry(handovers[i].index, handovers[i].entry);
    if (r.ok() && r->key_id() == known_id) {
      first = i;
      break;
    }
    if (i + 1 == handovers.size()) first = handovers.size();
  }
  handovers = handovers.subspan(first);
  for (const HandoverProof& h : handovers) {
    if (h.index >= claimed.size) {
      return absl::InvalidArgumentError(absl::StrCat("key handover at entry ", h.index,
                                                     " is not in the tree of size ", claimed.size));
    }
    RETURN_IF_ERROR(keys.Follow(h.index, h.entry));
  }
  absl::StatusOr<Checkpoint> verified = VerifyCheckpoint(note, keys.Latest());
  if (absl::IsPermissionDenied(verified.status())) {
    return absl::PermissionDeniedError(absl::StrCat(
        verified.status().message(), " with key ",
        FormatVerifierKey(keys.Latest().name, keys.Latest().key), ", the key in force after ",
        handovers.size(),
        " key handover(s): the checkpoint is not the log's, or a handover is missing"));
  }
  if (!verified.ok()) return verified.status();
  Checkpoint cp = *std::move(verified);
  for (const HandoverProof& h : handovers) {
    absl::Status in = VerifyInclusion(h.index, cp.size, LeafHash(h.entry), h.proof, cp.root);
    if (!in.ok()) {
      return absl::DataLossError(absl::StrCat("key handover at entry ", h.index,
                                              " is not in the signed tree: ", in.message()));
    }
  }
  return std::make_pair(std::move(cp), keys.Latest());
}

}  // namespace touchstone
