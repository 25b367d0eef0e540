#include "ledger/epcis/epcis_import.h"

#include <cmath>
#include <limits>
#include <utility>
#include <variant>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ledger/base/strings.h"
#include "ledger/epcis/epcis_export.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/gs1.h"
#include "ledger/provenance/record.h"
#include "nlohmann/json.hpp"

namespace touchstone {
namespace {

using Json = nlohmann::json;

// A mapping failure of one event: its message.
struct Refusal {
  std::string message;
};

template <typename T>
using Or = std::variant<T, Refusal>;

// Percent-decodes `s`; nullopt on a malformed escape.
std::optional<std::string> Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    int v = 0;
    for (size_t k = 1; k <= 2; ++k) {
      if (i + k >= s.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(s[i + k]))) {
        return std::nullopt;
      }
      const char c = absl::ascii_tolower(static_cast<unsigned char>(s[i + k]));
      v = v * 16 + (absl::ascii_isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10);
    }
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

// The enum value named `word` after `prefix` ("recycled_post_consumer" with
// "ORIGIN_CLASS_"), or nullopt.
std::optional<int> EnumValue(const google::protobuf::EnumDescriptor* d, std::string_view prefix,
                             std::string_view word) {
  const google::protobuf::EnumValueDescriptor* v =
      d->FindValueByName(absl::StrCat(Sv(prefix), absl::AsciiStrToUpper(std::string(word))));
  if (v == nullptr || v->number() == 0) return std::nullopt;
  return v->number();
}

// Reads one document: the namespace prefixes, then events. Thread-compatible.
class Reader {
 public:
  explicit Reader(const Json& context) {
    // Every prefix the @context binds to our namespace.
    std::vector<const Json*> parts;
    if (context.is_array()) {
      for (const Json& c : context) parts.push_back(&c);
    } else {
      parts.push_back(&context);
    }
    for (const Json* c : parts) {
      if (!c->is_object()) continue;
      for (const auto& [k, v] : c->items()) {
        if (v.is_string() && v.get<std::string>() == kEpcisNamespace) prefixes_.insert(k);
      }
    }
  }

  // Our key `local` in object `o` (prefixed with any bound prefix, or the
  // namespace written out); nullptr if absent.
  const Json* T(const Json& o, std::string_view local) const {
    if (!o.is_object()) return nullptr;
    for (const std::string& p : prefixes_) {
      auto it = o.find(absl::StrCat(p, ":", Sv(local)));
      if (it != o.end()) return &*it;
    }
    auto it = o.find(absl::StrCat(Sv(kEpcisNamespace), Sv(local)));
    return it == o.end() ? nullptr : &*it;
  }
  // A string of ours, "" if absent or not a string.
  std::string Str(const Json& o, std::string_view local) const {
    const Json* v = T(o, local);
    return v != nullptr && v->is_string() ? v->get<std::string>() : "";
  }
  // An integer of ours, 0 if absent; a refusal if present and not an integer.
  Or<int64_t> Int(const Json& o, std::string_view local) const {
    const Json* v = T(o, local);
    if (v == nullptr) return int64_t{0};
    if (!v->is_number_integer()) {
      return Refusal{absl::StrCat("touchstone:", Sv(local), " must be an integer")};
    }
    return v->get<int64_t>();
  }

  // The name under `kind` ("lot", "piece", ...) of a URI of ours, or nullopt.
  static std::optional<std::string> Named(std::string_view uri, std::string_view kind) {
    if (!absl::StartsWith(Sv(uri), "https://")) return std::nullopt;
    const std::string marker = absl::StrCat("/", Sv(kind), "/");
    const size_t at = uri.find(marker, 8);
    if (at == std::string_view::npos) return std::nullopt;
    std::string_view rest = uri.substr(at + marker.size());
    if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
    return Decode(rest);
  }
  // A lot's id from its URI: ours, or the URI itself (an LGTIN class, ...).
  static std::string LotId(std::string_view uri) {
    std::optional<std::string> id = Named(uri, "lot");
    return id ? *id : std::string(uri);
  }

  // The piece a URI names: ours, or a Digital Link a registration in this
  // document gave a piece id.
  Or<std::string> PieceId(std::string_view uri) const {
    if (std::optional<std::string> id = Named(uri, "piece")) return *id;
    if (auto it = digital_links_.find(std::string(uri)); it != digital_links_.end())
      return it->second;
    return Refusal{absl::StrCat(Sv(uri),
                                " names no piece: a piece is https://<log>/piece/<id>, "
                                "or the Digital Link of a piece registered earlier in "
                                "this document")};
  }
  void LearnDigitalLink(std::string uri, std::string piece) {
    digital_links_[std::move(uri)] = std::move(piece);
  }

  // The participant a URI names.
  static Or<std::string> Party(std::string_view uri) {
    if (std::optional<std::string> id = Named(uri, "participant")) return *id;
    return Refusal{absl::StrCat(Sv(uri), " names no participant (https://<log>/participant/<id>)")};
  }

 private:
  absl::flat_hash_set<std::string> prefixes_;
  absl::flat_hash_map<std::string, std::string> digital_links_;
};

#define TAKE(var, expr)                                                \
  auto var##_or = (expr);                                              \
  if (auto* r = std::get_if<Refusal>(&var##_or)) return std::move(*r); \
  auto var = std::move(std::get<0>(var##_or))

std::string S(const Json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

// A quantity element's amount in the unit `unit` names: milligrams (MGM, or
// GRM / KGM converted) or thousandths of a carat (CTM).
struct Amount {
  int64_t quantity = 0;
  v1::Unit unit = v1::UNIT_UNSPECIFIED;
};
Or<Amount> AmountOf(const Json& q, bool required) {
  auto it = q.find("quantity");
  if (it == q.end()) {
    if (!required) return Amount{};
    return Refusal{absl::StrCat(
        S(q, "epcClass"),
        ": no quantity (a sealed record's amounts are not in the log, so not in its export)")};
  }
  if (!it->is_number()) return Refusal{"quantity must be a number"};
  const std::string uom = S(q, "uom");
  double scale = 0;
  v1::Unit unit = v1::UNIT_MILLIGRAM;
  if (uom == "MGM") {
    scale = 1;
  } else if (uom == "GRM") {
    scale = 1e3;
  } else if (uom == "KGM") {
    scale = 1e6;
  } else if (uom == "CTM") {
    scale = 1e3;
    unit = v1::UNIT_CARAT_THOUSANDTH;
  } else {
    return Refusal{absl::StrCat(S(q, "epcClass"), ": unit '", uom,
                                "' is not a mass Touchstone records (MGM, GRM, KGM or CTM)")};
  }
  const double v = it->get<double>() * scale;
  const double rounded = std::round(v);
  if (std::abs(v - rounded) > 1e-6 || rounded <= 0 || rounded > 9e15) {
    return Refusal{
        absl::StrCat(S(q, "epcClass"), ": quantity ", it->dump(), " ", uom,
                     " is not a whole, positive number of ",
                     unit == v1::UNIT_CARAT_THOUSANDTH ? "thousandths of a carat" : "milligrams")};
  }
  return Amount{static_cast<int64_t>(rounded), unit};
}

// Hex to bytes, or a refusal naming `what`.
Or<std::string> Hex(const std::string& hex, std::string_view what) {
  bool ok = hex.size() % 2 == 0;
  for (char c : hex) ok = ok && absl::ascii_isxdigit(static_cast<unsigned char>(c));
  if (!ok) return Refusal{absl::StrCat(Sv(what), " is not hex")};
  return absl::HexStringToBytes(hex);
}

class Planner {
 public:
  explicit Planner(const Json& doc) : r_(doc.contains("@context") ? doc["@context"] : Json()) {}

  void Plan(const Json& events, EpcisImportPlan& plan) {
    plan.events = events.size();
    // Group the events of one record: same touchstone:index, or same eventID stem.
    size_t i = 0;
    while (i < events.size()) {
      size_t j = i + 1;
      const std::string key = GroupKey(events[i]);
      while (j < events.size() && !key.empty() && GroupKey(events[j]) == key) ++j;
      std::vector<const Json*> group;
      for (size_t k = i; k < j; ++k) group.push_back(&events[k]);
      PlanGroup(group, i + 1, plan);
      i = j;
    }
    PlaceDeclarations(plan);
  }

 private:
  std::string GroupKey(const Json& e) const {
    if (const Json* entry = r_.T(e, "entry")) {
      if (const Json* index = r_.T(*entry, "index"); index != nullptr && index->is_number()) {
        return absl::StrCat("index:", index->dump());
      }
    }
    const std::string id = S(e, "eventID");
    return id.empty() ? "" : "id:" + id.substr(0, id.find('#'));
  }

  void PlanGroup(const std::vector<const Json*>& group, size_t position, EpcisImportPlan& plan) {
    const Json& first = *group.front();
    const std::string event_id = S(first, "eventID");
    auto refuse = [&](std::string message) {
      plan.errors.push_back(
          {.event = position, .event_id = event_id, .message = std::move(message)});
    };
    if (!first.is_object()) return refuse("not a JSON object");
    if (event_id.empty()) {
      return refuse(
          "no eventID: an imported event needs one, so that importing it again "
          "appends nothing twice");
    }
    if (r_.T(first, "sealed") != nullptr) {
      return refuse(
          "a sealed record: its committed fields (amounts) are not in the log, so not in "
          "the document; it cannot be re-created from it");
    }
    Or<v1::Record> mapped = Map(group);
    if (auto* no = std::get_if<Refusal>(&mapped)) {
      return refuse(absl::StrCat(Shape(first), ": ", no->message));
    }
    v1::Record& record = std::get<v1::Record>(mapped);
    // Time, id, import marker.
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, S(first, "eventTime"), &t, &err)) {
      return refuse(absl::StrCat("eventTime '", S(first, "eventTime"), "' is not RFC 3339: ", err));
    }
    record.set_event_time_micros(absl::ToUnixMicros(t));
    if (record.event_time_micros() < 0) return refuse("eventTime is before 1970");
    const Json* entry = r_.T(first, "entry");
    std::string record_id = entry != nullptr ? r_.Str(*entry, "recordId") : "";
    if (record_id.empty()) {
      record_id = absl::StrCat("epcis-", HashToHex(Sha256(event_id)).substr(0, 32));
    }
    record.set_record_id(record_id);
    if (const Json* h = r_.T(first, "historyImport"); h != nullptr && h->is_boolean()) {
      record.set_history_import(h->get<bool>());
    }
    if (record.has_piece_registered() && !record.piece_registered().gtin().empty()) {
      const v1::PieceRegistered& p = record.piece_registered();
      r_.LearnDigitalLink(absl::StrCat("https://id.gs1.org", DigitalLinkPath(p.gtin(), p.serial())),
                          p.piece_id());
    }
    EpcisImportRecord out{.event = position, .event_id = event_id, .record = std::move(record)};
    // Who signs.
    std::string signer_uri = entry != nullptr ? r_.Str(*entry, "signer") : "";
    if (signer_uri.empty()) signer_uri = NamedParty(first);
    if (!signer_uri.empty()) {
      Or<std::string> signer = Reader::Party(signer_uri);
      if (auto* no = std::get_if<Refusal>(&signer)) return refuse(no->message);
      out.signer = std::get<std::string>(signer);
    }
    const size_t at = plan.records.size();
    plan.records.push_back(std::move(out));
    by_event_id_[event_id] = at;
    if (entry != nullptr) {
      if (const Json* index = r_.T(*entry, "index"); index && index->is_number_unsigned()) {
        original_index_[at] = index->get<uint64_t>();
        plan.records[at].original_index = index->get<uint64_t>();
        if (const size_t stem = event_id.rfind("/entry/"); stem != std::string::npos) {
          plan.records[at].original_log = event_id.substr(0, stem + 7);
        }
      }
    }
    if (auto d = first.find("errorDeclaration"); d != first.end()) {
      declarations_.push_back({at, position, &*d});
    }
  }

  // "ObjectEvent OBSERVE shipping", for messages.
  static std::string Shape(const Json& e) {
    std::string s = S(e, "type");
    if (!S(e, "action").empty()) absl::StrAppend(&s, " ", S(e, "action"));
    if (!S(e, "bizStep").empty()) absl::StrAppend(&s, " ", S(e, "bizStep"));
    return s;
  }

  // The party a custody event names as acting: the shipper (source), or the
  // receiver (destination) of a receipt; "" if none.
  static std::string NamedParty(const Json& e) {
    const std::string step = S(e, "bizStep");
    const char* list = step == "shipping"    ? "sourceList"
                       : step == "receiving" ? "destinationList"
                                             : nullptr;
    if (list == nullptr || !e.contains(list) || !e[list].is_array()) return "";
    const char* field = step == "shipping" ? "source" : "destination";
    for (const Json& p : e[list]) {
      if (S(p, "type") == "possessing_party") return S(p, field);
    }
    return "";
  }

  Or<v1::Record> Map(const std::vector<const Json*>& g) const {
    const Json& e = *g.front();
    const std::string type = S(e, "type"), action = S(e, "action"), step = S(e, "bizStep");
    // A piece's making names the piece's id in its master data.
    const bool piece = e.contains("ilmd") && r_.T(e["ilmd"], "pieceId") != nullptr;
    if (piece && ((type == "TransformationEvent" && e.contains("outputEPCList")) ||
                  (type == "ObjectEvent" && action == "ADD" && e.contains("epcList")))) {
      return Piece(g);
    }
    if (e.contains("ilmd") && r_.T(e["ilmd"], "heirloom") != nullptr && !piece) {
      return Refusal{
          "an heirloom intake is co-signed by the owner's key, which a document "
          "cannot carry; it is not imported"};
    }
    if (g.size() > 1 && !(type == "AggregationEvent" && step == "replacing")) {
      return Refusal{absl::StrCat(g.size(),
                                  " events share one entry; only a piece registration "
                                  "or a stone replacement has two")};
    }
    if (type == "ObjectEvent" && action == "ADD" && step == "commissioning") return LotCreated(e);
    if (type == "TransformationEvent") {
      if (r_.T(e, "process") == nullptr) {
        return Refusal{
            "neither a transformation (touchstone:process, lots in inputQuantityList "
            "and outputQuantityList) nor a piece's making (one piece in "
            "outputEPCList, touchstone:pieceId in ilmd)"};
      }
      return Transformation(e);
    }
    if (type == "ObjectEvent" && action == "OBSERVE") {
      if (step == "shipping") return Shipped(e);
      if (step == "receiving") return Received(e);
      if (step == "inspecting") return Inspected(e);
      if (r_.T(e, "event") != nullptr) return Lifecycle(e);
    }
    if (type == "AggregationEvent" && step == "replacing") return Replaced(g);
    return Refusal{
        "no Touchstone record has this shape (supported: ObjectEvent ADD commissioning of a lot, "
        "TransformationEvent, ObjectEvent OBSERVE shipping / receiving / inspecting, a piece's "
        "registration and lifecycle, AggregationEvent replacing; docs/epcis.md)"};
  }

  // The single lot of an event's quantityList.
  static Or<const Json*> OneLot(const Json& e) {
    if (!e.contains("quantityList") || !e["quantityList"].is_array() ||
        e["quantityList"].size() != 1) {
      std::string why = "names no lot in quantityList";
      if (e.contains("quantityList") && e["quantityList"].is_array()) {
        why = absl::StrCat("names ", e["quantityList"].size(), " lots in quantityList");
      }
      if (e.contains("epcList")) {
        absl::StrAppend(&why, " (epcList names instances; Touchstone records lots, one per event)");
      } else {
        absl::StrAppend(&why, "; Touchstone records one lot per event");
      }
      return Refusal{why};
    }
    return &e["quantityList"][0];
  }

  static void AddCertificates(const Json& e, google::protobuf::RepeatedPtrField<std::string>* ids) {
    auto it = e.find("certificationInfo");
    if (it == e.end()) return;
    std::vector<std::string> uris;
    if (it->is_string()) uris.push_back(it->get<std::string>());
    if (it->is_array()) {
      for (const Json& u : *it) {
        if (u.is_string()) uris.push_back(u.get<std::string>());
      }
    }
    for (const std::string& uri : uris) {
      std::optional<std::string> id = Reader::Named(uri, "certificate");
      *ids->Add() = id ? std::move(*id) : uri;
    }
  }

  Or<v1::Record> LotCreated(const Json& e) const {
    TAKE(q, OneLot(e));
    if (!e.contains("ilmd") || r_.T(e["ilmd"], "material") == nullptr) {
      return Refusal{
          "the lot's master data (ilmd) has no touchstone:material: Touchstone records "
          "what a lot is made of, where it comes from and how fine it is"};
    }
    const Json& ilmd = e["ilmd"];
    TAKE(amount, AmountOf(*q, true));
    v1::Record rec;
    v1::LotCreated* l = rec.mutable_lot_created();
    l->set_lot_id(Reader::LotId(S(*q, "epcClass")));
    l->set_material(r_.Str(ilmd, "material"));
    l->set_form(r_.Str(ilmd, "form"));
    const std::optional<int> origin =
        EnumValue(v1::OriginClass_descriptor(), "ORIGIN_CLASS_", r_.Str(ilmd, "originClass"));
    if (!origin) {
      return Refusal{absl::StrCat("touchstone:originClass '", r_.Str(ilmd, "originClass"),
                                  "' is not an origin class (mined, recycled_pre_consumer, "
                                  "recycled_post_consumer, lab_grown)")};
    }
    l->set_origin_class(static_cast<v1::OriginClass>(*origin));
    l->set_quantity(amount.quantity);
    l->set_unit(amount.unit);
    TAKE(ptt, r_.Int(ilmd, "finenessPtt"));
    TAKE(ppt, r_.Int(ilmd, "finenessPpt"));
    l->set_fineness_ptt(static_cast<int32_t>(ptt));
    l->set_fineness_ppt(static_cast<int32_t>(ppt));
    l->set_facility(r_.Str(ilmd, "facility"));
    l->set_note(r_.Str(ilmd, "note"));
    AddCertificates(e, l->mutable_certificate_ids());
    if (const Json* p = r_.T(ilmd, "parcel")) {
      TAKE(stones, r_.Int(*p, "stones"));
      TAKE(min, r_.Int(*p, "minStoneThousandths"));
      TAKE(max, r_.Int(*p, "maxStoneThousandths"));
      l->mutable_parcel()->set_stone_count(stones);
      l->mutable_parcel()->set_size_class(r_.Str(*p, "sizeClass"));
      l->mutable_parcel()->set_min_stone_thousandths(min);
      l->mutable_parcel()->set_max_stone_thousandths(max);
    }
    if (const Json* g = r_.T(ilmd, "gemstone")) {
      l->mutable_gemstone()->set_species(r_.Str(*g, "species"));
      l->mutable_gemstone()->set_treatment(r_.Str(*g, "treatment"));
      l->mutable_gemstone()->set_country_of_origin(r_.Str(*g, "countryOfOrigin"));
    }
    return rec;
  }

  Or<v1::Record> Transformation(const Json& e) const {
    const std::optional<int> process =
        EnumValue(v1::Process_descriptor(), "PROCESS_", r_.Str(e, "process"));
    if (!process) {
      return Refusal{absl::StrCat("touchstone:process '", r_.Str(e, "process"),
                                  "' is not a process (refine, alloy, cast, cut_and_polish, split, "
                                  "merge)")};
    }
    if (e.contains("inputEPCList") || !e.contains("inputQuantityList") ||
        !e.contains("outputQuantityList")) {
      return Refusal{
          "a transformation takes lots and makes lots, in inputQuantityList and "
          "outputQuantityList (inputEPCList names instances)"};
    }
    v1::Record rec;
    v1::Transformation* t = rec.mutable_transformation();
    std::optional<std::string> tid = Reader::Named(S(e, "transformationID"), "transformation");
    t->set_transformation_id(tid ? *tid : S(e, "transformationID"));
    if (t->transformation_id().empty()) return Refusal{"no transformationID"};
    t->set_process(static_cast<v1::Process>(*process));
    t->set_material(r_.Str(e, "material"));
    t->set_location(r_.Str(e, "location"));
    t->set_note(r_.Str(e, "note"));
    TAKE(loss_ptt, r_.Int(e, "declaredLossFinePtt"));
    TAKE(loss, r_.Int(e, "declaredLossFine"));
    t->set_declared_loss_fine_ptt(loss_ptt);
    t->set_declared_loss_fine(loss);
    AddCertificates(e, t->mutable_certificate_ids());
    absl::flat_hash_map<std::string, const Json*> draws, outs;
    if (const Json* d = r_.T(e, "draws"); d != nullptr && d->is_array()) {
      for (const Json& x : *d) draws[Reader::LotId(r_.Str(x, "lot"))] = &x;
    }
    if (e.contains("ilmd")) {
      if (const Json* o = r_.T(e["ilmd"], "outputs"); o != nullptr && o->is_array()) {
        for (const Json& x : *o) outs[Reader::LotId(r_.Str(x, "lot"))] = &x;
      }
    }
    for (const Json& q : e["inputQuantityList"]) {
      TAKE(amount, AmountOf(q, true));
      v1::LotQuantity* in = t->add_inputs();
      in->set_lot_id(Reader::LotId(S(q, "epcClass")));
      in->set_quantity(amount.quantity);
      if (auto it = draws.find(in->lot_id()); it != draws.end()) {
        TAKE(stones, r_.Int(*it->second, "stones"));
        TAKE(left, r_.Int(*it->second, "stonesLeft"));
        TAKE(qleft, r_.Int(*it->second, "quantityLeft"));
        in->set_stones(stones);
        in->set_stones_left(left);
        in->set_quantity_left(qleft);
      }
    }
    for (const Json& q : e["outputQuantityList"]) {
      TAKE(amount, AmountOf(q, true));
      v1::OutputLot* out = t->add_outputs();
      out->set_lot_id(Reader::LotId(S(q, "epcClass")));
      out->set_quantity(amount.quantity);
      auto it = outs.find(out->lot_id());
      if (it == outs.end()) {
        return Refusal{absl::StrCat("output ", S(q, "epcClass"),
                                    " has no master data (ilmd touchstone:outputs: its form and "
                                    "fineness)")};
      }
      const Json& m = *it->second;
      out->set_form(r_.Str(m, "form"));
      TAKE(ptt, r_.Int(m, "finenessPtt"));
      TAKE(ppt, r_.Int(m, "finenessPpt"));
      TAKE(stones, r_.Int(m, "stones"));
      TAKE(fine, r_.Int(m, "heirloomFine"));
      out->set_fineness_ptt(static_cast<int32_t>(ptt));
      out->set_fineness_ppt(static_cast<int32_t>(ppt));
      out->set_stones(stones);
      out->set_size_class(r_.Str(m, "sizeClass"));
      out->set_heirloom_fine(fine);
    }
    return rec;
  }

  Or<v1::Record> Shipped(const Json& e) const {
    TAKE(q, OneLot(e));
    std::string to;
    if (e.contains("destinationList") && e["destinationList"].is_array()) {
      for (const Json& d : e["destinationList"]) {
        if (S(d, "type") == "possessing_party") to = S(d, "destination");
      }
    }
    if (to.empty()) {
      return Refusal{
          "no destinationList entry of type possessing_party: a shipment names who "
          "takes custody"};
    }
    TAKE(party, Reader::Party(to));
    const std::string shipment = r_.Str(e, "shipmentId");
    if (shipment.empty()) return Refusal{"no touchstone:shipmentId"};
    v1::Record rec;
    v1::CustodyShipped* s = rec.mutable_custody_shipped();
    s->set_shipment_id(shipment);
    s->set_lot_id(Reader::LotId(S(*q, "epcClass")));
    s->set_to_participant(party);
    s->set_warranty_statement(r_.Str(e, "warrantyStatement"));
    if (const std::string ref = r_.Str(e, "businessReferenceSha256"); !ref.empty()) {
      TAKE(bytes, Hex(ref, "touchstone:businessReferenceSha256"));
      s->set_business_reference_sha256(bytes);
    }
    return rec;
  }

  Or<v1::Record> Received(const Json& e) const {
    TAKE(q, OneLot(e));
    const std::string shipment = r_.Str(e, "shipmentId");
    if (shipment.empty()) {
      return Refusal{"no touchstone:shipmentId: a receipt names the shipment it closes"};
    }
    v1::Record rec;
    rec.mutable_custody_received()->set_shipment_id(shipment);
    rec.mutable_custody_received()->set_lot_id(Reader::LotId(S(*q, "epcClass")));
    return rec;
  }

  Or<v1::Record> Inspected(const Json& e) const {
    TAKE(q, OneLot(e));
    const Json* c = r_.T(e, "certificate");
    google::protobuf::RepeatedPtrField<std::string> ids;
    AddCertificates(e, &ids);
    if (c == nullptr || ids.size() != 1) {
      return Refusal{
          "an inspection maps to a certificate about the lot: one certificationInfo "
          "and touchstone:certificate"};
    }
    v1::Record rec;
    v1::CertificateIssued* ci = rec.mutable_certificate_issued();
    ci->set_certificate_id(ids[0]);
    ci->set_scheme(r_.Str(*c, "scheme"));
    ci->set_subject_lot(Reader::LotId(S(*q, "epcClass")));
    ci->set_scope(r_.Str(*c, "scope"));
    ci->set_external_number(r_.Str(*c, "externalNumber"));
    for (const auto& [key, field] : {std::pair{"validFrom", 0}, std::pair{"validUntil", 1}}) {
      const std::string text = r_.Str(*c, key);
      if (text.empty()) continue;
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
        return Refusal{absl::StrCat("touchstone:", key, " is not RFC 3339: ", err)};
      }
      field == 0 ? ci->set_valid_from_micros(absl::ToUnixMicros(t))
                 : ci->set_valid_until_micros(absl::ToUnixMicros(t));
    }
    if (const Json* d = r_.T(*c, "document")) {
      TAKE(bytes, Hex(r_.Str(*d, "sha256"), "touchstone:document's touchstone:sha256"));
      ci->set_document_sha256(bytes);
      ci->set_document_hash_algorithm(r_.Str(*d, "hashAlgorithm"));
      ci->set_document_media_type(r_.Str(*d, "mediaType"));
    }
    auto carats = [this](const Json& o) -> Or<int64_t> {
      const Json* v = r_.T(o, "carats");
      if (v == nullptr) return int64_t{0};
      if (!v->is_number()) return Refusal{"touchstone:carats must be a number"};
      return static_cast<int64_t>(std::llround(v->get<double>() * 1000));
    };
    if (const Json* g = r_.T(*c, "gradingReport")) {
      v1::GradingReport* gr = ci->mutable_grading_report();
      gr->set_lab(r_.Str(*g, "lab"));
      gr->set_report_number(r_.Str(*g, "reportNumber"));
      gr->set_inscription(r_.Str(*g, "inscription"));
      gr->set_origin(static_cast<v1::StoneOrigin>(
          EnumValue(v1::StoneOrigin_descriptor(), "STONE_ORIGIN_", r_.Str(*g, "origin"))
              .value_or(0)));
      gr->set_growth_method(static_cast<v1::GrowthMethod>(
          EnumValue(v1::GrowthMethod_descriptor(), "GROWTH_METHOD_", r_.Str(*g, "growthMethod"))
              .value_or(0)));
      gr->set_treatment(r_.Str(*g, "treatment"));
      TAKE(ct, carats(*g));
      gr->set_carats_thousandths(ct);
      gr->set_colour(r_.Str(*g, "colour"));
      gr->set_clarity(r_.Str(*g, "clarity"));
      gr->set_cut(r_.Str(*g, "cut"));
      gr->set_measurements(r_.Str(*g, "measurements"));
    } else if (const Json* k = r_.T(*c, "kimberleyProcess")) {
      v1::KimberleyProcessCertificate* kp = ci->mutable_kimberley_process();
      kp->set_certificate_number(r_.Str(*k, "certificateNumber"));
      kp->set_country_of_origin(r_.Str(*k, "countryOfOrigin"));
      kp->set_exporter(r_.Str(*k, "exporter"));
      kp->set_importer(r_.Str(*k, "importer"));
      TAKE(ct, carats(*k));
      TAKE(parcels, r_.Int(*k, "parcels"));
      kp->set_carats_thousandths(ct);
      kp->set_parcels(static_cast<int32_t>(parcels));
    } else if (const Json* p = r_.T(*c, "parcelReport")) {
      v1::ParcelReport* pr = ci->mutable_parcel_report();
      pr->set_report_number(r_.Str(*p, "reportNumber"));
      pr->set_origin(static_cast<v1::StoneOrigin>(
          EnumValue(v1::StoneOrigin_descriptor(), "STONE_ORIGIN_", r_.Str(*p, "origin"))
              .value_or(0)));
      TAKE(stones, r_.Int(*p, "stones"));
      TAKE(ct, carats(*p));
      pr->set_stone_count(stones);
      pr->set_carats_thousandths(ct);
      pr->set_size_class(r_.Str(*p, "sizeClass"));
    }
    return rec;
  }

  Or<v1::Record> Lifecycle(const Json& e) const {
    if (!e.contains("epcList") || !e["epcList"].is_array() || e["epcList"].size() != 1 ||
        !e["epcList"][0].is_string()) {
      return Refusal{"a piece's event names the one piece in epcList"};
    }
    TAKE(piece, r_.PieceId(e["epcList"][0].get<std::string>()));
    const std::optional<int> event =
        EnumValue(v1::PieceEvent_descriptor(), "PIECE_EVENT_", r_.Str(e, "event"));
    if (!event || *event == v1::PIECE_EVENT_REPURPOSED) {
      return Refusal{absl::StrCat("touchstone:event '", r_.Str(e, "event"),
                                  "' is not sold, repaired, lost, stolen or recovered")};
    }
    v1::Record rec;
    v1::PieceLifecycle* l = rec.mutable_piece_lifecycle();
    l->set_piece_id(piece);
    l->set_event(static_cast<v1::PieceEvent>(*event));
    l->set_note(r_.Str(e, "note"));
    if (const std::string h = r_.Str(e, "ownerSaltedSha256"); !h.empty()) {
      TAKE(bytes, Hex(h, "touchstone:ownerSaltedSha256"));
      l->set_owner_salted_sha256(bytes);
    }
    if (const std::string b = r_.Str(e, "buyerOwnerKey"); !b.empty()) {
      std::string bytes;
      if (!absl::Base64Unescape(b, &bytes) || !l->mutable_buyer()->ParseFromString(bytes)) {
        return Refusal{"touchstone:buyerOwnerKey is not a base64 OwnerKey"};
      }
    }
    return rec;
  }

  Or<v1::Record> Replaced(const std::vector<const Json*>& g) const {
    if (g.size() != 2 || S(*g[0], "action") != "DELETE" || S(*g[1], "action") != "ADD" ||
        S(*g[1], "type") != "AggregationEvent" || S(*g[1], "bizStep") != "replacing" ||
        S(*g[0], "parentID") != S(*g[1], "parentID")) {
      return Refusal{
          "a stone replacement is an AggregationEvent DELETE of the old stone then ADD "
          "of the new, same parent"};
    }
    TAKE(piece, r_.PieceId(S(*g[0], "parentID")));
    auto one = [](const Json& e) -> std::string {
      return e.contains("childEPCs") && e["childEPCs"].size() == 1 && e["childEPCs"][0].is_string()
                 ? Reader::LotId(e["childEPCs"][0].get<std::string>())
                 : "";
    };
    v1::Record rec;
    v1::StoneReplaced* s = rec.mutable_stone_replaced();
    s->set_piece_id(piece);
    s->set_old_stone_lot_id(one(*g[0]));
    s->set_new_stone_lot_id(one(*g[1]));
    s->set_reason(r_.Str(*g[1], "reason"));
    if (s->old_stone_lot_id().empty() || s->new_stone_lot_id().empty()) {
      return Refusal{"each replacing event names one stone in childEPCs"};
    }
    return rec;
  }

  Or<v1::Record> Piece(const std::vector<const Json*>& g) const {
    const Json& made = *g.front();
    if (g.size() > 2 ||
        (g.size() == 2 && (S(*g[1], "type") != "AggregationEvent" || S(*g[1], "action") != "ADD" ||
                           S(*g[1], "bizStep") != "assembling"))) {
      return Refusal{
          "a piece's registration is its making, then at most one AggregationEvent ADD "
          "assembling of its stones"};
    }
    const Json* ilmd = made.contains("ilmd") ? &made["ilmd"] : nullptr;
    if (ilmd == nullptr || r_.Str(*ilmd, "pieceId").empty()) {
      return Refusal{"the piece's master data (ilmd) has no touchstone:pieceId"};
    }
    if (r_.T(*ilmd, "heirloom") != nullptr) {
      return Refusal{
          "a piece claiming its owner's material relies on heirloom intakes, which are "
          "co-signed by the owner's key and not imported"};
    }
    v1::Record rec;
    v1::PieceRegistered* p = rec.mutable_piece_registered();
    p->set_piece_id(r_.Str(*ilmd, "pieceId"));
    p->set_description(r_.Str(*ilmd, "description"));
    p->set_hallmark(r_.Str(*ilmd, "hallmark"));
    p->set_gtin(r_.Str(*ilmd, "gtin"));
    p->set_serial(r_.Str(*ilmd, "serial"));
    if (const Json* d = r_.T(*ilmd, "discloseInputs"); d != nullptr && d->is_boolean()) {
      p->set_disclose_inputs(d->get<bool>());
    }
    if (made.contains("inputQuantityList")) {
      for (const Json& q : made["inputQuantityList"]) {
        TAKE(amount, AmountOf(q, true));
        if (amount.unit != v1::UNIT_MILLIGRAM) {
          return Refusal{"a piece's metal is measured in mass (MGM, GRM, KGM)"};
        }
        v1::MetalInput* m = p->add_metal_inputs();
        m->set_lot_id(Reader::LotId(S(q, "epcClass")));
        m->set_quantity(amount.quantity);
      }
    }
    if (const Json* claims = r_.T(*ilmd, "materialClaims"); claims && claims->is_array()) {
      for (const Json& c : *claims) {
        v1::MaterialClaim* mc = p->add_material_claims();
        mc->set_material(r_.Str(c, "material"));
        const std::optional<int> attribute =
            EnumValue(v1::Attribute_descriptor(), "ATTRIBUTE_", r_.Str(c, "attribute"));
        const std::optional<int> model =
            EnumValue(v1::CustodyModel_descriptor(), "CUSTODY_MODEL_", r_.Str(c, "model"));
        if (!attribute || !model) {
          return Refusal{absl::StrCat("a material claim's attribute '", r_.Str(c, "attribute"),
                                      "' or model '", r_.Str(c, "model"), "' is not known")};
        }
        mc->set_attribute(static_cast<v1::Attribute>(*attribute));
        mc->set_model(static_cast<v1::CustodyModel>(*model));
        TAKE(share, r_.Int(c, "shareBp"));
        mc->set_share_bp(static_cast<uint32_t>(share));
        mc->set_account_id(r_.Str(c, "accountId"));
        mc->set_scheme(r_.Str(c, "scheme"));
      }
    }
    if (const Json* legacy = r_.T(*ilmd, "claims"); legacy && legacy->is_array()) {
      for (const Json& c : *legacy) {
        const std::optional<int> claim =
            EnumValue(v1::Claim_descriptor(), "CLAIM_", c.is_string() ? c.get<std::string>() : "");
        if (!claim) return Refusal{absl::StrCat("claim ", c.dump(), " is not known")};
        p->add_claims(static_cast<v1::Claim>(*claim));
      }
    }
    if (g.size() == 2) {
      const Json& set = *g[1];
      if (set.contains("childEPCs")) {
        for (const Json& s : set["childEPCs"]) {
          p->add_stone_lot_ids(Reader::LotId(s.is_string() ? s.get<std::string>() : ""));
        }
      }
      if (set.contains("childQuantityList")) {
        for (const Json& q : set["childQuantityList"]) {
          auto it = q.find("quantity");
          if (S(q, "uom") != "H87" || it == q.end() || !it->is_number_integer()) {
            return Refusal{
                "stones drawn from a parcel are counted: childQuantityList with uom "
                "H87 and a whole quantity"};
          }
          v1::ParcelStones* ps = p->add_parcel_stones();
          ps->set_lot_id(Reader::LotId(S(q, "epcClass")));
          ps->set_stones(it->get<int64_t>());
        }
      }
    }
    return rec;
  }

  // Turns each errorDeclaration into an error_declared record, placed where
  // the original log had it (touchstone:declaredIn against the records'
  // touchstone:index), or else after the records it names.
  void PlaceDeclarations(EpcisImportPlan& plan) {
    struct Placed {
      size_t before;  // insert before this record position (plan.records.size() = at the end)
      EpcisImportRecord record;
    };
    std::vector<Placed> placed;
    for (const Declaration& d : declarations_) {
      const Json& decl = *d.json;
      const EpcisImportRecord& wrong = plan.records[d.record];
      auto refuse = [&](std::string message) {
        plan.errors.push_back({.event = d.position,
                               .event_id = wrong.event_id,
                               .message = absl::StrCat("errorDeclaration: ", message)});
      };
      EpcisImportRecord out{.event = d.position, .event_id = wrong.event_id};
      out.wrong = d.record;
      if (auto c = decl.find("correctiveEventIDs"); c != decl.end() && c->is_array()) {
        for (const Json& id : *c) {
          if (!id.is_string()) continue;
          if (auto it = by_event_id_.find(id.get<std::string>()); it != by_event_id_.end()) {
            out.replacement = it->second;
            break;
          }
        }
        if (!out.replacement && !c->empty()) {
          refuse("its correctiveEventIDs name no record of this document");
          continue;
        }
      }
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, S(decl, "declarationTime"), &t, &err)) {
        refuse(absl::StrCat("declarationTime is not RFC 3339: ", err));
        continue;
      }
      v1::Record& rec = out.record;
      rec.set_event_time_micros(absl::ToUnixMicros(t));
      std::string id = r_.Str(decl, "declarationRecordId");
      if (id.empty()) {
        id = absl::StrCat("epcis-",
                          HashToHex(Sha256("errorDeclaration\n" + wrong.event_id)).substr(0, 32));
      }
      rec.set_record_id(id);
      std::string reason = r_.Str(decl, "reason");
      rec.mutable_error_declared()->set_reason(reason.empty() ? S(decl, "reason") : reason);
      out.signer = wrong.signer;
      if (const std::string s = r_.Str(decl, "declarationSigner"); !s.empty()) {
        Or<std::string> who = Reader::Party(s);
        if (auto* no = std::get_if<Refusal>(&who)) {
          refuse(no->message);
          continue;
        }
        out.signer = std::get<std::string>(who);
      }
      // Where: before the first record whose original index is past declaredIn;
      // never before the records it names.
      size_t before = std::max(d.record, out.replacement.value_or(0)) + 1;
      const Json* in = r_.T(decl, "declaredIn");
      if (in != nullptr && in->is_number_unsigned()) {
        const uint64_t at = in->get<uint64_t>();
        out.original_index = at;
        out.original_log = wrong.original_log;
        while (before < plan.records.size()) {
          auto it = original_index_.find(before);
          if (it != original_index_.end() && it->second > at) break;
          ++before;
        }
      }
      placed.push_back({before, std::move(out)});
    }
    // Insert, fixing up the positions `wrong` and `replacement` refer to.
    std::stable_sort(placed.begin(), placed.end(),
                     [](const Placed& a, const Placed& b) { return a.before < b.before; });
    std::vector<size_t> moved(plan.records.size());
    std::vector<EpcisImportRecord> all;
    size_t p = 0;
    for (size_t i = 0; i <= plan.records.size(); ++i) {
      while (p < placed.size() && placed[p].before == i)
        all.push_back(std::move(placed[p++].record));
      if (i == plan.records.size()) break;
      moved[i] = all.size();
      all.push_back(std::move(plan.records[i]));
    }
    for (EpcisImportRecord& r : all) {
      if (r.wrong) r.wrong = moved[*r.wrong];
      if (r.replacement) r.replacement = moved[*r.replacement];
    }
    plan.records = std::move(all);
  }

  struct Declaration {
    size_t record;    // the record it corrects, in plan.records (before placing)
    size_t position;  // its event's position
    const Json* json;
  };

  Reader r_;
  absl::flat_hash_map<std::string, size_t> by_event_id_;
  absl::flat_hash_map<size_t, uint64_t> original_index_;
  std::vector<Declaration> declarations_;
};

#undef TAKE

}  // namespace

absl::StatusOr<EpcisImportPlan> PlanEpcisImport(std::string_view document) {
  Json doc = Json::parse(document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return absl::InvalidArgumentError("the document is not JSON");
  if (!doc.is_object() || S(doc, "type") != "EPCISDocument") {
    return absl::InvalidArgumentError("the document is not an EPCISDocument (\"type\")");
  }
  if (!doc.contains("epcisBody") || !doc["epcisBody"].is_object() ||
      !doc["epcisBody"].contains("eventList") || !doc["epcisBody"]["eventList"].is_array()) {
    return absl::InvalidArgumentError("the document has no epcisBody.eventList");
  }
  EpcisImportPlan plan;
  Planner(doc).Plan(doc["epcisBody"]["eventList"], plan);
  return plan;
}

absl::StatusOr<EpcisImportPlan> MergeEpcisPlans(std::vector<EpcisImportPlan> plans) {
  EpcisImportPlan merged;
  // Each plan's positions become positions in `merged` (before sorting).
  absl::flat_hash_map<std::string, size_t> by_id;
  auto id_of = [](const std::vector<EpcisImportRecord>& rs, std::optional<size_t> p) {
    return p ? rs[*p].record.record_id() : std::string();
  };
  for (size_t d = 0; d < plans.size(); ++d) {
    EpcisImportPlan& plan = plans[d];
    merged.events += plan.events;
    for (EpcisImportError& e : plan.errors) {
      e.document = d;
      merged.errors.push_back(std::move(e));
    }
    for (EpcisImportRecord& r : plan.records) r.document = d;
    // Where each of this plan's records is in `merged`; which ones are new.
    std::vector<size_t> at(plan.records.size());
    std::vector<bool> fresh(plan.records.size(), false);
    size_t next = merged.records.size();
    for (size_t i = 0; i < plan.records.size(); ++i) {
      const EpcisImportRecord& r = plan.records[i];
      auto [it, added] = by_id.emplace(r.record.record_id(), next);
      at[i] = it->second;
      if (added) {
        fresh[i] = true;
        ++next;
        continue;
      }
      if (it->second >= merged.records.size()) {
        // Twice in one document: both go to the log, which takes the second as
        // a retry of the first or refuses it.
        at[i] = next++;
        fresh[i] = true;
        continue;
      }
      // Seen in an earlier document: the same record, naming the same records.
      const EpcisImportRecord& kept = merged.records[it->second];
      if (SerializeRecord(kept.record) != SerializeRecord(r.record) || kept.signer != r.signer ||
          id_of(merged.records, kept.wrong) != id_of(plan.records, r.wrong) ||
          id_of(merged.records, kept.replacement) != id_of(plan.records, r.replacement)) {
        return absl::InvalidArgumentError(absl::StrCat("record id '", r.record.record_id(),
                                                       "' stands for two different records (event ",
                                                       kept.event,
                                                       " of one "
                                                       "document and event ",
                                                       r.event, " of another)"));
      }
    }
    for (size_t i = 0; i < plan.records.size(); ++i) {
      if (!fresh[i]) continue;
      EpcisImportRecord r = std::move(plan.records[i]);
      if (r.wrong) r.wrong = at[*r.wrong];
      if (r.replacement) r.replacement = at[*r.replacement];
      merged.records.push_back(std::move(r));
    }
  }
  bool one_log = true;
  for (const EpcisImportRecord& r : merged.records) {
    one_log = one_log && r.original_index && r.original_log == merged.records[0].original_log;
  }
  if (!one_log || merged.records.empty()) return merged;
  std::vector<size_t> order(merged.records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return *merged.records[a].original_index < *merged.records[b].original_index;
  });
  std::vector<size_t> moved(order.size());
  std::vector<EpcisImportRecord> sorted;
  for (size_t i = 0; i < order.size(); ++i) {
    moved[order[i]] = i;
    sorted.push_back(std::move(merged.records[order[i]]));
  }
  for (EpcisImportRecord& r : sorted) {
    if (r.wrong) r.wrong = moved[*r.wrong];
    if (r.replacement) r.replacement = moved[*r.replacement];
  }
  merged.records = std::move(sorted);
  return merged;
}

}  // namespace touchstone
