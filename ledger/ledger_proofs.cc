// The ledger's proofs and the damage it finds: every inclusion proof (a
// receipt's included) and every consistency proof the ledger returns is made
// here and verified against the checkpoint it is served with before it leaves
// (proof_check.h); one that fails is DATA_LOSS, counted and reported, never
// returned. And the background scrub (scrub.h), which reports the same way.
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/ledger.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/merkle.h"
#include "ledger/store/proof_check.h"

namespace touchstone {
namespace {

constexpr char kInclusion[] = "inclusion_proof";
constexpr char kConsistency[] = "consistency_proof";

}  // namespace

void Ledger::ReportDamage(const std::string& source, Damage damage, uint64_t tree_size,
                          std::string message) const {
  if (!options_.on_damage) return;
  options_.on_damage(DamageReport{.source = source,
                                  .damage = std::move(damage),
                                  .tree_size = tree_size,
                                  .message = std::move(message)});
}

absl::Status Ledger::RefuseProof(const std::string& source, Damage damage, uint64_t tree_size,
                                 std::string message) const {
  metrics_.CountProofVerifyFailure(source == kConsistency);
  absl::Status refused = absl::DataLossError(message);
  ReportDamage(source, std::move(damage), tree_size, std::move(message));
  return refused;
}

absl::StatusOr<Checkpoint> Ledger::ServedCheckpoint(std::string_view note) const {
  absl::StatusOr<Checkpoint> cp = ParseCheckpointNote(note);
  if (!cp.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a checkpoint note: ", cp.status().message()));
  }
  const uint64_t current = Size();
  if (cp->size > current) {
    return absl::OutOfRangeError(
        absl::StrCat("size ", cp->size, " is beyond the log (size ", current, ")"));
  }
  return cp;
}

absl::StatusOr<std::vector<Hash>> Ledger::ProveInclusion(uint64_t index, uint64_t size,
                                                         const Hash& leaf_hash,
                                                         const Hash& root) const {
  absl::StatusOr<std::vector<Hash>> proof = touchstone::InclusionProof(index, size, Reader());
  if (!proof.ok()) {
    if (!IsDamageStatus(proof.status())) return proof.status();
    Damage damage = LocateInclusionDamage(*store_, Size(), index, size, leaf_hash, root);
    std::string message = absl::StrCat("the inclusion proof of entry ", index, " at tree size ",
                                       size, " cannot be made: ", damage.Describe());
    return RefuseProof(kInclusion, std::move(damage), size, std::move(message));
  }
  Damage damage;
  if (absl::Status s =
          CheckInclusionProof(*store_, Size(), index, size, leaf_hash, *proof, root, &damage);
      !s.ok()) {
    return RefuseProof(kInclusion, std::move(damage), size, std::string(s.message()));
  }
  return proof;
}

absl::StatusOr<std::vector<Hash>> Ledger::InclusionProof(uint64_t index, const Hash& leaf_hash,
                                                         std::string_view checkpoint) const {
  ASSIGN_OR_RETURN(const Checkpoint cp, ServedCheckpoint(checkpoint));
  if (index >= cp.size) {
    return absl::OutOfRangeError(absl::StrCat("no leaf ", index, " in a tree of size ", cp.size,
                                              " (log size ", Size(), ")"));
  }
  return ProveInclusion(index, cp.size, leaf_hash, cp.root);
}

absl::StatusOr<std::vector<Hash>> Ledger::InclusionProof(uint64_t index,
                                                         std::string_view checkpoint) const {
  ASSIGN_OR_RETURN(const Checkpoint cp, ServedCheckpoint(checkpoint));
  if (index >= cp.size) {
    return absl::OutOfRangeError(absl::StrCat("no leaf ", index, " in a tree of size ", cp.size,
                                              " (log size ", Size(), ")"));
  }
  absl::StatusOr<std::string> entry = store_->GetEntry(index);
  if (!entry.ok()) {
    if (!IsDamageStatus(entry.status())) return entry.status();
    Damage damage = EntryDamage(
        index, absl::StrCat("entry ", index, " cannot be read: ", entry.status().message()));
    std::string message = absl::StrCat("the inclusion proof of entry ", index, " at tree size ",
                                       cp.size, " cannot be made: ", damage.Describe());
    return RefuseProof(kInclusion, std::move(damage), cp.size, std::move(message));
  }
  return ProveInclusion(index, cp.size, LeafHash(*entry), cp.root);
}

absl::StatusOr<std::vector<Hash>> Ledger::ConsistencyProof(uint64_t old_size,
                                                           std::string_view checkpoint) const {
  ASSIGN_OR_RETURN(const Checkpoint cp, ServedCheckpoint(checkpoint));
  if (old_size == 0 || old_size > cp.size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a consistency proof needs 0 < old_size <= new_size, got ", old_size, " and ", cp.size));
  }
  const std::string what =
      absl::StrCat("the consistency proof from tree size ", old_size, " to ", cp.size);
  // The old root a client holds: that of the checkpoint issued at old_size or,
  // for a size no checkpoint was issued at, the stored tree's.
  Hash old_root{};
  absl::StatusOr<std::string> old_note = store_->GetCheckpoint(old_size);
  absl::Status made = old_note.status();
  if (old_note.ok()) {
    absl::StatusOr<Checkpoint> old = ParseCheckpointNote(*old_note);
    if (!old.ok() || old->size != old_size) {
      Damage damage = CheckpointDamage(
          old_size, absl::StrCat("the checkpoint stored at size ", old_size, " is not one: ",
                                 old.ok() ? absl::StrCat("it says size ", old->size)
                                          : std::string(old.status().message())));
      std::string message = absl::StrCat(what, " cannot be checked: ", damage.Describe());
      return RefuseProof(kConsistency, std::move(damage), cp.size, std::move(message));
    }
    old_root = old->root;
  } else if (absl::IsNotFound(made)) {
    absl::StatusOr<Hash> root = RootFromNodes(old_size, Reader());
    made = root.status();
    if (root.ok()) old_root = *root;
  }
  absl::StatusOr<std::vector<Hash>> proof =
      made.ok() ? touchstone::ConsistencyProof(old_size, cp.size, Reader())
                : absl::StatusOr<std::vector<Hash>>(made);
  if (!proof.ok()) {
    if (!IsDamageStatus(proof.status())) return proof.status();
    Damage damage = LocateConsistencyDamage(*store_, Size(), old_size, cp.size, old_root, cp.root);
    std::string message = absl::StrCat(what, " cannot be made: ", damage.Describe());
    return RefuseProof(kConsistency, std::move(damage), cp.size, std::move(message));
  }
  Damage damage;
  if (absl::Status s = CheckConsistencyProof(*store_, Size(), old_size, cp.size, old_root, cp.root,
                                             *proof, &damage);
      !s.ok()) {
    return RefuseProof(kConsistency, std::move(damage), cp.size, std::string(s.message()));
  }
  return proof;
}

void Ledger::StartScrub() {
  ScrubSource source{
      .store = store_.get(),
      .size = [this] { return Size(); },
      .key_handovers = [this] { return Info().key_handovers; },
      .report =
          [this](const Damage& damage, uint64_t pass_size) {
            ReportDamage("scrub", damage, pass_size,
                         absl::StrCat("the scrub found damaged storage: ", damage.Describe()));
          },
      .metrics = &metrics_};
  scrub_ = std::make_unique<Scrub>(
      std::move(source), ScrubOptions{.entries_per_second = options_.scrub_entries_per_second});
}

}  // namespace touchstone
