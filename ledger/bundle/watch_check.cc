#include "ledger/bundle/watch_check.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/record_subjects.h"

namespace touchstone {
namespace {

absl::Status Forged(std::string_view what) {
  return absl::DataLossError(absl::StrCat("watch: ", Sv(what)));
}

bool Intersects(const absl::flat_hash_set<std::string>& have,
                const google::protobuf::RepeatedPtrField<std::string>& want) {
  return std::any_of(want.begin(), want.end(),
                     [&](const std::string& id) { return have.contains(id); });
}

[[nodiscard]] absl::StatusOr<std::vector<Hash>> Hashes(
    const google::protobuf::RepeatedPtrField<std::string>& bytes, std::string_view what) {
  std::vector<Hash> out;
  for (const std::string& b : bytes) {
    absl::StatusOr<Hash> h = HashFromBytes(b);
    if (!h.ok()) return Forged(absl::StrCat(Sv(what), " holds a malformed hash"));
    out.push_back(*h);
  }
  return out;
}

}  // namespace

WatchChecker::WatchChecker(NoteVerifier verifier, v1::WatchFilter filter, uint64_t from_index,
                           std::optional<Checkpoint> known)
    : verifier_(std::move(verifier)),
      filter_(std::move(filter)),
      position_(from_index),
      checkpoint_(std::move(known)) {}

absl::Status WatchChecker::OnEntry(const v1::WatchEntry& e) {
  const std::string where = absl::StrCat("entry ", e.index());
  if (e.index() < position_ || (!pending_.empty() && e.index() <= pending_.back().index())) {
    return Forged(absl::StrCat(where, " comes out of order (or again)"));
  }
  if (pending_.size() >= kMaxPendingEntries) {
    return Forged(absl::StrCat("more than ", kMaxPendingEntries,
                               " entries without a checkpoint to prove them"));
  }
  absl::StatusOr<EntryView> view = DecodeEntry(e.data());
  if (!view.ok()) return Forged(absl::StrCat(where, ": ", view.status().message()));
  if (absl::Status s = CheckEntryIndex(*view, e.index()); !s.ok()) {
    return Forged(absl::StrCat(where, s.message()));
  }
  absl::StatusOr<v1::Record> record = RecordOfEntry(e.index(), e.data());
  if (!record.ok()) return Forged(absl::StrCat(where, ": ", record.status().message()));
  if (e.leaf_hash() != HashBytes(LeafHash(e.data()))) {
    return Forged(absl::StrCat(where, ": its leaf hash is not that of its bytes"));
  }
  const std::string type = RecordTypeName(*record);
  if (e.record_type() != type) {
    return Forged(absl::StrCat(where, " says it is a ", e.record_type(), " but holds a ", type));
  }
  const auto& types = filter_.record_types();
  if (!types.empty() && std::find(types.begin(), types.end(), type) == types.end()) {
    return Forged(absl::StrCat(where, " is a ", type, ", which the filter does not ask for"));
  }
  const bool lists_ids = !filter_.participants().empty() || !filter_.lots().empty() ||
                         !filter_.pieces().empty() || !filter_.certificates().empty();
  // What only the log can tell: an ErrorDeclared's wrong record; what a
  // status change reaches (its affected_pieces are the server's reading,
  // unchecked here).
  const bool needs_log = record->has_error_declared() || record->has_certificate_status_changed();
  if (lists_ids && !needs_log) {
    const RecordSubjects s = RecordSubjectsOf(*record);
    if (!Intersects(s.participants, filter_.participants()) &&
        !Intersects(s.lots, filter_.lots()) && !Intersects(s.pieces, filter_.pieces()) &&
        !Intersects(s.certificates, filter_.certificates())) {
      return Forged(absl::StrCat(where, " concerns nothing the filter names"));
    }
  }
  pending_.push_back(e);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::WatchEntry>> WatchChecker::OnCheckpoint(
    const v1::WatchCheckpoint& c) {
  ASSIGN_OR_RETURN(Checkpoint cp, VerifyCheckpoint(c.checkpoint(), verifier_));
  if (cp.size != c.size()) {
    return Forged(
        absl::StrCat("a checkpoint event says size ", c.size(), " but signs size ", cp.size));
  }
  if (checkpoint_ && cp.size < checkpoint_->size) {
    return Forged(absl::StrCat("the checkpoint went back from size ", checkpoint_->size, " to ",
                               cp.size, ": the log was rewound"));
  }
  if (c.next_index() < position_ || c.next_index() > cp.size ||
      (!pending_.empty() && c.next_index() <= pending_.back().index())) {
    return Forged(absl::StrCat("next_index ", c.next_index(), " does not follow position ",
                               position_, " and the entries sent, within size ", cp.size));
  }
  if (checkpoint_ && checkpoint_->size > 0) {
    if (c.consistency_from() != checkpoint_->size && cp.size != checkpoint_->size) {
      return Forged(
          absl::StrCat("no consistency proof from size ", checkpoint_->size, " to ", cp.size));
    }
    ASSIGN_OR_RETURN(std::vector<Hash> proof, Hashes(c.consistency(), "the consistency proof"));
    if (absl::Status s =
            VerifyConsistency(checkpoint_->size, cp.size, checkpoint_->root, cp.root, proof);
        !s.ok()) {
      return Forged(absl::StrCat("the checkpoint of size ", cp.size,
                                 " is not consistent with the one of size ", checkpoint_->size,
                                 " (", s.message(), "): the log forked or was rewound"));
    }
  }
  if (static_cast<size_t>(c.proofs_size()) != pending_.size()) {
    return Forged(absl::StrCat("the checkpoint carries ", c.proofs_size(), " proofs for ",
                               pending_.size(), " entries"));
  }
  for (size_t i = 0; i < pending_.size(); ++i) {
    const v1::WatchEntry& e = pending_[i];
    const v1::WatchProof& p = c.proofs(static_cast<int>(i));
    const std::string where = absl::StrCat("entry ", e.index());
    if (p.index() != e.index()) return Forged(absl::StrCat(where, " has no proof in order"));
    ASSIGN_OR_RETURN(std::vector<Hash> proof, Hashes(p.hashes(), where));
    if (e.index() >= cp.size) {
      return Forged(absl::StrCat(where, " is beyond the checkpoint (size ", cp.size, ")"));
    }
    if (absl::Status s = VerifyInclusion(e.index(), cp.size, LeafHash(e.data()), proof, cp.root);
        !s.ok()) {
      return Forged(
          absl::StrCat(where, " is not in the tree the checkpoint signs (", s.message(), ")"));
    }
  }
  position_ = c.next_index();
  checkpoint_ = std::move(cp);
  return std::exchange(pending_, {});
}

}  // namespace touchstone
