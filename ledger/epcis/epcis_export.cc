#include "ledger/epcis/epcis_export.h"

#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/entry_format.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/gs1.h"
#include "ledger/provenance/record.h"
#include "ledger/provenance/record_subjects.h"
#include "nlohmann/json.hpp"

namespace touchstone {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kMilligram = "MGM";  // UN/ECE Recommendation 20
constexpr std::string_view kCarat = "CTM";      // metric carat
constexpr std::string_view kPiece = "H87";      // piece (a count of stones)

// RFC 3986 unreserved characters kept; every other byte percent-encoded.
std::string Encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Time(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

std::string Lower(std::string_view enum_name, std::string_view prefix) {
  if (enum_name.substr(0, prefix.size()) == prefix) enum_name.remove_prefix(prefix.size());
  return absl::AsciiStrToLower(std::string(enum_name));
}

// Builds the events of one export. Thread-compatible.
class Exporter {
 public:
  explicit Exporter(std::string_view origin) {
    base_ = "https://";
    for (const char& c : origin)
      base_ += c == '/' || c == ':' ? std::string(1, c) : Encode({&c, 1});
    base_ += "/";
  }

  // What later records need to know of earlier ones: lot units, pieces' GS1 ids.
  void Learn(const v1::Record& r) {
    if (r.has_lot_created()) {
      units_[r.lot_created().lot_id()] = r.lot_created().unit();
    } else if (r.has_piece_registered()) {
      const v1::PieceRegistered& p = r.piece_registered();
      if (!p.gtin().empty() && !p.serial().empty()) {
        pieces_[p.piece_id()] =
            absl::StrCat("https://id.gs1.org", DigitalLinkPath(p.gtin(), p.serial()));
      }
    } else if (r.has_transformation()) {
      const v1::Transformation& t = r.transformation();
      std::optional<v1::Unit> unit;
      for (const v1::LotQuantity& in : t.inputs()) {
        if (auto it = units_.find(in.lot_id()); it != units_.end()) unit = it->second;
      }
      for (const v1::OutputLot& out : t.outputs()) {
        units_[out.lot_id()] = unit.value_or(UnitOfMaterial(t.material()));
      }
    } else if (r.has_heirloom_received()) {
      units_[r.heirloom_received().lot_id()] = v1::UNIT_MILLIGRAM;
    } else if (r.has_certificate_issued() && !r.certificate_issued().subject_lot().empty()) {
      subject_lots_[r.certificate_issued().certificate_id()] = r.certificate_issued().subject_lot();
    }
  }

  // The events of the record at `index`; empty if it has none.
  std::vector<Json> Events(uint64_t index, std::string_view data, const EntryView& view,
                           const v1::Record& r) {
    std::vector<Json> events;
    switch (r.body_case()) {
      case v1::Record::kLotCreated:
        events.push_back(LotCreated(r.lot_created()));
        break;
      case v1::Record::kTransformation:
        events.push_back(Transformation(r.transformation()));
        break;
      case v1::Record::kCustodyShipped: {
        const v1::CustodyShipped& s = r.custody_shipped();
        Json e = Object("OBSERVE", "shipping", "in_transit", {Lot(s.lot_id())});
        e["sourceList"] =
            Json::array({{{"type", "possessing_party"}, {"source", Party(r.signer())}}});
        e["destinationList"] = Json::array(
            {{{"type", "possessing_party"}, {"destination", Party(s.to_participant())}}});
        e["touchstone:shipmentId"] = s.shipment_id();
        if (!s.warranty_statement().empty()) {
          e["touchstone:warrantyStatement"] = s.warranty_statement();
        }
        if (!s.business_reference_sha256().empty()) {
          e["touchstone:businessReferenceSha256"] =
              absl::BytesToHexString(s.business_reference_sha256());
        }
        events.push_back(std::move(e));
        break;
      }
      case v1::Record::kCustodyReceived: {
        const v1::CustodyReceived& c = r.custody_received();
        Json e = Object("OBSERVE", "receiving", "in_progress", {Lot(c.lot_id())});
        e["destinationList"] =
            Json::array({{{"type", "possessing_party"}, {"destination", Party(r.signer())}}});
        e["touchstone:shipmentId"] = c.shipment_id();
        events.push_back(std::move(e));
        break;
      }
      case v1::Record::kPieceRegistered:
        PieceRegistered(r.piece_registered(), events);
        break;
      case v1::Record::kStoneReplaced: {
        const v1::StoneReplaced& s = r.stone_replaced();
        events.push_back(Aggregation("DELETE", "replacing", s.piece_id(), {s.old_stone_lot_id()}));
        events.push_back(Aggregation("ADD", "replacing", s.piece_id(), {s.new_stone_lot_id()}));
        if (!s.reason().empty()) events.back()["touchstone:reason"] = s.reason();
        break;
      }
      case v1::Record::kPieceLifecycle:
        if (std::optional<Json> e = Lifecycle(r.piece_lifecycle())) events.push_back(*e);
        break;
      case v1::Record::kCertificateIssued:
        if (!r.certificate_issued().subject_lot().empty()) {
          events.push_back(CertificateIssued(r.certificate_issued()));
        }
        break;
      case v1::Record::kHeirloomReceived:
        HeirloomReceived(r.heirloom_received(), events);
        break;
      case v1::Record::kCertificateStatusChanged:
        if (std::optional<Json> e = StatusChanged(r.certificate_status_changed())) {
          events.push_back(*e);
        }
        break;
      case v1::Record::kCreditAccountOpened:
        events.push_back(AccountOpened(r.credit_account_opened()));
        break;
      case v1::Record::kCreditBooked: {
        const v1::CreditBooked& b = r.credit_booked();
        events.push_back(
            Credit("booking", b.account_id(), b.lot_id(), b.fine(), b.seq(), b.balance_after()));
        break;
      }
      case v1::Record::kCreditAllocated: {
        const v1::CreditAllocated& a = r.credit_allocated();
        events.push_back(
            Credit("allocation", a.account_id(), a.lot_id(), a.fine(), a.seq(), a.balance_after()));
        break;
      }
      case v1::Record::kOwnershipAccepted:
      case v1::Record::kOwnershipTransferred:
      case v1::Record::kOwnerReport:
      case v1::Record::kOwnerKeyReplaced:
        events.push_back(OwnerRecord(r));
        break;
      default:
        break;
    }
    for (size_t i = 0; i < events.size(); ++i) {
      Json& e = events[i];
      Json out = {{"type", e["type"]},
                  {"eventID", EventId(index, i)},
                  {"eventTime", Time(r.event_time_micros())},
                  {"eventTimeZoneOffset", "+00:00"},
                  {"recordTime", Time(view.recorded_at_micros)}};
      for (auto& [k, v] : e.items()) {
        if (k != "type") out[k] = v;
      }
      if (r.history_import()) out["touchstone:historyImport"] = true;
      // A sealed record's committed fields are not in the log, so not here either.
      if (r.has_sealed()) out["touchstone:sealed"] = true;
      out["touchstone:entry"] = {
          {"touchstone:index", index},
          {"touchstone:leafHash", HashToHex(LeafHash(data))},
          {"touchstone:recordId", r.record_id()},
          {"touchstone:signer", r.signer().empty() ? Json() : Json(Party(r.signer()))}};
      if (r.has_owner_signature()) {
        // Which owner key signed, and its signature (for this log only: an
        // importer checks it before the owner signs again for another), and
        // the key id of the participant whose signed bytes it covers.
        Json& entry = out["touchstone:entry"];
        entry["touchstone:ownerKeyId"] = r.owner_signature().key_id();
        entry["touchstone:ownerSignature"] =
            absl::Base64Escape(r.owner_signature().SerializeAsString());
        if (!r.key_id().empty()) entry["touchstone:keyId"] = r.key_id();
      }
      e = std::move(out);
    }
    return events;
  }

  std::string EventId(uint64_t index, size_t n) const {
    return absl::StrCat(base_, "entry/", index, n == 0 ? "" : absl::StrCat("#", n + 1));
  }
  std::string Lot(const std::string& id) const { return base_ + "lot/" + Encode(id); }
  std::string Party(const std::string& id) const { return base_ + "participant/" + Encode(id); }
  std::string Certificate(const std::string& id) const {
    return base_ + "certificate/" + Encode(id);
  }
  std::string Piece(const std::string& id) const {
    auto it = pieces_.find(id);
    return it != pieces_.end() ? it->second : base_ + "piece/" + Encode(id);
  }

 private:
  static v1::Unit UnitOfMaterial(std::string_view material) {
    static const absl::flat_hash_set<std::string_view> kMetals = {"gold", "silver", "platinum",
                                                                  "palladium"};
    return kMetals.contains(material) ? v1::UNIT_MILLIGRAM : v1::UNIT_CARAT_THOUSANDTH;
  }

  // A lot's quantity element; the quantity left out when 0 (a sealed record's).
  // The lot's unit is its creation's when the export holds it, else `fallback`.
  Json Quantity(const std::string& lot, int64_t quantity,
                v1::Unit fallback = v1::UNIT_MILLIGRAM) const {
    Json q = {{"epcClass", Lot(lot)}};
    if (quantity == 0) return q;
    auto it = units_.find(lot);
    const v1::Unit unit = it == units_.end() ? fallback : it->second;
    if (unit == v1::UNIT_CARAT_THOUSANDTH) {
      q["quantity"] = static_cast<double>(quantity) / 1000.0;
      q["uom"] = kCarat;
    } else {
      q["quantity"] = quantity;
      q["uom"] = kMilligram;
    }
    return q;
  }

  // An ObjectEvent about lots (as quantities without an amount).
  Json Object(std::string_view action, std::string_view step, std::string_view disposition,
              const std::vector<std::string>& lot_uris) const {
    Json e = {{"type", "ObjectEvent"}, {"action", action}};
    Json list = Json::array();
    for (const std::string& uri : lot_uris) list.push_back({{"epcClass", uri}});
    e["quantityList"] = std::move(list);
    e["bizStep"] = step;
    if (!disposition.empty()) e["disposition"] = disposition;
    return e;
  }

  Json Certified(const google::protobuf::RepeatedPtrField<std::string>& ids) const {
    Json list = Json::array();
    for (const std::string& id : ids) list.push_back(Certificate(id));
    return list;
  }

  Json LotCreated(const v1::LotCreated& l) {
    Json e = {{"type", "ObjectEvent"}, {"action", "ADD"}};
    e["quantityList"] = Json::array({Quantity(l.lot_id(), l.quantity())});
    e["bizStep"] = "commissioning";
    e["disposition"] = "active";
    Json ilmd = {
        {"touchstone:material", l.material()},
        {"touchstone:form", l.form()},
        {"touchstone:originClass", Lower(v1::OriginClass_Name(l.origin_class()), "ORIGIN_CLASS_")}};
    if (l.fineness_ptt() != 0) ilmd["touchstone:finenessPtt"] = l.fineness_ptt();
    if (l.fineness_ppt() != 0) ilmd["touchstone:finenessPpt"] = l.fineness_ppt();
    if (!l.facility().empty()) ilmd["touchstone:facility"] = l.facility();
    if (l.has_parcel()) {
      Json parcel = {{"touchstone:stones", l.parcel().stone_count()},
                     {"touchstone:sizeClass", l.parcel().size_class()}};
      if (l.parcel().min_stone_thousandths() != 0) {
        parcel["touchstone:minStoneThousandths"] = l.parcel().min_stone_thousandths();
      }
      if (l.parcel().max_stone_thousandths() != 0) {
        parcel["touchstone:maxStoneThousandths"] = l.parcel().max_stone_thousandths();
      }
      ilmd["touchstone:parcel"] = std::move(parcel);
    }
    if (l.has_gemstone()) {
      ilmd["touchstone:gemstone"] = {
          {"touchstone:species", l.gemstone().species()},
          {"touchstone:treatment", l.gemstone().treatment()},
          {"touchstone:countryOfOrigin", l.gemstone().country_of_origin()}};
    }
    if (!l.note().empty()) ilmd["touchstone:note"] = l.note();
    e["ilmd"] = std::move(ilmd);
    if (!l.certificate_ids().empty()) e["certificationInfo"] = Certified(l.certificate_ids());
    return e;
  }

  Json Transformation(const v1::Transformation& t) const {
    Json e = {{"type", "TransformationEvent"}};
    Json in = Json::array(), out = Json::array();
    const v1::Unit unit = UnitOfMaterial(t.material());
    Json draws = Json::array(), made = Json::array();
    for (const v1::LotQuantity& q : t.inputs()) {
      in.push_back(Quantity(q.lot_id(), q.quantity(), unit));
      if (q.stones() != 0) {
        draws.push_back({{"touchstone:lot", Lot(q.lot_id())},
                         {"touchstone:stones", q.stones()},
                         {"touchstone:stonesLeft", q.stones_left()},
                         {"touchstone:quantityLeft", q.quantity_left()}});
      }
    }
    for (const v1::OutputLot& o : t.outputs()) {
      out.push_back(Quantity(o.lot_id(), o.quantity(), unit));
      Json lot = {{"touchstone:lot", Lot(o.lot_id())}, {"touchstone:form", o.form()}};
      if (o.fineness_ptt() != 0) lot["touchstone:finenessPtt"] = o.fineness_ptt();
      if (o.fineness_ppt() != 0) lot["touchstone:finenessPpt"] = o.fineness_ppt();
      if (o.stones() != 0) lot["touchstone:stones"] = o.stones();
      if (!o.size_class().empty()) lot["touchstone:sizeClass"] = o.size_class();
      if (o.heirloom_fine() != 0) lot["touchstone:heirloomFine"] = o.heirloom_fine();
      made.push_back(std::move(lot));
    }
    e["inputQuantityList"] = std::move(in);
    e["outputQuantityList"] = std::move(out);
    // The outputs' master data (quantity elements hold only class, amount and unit).
    e["ilmd"] = {{"touchstone:outputs", std::move(made)}};
    if (!draws.empty()) e["touchstone:draws"] = std::move(draws);
    e["transformationID"] = base_ + "transformation/" + Encode(t.transformation_id());
    e["bizStep"] = "commissioning";
    e["touchstone:process"] = Lower(v1::Process_Name(t.process()), "PROCESS_");
    e["touchstone:material"] = t.material();
    if (!t.location().empty()) e["touchstone:location"] = t.location();
    if (t.declared_loss_fine_ptt() != 0) {
      e["touchstone:declaredLossFinePtt"] = t.declared_loss_fine_ptt();
    }
    if (t.declared_loss_fine() != 0) e["touchstone:declaredLossFine"] = t.declared_loss_fine();
    if (!t.note().empty()) e["touchstone:note"] = t.note();
    if (!t.certificate_ids().empty()) e["certificationInfo"] = Certified(t.certificate_ids());
    return e;
  }

  Json Aggregation(std::string_view action, std::string_view step, const std::string& piece,
                   const std::vector<std::string>& stone_lots) const {
    Json e = {{"type", "AggregationEvent"}, {"action", action}, {"parentID", Piece(piece)}};
    Json children = Json::array();
    for (const std::string& lot : stone_lots) children.push_back(Lot(lot));
    e["childEPCs"] = std::move(children);
    e["bizStep"] = step;
    return e;
  }

  void PieceRegistered(const v1::PieceRegistered& p, std::vector<Json>& events) const {
    Json made;
    if (p.metal_inputs().empty()) {
      made = {{"type", "ObjectEvent"}, {"action", "ADD"}, {"epcList", {Piece(p.piece_id())}}};
    } else {
      made = {{"type", "TransformationEvent"}};
      Json in = Json::array();
      for (const v1::MetalInput& m : p.metal_inputs()) {
        in.push_back(Quantity(m.lot_id(), m.quantity()));
      }
      made["inputQuantityList"] = std::move(in);
      made["outputEPCList"] = Json::array({Piece(p.piece_id())});
    }
    made["bizStep"] = "commissioning";
    made["disposition"] = "active";
    Json ilmd = {{"touchstone:pieceId", p.piece_id()}, {"touchstone:description", p.description()}};
    if (!p.hallmark().empty()) ilmd["touchstone:hallmark"] = p.hallmark();
    if (!p.gtin().empty()) ilmd["touchstone:gtin"] = p.gtin();
    if (!p.serial().empty()) ilmd["touchstone:serial"] = p.serial();
    if (p.disclose_inputs()) ilmd["touchstone:discloseInputs"] = true;
    Json claims = Json::array();
    for (const v1::MaterialClaim& c : p.material_claims()) {
      Json claim = {
          {"touchstone:material", c.material()},
          {"touchstone:attribute", Lower(v1::Attribute_Name(c.attribute()), "ATTRIBUTE_")},
          {"touchstone:model", Lower(v1::CustodyModel_Name(c.model()), "CUSTODY_MODEL_")},
          {"touchstone:shareBp", c.share_bp()}};
      if (!c.account_id().empty()) claim["touchstone:accountId"] = c.account_id();
      if (!c.scheme().empty()) claim["touchstone:scheme"] = c.scheme();
      claims.push_back(std::move(claim));
    }
    if (!claims.empty()) ilmd["touchstone:materialClaims"] = std::move(claims);
    Json legacy = Json::array();
    for (int c : p.claims()) legacy.push_back(Lower(v1::Claim_Name(c), "CLAIM_"));
    if (!legacy.empty()) ilmd["touchstone:claims"] = std::move(legacy);
    if (p.has_heirloom()) {
      const v1::HeirloomClaim& h = p.heirloom();
      ilmd["touchstone:heirloom"] = {{"touchstone:ownerKeyId", h.owner_key_id()},
                                     {"touchstone:material", h.material()},
                                     {"touchstone:ownerFine", h.owner_fine()},
                                     {"touchstone:materialFine", h.material_fine()}};
      Json stones = Json::array(), intakes = Json::array();
      for (const std::string& id : h.owner_stone_lot_ids()) stones.push_back(Lot(id));
      for (const std::string& id : h.intake_ids()) intakes.push_back(id);
      ilmd["touchstone:heirloom"]["touchstone:ownerStones"] = std::move(stones);
      ilmd["touchstone:heirloom"]["touchstone:intakeIds"] = std::move(intakes);
    }
    made["ilmd"] = std::move(ilmd);
    events.push_back(std::move(made));
    if (p.stone_lot_ids().empty() && p.parcel_stones().empty()) return;
    Json set = Aggregation("ADD", "assembling", p.piece_id(),
                           {p.stone_lot_ids().begin(), p.stone_lot_ids().end()});
    if (!p.parcel_stones().empty()) {
      Json draws = Json::array();
      for (const v1::ParcelStones& ps : p.parcel_stones()) {
        draws.push_back(
            {{"epcClass", Lot(ps.lot_id())}, {"quantity", ps.stones()}, {"uom", kPiece}});
      }
      set["childQuantityList"] = std::move(draws);
    }
    if (set["childEPCs"].empty()) set.erase("childEPCs");
    events.push_back(std::move(set));
  }

  std::optional<Json> Lifecycle(const v1::PieceLifecycle& l) const {
    Json e = {{"type", "ObjectEvent"}, {"action", "OBSERVE"}, {"epcList", {Piece(l.piece_id())}}};
    if (l.event() == v1::PIECE_EVENT_SOLD) e["bizStep"] = "retail_selling";
    if (l.event() == v1::PIECE_EVENT_REPAIRED) e["bizStep"] = "repairing";
    if (l.event() != v1::PIECE_EVENT_REPAIRED && !Disposition(l.event(), e)) return std::nullopt;
    e["touchstone:event"] = Lower(v1::PieceEvent_Name(l.event()), "PIECE_EVENT_");
    if (!l.note().empty()) e["touchstone:note"] = l.note();
    if (!l.owner_salted_sha256().empty()) {
      e["touchstone:ownerSaltedSha256"] = absl::BytesToHexString(l.owner_salted_sha256());
    }
    if (l.has_buyer()) {
      e["touchstone:buyerOwnerKey"] = OwnerKeyText(l.buyer());
    }
    return e;
  }

  // Sets the disposition a piece event stands for (CBV); false for an event
  // that has none (sold, lost, stolen and recovered have one).
  static bool Disposition(v1::PieceEvent event, Json& e) {
    switch (event) {
      case v1::PIECE_EVENT_SOLD:
        e["disposition"] = "retail_sold";
        return true;
      case v1::PIECE_EVENT_STOLEN:
        e["disposition"] = "stolen";
        return true;
      case v1::PIECE_EVENT_LOST:
        e["disposition"] = "unknown";
        return true;
      case v1::PIECE_EVENT_RECOVERED:
        e["disposition"] = "active";
        return true;
      default:
        return false;
    }
  }

  // An owner key as text: base64 of its canonical bytes (proto OwnerKey).
  static std::string OwnerKeyText(const v1::OwnerKey& key) {
    return absl::Base64Escape(key.SerializeAsString());
  }

  // A record of the piece's owners (signed by an owner key, or by the
  // participant its terms name): ObjectEvent OBSERVE of the piece, what it
  // says in touchstone:owner, the ownership record it follows as
  // touchstone:prevEntry (an index of this log).
  Json OwnerRecord(const v1::Record& r) const {
    std::string piece, kind;
    uint64_t prev = 0;
    Json owner;
    if (r.has_ownership_accepted()) {
      const v1::OwnershipAccepted& a = r.ownership_accepted();
      piece = a.piece_id();
      kind = "accepted";
      prev = a.prev_index();
      if (a.has_terms()) {
        const v1::OwnerTerms& t = a.terms();
        Json terms = Json::object();
        if (t.has_recovery_key()) terms["touchstone:recoveryKey"] = OwnerKeyText(t.recovery_key());
        if (!t.recovery_agent().empty()) {
          terms["touchstone:recoveryAgent"] = Party(t.recovery_agent());
        }
        if (!t.insurer().empty()) terms["touchstone:insurer"] = Party(t.insurer());
        owner["touchstone:terms"] = std::move(terms);
      }
    } else if (r.has_ownership_transferred()) {
      const v1::OwnershipTransferred& t = r.ownership_transferred();
      piece = t.piece_id();
      kind = "transferred";
      prev = t.prev_index();
      owner["touchstone:newOwnerKey"] = OwnerKeyText(t.new_owner());
    } else if (r.has_owner_report()) {
      const v1::OwnerReport& o = r.owner_report();
      piece = o.piece_id();
      kind = "report";
      prev = o.prev_index();
      owner["touchstone:event"] = Lower(v1::PieceEvent_Name(o.event()), "PIECE_EVENT_");
      if (!o.note().empty()) owner["touchstone:note"] = o.note();
    } else {
      const v1::OwnerKeyReplaced& k = r.owner_key_replaced();
      piece = k.piece_id();
      kind = "keyReplaced";
      prev = k.prev_index();
      owner["touchstone:newKey"] = OwnerKeyText(k.new_key());
      if (!k.reason().empty()) owner["touchstone:reason"] = k.reason();
    }
    Json e = {{"type", "ObjectEvent"}, {"action", "OBSERVE"}, {"epcList", {Piece(piece)}}};
    if (r.has_owner_report()) Disposition(r.owner_report().event(), e);
    owner["touchstone:kind"] = kind;
    owner["touchstone:prevEntry"] = prev;
    e["touchstone:owner"] = std::move(owner);
    return e;
  }

  // A change of status of a certificate about a lot this export has the
  // certificate of: ObjectEvent OBSERVE inspecting of the lot, as its issuing
  // is; nullopt for another (the lot is not known).
  std::optional<Json> StatusChanged(const v1::CertificateStatusChanged& c) const {
    auto lot = subject_lots_.find(c.certificate_id());
    if (lot == subject_lots_.end()) return std::nullopt;
    Json e = Object("OBSERVE", "inspecting", "", {Lot(lot->second)});
    e["certificationInfo"] = Certificate(c.certificate_id());
    Json status = {{"touchstone:status",
                    Lower(v1::CertificateStatus_Name(c.status()), "CERTIFICATE_STATUS_")}};
    if (!c.reason().empty()) status["touchstone:reason"] = c.reason();
    if (c.effective_micros() != 0) status["touchstone:effective"] = Time(c.effective_micros());
    e["touchstone:certificateStatus"] = std::move(status);
    return e;
  }

  // A mass-balance account is a business transaction (bizTransactionList);
  // opening it, a TransactionEvent ADD of no objects (an empty epcList: the
  // schema wants a list) with the account's terms.
  Json AccountOpened(const v1::CreditAccountOpened& a) const {
    Json e = {{"type", "TransactionEvent"},
              {"action", "ADD"},
              {"epcList", Json::array()},
              {"bizTransactionList", Json::array({AccountTransaction(a.account_id())})}};
    e["touchstone:account"] = {
        {"touchstone:site", a.site()},
        {"touchstone:material", a.material()},
        {"touchstone:attribute", Lower(v1::Attribute_Name(a.attribute()), "ATTRIBUTE_")},
        {"touchstone:periodStart", Time(a.period_start_micros())},
        {"touchstone:periodEnd", Time(a.period_end_micros())}};
    if (!a.certificate_id().empty()) e["certificationInfo"] = Certificate(a.certificate_id());
    return e;
  }

  // A booking into or an allocation from an account: a TransactionEvent ADD
  // associating the lot with the account, the credit in touchstone:credit.
  Json Credit(std::string_view kind, const std::string& account, const std::string& lot,
              int64_t fine, uint64_t seq, int64_t balance_after) const {
    Json e = {{"type", "TransactionEvent"},
              {"action", "ADD"},
              {"bizTransactionList", Json::array({AccountTransaction(account)})},
              {"quantityList", Json::array({{{"epcClass", Lot(lot)}}})}};
    e["touchstone:credit"] = {{"touchstone:kind", kind},
                              {"touchstone:fine", fine},
                              {"touchstone:seq", seq},
                              {"touchstone:balanceAfter", balance_after}};
    return e;
  }

  Json AccountTransaction(const std::string& account) const {
    return {{"type", "touchstone:massBalanceAccount"},
            {"bizTransaction", base_ + "account/" + Encode(account)}};
  }

  Json CertificateIssued(const v1::CertificateIssued& c) const {
    Json e = Object("OBSERVE", "inspecting", "", {Lot(c.subject_lot())});
    e["certificationInfo"] = Certificate(c.certificate_id());
    Json cert = {{"touchstone:scheme", c.scheme()},
                 {"touchstone:validFrom", Time(c.valid_from_micros())}};
    if (c.valid_until_micros() != 0) cert["touchstone:validUntil"] = Time(c.valid_until_micros());
    if (!c.external_number().empty()) cert["touchstone:externalNumber"] = c.external_number();
    if (!c.scope().empty()) cert["touchstone:scope"] = c.scope();
    if (!c.document_sha256().empty()) {
      cert["touchstone:document"] = {
          {"touchstone:sha256", absl::BytesToHexString(c.document_sha256())},
          {"touchstone:hashAlgorithm", c.document_hash_algorithm()},
          {"touchstone:mediaType", c.document_media_type()}};
    }
    if (c.has_grading_report()) {
      const v1::GradingReport& g = c.grading_report();
      Json report = {
          {"touchstone:lab", g.lab()},
          {"touchstone:reportNumber", g.report_number()},
          {"touchstone:origin", Lower(v1::StoneOrigin_Name(g.origin()), "STONE_ORIGIN_")},
          {"touchstone:carats", static_cast<double>(g.carats_thousandths()) / 1000.0}};
      auto put = [&report](const char* key, const std::string& v) {
        if (!v.empty()) report[key] = v;
      };
      put("touchstone:inscription", g.inscription());
      if (g.growth_method() != v1::GROWTH_METHOD_UNSPECIFIED) {
        report["touchstone:growthMethod"] =
            Lower(v1::GrowthMethod_Name(g.growth_method()), "GROWTH_METHOD_");
      }
      put("touchstone:treatment", g.treatment());
      put("touchstone:colour", g.colour());
      put("touchstone:clarity", g.clarity());
      put("touchstone:cut", g.cut());
      put("touchstone:measurements", g.measurements());
      cert["touchstone:gradingReport"] = std::move(report);
    } else if (c.has_kimberley_process()) {
      const v1::KimberleyProcessCertificate& k = c.kimberley_process();
      cert["touchstone:kimberleyProcess"] = {
          {"touchstone:certificateNumber", k.certificate_number()},
          {"touchstone:countryOfOrigin", k.country_of_origin()},
          {"touchstone:exporter", k.exporter()},
          {"touchstone:importer", k.importer()},
          {"touchstone:carats", static_cast<double>(k.carats_thousandths()) / 1000.0},
          {"touchstone:parcels", k.parcels()}};
    } else if (c.has_parcel_report()) {
      const v1::ParcelReport& pr = c.parcel_report();
      cert["touchstone:parcelReport"] = {
          {"touchstone:reportNumber", pr.report_number()},
          {"touchstone:origin", Lower(v1::StoneOrigin_Name(pr.origin()), "STONE_ORIGIN_")},
          {"touchstone:stones", pr.stone_count()},
          {"touchstone:carats", static_cast<double>(pr.carats_thousandths()) / 1000.0},
          {"touchstone:sizeClass", pr.size_class()}};
    }
    e["touchstone:certificate"] = std::move(cert);
    return e;
  }

  void HeirloomReceived(const v1::HeirloomReceived& h, std::vector<Json>& events) const {
    Json e = {{"type", "ObjectEvent"}, {"action", "ADD"}};
    e["quantityList"] = Json::array({Quantity(h.lot_id(), h.metal_mg())});
    e["bizStep"] = "commissioning";
    e["disposition"] = "active";
    Json photos = Json::array();
    for (const std::string& p : h.photo_sha256()) photos.push_back(absl::BytesToHexString(p));
    Json stones = Json::array();
    for (const std::string& s : h.stone_lot_ids()) stones.push_back(Lot(s));
    e["ilmd"] = {
        {"touchstone:material", h.material()},
        {"touchstone:heirloom", h.description()},
        {"touchstone:finenessPtt", h.fineness_ptt()},
        {"touchstone:intakeId", h.intake_id()},
        {"touchstone:grossWeightMg", h.gross_weight_mg()},
        {"touchstone:assayMethod", Lower(v1::AssayMethod_Name(h.assay_method()), "ASSAY_METHOD_")},
        {"touchstone:photoSha256", std::move(photos)},
        {"touchstone:stones", std::move(stones)},
        {"touchstone:ownerKey", OwnerKeyText(h.owner())}};
    events.push_back(std::move(e));
    if (!h.repurposed_piece_id().empty()) {
      events.push_back({{"type", "ObjectEvent"},
                        {"action", "DELETE"},
                        {"epcList", {Piece(h.repurposed_piece_id())}},
                        {"bizStep", "decommissioning"},
                        {"disposition", "inactive"}});
    }
  }

  std::string base_;
  absl::flat_hash_map<std::string, v1::Unit> units_;
  absl::flat_hash_map<std::string, std::string> pieces_;
  absl::flat_hash_map<std::string, std::string> subject_lots_;  // certificate -> its lot
};

}  // namespace

absl::StatusOr<EpcisExport> ExportEpcis(std::string_view origin,
                                        const std::vector<EpcisEntryIn>& entries,
                                        absl::Time created) {
  Exporter x(origin);
  EpcisExport result;
  Json list = Json::array();
  // Where each entry's events are in `list`, for error declarations.
  std::map<uint64_t, std::pair<size_t, size_t>> placed;
  std::vector<std::pair<uint64_t, v1::ErrorDeclared>> declared;
  std::vector<int64_t> declared_at;
  std::vector<std::string> declared_ids, declared_signers;
  for (size_t i = 0; i < entries.size(); ++i) {
    const EpcisEntryIn& in = entries[i];
    if (i > 0 && in.index <= entries[i - 1].index) {
      return absl::InvalidArgumentError(absl::StrCat("entries out of order at index ", in.index));
    }
    ASSIGN_OR_RETURN(EntryView view, DecodeEntry(in.data));
    if (absl::Status s = CheckEntryIndex(view, in.index); !s.ok()) {
      return absl::DataLossError(absl::StrCat("entry ", in.index, s.message()));
    }
    ASSIGN_OR_RETURN(v1::Record record, RecordOfEntry(in.index, in.data));
    x.Learn(record);
    if (record.has_error_declared()) {
      declared.emplace_back(in.index, record.error_declared());
      declared_at.push_back(record.event_time_micros());
      declared_ids.push_back(record.record_id());
      declared_signers.push_back(record.signer());
      continue;
    }
    std::vector<Json> events = x.Events(in.index, in.data, view, record);
    if (events.empty()) {
      result.unmapped.push_back({in.index, RecordTypeName(record)});
      continue;
    }
    placed[in.index] = {list.size(), events.size()};
    for (Json& e : events) list.push_back(std::move(e));
  }
  for (size_t d = 0; d < declared.size(); ++d) {
    const auto& [index, error] = declared[d];
    auto wrong = placed.find(error.wrong_index());
    if (wrong == placed.end()) {
      result.unmapped.push_back({index, "error_declared"});
      continue;
    }
    Json decl = {{"declarationTime", Time(declared_at[d])}, {"reason", "incorrect_data"}};
    if (error.has_replacement_index()) {
      if (auto r = placed.find(error.replacement_index()); r != placed.end()) {
        Json ids = Json::array();
        for (size_t n = 0; n < r->second.second; ++n) {
          ids.push_back(x.EventId(error.replacement_index(), n));
        }
        decl["correctiveEventIDs"] = std::move(ids);
      }
    }
    decl["touchstone:reason"] = error.reason();
    if (error.has_replacement_index())
      decl["touchstone:replacementIndex"] = error.replacement_index();
    decl["touchstone:declaredIn"] = index;
    decl["touchstone:declarationRecordId"] = declared_ids[d];
    decl["touchstone:declarationSigner"] = x.Party(declared_signers[d]);
    for (size_t n = 0; n < wrong->second.second; ++n) {
      list[wrong->second.first + n]["errorDeclaration"] = decl;
    }
  }
  result.events = list.size();
  Json doc = {{"@context", Json::array({kEpcisContext, {{"touchstone", kEpcisNamespace}}})},
              {"type", "EPCISDocument"},
              {"schemaVersion", "2.0"},
              {"creationDate", Time(absl::ToUnixMicros(created))},
              {"epcisBody", {{"eventList", std::move(list)}}}};
  result.document = doc.dump(2, ' ', false, Json::error_handler_t::replace);
  return result;
}

}  // namespace touchstone
