// The bundle's graph: which records are linked to the piece (the relations
// ledger/bundle_builder.cc walks), and whether everything a linked record names
// is in the bundle. Besides a lot's lineage, custody and certificates: the
// registration of every scheme a certificate names (and its issuer); every
// draw from a parcel of the graph (a transformation linked only by such a draw
// brings in nothing else); every mass-balance account a record of the graph
// allocates from or books a lot of the graph into, with its opening and its
// records, and each lot it booked with that lot's own graph. Owners: every
// ownership record of the piece, the participants its owner's terms name,
// each heirloom intake its lineage came from and, for an intake that closed
// an older piece, that piece's registration and ownership records (and, in
// the older piece's own bundle, the intake that closed it).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"

namespace touchstone::bundle {
namespace {

// A transformation some of whose outputs are linked: it is part of a linked
// lot's lineage, so everything it takes is linked too.
bool InLineage(const v1::Transformation& t, const Links& l) {
  return std::any_of(t.outputs().begin(), t.outputs().end(),
                     [&](const v1::OutputLot& o) { return l.lots.count(o.lot_id()) > 0; });
}

// A transformation drawing stones from a linked lot (a parcel): a verifier
// replays every draw from a parcel (ledger/provenance/parcels.h).
bool DrawsFromGraph(const v1::Transformation& t, const Links& l) {
  return std::any_of(t.inputs().begin(), t.inputs().end(), [&](const v1::LotQuantity& q) {
    return q.stones() > 0 && l.lots.count(q.lot_id()) > 0;
  });
}

// Whether a record belongs to the piece's graph, given what is linked so far
// (the relations ledger/bundle_builder.cc walks).
bool Linked(const v1::Record& r, const Links& l, const std::string& piece_id) {
  // Checkpoint key handovers and log policies vouch for the whole log, so for every piece.
  if (r.has_operator_key_rotated() || r.has_log_policy()) return true;
  if (const std::string* p = ParticipantTarget(r)) return l.participants.count(*p) > 0;
  switch (r.body_case()) {
    case v1::Record::kCertificateIssued: {
      const v1::CertificateIssued& c = r.certificate_issued();
      return l.certificates.count(c.certificate_id()) ||
             ((c.has_grading_report() || c.has_parcel_report()) && l.lots.count(c.subject_lot()));
    }
    case v1::Record::kSchemeRegistered:
      return l.schemes.count(r.scheme_registered().scheme()) > 0;
    case v1::Record::kCertificateStatusChanged:
      return l.certificates.count(r.certificate_status_changed().certificate_id()) > 0;
    case v1::Record::kLotCreated:
      return l.lots.count(r.lot_created().lot_id()) > 0;
    case v1::Record::kTransformation:
      return InLineage(r.transformation(), l) || DrawsFromGraph(r.transformation(), l);
    case v1::Record::kCustodyShipped:
      return l.lots.count(r.custody_shipped().lot_id()) > 0;
    case v1::Record::kCustodyReceived:
      return l.lots.count(r.custody_received().lot_id()) > 0;
    case v1::Record::kErrorDeclared:
      return l.records.count(r.error_declared().wrong_index()) > 0;
    case v1::Record::kCreditAccountOpened:
      return l.accounts.count(r.credit_account_opened().account_id()) > 0;
    case v1::Record::kCreditBooked:
      return l.accounts.count(r.credit_booked().account_id()) > 0 ||
             l.lots.count(r.credit_booked().lot_id()) > 0;
    case v1::Record::kCreditAllocated:
      return l.accounts.count(r.credit_allocated().account_id()) > 0 ||
             l.lots.count(r.credit_allocated().lot_id()) > 0;
    case v1::Record::kHeirloomReceived: {
      const v1::HeirloomReceived& h = r.heirloom_received();
      return l.lots.count(h.lot_id()) > 0 ||
             (!h.repurposed_piece_id().empty() && l.pieces.count(h.repurposed_piece_id()) > 0);
    }
    default:
      if (const std::string* p = PieceOf(r)) return l.pieces.count(*p) > 0;
      return AboutPiece(r, piece_id);
  }
}

// What a linked record links in turn. A transformation only drawing from a
// parcel of the graph (none of its outputs linked yet) links nothing more:
// `partial` is set to tell the caller to expand it again if an output is
// linked later.
void Expand(const Item& item, const std::string& piece_id, Links& l, bool* partial) {
  *partial = false;
  const v1::Record& r = item.record;
  if (!OwnerOnly(r)) l.participants.insert(r.signer());
  auto lot = [&](const std::string& id) { l.lots.emplace(id, item.index); };
  auto certs = [&](const auto& ids) {
    for (const std::string& id : ids) l.certificates.emplace(id, item.index);
  };
  switch (r.body_case()) {
    case v1::Record::kLotCreated:
      certs(r.lot_created().certificate_ids());
      break;
    case v1::Record::kTransformation:
      if (!InLineage(r.transformation(), l)) {
        *partial = true;
        break;
      }
      for (const v1::LotQuantity& in : r.transformation().inputs()) lot(in.lot_id());
      certs(r.transformation().certificate_ids());
      break;
    case v1::Record::kSchemeRegistered:
      l.participants.insert(r.scheme_registered().issuer());
      break;
    case v1::Record::kCreditAccountOpened:
      certs(std::vector<std::string>{r.credit_account_opened().certificate_id()});
      break;
    case v1::Record::kCreditBooked:
      lot(r.credit_booked().lot_id());
      l.accounts.emplace(r.credit_booked().account_id(), item.index);
      break;
    case v1::Record::kCreditAllocated:
      l.accounts.emplace(r.credit_allocated().account_id(), item.index);
      break;
    case v1::Record::kCertificateIssued:
      l.certificates.emplace(r.certificate_issued().certificate_id(), item.index);
      l.schemes.insert(r.certificate_issued().scheme());
      if (r.certificate_issued().has_subject_participant()) {
        l.participants.insert(r.certificate_issued().subject_participant());
      }
      break;
    case v1::Record::kPieceRegistered:
      if (!AboutPiece(r, piece_id)) break;
      for (const std::string& s : r.piece_registered().stone_lot_ids()) lot(s);
      for (const v1::MetalInput& m : r.piece_registered().metal_inputs()) lot(m.lot_id());
      for (const v1::ParcelStones& p : r.piece_registered().parcel_stones()) lot(p.lot_id());
      break;
    case v1::Record::kStoneReplaced:
      if (!AboutPiece(r, piece_id)) break;
      lot(r.stone_replaced().old_stone_lot_id());
      lot(r.stone_replaced().new_stone_lot_id());
      break;
    case v1::Record::kErrorDeclared:
      if (r.error_declared().has_replacement_index()) {
        l.records.insert(r.error_declared().replacement_index());
      }
      break;
    case v1::Record::kOwnershipAccepted: {
      const v1::OwnerTerms& t = r.ownership_accepted().terms();
      if (!t.recovery_agent().empty()) l.participants.insert(t.recovery_agent());
      if (!t.insurer().empty()) l.participants.insert(t.insurer());
      break;
    }
    case v1::Record::kHeirloomReceived:
      lot(r.heirloom_received().lot_id());
      if (!r.heirloom_received().repurposed_piece_id().empty()) {
        l.pieces.insert(r.heirloom_received().repurposed_piece_id());
      }
      break;
    default:
      break;
  }
}

[[nodiscard]] absl::Status Missing(std::string_view what, uint64_t by) {
  return rule::Tag(rule::kCompleteness,
                   absl::FailedPreconditionError(
                       absl::StrCat(Sv(what), " is not in the bundle (entry ", by, " names it)")));
}

}  // namespace

const std::string* PieceOf(const v1::Record& r) {
  switch (r.body_case()) {
    case v1::Record::kPieceRegistered:
      return &r.piece_registered().piece_id();
    case v1::Record::kPieceLifecycle:
      return &r.piece_lifecycle().piece_id();
    case v1::Record::kStoneReplaced:
      return &r.stone_replaced().piece_id();
    case v1::Record::kOwnershipAccepted:
      return &r.ownership_accepted().piece_id();
    case v1::Record::kOwnershipTransferred:
      return &r.ownership_transferred().piece_id();
    case v1::Record::kOwnerReport:
      return &r.owner_report().piece_id();
    case v1::Record::kOwnerKeyReplaced:
      return &r.owner_key_replaced().piece_id();
    default:
      return nullptr;
  }
}

bool IsOwnerRecord(const v1::Record& r) {
  return r.has_ownership_accepted() || r.has_ownership_transferred() || r.has_owner_report() ||
         r.has_owner_key_replaced();
}

bool OwnerOnly(const v1::Record& r) { return r.signer().empty() && r.key_id().empty(); }

bool AboutPiece(const v1::Record& r, const std::string& piece_id) {
  const std::string* p = PieceOf(r);
  return p != nullptr && *p == piece_id;
}

// Everything named is there, and every record is linked to the piece.
[[nodiscard]] absl::StatusOr<Links> CheckComplete(const std::string& piece_id,
                                                  const std::vector<Item>& items,
                                                  const Participants& participants) {
  std::set<uint64_t> indices;
  std::set<std::string> created, issued, graded, opened;
  for (const Item& item : items) {
    indices.insert(item.index);
    const v1::Record& r = item.record;
    if (r.has_lot_created()) created.insert(r.lot_created().lot_id());
    if (r.has_heirloom_received()) created.insert(r.heirloom_received().lot_id());
    for (const v1::OutputLot& o : r.transformation().outputs()) created.insert(o.lot_id());
    if (r.has_certificate_issued()) issued.insert(r.certificate_issued().certificate_id());
    if (r.certificate_issued().has_grading_report())
      graded.insert(r.certificate_issued().subject_lot());
    if (r.has_credit_account_opened()) opened.insert(r.credit_account_opened().account_id());
  }
  Links l;
  l.pieces.insert(piece_id);
  std::set<uint64_t> expanded, partly;  // partly: draws only, so far
  for (bool changed = true; changed;) {
    changed = false;
    for (const Item& item : items) {
      if (expanded.count(item.index)) continue;
      if (partly.count(item.index)) {
        if (!InLineage(item.record.transformation(), l)) continue;
      } else if (!l.records.count(item.index) && !Linked(item.record, l, piece_id)) {
        continue;
      }
      l.records.insert(item.index);
      bool partial = false;
      Expand(item, piece_id, l, &partial);
      (partial ? partly : expanded).insert(item.index);
      changed = true;
    }
  }
  for (const Item& item : items) {
    if (!item.record.has_error_declared()) continue;
    const v1::ErrorDeclared& e = item.record.error_declared();
    if (!indices.count(e.wrong_index())) {
      return rule::Tag(rule::kCompleteness, absl::FailedPreconditionError(absl::StrCat(
                                                Where(item), " declares entry ", e.wrong_index(),
                                                " wrong, which is not in the bundle")));
    }
    if (e.has_replacement_index() && !indices.count(e.replacement_index())) {
      return rule::Tag(rule::kCompleteness, absl::FailedPreconditionError(absl::StrCat(
                                                Where(item), " names entry ", e.replacement_index(),
                                                " as the replacement of entry ", e.wrong_index(),
                                                ", which is not in the bundle")));
    }
  }
  for (const auto& [lot, by] : l.lots) {
    if (!created.count(lot))
      return Missing(absl::StrCat("the record creating lot '", lot, "'"), by);
  }
  for (const auto& [id, by] : l.certificates) {
    if (!issued.count(id)) return Missing(absl::StrCat("certificate '", id, "'"), by);
  }
  for (const auto& [id, by] : l.accounts) {
    if (!opened.count(id)) {
      return Missing(absl::StrCat("the record opening mass-balance account '", id, "'"), by);
    }
  }
  for (const std::string& p : l.participants) {
    if (!participants.count(p)) {
      return rule::Tag(rule::kCompleteness,
                       absl::FailedPreconditionError(
                           absl::StrCat("participant '", p, "' is not registered in the bundle")));
    }
  }
  for (const Item& item : items) {
    const v1::Record& r = item.record;
    std::vector<std::string> stones;
    if (AboutPiece(r, piece_id) && r.has_piece_registered()) {
      stones.assign(r.piece_registered().stone_lot_ids().begin(),
                    r.piece_registered().stone_lot_ids().end());
    }
    if (AboutPiece(r, piece_id) && r.has_stone_replaced()) {
      stones.push_back(r.stone_replaced().new_stone_lot_id());
    }
    for (const std::string& s : stones) {
      if (!graded.count(s))
        return Missing(absl::StrCat("the grading report of stone '", s, "'"), item.index);
    }
  }
  for (const Item& item : items) {
    if (!l.records.count(item.index)) {
      return rule::Tag(rule::kCompleteness,
                       absl::FailedPreconditionError(absl::StrCat(
                           Where(item), " is not linked to piece '", piece_id,
                           "': a record that links it to the piece is missing from the bundle")));
    }
  }
  return l;
}

}  // namespace touchstone::bundle
