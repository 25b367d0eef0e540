// The verified bundle as a customer reads it: one plain-English line per record,
// the certificates each relied on (status then and now), and what was declared wrong.
#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "ledger/bundle/bundle_verify_internal.h"
#include "ledger/provenance/certificate_status.h"
#include "ledger/provenance/fineness.h"
#include "ledger/provenance/log_policy.h"
#include "ledger/provenance/material_trace.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/units.h"

namespace touchstone::bundle {
namespace {

std::string Time(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

// A quantity: in the trade's units (ledger/provenance/units.h) under the
// trade rules (`trade`), else as before them ("250.000 g", "1.020 ct").
std::string Amount(v1::Unit unit, int64_t q, bool trade = false) {
  if (trade) return QuantityText(unit, q);
  const char* u = unit == v1::UNIT_CARAT_THOUSANDTH ? "ct" : "g";
  return absl::StrFormat("%d.%03d %s", q / 1000, q % 1000, u);
}

class Writer {
 public:
  Writer(const Participants& participants, const Graph& graph)
      : participants_(participants), graph_(graph) {}

  // "Greenloop Metals Recovery Ltd (d1-recycler)"
  std::string Name(const std::string& id) const { return ParticipantName(participants_, id); }

  // "d1-melt-1 (gold bar @651, recycled post-consumer)"
  std::string LotText(const std::string& id) const { return LotDescription(graph_, id); }

  std::string Describe(const Item& item) const {
    if (item.Hidden()) {
      if (std::string sealed = DescribeSealed(item); !sealed.empty()) return sealed;
    }
    const v1::Record& r = item.record;
    const bool trade = TradeRules(item.policy);
    switch (r.body_case()) {
      case v1::Record::kGenesis:
        return absl::StrCat("starts the log ", r.genesis().origin(), " and registers ",
                            Name(r.signer()), " as its operator",
                            r.genesis().has_policy()
                                ? absl::StrCat("; its policy: ", PolicyText(r.genesis().policy()))
                                : "");
      case v1::Record::kLogPolicy:
        return absl::StrCat("sets the log's policy: ", PolicyText(r.log_policy()));
      case v1::Record::kParticipantRegistered: {
        const v1::ParticipantRegistered& p = r.participant_registered();
        std::vector<std::string> roles, ids;
        for (int role : p.roles()) roles.push_back(EnumText(v1::Role_Name(role), 5));
        for (const auto& i : p.identifiers()) ids.push_back(i.scheme() + " " + i.value());
        return absl::StrCat("registers ", p.legal_name(), " (", p.participant_id(), ") as ",
                            absl::StrJoin(roles, ", "), ids.empty() ? "" : "; ",
                            absl::StrJoin(ids, ", "));
      }
      case v1::Record::kKeyAdded:
        return absl::StrCat("adds a signing key for ", Name(r.key_added().participant_id()));
      case v1::Record::kKeyRevoked:
        return absl::StrCat("revokes key ", r.key_revoked().key_id(), " of ",
                            Name(r.key_revoked().participant_id()), ": ", r.key_revoked().reason());
      case v1::Record::kRoleGranted:
        return absl::StrCat("grants ", Name(r.role_granted().participant_id()), " the role ",
                            EnumText(v1::Role_Name(r.role_granted().role()), 5));
      case v1::Record::kParticipantSuspended:
        return absl::StrCat("suspends ", Name(r.participant_suspended().participant_id()), ": ",
                            r.participant_suspended().reason());
      case v1::Record::kParticipantReinstated:
        return absl::StrCat("reinstates ", Name(r.participant_reinstated().participant_id()), ": ",
                            r.participant_reinstated().reason());
      case v1::Record::kCertificateIssued:
        return Certificate(r.certificate_issued(), trade);
      case v1::Record::kCertificateStatusChanged: {
        const v1::CertificateStatusChanged& c = r.certificate_status_changed();
        const char* verb = c.status() == v1::CERTIFICATE_STATUS_REVOKED     ? "revokes"
                           : c.status() == v1::CERTIFICATE_STATUS_SUSPENDED ? "suspends"
                                                                            : "reinstates";
        return absl::StrCat(verb, " certificate ", c.certificate_id(), " from ",
                            Time(c.effective_micros()), ": ", c.reason());
      }
      case v1::Record::kLotCreated: {
        const v1::LotCreated& c = r.lot_created();
        return absl::StrCat(
            "creates lot ", LotText(c.lot_id()), ", ", Amount(c.unit(), c.quantity(), trade),
            c.has_parcel() && !c.parcel().size_class().empty()
                ? ", size class " + c.parcel().size_class()
                : "",
            c.has_gemstone() ? absl::StrCat(", ", c.gemstone().species(), ", treatment ",
                                            c.gemstone().treatment(),
                                            c.gemstone().country_of_origin().empty()
                                                ? ""
                                                : ", from " + c.gemstone().country_of_origin())
                             : "",
            " at ", c.facility(), c.note().empty() ? "" : " (" + c.note() + ")",
            Citing(c.certificate_ids()));
      }
      case v1::Record::kTransformation:
        return Transformation(r.transformation(), trade);
      case v1::Record::kCustodyShipped:
        return absl::StrCat("ships lot ", LotText(r.custody_shipped().lot_id()), " to ",
                            Name(r.custody_shipped().to_participant()), ", shipment ",
                            r.custody_shipped().shipment_id(),
                            r.custody_shipped().warranty_statement().empty()
                                ? ""
                                : ", with the System of Warranties statement");
      case v1::Record::kCustodyReceived:
        return absl::StrCat("receives lot ", r.custody_received().lot_id(), " (shipment ",
                            r.custody_received().shipment_id(), ")");
      case v1::Record::kPieceRegistered:
        return Piece(r.piece_registered(), trade);
      case v1::Record::kPieceLifecycle: {
        const v1::PieceLifecycle& l = r.piece_lifecycle();
        std::string sold;
        if (l.has_buyer()) {
          sold =
              absl::StrCat(" to owner key ", OwnerKeyId(l.buyer()), " (", KeyKind(l.buyer()), ")");
        } else if (l.event() == v1::PIECE_EVENT_SOLD) {
          sold = " (the owner is kept only as a salted hash)";
        }
        return absl::StrCat(
            "records piece ", l.piece_id(), " ", EnumText(v1::PieceEvent_Name(l.event()), 12), sold,
            l.note().empty() ? "" : ": " + l.note(),
            r.has_owner_signature()
                ? absl::StrCat("; owner key ", r.owner_signature().key_id(), " co-signs")
                : "");
      }
      case v1::Record::kStoneReplaced: {
        const v1::StoneReplaced& s = r.stone_replaced();
        return absl::StrCat("replaces stone ", s.old_stone_lot_id(), " with ",
                            LotText(s.new_stone_lot_id()), " in piece ", s.piece_id(), ": ",
                            s.reason());
      }
      case v1::Record::kErrorDeclared: {
        const v1::ErrorDeclared& e = r.error_declared();
        return absl::StrCat("declares entry ", e.wrong_index(), " wrong: ", e.reason(),
                            e.has_replacement_index()
                                ? absl::StrCat("; entry ", e.replacement_index(), " replaces it")
                                : "");
      }
      case v1::Record::kOperatorKeyRotated: {
        absl::StatusOr<PublicKey> next =
            PublicKey::FromRaw(r.operator_key_rotated().new_key().ed25519());
        return absl::StrCat("hands the log's checkpoint key over from key ", r.key_id(), " to key ",
                            next.ok() ? next->Fingerprint() : "(malformed)",
                            r.operator_key_rotated().reason().empty() ? "" : ": ",
                            r.operator_key_rotated().reason());
      }
      case v1::Record::kSchemeRegistered:
      case v1::Record::kCreditAccountOpened:
      case v1::Record::kCreditBooked:
      case v1::Record::kCreditAllocated:
        return DescribeTradeRecord(item, participants_, graph_);
      case v1::Record::kOwnershipAccepted:
      case v1::Record::kOwnershipTransferred:
      case v1::Record::kOwnerReport:
      case v1::Record::kOwnerKeyReplaced:
        return Owner(r);
      case v1::Record::kHeirloomReceived:
        return Intake(r.heirloom_received());
      case v1::Record::BODY_NOT_SET:
        break;
    }
    return "an empty record";
  }

  // "d1-report-2 (grading-report): valid then; revoked now (entry 45)"
  std::string Status(const CertificateUse& use, int64_t now,
                     const v1::CertificateStatusEntry** why) const {
    const v1::CertificateState& c = graph_.certificates.at(use.certificate_id);
    const std::string status = CertificateStatusAt(c, now);
    *why = nullptr;
    for (const auto& change : c.changes()) {
      if (change.effective_micros() <= now) *why = &change;
    }
    std::string text = absl::StrCat(use.certificate_id, " (", c.scheme(), "): ", use.status_then,
                                    " then; ", status, " now");
    if ((status == "suspended" || status == "revoked") && *why != nullptr) {
      absl::StrAppend(&text, " (entry ", (*why)->index(), ")");
    }
    for (const auto& change : c.changes()) {
      if (change.effective_micros() > now) {
        absl::StrAppend(&text, "; ", EnumText(v1::CertificateStatus_Name(change.status()), 19),
                        " from ", Time(change.effective_micros()), " (entry ", change.index(), ")");
      }
    }
    return text;
  }

 private:
  template <typename Ids>
  static std::string Citing(const Ids& ids) {
    if (ids.empty()) return "";
    return absl::StrCat(", citing ", absl::StrJoin(ids, ", "));
  }

  std::string Certificate(const v1::CertificateIssued& c, bool trade) const {
    if (c.has_parcel_report()) {
      const v1::ParcelReport& p = c.parcel_report();
      return absl::StrCat("issues parcel report ", c.certificate_id(), " (", c.scheme(),
                          ") for parcel ", c.subject_lot(), ": report ", p.report_number(), ", ",
                          p.stone_count(), " stones, ", CaratText(p.carats_thousandths()),
                          p.size_class().empty() ? "" : ", size class " + p.size_class(), ", ",
                          EnumText(v1::StoneOrigin_Name(p.origin()), 13), Document(c));
    }
    if (c.has_grading_report()) {
      const v1::GradingReport& g = c.grading_report();
      return absl::StrCat(
          "issues grading report ", c.certificate_id(), " for stone ", c.subject_lot(), ": ",
          g.lab(), " report ", g.report_number(),
          g.inscription().empty() ? "" : ", inscription \"" + g.inscription() + "\"", ", ",
          EnumText(v1::StoneOrigin_Name(g.origin()), 13),
          g.growth_method() ? " (" + v1::GrowthMethod_Name(g.growth_method()).substr(14) + ")" : "",
          ", treatment ", g.treatment(), ", ",
          Amount(v1::UNIT_CARAT_THOUSANDTH, g.carats_thousandths(), trade), " ", g.colour(), " ",
          g.clarity(), " ", g.cut(), g.measurements().empty() ? "" : ", " + g.measurements(),
          Document(c));
    }
    const std::string subject = c.has_subject_participant() ? Name(c.subject_participant())
                                : c.has_subject_lot()
                                    ? absl::StrCat("lot ", c.subject_lot())
                                    : absl::StrCat("facility ", c.subject_facility());
    std::string text =
        absl::StrCat("issues ", c.scheme(), " certificate ", c.certificate_id(), " about ", subject,
                     c.scope().empty() ? "" : " (" + c.scope() + ")", ", valid from ",
                     Time(c.valid_from_micros()));
    absl::StrAppend(
        &text, c.valid_until_micros() ? " to " + Time(c.valid_until_micros()) : " without expiry");
    if (!c.external_number().empty()) absl::StrAppend(&text, ", number ", c.external_number());
    if (c.has_kimberley_process()) {
      absl::StrAppend(&text, ", Kimberley Process ", c.kimberley_process().certificate_number(),
                      " from ", c.kimberley_process().country_of_origin());
      if (trade) {
        absl::StrAppend(&text, ", ", CaratText(c.kimberley_process().carats_thousandths()));
      }
    }
    absl::StrAppend(&text, Document(c));
    return text;
  }

  // "; document sha-256 0a1b2c3d... (application/pdf)" when the certificate
  // names its document's hash algorithm (the trade rules' form).
  static std::string Document(const v1::CertificateIssued& c) {
    if (c.document_hash_algorithm().empty()) return "";
    return absl::StrCat("; document ", c.document_hash_algorithm(), " ",
                        absl::BytesToHexString(c.document_sha256()), " (", c.document_media_type(),
                        ")");
  }

  // A sealed record the bundle does not open: what it shows, and which of
  // its fields are committed (never a hidden field's zero as if it were a
  // value). "" for a record whose public part reads as usual.
  std::string DescribeSealed(const Item& item) const {
    const v1::Record& r = item.record;
    std::vector<std::string> lots;
    switch (r.body_case()) {
      case v1::Record::kLotCreated: {
        const v1::LotCreated& c = r.lot_created();
        return absl::StrCat("creates lot ", LotText(c.lot_id()),
                            "; its quantity, facility and note are sealed",
                            Citing(c.certificate_ids()));
      }
      case v1::Record::kTransformation: {
        const v1::Transformation& t = r.transformation();
        std::vector<std::string> in, out;
        for (const v1::LotQuantity& q : t.inputs()) in.push_back(q.lot_id());
        for (const v1::OutputLot& o : t.outputs()) out.push_back(LotText(o.lot_id()));
        return absl::StrCat(EnumText(v1::Process_Name(t.process()), 8), " ", t.material(), ": ",
                            absl::StrJoin(in, " + "), " -> ", absl::StrJoin(out, ", "),
                            "; its quantities, loss and location are sealed",
                            Citing(t.certificate_ids()));
      }
      case v1::Record::kCustodyShipped:
        return absl::StrCat("ships lot ", LotText(r.custody_shipped().lot_id()),
                            "; its addressee is sealed; shipment ",
                            r.custody_shipped().shipment_id(),
                            r.custody_shipped().warranty_statement().empty()
                                ? ""
                                : ", with the System of Warranties statement");
      case v1::Record::kPieceRegistered: {
        const v1::PieceRegistered& p = r.piece_registered();
        std::vector<std::string> parts;
        for (const std::string& s : p.stone_lot_ids()) parts.push_back(LotText(s));
        for (const v1::MetalInput& m : p.metal_inputs()) parts.push_back(LotText(m.lot_id()));
        return absl::StrCat("registers piece ", p.piece_id(), ": ", p.description(), "; made of ",
                            absl::StrJoin(parts, " + "), " (its metal weights are sealed)");
      }
      case v1::Record::kCreditBooked:
        return absl::StrCat("books lot ", r.credit_booked().lot_id(), " into account ",
                            r.credit_booked().account_id(), " (record ", r.credit_booked().seq(),
                            "; its fine weight and balance are sealed)");
      case v1::Record::kCreditAllocated:
        return absl::StrCat("allocates recycled credit to lot ", r.credit_allocated().lot_id(),
                            " from account ", r.credit_allocated().account_id(), " (record ",
                            r.credit_allocated().seq(),
                            "; its fine weight and balance are sealed)");
      default:
        return "";
    }
  }

  std::string Transformation(const v1::Transformation& t, bool trade) const {
    std::vector<std::string> in, out;
    v1::Unit unit = v1::UNIT_MILLIGRAM;
    for (const v1::LotQuantity& q : t.inputs()) {
      auto it = graph_.lots.find(q.lot_id());
      const v1::Unit u = it == graph_.lots.end() ? v1::UNIT_MILLIGRAM : it->second.trace.unit;
      const std::string draw =
          q.stones() == 0 ? ""
                          : absl::StrCat(" (", q.stones(), " stones, leaving ", q.stones_left(),
                                         " weighing ", Amount(u, q.quantity_left(), trade), ")");
      in.push_back(absl::StrCat(Amount(u, q.quantity(), trade), draw, " of ", q.lot_id()));
    }
    for (const v1::OutputLot& o : t.outputs()) {
      auto it = graph_.lots.find(o.lot_id());
      if (it != graph_.lots.end()) unit = it->second.trace.unit;
      out.push_back(absl::StrCat(LotText(o.lot_id()), " ", Amount(unit, o.quantity(), trade)));
    }
    std::string loss;
    if (t.declared_loss_fine() != 0) {
      loss = absl::StrCat("; declared loss ", Amount(unit, t.declared_loss_fine() / 1000), " fine");
    } else if (t.declared_loss_fine_ptt() != 0) {
      const int64_t fine = t.declared_loss_fine_ptt();
      loss = absl::StrCat(
          "; declared loss ",
          unit == v1::UNIT_MILLIGRAM ? FineMassText(fine) : CaratText(fine / kFullFinenessPtt),
          " fine");
    } else {
      loss = "; no loss";
    }
    return absl::StrCat(EnumText(v1::Process_Name(t.process()), 8), " ", t.material(), " at ",
                        t.location(), ": ", absl::StrJoin(in, " + "), " -> ",
                        absl::StrJoin(out, ", "), loss, Citing(t.certificate_ids()));
  }

  std::string Piece(const v1::PieceRegistered& p, bool trade) const {
    std::vector<std::string> parts, claims;
    for (const std::string& s : p.stone_lot_ids()) parts.push_back(LotText(s));
    for (const v1::ParcelStones& ps : p.parcel_stones()) {
      std::string weight;
      for (const PieceStone& taken : graph_.parcel_stones) {
        if (taken.lot_id == ps.lot_id()) weight = ", " + CaratText(taken.weight);
      }
      parts.push_back(
          absl::StrCat(ps.stones(), " stones", weight, " of parcel ", LotText(ps.lot_id())));
    }
    for (const v1::MetalInput& m : p.metal_inputs()) {
      parts.push_back(absl::StrCat(Amount(v1::UNIT_MILLIGRAM, m.quantity(), trade), " of ",
                                   LotText(m.lot_id())));
    }
    for (int c : p.claims()) claims.push_back(ClaimText(static_cast<v1::Claim>(c)));
    for (const v1::MaterialClaim& c : p.material_claims()) {
      claims.push_back(MaterialClaimText(c, c.model() == v1::CUSTODY_MODEL_MASS_BALANCE
                                                ? AccountText(graph_, c.account_id())
                                                : ""));
    }
    return absl::StrCat("registers piece ", p.piece_id(), ": ", p.description(), "; made of ",
                        absl::StrJoin(parts, " + "),
                        p.hallmark().empty() ? "" : "; hallmark " + p.hallmark(), "; claims ",
                        claims.empty() ? "none" : absl::StrJoin(claims, ", "));
  }

  static std::string KeyKind(const v1::OwnerKey& k) {
    return k.has_webauthn() ? "passkey" : "ed25519";
  }

  // The owners' records: key ids only, never a name for an owner.
  std::string Owner(const v1::Record& r) const {
    const std::string who =
        OwnerOnly(r) ? absl::StrCat("owner key ", r.owner_signature().key_id()) : Name(r.signer());
    switch (r.body_case()) {
      case v1::Record::kOwnershipAccepted: {
        const v1::OwnershipAccepted& a = r.ownership_accepted();
        std::vector<std::string> recovery;
        if (a.terms().has_recovery_key()) {
          recovery.push_back(absl::StrCat("key ", OwnerKeyId(a.terms().recovery_key())));
        }
        if (!a.terms().recovery_agent().empty())
          recovery.push_back(Name(a.terms().recovery_agent()));
        return absl::StrCat(
            who, " takes ownership of piece ", a.piece_id(),
            "; recovery: ", recovery.empty() ? "none" : absl::StrJoin(recovery, ", "),
            "; insurer: ", a.terms().insurer().empty() ? "none" : Name(a.terms().insurer()));
      }
      case v1::Record::kOwnershipTransferred: {
        const v1::OwnershipTransferred& t = r.ownership_transferred();
        return absl::StrCat("the owner (", who, ") gives piece ", t.piece_id(), " to key ",
                            OwnerKeyId(t.new_owner()), " (", KeyKind(t.new_owner()), ")");
      }
      case v1::Record::kOwnerReport: {
        const v1::OwnerReport& o = r.owner_report();
        return absl::StrCat(OwnerOnly(r) ? "the owner (" + who + ")" : "the insurer " + who,
                            " reports piece ", o.piece_id(), " ",
                            EnumText(v1::PieceEvent_Name(o.event()), 12),
                            o.note().empty() ? "" : ": " + o.note());
      }
      case v1::Record::kOwnerKeyReplaced: {
        const v1::OwnerKeyReplaced& k = r.owner_key_replaced();
        return absl::StrCat(
            OwnerOnly(r) ? "the owner's recovery key (" + who + ")" : "the recovery agent " + who,
            " replaces the owner key of piece ", k.piece_id(), " with key ",
            OwnerKeyId(k.new_key()), " (", KeyKind(k.new_key()), ")",
            k.reason().empty() ? "" : ": " + k.reason());
      }
      default:
        return RecordKind(r);
    }
  }

  // "receives the owner's 14k gold bracelet for repurposing: 12.400 g gross,
  // 11.800 g metal, gold 585 (14k) by fire assay; ..."
  std::string Intake(const v1::HeirloomReceived& h) const {
    auto grams = [](int64_t mg) { return absl::StrFormat("%d.%03d g", mg / 1000, mg % 1000); };
    std::string text = absl::StrCat(
        "receives the owner's ", h.description(), " for repurposing (intake ", h.intake_id(),
        "): ", grams(h.gross_weight_mg()), " gross, ", grams(h.metal_mg()), " metal, ",
        h.material(), " ", MetalFinenessText(h.material(), h.fineness_ptt()), " by ",
        IntakeAssayText(h.assay_method()), "; ", h.photo_sha256_size(), " photo",
        h.photo_sha256_size() == 1 ? "" : "s", " kept by the jeweler; becomes lot ", h.lot_id(),
        "; owner key ", OwnerKeyId(h.owner()), " co-signs");
    if (!h.repurposed_piece_id().empty()) {
      absl::StrAppend(&text, "; closes piece ", h.repurposed_piece_id());
      if (auto p = graph_.owned.find(h.repurposed_piece_id());
          p != graph_.owned.end() && p->second.registered != nullptr) {
        absl::StrAppend(&text, " (", p->second.registered->description(), ")");
      }
      if (h.stone_lot_ids_size() > 0) {
        absl::StrAppend(&text, "; its stones ", absl::StrJoin(h.stone_lot_ids(), ", "),
                        " stay the owner's");
      }
    }
    return text;
  }

  const Participants& participants_;
  const Graph& graph_;
};

}  // namespace

void BuildTimeline(const std::vector<Item>& items, const Participants& participants,
                   const Graph& graph, int64_t now_micros, BundleReport* report) {
  const Writer w(participants, graph);
  std::map<uint64_t, size_t> position;
  std::map<std::string, std::vector<uint64_t>> warned;  // certificate -> records relying on it
  std::map<std::string, std::string> warning;           // certificate -> why
  for (const Item& item : items) {
    TimelineEntry t;
    t.index = item.index;
    t.event_time_micros = item.record.event_time_micros();
    t.recorded_at_micros = item.view.recorded_at_micros;
    t.recorded_late = RecordedLate(item);
    t.signer = item.record.signer();
    t.signer_name = participants.count(t.signer) ? participants.at(t.signer).legal_name : "";
    t.kind = KindOf(item.record);
    t.description = w.Describe(item);
    if (auto p = participants.find(t.signer); p != participants.end()) {
      if (auto k = p->second.keys.find(item.record.key_id());
          k != p->second.keys.end() && !k->second.added_by.empty()) {
        t.key_added_by_other =
            absl::StrCat("signed with key ", item.record.key_id(), ", which '", k->second.added_by,
                         "' added for '", t.signer, "' at entry ", k->second.added_index);
        report->warnings.push_back(absl::StrCat("entry ", item.index, " is ", t.key_added_by_other,
                                                ": it is theirs only on that word"));
      }
    }
    if (auto it = graph.uses.find(item.index); it != graph.uses.end()) {
      for (const CertificateUse& use : it->second) {
        const v1::CertificateStatusEntry* why = nullptr;
        t.certificates.push_back(w.Status(use, now_micros, &why));
        const std::string now =
            CertificateStatusAt(graph.certificates.at(use.certificate_id), now_micros);
        if ((now == "suspended" || now == "revoked") && why != nullptr) {
          warned[use.certificate_id].push_back(item.index);
          warning[use.certificate_id] =
              absl::StrCat(now, " now (entry ", why->index(), ": ", why->reason(), ")");
        }
      }
    }
    position[item.index] = report->timeline.size();
    report->timeline.push_back(std::move(t));
  }
  for (const auto& [cert, indices] : warned) {
    report->warnings.push_back(absl::StrCat(
        "certificate ", cert, ", relied on by entr", indices.size() == 1 ? "y " : "ies ",
        absl::StrJoin(indices, ", "), " while it was valid, is ", warning[cert]));
  }
  for (const Item& item : items) {
    if (!item.record.has_error_declared()) continue;
    const v1::ErrorDeclared& e = item.record.error_declared();
    auto it = position.find(e.wrong_index());
    if (it == position.end()) continue;
    TimelineEntry& wrong = report->timeline[it->second];
    const std::string what = absl::StrCat(
        "declared wrong by entry ", item.index, ": ", e.reason(),
        e.has_replacement_index() ? absl::StrCat("; entry ", e.replacement_index(), " replaces it")
                                  : "");
    wrong.declared_wrong.push_back(what);
    report->warnings.push_back(
        absl::StrCat("entry ", wrong.index, " (", wrong.kind, ") was ", what));
  }
}

}  // namespace touchstone::bundle
