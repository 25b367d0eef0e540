// Walks a piece's provenance graph through the derived state and the records.
#include "ledger/bundle_builder.h"

#include <algorithm>
#include <deque>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/io/coded_stream.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/checkpoint.h"
#include "ledger/log/merkle.h"
#include "ledger/provenance/key_handover.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/registry.h"
#include "ledger/provenance/state_view.h"

namespace touchstone {
namespace {

// A breadth-first walk over objects (lots, certificates, participants) and
// record indices until nothing new turns up.
class GraphWalk {
 public:
  explicit GraphWalk(const BundleSource& source) : source_(source) {}

  [[nodiscard]] absl::Status AddPiece(const std::string& id) {
    ASSIGN_OR_RETURN(v1::PieceState piece, ReadPiece(source_.State(), id));
    piece_id_ = id;
    piece_index_ = piece.registered_index();
    RETURN_IF_ERROR(AddPieceStory(piece));
    // The heirloom intake that closed it, if one did.
    if (piece.repurposed_index() != 0) AddIndex(piece.repurposed_index());
    for (const std::string& stone : piece.stone_lot_ids()) AddLot(stone);
    for (const auto& m : piece.metal_inputs()) AddLot(m.lot_id());
    for (const auto& p : piece.parcel_stones()) AddLot(p.lot_id());
    // Every checkpoint key handover: a verifier follows them from the genesis key.
    ASSIGN_OR_RETURN(std::optional<v1::CheckpointKeyState> keys,
                     ReadCheckpointKeyState(source_.State()));
    if (keys) {
      for (uint64_t i : keys->handovers()) AddIndex(i);
    }
    // Every entry that set the log's policy (ledger/provenance/log_policy.h): a verifier
    // needs each to know which signature form and time bound apply where.
    ASSIGN_OR_RETURN(std::optional<v1::LogPolicyState> policy, ReadLogPolicyState(source_.State()));
    if (policy) {
      AddIndex(0);  // the genesis, which carries a new log's first policy
      for (uint64_t i : policy->changes()) AddIndex(i);
    }
    // Until nothing new turns up: the graph, then what the accounts its lots
    // got credit from bring (their records and booked lots' graphs), then the
    // parcel draws whose outputs joined the graph since.
    for (;;) {
      RETURN_IF_ERROR(Run());
      const size_t before = indices_.size();
      RETURN_IF_ERROR(AddAccounts());
      RETURN_IF_ERROR(ExpandDrawsNowInLineage());
      if (indices_.size() == before && Idle()) return absl::OkStatus();
    }
  }

  const std::set<uint64_t>& indices() const { return indices_; }

 private:
  void AddIndex(uint64_t i) {
    if (indices_.insert(i).second) pending_.push_back(i);
  }
  void AddLot(const std::string& id) {
    if (lots_.insert(id).second) lot_queue_.push_back(id);
  }
  void AddCertificate(const std::string& id) {
    if (!id.empty() && certificates_.insert(id).second) cert_queue_.push_back(id);
  }
  void AddParticipant(const std::string& id) {
    if (!id.empty() && participants_.insert(id).second) participant_queue_.push_back(id);
  }

  // A piece's registration and every record about it (its history: lifecycle
  // events, stone replacements and, since issue 15, its ownership records).
  [[nodiscard]] absl::Status AddPieceStory(const v1::PieceState& piece) {
    AddIndex(piece.registered_index());
    for (uint64_t i : piece.history()) AddIndex(i);
    return absl::OkStatus();
  }

  [[nodiscard]] absl::StatusOr<v1::Record> RecordAt(uint64_t index) const {
    ASSIGN_OR_RETURN(const std::string entry, source_.Entry(index));
    return RecordOfEntry(index, entry);
  }

  // True if an output of `t` is in the graph: `t` is part of its lineage.
  bool InLineage(const v1::Transformation& t) const {
    return std::any_of(t.outputs().begin(), t.outputs().end(),
                       [&](const v1::OutputLot& o) { return lots_.count(o.lot_id()) > 0; });
  }

  // What a record brings into the graph.
  [[nodiscard]] absl::Status ExpandRecord(uint64_t index) {
    ASSIGN_OR_RETURN(v1::Record r, RecordAt(index));
    AddParticipant(r.signer());
    switch (r.body_case()) {
      case v1::Record::kLotCreated:
        for (const auto& c : r.lot_created().certificate_ids()) AddCertificate(c);
        break;
      case v1::Record::kTransformation:
        // A draw from a parcel of the graph for some other lot: the draw alone
        // (ledger/bundle/bundle_links.cc links nothing else of it).
        if (!InLineage(r.transformation())) {
          draws_only_.insert(index);
          break;
        }
        for (const auto& in : r.transformation().inputs()) AddLot(in.lot_id());
        for (const auto& c : r.transformation().certificate_ids()) AddCertificate(c);
        break;
      case v1::Record::kCreditAccountOpened:
        AddCertificate(r.credit_account_opened().certificate_id());
        break;
      case v1::Record::kCreditBooked:
        AddLot(r.credit_booked().lot_id());  // its graph shows it was certified recycled
        break;
      case v1::Record::kStoneReplaced:
        // Another piece's (one an heirloom intake repurposed): its story only.
        if (r.stone_replaced().piece_id() != piece_id_) break;
        AddLot(r.stone_replaced().old_stone_lot_id());
        AddLot(r.stone_replaced().new_stone_lot_id());
        break;
      case v1::Record::kOwnershipAccepted:
        // The participants the owner's terms name: a verifier checks they are registered.
        AddParticipant(r.ownership_accepted().terms().recovery_agent());
        AddParticipant(r.ownership_accepted().terms().insurer());
        break;
      case v1::Record::kHeirloomReceived:
        // An intake that closed an older piece: that piece's registration and
        // ownership records show the intake's owner key was its owner then.
        if (const std::string& old = r.heirloom_received().repurposed_piece_id();
            !old.empty() && old != piece_id_ && stories_.insert(old).second) {
          ASSIGN_OR_RETURN(v1::PieceState piece, ReadPiece(source_.State(), old));
          RETURN_IF_ERROR(AddPieceStory(piece));
        }
        break;
      case v1::Record::kCertificateIssued:
        if (r.certificate_issued().has_subject_participant()) {
          AddParticipant(r.certificate_issued().subject_participant());
        }
        break;
      case v1::Record::kErrorDeclared:
        AddIndex(r.error_declared().wrong_index());
        if (r.error_declared().has_replacement_index()) {
          AddIndex(r.error_declared().replacement_index());
        }
        break;
      default:
        break;
    }
    // Error declarations about this record.
    ASSIGN_OR_RETURN(std::optional<v1::ErrorState> errors, ReadErrorState(source_.State(), index));
    if (errors) {
      for (uint64_t d : errors->declared_at()) AddIndex(d);
    }
    return absl::OkStatus();
  }

  bool Idle() const {
    return pending_.empty() && lot_queue_.empty() && cert_queue_.empty() &&
           participant_queue_.empty();
  }

  [[nodiscard]] absl::Status Run() {
    while (!Idle()) {
      if (!lot_queue_.empty()) {
        const std::string id = lot_queue_.front();
        lot_queue_.pop_front();
        ASSIGN_OR_RETURN(v1::LotState lot, ReadLot(source_.State(), id));
        AddIndex(lot.created_index());
        for (uint64_t i : lot.custody()) AddIndex(i);
        AddCertificate(lot.grading_report_id());
        if (lot.stones() > 0) RETURN_IF_ERROR(AddDraws(lot));
        for (const std::string& a : lot.mb_accounts()) accounts_.insert(a);
        if (lot.credit_booked()) RETURN_IF_ERROR(AddBookingAccount(lot));
      } else if (!cert_queue_.empty()) {
        const std::string id = cert_queue_.front();
        cert_queue_.pop_front();
        ASSIGN_OR_RETURN(v1::CertificateState c, ReadCertificate(source_.State(), id));
        for (uint64_t i : c.history()) AddIndex(i);
        // The registration of its scheme, if one is registered (the trade rules'
        // certificates; a legacy certificate's scheme may be registered by none).
        absl::StatusOr<v1::SchemeState> scheme = ReadScheme(source_.State(), c.scheme());
        if (scheme.ok()) {
          AddIndex(scheme->registered_index());
          AddParticipant(scheme->issuer());
        } else if (!absl::IsNotFound(scheme.status())) {
          return scheme.status();
        }
      } else if (!participant_queue_.empty()) {
        const std::string id = participant_queue_.front();
        participant_queue_.pop_front();
        ASSIGN_OR_RETURN(v1::ParticipantState p, ReadParticipant(source_.State(), id));
        for (uint64_t i : p.history()) AddIndex(i);
      } else {
        const uint64_t i = pending_.front();
        pending_.pop_front();
        RETURN_IF_ERROR(ExpandRecord(i));
      }
    }
    return absl::OkStatus();
  }

  // Every transformation that drew from `parcel` up to the piece's
  // registration, so that a verifier replays the parcel's draws from its
  // creation (ledger/provenance/parcels.h). Parcel draws are in its history.
  [[nodiscard]] absl::Status AddDraws(const v1::LotState& parcel) {
    for (uint64_t i : parcel.history()) {
      if (i > piece_index_ || indices_.count(i)) continue;
      ASSIGN_OR_RETURN(v1::Record r, RecordAt(i));
      const auto& in = r.transformation().inputs();
      if (std::any_of(in.begin(), in.end(), [&](const v1::LotQuantity& q) {
            return q.lot_id() == parcel.lot_id() && q.stones() > 0;
          })) {
        AddIndex(i);
      }
    }
    return absl::OkStatus();
  }

  // The account a lot of the graph was booked into (the booking is in the
  // lot's history): its records up to the booking show the lot lost the
  // recycled attribute to credit.
  [[nodiscard]] absl::Status AddBookingAccount(const v1::LotState& lot) {
    for (uint64_t i : lot.history()) {
      ASSIGN_OR_RETURN(v1::Record r, RecordAt(i));
      if (r.has_credit_booked() && r.credit_booked().lot_id() == lot.lot_id()) {
        accounts_.insert(r.credit_booked().account_id());
      }
    }
    return absl::OkStatus();
  }

  // For each account a lot of the graph got credit from or was booked into:
  // its opening and its records 1..k, k the largest seq of an allocation to or
  // a booking of a lot of the graph (ledger/provenance/mass_balance.h), so a
  // verifier replays its balance.
  [[nodiscard]] absl::Status AddAccounts() {
    for (const std::string& id : accounts_) {
      ASSIGN_OR_RETURN(v1::CreditAccountState account, ReadCreditAccount(source_.State(), id));
      std::vector<std::pair<uint64_t, uint64_t>> records;  // (seq, index)
      uint64_t k = 0;
      for (uint64_t i : account.history()) {
        if (i == account.opened_index()) continue;
        ASSIGN_OR_RETURN(v1::Record r, RecordAt(i));
        if (r.has_credit_booked()) {
          records.emplace_back(r.credit_booked().seq(), i);
          if (lots_.count(r.credit_booked().lot_id())) {
            k = std::max<uint64_t>(k, r.credit_booked().seq());
          }
        }
        if (r.has_credit_allocated()) {
          records.emplace_back(r.credit_allocated().seq(), i);
          if (lots_.count(r.credit_allocated().lot_id())) {
            k = std::max<uint64_t>(k, r.credit_allocated().seq());
          }
        }
      }
      if (k == 0) continue;
      AddIndex(account.opened_index());
      for (const auto& [seq, i] : records) {
        if (seq <= k) AddIndex(i);
      }
    }
    return absl::OkStatus();
  }

  // A draw added for its parcel alone whose outputs have joined the graph
  // since: now part of their lineage, it brings in what it takes.
  [[nodiscard]] absl::Status ExpandDrawsNowInLineage() {
    for (auto it = draws_only_.begin(); it != draws_only_.end();) {
      ASSIGN_OR_RETURN(v1::Record r, RecordAt(*it));
      if (!InLineage(r.transformation())) {
        ++it;
        continue;
      }
      const uint64_t index = *it;
      it = draws_only_.erase(it);
      RETURN_IF_ERROR(ExpandRecord(index));
    }
    return absl::OkStatus();
  }

  const BundleSource& source_;
  std::string piece_id_;
  uint64_t piece_index_ = 0;
  std::set<std::string> stories_;  // pieces whose story an intake brought in
  std::set<uint64_t> indices_, draws_only_;
  std::set<std::string> lots_, certificates_, participants_, accounts_;
  std::deque<uint64_t> pending_;
  std::deque<std::string> lot_queue_, cert_queue_, participant_queue_;
};

}  // namespace

absl::StatusOr<std::string> LedgerBundleSource::Entry(uint64_t index) const {
  return ledger_.GetEntry(index);
}

absl::StatusOr<std::vector<Hash>> LedgerBundleSource::Proof(uint64_t index, std::string_view entry,
                                                            uint64_t, std::string_view note) const {
  return ledger_.InclusionProof(index, LeafHash(entry), note);
}

absl::StatusOr<std::optional<v1::Opening>> LedgerBundleSource::Opening(uint64_t index) const {
  return ledger_.GetOpening(index);
}

absl::StatusOr<std::string> MirrorBundleSource::Entry(uint64_t index) const {
  return mirror_.store().GetEntry(index);
}

absl::StatusOr<std::vector<Hash>> MirrorBundleSource::Proof(uint64_t index, std::string_view entry,
                                                            uint64_t size,
                                                            std::string_view note) const {
  ASSIGN_OR_RETURN(std::vector<Hash> proof, mirror_.InclusionProof(index, size));
  ASSIGN_OR_RETURN(const Checkpoint cp, ParseCheckpointNote(note));
  if (absl::Status s = VerifyInclusion(index, size, LeafHash(entry), proof, cp.root); !s.ok()) {
    return absl::DataLossError(
        absl::StrCat("the mirror's inclusion proof of entry ", index, " at tree size ", size,
                     " does not verify against the checkpoint: ", s.message()));
  }
  return proof;
}

[[nodiscard]] absl::StatusOr<std::set<uint64_t>> PieceGraphIndices(const BundleSource& source,
                                                                   const std::string& piece_id) {
  GraphWalk walk(source);
  RETURN_IF_ERROR(walk.AddPiece(piece_id));
  return walk.indices();
}

namespace {

// True if the entry `bytes` at `index` is the sealed registration of
// `piece_id` whose jeweler chose to disclose its inputs (its opening goes in
// the bundle). DATA_LOSS if the entry does not decode.
[[nodiscard]] absl::StatusOr<bool> DisclosedPiece(uint64_t index, const std::string& bytes,
                                                  const std::string& piece_id) {
  ASSIGN_OR_RETURN(const v1::Record r, RecordOfEntry(index, bytes));
  return r.has_sealed() && r.has_piece_registered() &&
         r.piece_registered().piece_id() == piece_id && r.piece_registered().disclose_inputs();
}

}  // namespace

[[nodiscard]] absl::StatusOr<v1::PieceBundle> BuildPieceBundle(const BundleSource& source,
                                                               const std::string& piece_id,
                                                               uint64_t size,
                                                               const std::string& note,
                                                               size_t max_bytes) {
  ASSIGN_OR_RETURN(const std::set<uint64_t> indices, PieceGraphIndices(source, piece_id));
  v1::PieceBundle bundle;
  bundle.set_format(kBundleFormat);
  bundle.set_piece_id(piece_id);
  bundle.set_checkpoint(note);
  bundle.set_created_micros(absl::ToUnixMicros(absl::Now()));
  size_t bytes = bundle.ByteSizeLong();  // the serialized size so far
  for (uint64_t index : indices) {
    if (index >= size) continue;
    ASSIGN_OR_RETURN(std::string entry, source.Entry(index));
    ASSIGN_OR_RETURN(std::vector<Hash> proof, source.Proof(index, entry, size, note));
    TlogProof tlog{
        .extra = std::nullopt, .index = index, .hashes = std::move(proof), .checkpoint_note = note};
    v1::BundleEntry* e = bundle.add_entries();
    e->set_index(index);
    e->set_entry(std::move(entry));
    e->set_tlog_proof(tlog.ToText());
    const size_t entry_bytes = e->ByteSizeLong();
    bytes += 1 + google::protobuf::io::CodedOutputStream::VarintSize64(entry_bytes) + entry_bytes;
    ASSIGN_OR_RETURN(const bool disclosed, DisclosedPiece(index, e->entry(), piece_id));
    if (disclosed) {
      ASSIGN_OR_RETURN(std::optional<v1::Opening> opening, source.Opening(index));
      if (!opening) {
        return absl::DataLossError(absl::StrCat("entry ", index, " (the registration of piece '",
                                                piece_id,
                                                "') is sealed and its opening is missing"));
      }
      v1::BundleOpening* o = bundle.add_openings();
      o->set_index(index);
      *o->mutable_opening() = *std::move(opening);
      const size_t opening_bytes = o->ByteSizeLong();
      bytes +=
          1 + google::protobuf::io::CodedOutputStream::VarintSize64(opening_bytes) + opening_bytes;
    }
    if (max_bytes != 0 && bytes > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the bundle of piece '", piece_id, "' is more than ", max_bytes,
                       " bytes (its first ", bundle.entries_size(), " records already are)"));
    }
  }
  return bundle;
}

[[nodiscard]] absl::StatusOr<v1::PieceBundle> BuildPieceBundle(const Ledger& ledger,
                                                               const std::string& piece_id,
                                                               size_t max_bytes) {
  const LedgerBundleSource source(ledger);
  ASSIGN_OR_RETURN(const std::set<uint64_t> indices, PieceGraphIndices(source, piece_id));
  // The checkpoint after the walk covers every record the walk saw, except one
  // committed in the instant between its state write and the checkpoint's
  // publication; such a record is left out (BuildPieceBundle skips indices >= size).
  auto [size, note] = ledger.LatestCheckpoint();
  // Prefer the newest witnessed checkpoint when it already covers the piece.
  if (const auto cosigned = ledger.LatestCosigned();
      cosigned && !indices.empty() && *indices.rbegin() < cosigned->first) {
    std::tie(size, note) = *cosigned;
  }
  ASSIGN_OR_RETURN(v1::PieceBundle bundle,
                   BuildPieceBundle(source, piece_id, size, note, max_bytes));
  // The audited checkpoint, when it is not beyond the bundle's (bundle.proto).
  if (const auto audited = ledger.LatestAudited(); audited && audited->first <= size) {
    if (audited->first < size) {
      ASSIGN_OR_RETURN(const std::vector<Hash> proof,
                       ledger.ConsistencyProof(audited->first, note));
      for (const Hash& h : proof) bundle.add_audit_consistency(h.data(), h.size());
    }
    bundle.set_audited_checkpoint(audited->second);
  }
  return bundle;
}

[[nodiscard]] absl::Status CheckBundleComplete(const v1::PieceBundle& bundle, uint64_t bundle_size,
                                               const BundleSource& source) {
  ASSIGN_OR_RETURN(const std::set<uint64_t> graph, PieceGraphIndices(source, bundle.piece_id()));
  std::set<uint64_t> have;
  for (const v1::BundleEntry& e : bundle.entries()) have.insert(e.index());
  for (uint64_t index : graph) {
    if (index >= bundle_size || have.contains(index)) continue;
    std::string kind = "record";
    if (absl::StatusOr<std::string> entry = source.Entry(index); entry.ok()) {
      if (absl::StatusOr<v1::Record> r = RecordOfEntry(index, *entry); r.ok()) {
        kind = RecordKind(*r);
      }
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "INCOMPLETE: the log at size ", bundle_size, " has entry ", index, " (", kind,
        ") in piece ", bundle.piece_id(), "'s provenance graph, and the bundle leaves it out"));
  }
  return absl::OkStatus();
}

}  // namespace touchstone
