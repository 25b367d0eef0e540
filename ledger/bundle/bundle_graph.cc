// The bundle's provenance graph: is every record linked to the piece, is
// everything the piece relies on there, and do the records, replayed in index
// order, keep the ledger's rules (custody, certificates valid when used, lot
// traces and origin classes through transformations, the piece's claims, its
// owners, the owner's material)? The trade rules' steps are in bundle_trade.cc
// and bundle_piece.cc, the owners' in bundle_owners.cc and bundle_heirloom.cc.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/claims.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/origin.h"

namespace touchstone::bundle {
namespace {

// Replays the records in index order with the ledger's rules for what a bundle shows.
class Replay {
 public:
  Replay(const std::string& piece_id, const Participants& participants,
         const std::vector<Item>& items, const Links& links, std::string_view origin)
      : piece_id_(piece_id),
        participants_(participants),
        items_(items),
        links_(links),
        origin_(origin) {}

  [[nodiscard]] absl::StatusOr<Graph> Run() {
    for (const Item& item : items_) {
      const v1::Record& r = item.record;
      if (!InLotGraph(r)) continue;
      switch (r.body_case()) {
        case v1::Record::kSchemeRegistered:
          RETURN_IF_ERROR(RegisterScheme(item, participants_, g_));
          break;
        case v1::Record::kCertificateIssued:
          RETURN_IF_ERROR(Issued(item));
          break;
        case v1::Record::kCertificateStatusChanged:
          RETURN_IF_ERROR(StatusChanged(item));
          break;
        case v1::Record::kLotCreated:
          RETURN_IF_ERROR(Created(item));
          break;
        case v1::Record::kTransformation:
          RETURN_IF_ERROR(Transformed(item));
          break;
        case v1::Record::kCustodyShipped:
        case v1::Record::kCustodyReceived:
          RETURN_IF_ERROR(Custody(item));
          break;
        case v1::Record::kCreditAccountOpened:
          RETURN_IF_ERROR(OpenAccount(item, g_));
          break;
        case v1::Record::kCreditBooked:
          RETURN_IF_ERROR(BookCredit(item, g_));
          break;
        case v1::Record::kCreditAllocated:
          RETURN_IF_ERROR(AllocateCredit(item, g_));
          break;
        case v1::Record::kPieceRegistered:
          if (AboutPiece(r, piece_id_)) RETURN_IF_ERROR(PieceRecord(item));
          if (Story(r)) RETURN_IF_ERROR(PieceStory(item, participants_, origin_, g_));
          break;
        case v1::Record::kPieceLifecycle:
        case v1::Record::kStoneReplaced:
          if (Story(r)) RETURN_IF_ERROR(PieceStory(item, participants_, origin_, g_));
          if (AboutPiece(r, piece_id_)) RETURN_IF_ERROR(PieceRecord(item));
          break;
        case v1::Record::kOwnershipAccepted:
        case v1::Record::kOwnershipTransferred:
        case v1::Record::kOwnerReport:
        case v1::Record::kOwnerKeyReplaced:
          if (Story(r)) RETURN_IF_ERROR(PieceStory(item, participants_, origin_, g_));
          break;
        case v1::Record::kHeirloomReceived: {
          ASSIGN_OR_RETURN(Lot lot, ReceiveHeirloom(item, origin_, g_));
          RETURN_IF_ERROR(NewLot(item, std::move(lot)));
          break;
        }
        case v1::Record::kErrorDeclared:
          RETURN_IF_ERROR(Declared(item));
          break;
        default:
          break;
      }
    }
    return std::move(g_);
  }

 private:
  bool Linked(const std::string& lot) const { return links_.lots.count(lot) > 0; }
  // A record of a piece whose registration and ownership story the bundle tells.
  bool Story(const v1::Record& r) const {
    const std::string* p = PieceOf(r);
    return p != nullptr && links_.pieces.count(*p) > 0;
  }

  // False for a lot record about none of the piece's lots (a record that only
  // replaces one declared wrong): the bundle need not hold its lots' history.
  bool InLotGraph(const v1::Record& r) const {
    switch (r.body_case()) {
      case v1::Record::kLotCreated:
        return Linked(r.lot_created().lot_id());
      case v1::Record::kTransformation:
        return std::any_of(r.transformation().inputs().begin(), r.transformation().inputs().end(),
                           [&](const v1::LotQuantity& q) { return Linked(q.lot_id()); });
      case v1::Record::kCustodyShipped:
        return Linked(r.custody_shipped().lot_id());
      case v1::Record::kCustodyReceived:
        return Linked(r.custody_received().lot_id());
      case v1::Record::kCertificateIssued:
        return !(r.certificate_issued().has_grading_report() ||
                 r.certificate_issued().has_parcel_report()) ||
               Linked(r.certificate_issued().subject_lot());
      default:
        return true;
    }
  }

  [[nodiscard]] absl::Status Issued(const Item& item) {
    const v1::CertificateIssued& c = item.record.certificate_issued();
    v1::CertificateState s;
    s.set_certificate_id(c.certificate_id());
    s.set_issuer(item.record.signer());
    s.set_scheme(c.scheme());
    s.set_valid_from_micros(c.valid_from_micros());
    s.set_valid_until_micros(c.valid_until_micros());
    s.set_issued_index(item.index);
    s.set_issued_micros(item.record.event_time_micros());
    if (!g_.certificates.emplace(c.certificate_id(), s).second) {
      return Broken(item, rule::kOnce, "certificate",
                    absl::StrCat("issues '", c.certificate_id(), "' again"));
    }
    g_.issued[c.certificate_id()] = &c;
    if (TradeRules(item.policy)) RETURN_IF_ERROR(CheckCertificate(item, g_));
    if (!c.has_grading_report()) return absl::OkStatus();
    ASSIGN_OR_RETURN(Lot * lot, GetLot(g_, item, c.subject_lot()));
    if (c.grading_report().origin() != StoneOriginOf(lot->trace.origin)) {
      return Broken(
          item, rule::kOrigin, "origin",
          absl::StrCat("calls lot '", c.subject_lot(), "' ",
                       v1::StoneOrigin_Name(c.grading_report().origin()), "; its records make it ",
                       v1::OriginClass_Name(lot->trace.origin)));
    }
    lot->grading_report = c.certificate_id();
    lot->trace.stone_origin = c.grading_report().origin();
    lot->trace.graded = true;
    return absl::OkStatus();
  }

  [[nodiscard]] absl::Status StatusChanged(const Item& item) {
    const v1::CertificateStatusChanged& c = item.record.certificate_status_changed();
    auto it = g_.certificates.find(c.certificate_id());
    if (it == g_.certificates.end()) {
      return Broken(item, rule::kCompleteness, "reference",
                    absl::StrCat("names certificate '", c.certificate_id(),
                                 "', issued by no earlier record"));
    }
    if (it->second.issuer() != item.record.signer()) {
      return rule::Tag(rule::kRoles, absl::PermissionDeniedError(absl::StrCat(
                                         Where(item), ": only the issuer '", it->second.issuer(),
                                         "' changes its status")));
    }
    auto* change = it->second.add_changes();
    change->set_status(c.status());
    change->set_effective_micros(c.effective_micros());
    change->set_index(item.index);
    change->set_reason(c.reason());
    return absl::OkStatus();
  }

  [[nodiscard]] absl::Status NewLot(const Item& item, Lot lot) {
    lot.custodian = item.record.signer();
    lot.created_index = item.index;
    lot.created_micros = item.record.event_time_micros();
    const std::string id = lot.trace.lot_id;
    if (!g_.lots.emplace(id, std::move(lot)).second) {
      return Broken(item, rule::kOnce, "reference", absl::StrCat("creates lot '", id, "' again"));
    }
    return absl::OkStatus();
  }

  [[nodiscard]] absl::Status Created(const Item& item) {
    const v1::LotCreated& c = item.record.lot_created();
    const bool trade = TradeRules(item.policy);
    absl::StatusOr<int32_t> ptt = StatedFinenessPtt(c.fineness_ppt(), c.fineness_ptt(), trade,
                                                    absl::StrCat("lot '", c.lot_id(), "'"));
    if (!ptt.ok()) return Refused(item, rule::kMaterial, ptt.status());
    RETURN_IF_ERROR(Rely(g_, item, c.certificate_ids()));
    if (trade) RETURN_IF_ERROR(CheckLotEntry(item, g_));
    std::vector<std::string> schemes;
    bool kp = false;
    for (const std::string& id : c.certificate_ids()) {
      schemes.push_back(g_.certificates.at(id).scheme());
      kp = kp || g_.issued.at(id)->has_kimberley_process();
    }
    Lot lot;
    lot.trace = TraceOfCreated(c, *ptt, std::move(schemes), kp);
    lot.form = c.form();
    lot.fineness_ppt = c.fineness_ppt();
    lot.quantity = c.quantity();
    if (c.has_parcel()) lot.parcel = {c.parcel().stone_count(), c.quantity()};
    if (item.Hidden()) lot.sealed_at = item.index;  // its weight, parcel and facility
    return NewLot(item, std::move(lot));
  }

  // Mirrors the ledger (rules_material.cc): the outputs' traces follow the
  // inputs of the conserved material (TraceOfOutputs, OutputAlloy); under the
  // legacy rules an alloy's other metals count for origin and certification
  // too. A transformation that only draws from a parcel of the graph (none of
  // its outputs is linked to the piece) replays those draws alone.
  [[nodiscard]] absl::Status Transformed(const Item& item) {
    const v1::Transformation& t = item.record.transformation();
    const bool trade = TradeRules(item.policy);
    const bool full = std::any_of(t.outputs().begin(), t.outputs().end(),
                                  [&](const v1::OutputLot& o) { return Linked(o.lot_id()); });
    std::vector<TracedQuantity> same, alloying;
    std::vector<TakenLot> same_taken, alloying_taken;
    // The sealed entry the outputs' shares by weight rest on (0: none).
    uint64_t shares_from = item.Hidden() ? item.index : 0;
    bool inputs_sealed = false;  // an input's weight is hidden
    for (const v1::LotQuantity& in : t.inputs()) {
      if (!full && !g_.lots.count(in.lot_id())) continue;  // another lot of a draw
      ASSIGN_OR_RETURN(Lot * lot, GetLot(g_, item, in.lot_id()));
      RETURN_IF_ERROR(Hold(item, in.lot_id(), *lot));
      if (shares_from == 0) shares_from = lot->shares_from;
      inputs_sealed = inputs_sealed || lot->sealed_at != 0;
      const TracedQuantity q{&lot->trace, in.quantity(), in.stones()};
      if (lot->trace.material == t.material()) {
        same.push_back(q);
        same_taken.push_back({lot, in.quantity()});
      } else if (t.process() == v1::PROCESS_ALLOY) {
        alloying.push_back(q);
        alloying_taken.push_back({lot, in.quantity()});
      } else {
        return Broken(item, rule::kMaterial, "material",
                      absl::StrCat("takes lot '", in.lot_id(), "' of ", lot->trace.material,
                                   ", not ", t.material()));
      }
    }
    RETURN_IF_ERROR(DrawFromParcels(item, g_, full));
    if (!full) return absl::OkStatus();
    if (item.Hidden()) {
      Vouch(g_, item, absl::StrCat("mass balance of transformation '", t.transformation_id(), "'"));
    }
    if (same.empty()) {
      return Broken(item, rule::kMaterial, "material",
                    absl::StrCat("has no input of ", t.material()));
    }
    RETURN_IF_ERROR(Rely(g_, item, t.certificate_ids()));
    const LotTrace base = TraceOfOutputs(t, same, alloying, trade);
    std::vector<Lot> made;
    for (const v1::OutputLot& out : t.outputs()) {
      absl::StatusOr<int32_t> ptt = StatedFinenessPtt(out.fineness_ppt(), out.fineness_ptt(), trade,
                                                      absl::StrCat("output '", out.lot_id(), "'"));
      if (!ptt.ok()) return Refused(item, rule::kMaterial, ptt.status());
      Lot lot;
      lot.trace = base;
      lot.trace.lot_id = out.lot_id();
      lot.trace.fineness_ptt = *ptt;
      lot.trace.stones = out.stones();
      lot.trace.alloy = OutputAlloy(same, alloying, *ptt);
      lot.form = out.form();
      lot.fineness_ppt = out.fineness_ppt();
      lot.quantity = out.quantity();
      if (out.stones() > 0) lot.parcel = {out.stones(), out.quantity()};
      if (item.Hidden()) lot.sealed_at = item.index;
      lot.shares_from = shares_from;
      made.push_back(std::move(lot));
    }
    if (!item.Hidden() && !inputs_sealed) {
      RETURN_IF_ERROR(FlowHeirloom(item, same_taken, alloying_taken, made));
    } else if (CarriesHeirloom(t, same_taken, alloying_taken)) {
      // The owner's fine weight follows the quantities: not checked here.
      Vouch(g_, item,
            absl::StrCat("the owner's material through transformation '", t.transformation_id(),
                         "'", SealedAt(item, SealedInput(item, same_taken, alloying_taken))));
      for (Lot& lot : made) lot.shares_from = lot.shares_from ? lot.shares_from : item.index;
    }
    for (const TakenLot& in : same_taken) in.lot->taken += in.quantity;
    for (const TakenLot& in : alloying_taken) in.lot->taken += in.quantity;
    // After every output's trace is made from the inputs' (they point into g_.lots).
    for (Lot& lot : made) RETURN_IF_ERROR(NewLot(item, std::move(lot)));
    return absl::OkStatus();
  }

  [[nodiscard]] absl::Status Custody(const Item& item) {
    const v1::Record& r = item.record;
    const bool shipped = r.has_custody_shipped();
    const std::string& id = shipped ? r.custody_shipped().lot_id() : r.custody_received().lot_id();
    ASSIGN_OR_RETURN(Lot * lot, GetLot(g_, item, id));
    if (shipped) {
      RETURN_IF_ERROR(Hold(item, id, *lot));
      RETURN_IF_ERROR(CheckWarranty(item, *lot));
      lot->in_transit_to =
          item.Hidden() ? std::string(kSealedAddressee) : r.custody_shipped().to_participant();
      lot->shipped_at = item.index;
      lot->shipment_id = r.custody_shipped().shipment_id();
      return absl::OkStatus();
    }
    const bool addressee_sealed = lot->in_transit_to == kSealedAddressee;
    if (addressee_sealed && lot->shipment_id == r.custody_received().shipment_id()) {
      Vouch(g_, item,
            absl::StrCat("shipment '", lot->shipment_id, "' of lot '", id,
                         "' is addressed to its receiver '", r.signer(), "'",
                         SealedAt(item, lot->shipped_at)));
    } else if (lot->shipment_id != r.custody_received().shipment_id() ||
               lot->in_transit_to != r.signer()) {
      return Broken(item, rule::kCustody, "custody",
                    absl::StrCat("receives lot '", id, "' under shipment '",
                                 r.custody_received().shipment_id(),
                                 "', which no earlier record ships to '", r.signer(), "'"));
    }
    lot->custodian = r.signer();
    lot->in_transit_to.clear();
    lot->shipment_id.clear();
    return absl::OkStatus();
  }

  // A graded stone the signer holds, its report valid at the record's event time.
  [[nodiscard]] absl::Status TakeStone(const Item& item, const std::string& id) {
    ASSIGN_OR_RETURN(Lot * lot, GetLot(g_, item, id));
    if (lot->trace.unit != v1::UNIT_CARAT_THOUSANDTH || lot->grading_report.empty()) {
      return Broken(item, rule::kMaterial, "stone",
                    absl::StrCat("sets lot '", id, "', not a graded stone"));
    }
    RETURN_IF_ERROR(Hold(item, id, *lot));
    google::protobuf::RepeatedPtrField<std::string> report;
    report.Add(std::string(lot->grading_report));
    return Rely(g_, item, report);
  }

  // The legacy claims the piece's stones and metal support
  // (ledger/provenance/claims.h), from the lots as the bundle's records make them.
  std::set<v1::Claim> Derive(std::map<v1::Claim, std::string>* why_not) {
    std::vector<ClaimInput> metal, stones;
    for (const std::string& id : g_.metal) {
      const LotTrace& lot = g_.lots.at(id).trace;
      metal.push_back({.lot_id = id, .origin = lot.origin, .certified = lot.certified});
    }
    for (const std::string& id : g_.stones) {
      const LotTrace& lot = g_.lots.at(id).trace;
      stones.push_back(
          {.lot_id = id, .stone_origin = lot.stone_origin, .certified = lot.certified});
    }
    DerivedClaims c = DeriveClaims(metal, stones);
    *why_not = std::move(c.why_not);
    return c.held;
  }

  [[nodiscard]] absl::Status PieceRecord(const Item& item) {
    const v1::Record& r = item.record;
    if (r.has_piece_registered()) {
      if (g_.piece != nullptr)
        return Broken(item, rule::kOnce, "piece", "registers the piece again");
      const v1::PieceRegistered& p = r.piece_registered();
      if (TradeRules(item.policy) && p.claims_size() > 0) {
        return Refused(item, rule::kClaims,
                       absl::InvalidArgumentError("under the trade rules a piece states "
                                                  "material_claims, not the legacy claims"));
      }
      for (const std::string& s : p.stone_lot_ids()) RETURN_IF_ERROR(TakeStone(item, s));
      for (const v1::MetalInput& m : p.metal_inputs()) {
        ASSIGN_OR_RETURN(Lot * lot, GetLot(g_, item, m.lot_id()));
        if (lot->trace.unit != v1::UNIT_MILLIGRAM) {
          return Broken(item, rule::kMaterial, "piece",
                        absl::StrCat("takes lot '", m.lot_id(), "' as metal"));
        }
        RETURN_IF_ERROR(Hold(item, m.lot_id(), *lot));
        g_.metal.push_back(m.lot_id());
      }
      g_.piece = &p;
      g_.piece_index = item.index;
      g_.weights_from = PieceWeightsFrom(item, p);
      g_.jeweler = r.signer();
      g_.stones.assign(p.stone_lot_ids().begin(), p.stone_lot_ids().end());
      for (int c : p.claims()) g_.asserted.insert(static_cast<v1::Claim>(c));
      std::map<v1::Claim, std::string> why_not;
      g_.derived = Derive(&why_not);
      for (v1::Claim c : g_.asserted) {
        if (!g_.derived.count(c)) {
          return Broken(item, rule::kClaims, "claim",
                        absl::StrCat("asserts ", v1::Claim_Name(c),
                                     ", which its records do not support: ", why_not[c]));
        }
      }
      RETURN_IF_ERROR(CheckPieceTrade(item, g_));
      return CheckPieceHeirloom(item, g_);
    }
    if (g_.piece == nullptr)
      return Broken(item, rule::kCompleteness, "piece", "comes before the piece's registration");
    if (r.signer() != g_.jeweler) {
      return rule::Tag(rule::kRoles, absl::PermissionDeniedError(
                                         absl::StrCat(Where(item), ": only '", g_.jeweler,
                                                      "', who registered the piece, records it")));
    }
    if (!r.has_stone_replaced()) return absl::OkStatus();
    const v1::StoneReplaced& s = r.stone_replaced();
    auto old = std::find(g_.stones.begin(), g_.stones.end(), s.old_stone_lot_id());
    if (old == g_.stones.end()) {
      return Broken(
          item, rule::kMaterial, "stone",
          absl::StrCat("replaces '", s.old_stone_lot_id(), "', which is not in the piece"));
    }
    g_.lots.at(s.old_stone_lot_id()).custodian = r.signer();  // released to the jeweler
    RETURN_IF_ERROR(TakeStone(item, s.new_stone_lot_id()));
    *old = s.new_stone_lot_id();
    std::map<v1::Claim, std::string> why_not;
    g_.derived = Derive(&why_not);
    return RecheckPieceClaims(item, g_);
  }

  [[nodiscard]] absl::Status Declared(const Item& item) {
    const v1::ErrorDeclared& e = item.record.error_declared();
    auto wrong = std::find_if(items_.begin(), items_.end(),
                              [&](const Item& i) { return i.index == e.wrong_index(); });
    if (wrong == items_.end() || wrong->index >= item.index) {
      return Broken(item, rule::kCompleteness, "error",
                    "does not name an earlier record of the bundle");
    }
    const Participant& p = participants_.at(item.record.signer());
    if (wrong->record.signer() != item.record.signer() && !p.roles.count(v1::ROLE_OPERATOR)) {
      return rule::Tag(rule::kRoles,
                       absl::PermissionDeniedError(absl::StrCat(
                           Where(item), ": only '", wrong->record.signer(),
                           "' or the operator may declare entry ", e.wrong_index(), " wrong")));
    }
    return absl::OkStatus();
  }

  // True if an input of the transformation carries the owner's material.
  static bool CarriesHeirloom(const v1::Transformation& t, const std::vector<TakenLot>& same,
                              const std::vector<TakenLot>& alloying) {
    auto carries = [](const TakenLot& l) {
      return l.lot->heirloom_fine != 0 || !l.lot->heirloom_owner.empty();
    };
    return std::any_of(same.begin(), same.end(), carries) ||
           std::any_of(alloying.begin(), alloying.end(), carries) ||
           std::any_of(t.outputs().begin(), t.outputs().end(),
                       [](const v1::OutputLot& o) { return o.heirloom_fine() != 0; });
  }
  // The sealed entry a transformation's weights rest on: its own, or its
  // first input's whose weight is hidden.
  static uint64_t SealedInput(const Item& item, const std::vector<TakenLot>& same,
                              const std::vector<TakenLot>& alloying) {
    if (item.Hidden()) return item.index;
    for (const auto* v : {&same, &alloying}) {
      for (const TakenLot& l : *v) {
        if (l.lot->sealed_at != 0) return l.lot->sealed_at;
      }
    }
    return item.index;
  }
  // The sealed entry the piece's weights rest on: its own hidden registration,
  // the shares of a metal lot, or the weight of a stone or parcel (0: none).
  uint64_t PieceWeightsFrom(const Item& item, const v1::PieceRegistered& p) const {
    if (item.Hidden()) return item.index;
    for (const v1::MetalInput& m : p.metal_inputs()) {
      if (const Lot& lot = g_.lots.at(m.lot_id()); lot.shares_from != 0) return lot.shares_from;
    }
    for (const std::string& id : p.stone_lot_ids()) {
      if (const Lot& lot = g_.lots.at(id); lot.sealed_at != 0) return lot.sealed_at;
    }
    for (const v1::ParcelStones& s : p.parcel_stones()) {
      auto it = g_.lots.find(s.lot_id());
      if (it != g_.lots.end() && it->second.sealed_at != 0) return it->second.sealed_at;
    }
    return 0;
  }

  const std::string& piece_id_;
  const Participants& participants_;
  const std::vector<Item>& items_;
  const Links& links_;
  const std::string_view origin_;
  Graph g_;
};

}  // namespace

[[nodiscard]] absl::StatusOr<Graph> CheckGraph(const std::string& piece_id,
                                               const std::vector<Item>& items,
                                               const Participants& participants,
                                               std::string_view origin) {
  const bool registered = std::any_of(items.begin(), items.end(), [&](const Item& i) {
    return i.record.has_piece_registered() && AboutPiece(i.record, piece_id);
  });
  if (!registered) {
    return rule::Tag(rule::kCompleteness,
                     absl::FailedPreconditionError(absl::StrCat(
                         "the bundle holds no PieceRegistered record for piece '", piece_id, "'")));
  }
  ASSIGN_OR_RETURN(Links links, CheckComplete(piece_id, items, participants));
  return Replay(piece_id, participants, items, links, origin).Run();
}

}  // namespace touchstone::bundle
