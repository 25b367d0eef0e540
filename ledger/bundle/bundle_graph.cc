// The bundle's provenance graph: is every record linked to the piece, is
// everything the piece relies on there, and do the records, replayed in index
// order, keep the ledger's rules (custody, certificates valid when used, origin
// classes through transformations, the piece's claims)?
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/bundle/bundle_rules.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/certificate_status.h"
#include "ledger/provenance/claims.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/origin.h"

namespace touchstone::bundle {
namespace {

// Replays the records in index order with the ledger's rules for what a bundle shows.
class Replay {
 public:
  Replay(const std::string& piece_id, const Participants& participants,
         const std::vector<Item>& items, const Links& links)
      : piece_id_(piece_id), participants_(participants), items_(items), links_(links) {}

  [[nodiscard]] absl::StatusOr<Graph> Run() {
    for (const Item& item : items_) {
      const v1::Record& r = item.record;
      if (!InLotGraph(r)) continue;
      switch (r.body_case()) {
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
        case v1::Record::kPieceRegistered:
        case v1::Record::kPieceLifecycle:
        case v1::Record::kStoneReplaced:
          if (AboutPiece(r, piece_id_)) RETURN_IF_ERROR(PieceRecord(item));
          break;
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
  // False for a lot record about none of the piece's lots (a record that only
  // replaces one declared wrong): the bundle need not hold its lots' history.
  bool InLotGraph(const v1::Record& r) const {
    auto in = [&](const std::string& id) { return links_.lots.count(id) > 0; };
    switch (r.body_case()) {
      case v1::Record::kLotCreated:
        return in(r.lot_created().lot_id());
      case v1::Record::kTransformation:
        return std::any_of(r.transformation().inputs().begin(), r.transformation().inputs().end(),
                           [&](const v1::LotQuantity& q) { return in(q.lot_id()); });
      case v1::Record::kCustodyShipped:
        return in(r.custody_shipped().lot_id());
      case v1::Record::kCustodyReceived:
        return in(r.custody_received().lot_id());
      case v1::Record::kCertificateIssued:
        return !r.certificate_issued().has_grading_report() ||
               in(r.certificate_issued().subject_lot());
      default:
        return true;
    }
  }

  // FAILED_PRECONDITION "<label> rule: entry N (kind) <what>", tagged with `id`
  // (ledger/bundle/bundle_rules.h).
  [[nodiscard]] static absl::Status Broken(const Item& item, std::string_view id,
                                           std::string_view label, std::string_view what) {
    return rule::Tag(id, absl::FailedPreconditionError(
                             absl::StrCat(Sv(label), " rule: ", Where(item), " ", Sv(what))));
  }

  [[nodiscard]] absl::StatusOr<Lot*> GetLot(const Item& item, const std::string& id) {
    auto it = g_.lots.find(id);
    if (it == g_.lots.end()) {
      return Broken(item, rule::kCompleteness, "reference",
                    absl::StrCat("names lot '", id, "', created by no earlier record"));
    }
    return &it->second;
  }

  // The signer holds the lot and it is not in transit.
  [[nodiscard]] absl::Status Hold(const Item& item, const std::string& id, Lot& lot) {
    if (!lot.in_transit_to.empty()) {
      return Broken(item, rule::kCustody, "custody",
                    absl::StrCat("uses lot '", id, "', in transit to '", lot.in_transit_to,
                                 "' (shipment '", lot.shipment_id, "')"));
    }
    if (lot.custodian != item.record.signer()) {
      return Broken(item, rule::kCustody, "custody",
                    absl::StrCat("is signed by '", item.record.signer(), "', but lot '", id,
                                 "' is held by '", lot.custodian, "'"));
    }
    return absl::OkStatus();
  }

  // Each certificate was issued earlier and valid at the record's event time,
  // and, when the log appended the record, valid too under a log policy unless
  // the record is an import of history, or else at least not suspended or
  // revoked (ledger/provenance/log_policy.h; as CertificateInForce in rules_certificates.cc).
  [[nodiscard]] absl::Status Rely(const Item& item,
                                  const google::protobuf::RepeatedPtrField<std::string>& ids) {
    const bool when_recorded = CertificatesCheckedWhenRecorded(item.record, item.policy);
    for (const std::string& id : ids) {
      auto it = g_.certificates.find(id);
      if (it == g_.certificates.end()) {
        return Broken(item, rule::kCompleteness, "certificate",
                      absl::StrCat("cites certificate '", id, "', issued by no earlier record"));
      }
      const std::string then = CertificateStatusAt(it->second, item.record.event_time_micros());
      const std::string appended = CertificateStatusAt(it->second, item.view.recorded_at_micros);
      if (then != "valid" || appended == "suspended" || appended == "revoked" ||
          (when_recorded && appended != "valid")) {
        return Broken(
            item, rule::kCertificates, "certificate",
            absl::StrCat("relies on certificate '", id, "', ", then != "valid" ? then : appended,
                         then != "valid" ? " at its event time" : " when appended"));
      }
      g_.uses[item.index].push_back({id, then});
    }
    return absl::OkStatus();
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
    if (!c.has_grading_report()) return absl::OkStatus();
    ASSIGN_OR_RETURN(Lot * lot, GetLot(item, c.subject_lot()));
    if (c.grading_report().origin() != StoneOriginOf(lot->origin)) {
      return Broken(item, rule::kOrigin, "origin",
                    absl::StrCat("calls lot '", c.subject_lot(), "' ",
                                 v1::StoneOrigin_Name(c.grading_report().origin()),
                                 "; its records make it ", v1::OriginClass_Name(lot->origin)));
    }
    lot->grading_report = c.certificate_id();
    lot->stone_origin = c.grading_report().origin();
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

  static Lot MakeLot(const std::string& material, const std::string& form, v1::Unit unit,
                     int32_t fineness_ppt, v1::OriginClass origin, bool certified) {
    Lot lot;
    lot.material = material;
    lot.form = form;
    lot.unit = unit;
    lot.fineness_ppt = fineness_ppt;
    lot.origin = origin;
    lot.certified = certified;
    lot.stone_origin = StoneOriginOf(origin);
    return lot;
  }

  [[nodiscard]] absl::Status NewLot(const Item& item, const std::string& id, Lot lot) {
    lot.custodian = item.record.signer();
    lot.created_index = item.index;
    if (!g_.lots.emplace(id, std::move(lot)).second) {
      return Broken(item, rule::kOnce, "reference", absl::StrCat("creates lot '", id, "' again"));
    }
    return absl::OkStatus();
  }

  [[nodiscard]] absl::Status Created(const Item& item) {
    const v1::LotCreated& c = item.record.lot_created();
    RETURN_IF_ERROR(Rely(item, c.certificate_ids()));
    return NewLot(item, c.lot_id(),
                  MakeLot(c.material(), c.form(), c.unit(), c.fineness_ppt(), c.origin_class(),
                          !c.certificate_ids().empty()));
  }

  // Mirrors the ledger (rules_material.cc): inputs of the conserved material
  // combine their origin classes, an alloy's other metals count too, and the
  // outputs are certified iff every input is.
  [[nodiscard]] absl::Status Transformed(const Item& item) {
    const v1::Transformation& t = item.record.transformation();
    std::optional<v1::OriginClass> origin;
    v1::Unit unit = v1::UNIT_UNSPECIFIED;
    bool certified = true;
    std::vector<v1::OriginClass> alloying;
    for (const v1::LotQuantity& in : t.inputs()) {
      ASSIGN_OR_RETURN(Lot * lot, GetLot(item, in.lot_id()));
      RETURN_IF_ERROR(Hold(item, in.lot_id(), *lot));
      if (lot->material == t.material()) {
        unit = lot->unit;
        origin = origin ? CombineOrigins(*origin, lot->origin) : lot->origin;
      } else if (t.process() == v1::PROCESS_ALLOY) {
        alloying.push_back(lot->origin);
      } else {
        return Broken(item, rule::kMaterial, "material",
                      absl::StrCat("takes lot '", in.lot_id(), "' of ", lot->material, ", not ",
                                   t.material()));
      }
      certified = certified && lot->certified;
    }
    if (!origin)
      return Broken(item, rule::kMaterial, "material",
                    absl::StrCat("has no input of ", t.material()));
    for (v1::OriginClass c : alloying) origin = CombineOrigins(*origin, c);
    RETURN_IF_ERROR(Rely(item, t.certificate_ids()));
    for (const v1::OutputLot& out : t.outputs()) {
      RETURN_IF_ERROR(
          NewLot(item, out.lot_id(),
                 MakeLot(t.material(), out.form(), unit, out.fineness_ppt(), *origin, certified)));
    }
    return absl::OkStatus();
  }

  [[nodiscard]] absl::Status Custody(const Item& item) {
    const v1::Record& r = item.record;
    const bool shipped = r.has_custody_shipped();
    const std::string& id = shipped ? r.custody_shipped().lot_id() : r.custody_received().lot_id();
    ASSIGN_OR_RETURN(Lot * lot, GetLot(item, id));
    if (shipped) {
      RETURN_IF_ERROR(Hold(item, id, *lot));
      lot->in_transit_to = r.custody_shipped().to_participant();
      lot->shipment_id = r.custody_shipped().shipment_id();
      return absl::OkStatus();
    }
    if (lot->shipment_id != r.custody_received().shipment_id() ||
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
    ASSIGN_OR_RETURN(Lot * lot, GetLot(item, id));
    if (lot->unit != v1::UNIT_CARAT_THOUSANDTH || lot->grading_report.empty()) {
      return Broken(item, rule::kMaterial, "stone",
                    absl::StrCat("sets lot '", id, "', not a graded stone"));
    }
    RETURN_IF_ERROR(Hold(item, id, *lot));
    google::protobuf::RepeatedPtrField<std::string> report;
    report.Add(std::string(lot->grading_report));
    return Rely(item, report);
  }

  // The claims the piece's stones and metal support (ledger/provenance/claims.h), from
  // the lots as the bundle's records make them.
  std::set<v1::Claim> Derive(std::map<v1::Claim, std::string>* why_not) {
    std::vector<ClaimInput> metal, stones;
    for (const std::string& id : metal_) {
      const Lot& lot = g_.lots.at(id);
      metal.push_back({.lot_id = id, .origin = lot.origin, .certified = lot.certified});
    }
    for (const std::string& id : g_.stones) {
      const Lot& lot = g_.lots.at(id);
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
      for (const std::string& s : p.stone_lot_ids()) RETURN_IF_ERROR(TakeStone(item, s));
      for (const v1::MetalInput& m : p.metal_inputs()) {
        ASSIGN_OR_RETURN(Lot * lot, GetLot(item, m.lot_id()));
        if (lot->unit != v1::UNIT_MILLIGRAM) {
          return Broken(item, rule::kMaterial, "piece",
                        absl::StrCat("takes lot '", m.lot_id(), "' as metal"));
        }
        RETURN_IF_ERROR(Hold(item, m.lot_id(), *lot));
        metal_.push_back(m.lot_id());
      }
      g_.piece = &p;
      g_.piece_index = item.index;
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
      return absl::OkStatus();
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
    return absl::OkStatus();
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

  const std::string& piece_id_;
  const Participants& participants_;
  const std::vector<Item>& items_;
  const Links& links_;
  std::vector<std::string> metal_;
  Graph g_;
};

}  // namespace

[[nodiscard]] absl::StatusOr<Graph> CheckGraph(const std::string& piece_id,
                                               const std::vector<Item>& items,
                                               const Participants& participants) {
  const bool registered = std::any_of(items.begin(), items.end(), [&](const Item& i) {
    return i.record.has_piece_registered() && AboutPiece(i.record, piece_id);
  });
  if (!registered) {
    return rule::Tag(rule::kCompleteness,
                     absl::FailedPreconditionError(absl::StrCat(
                         "the bundle holds no PieceRegistered record for piece '", piece_id, "'")));
  }
  ASSIGN_OR_RETURN(Links links, CheckComplete(piece_id, items, participants));
  return Replay(piece_id, participants, items, links).Run();
}

}  // namespace touchstone::bundle
