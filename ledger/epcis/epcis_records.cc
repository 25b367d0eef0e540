#include "ledger/epcis/epcis_records.h"

#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/provenance/gs1.h"

namespace touchstone::epcis_internal {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// The single lot of an event's quantityList.
Or<const Json*> OneLot(const Json& e) {
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

void AddCertificates(const Json& e, google::protobuf::RepeatedPtrField<std::string>* ids) {
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

// The account of a TransactionEvent: its one business transaction, an
// account URI of ours.
Or<std::string> AccountOf(const Json& e) {
  auto it = e.find("bizTransactionList");
  if (it == e.end() || !it->is_array() || it->size() != 1) {
    return Refusal{"a mass-balance event names its one account in bizTransactionList"};
  }
  const std::string uri = S((*it)[0], "bizTransaction");
  std::optional<std::string> id = Reader::Named(uri, "account");
  if (!id) {
    return Refusal{
        absl::StrCat("bizTransaction '", uri, "' names no account (https://<log>/account/<id>)")};
  }
  return *id;
}

// The one certificate of certificationInfo, as AddCertificates reads it.
Or<std::string> OneCertificate(const Json& e, std::string_view what) {
  google::protobuf::RepeatedPtrField<std::string> ids;
  AddCertificates(e, &ids);
  if (ids.size() != 1) {
    return Refusal{absl::StrCat(Sv(what), " names one certificate in certificationInfo")};
  }
  return ids[0];
}

}  // namespace

Or<std::vector<std::string>> LotList(const Reader& r, const Json& o, std::string_view local) {
  std::vector<std::string> ids;
  const Json* list = r.T(o, local);
  if (list == nullptr) return ids;
  if (!list->is_array()) return Refusal{absl::StrCat("touchstone:", Sv(local), " is not a list")};
  for (const Json& uri : *list) {
    if (!uri.is_string()) {
      return Refusal{absl::StrCat("touchstone:", Sv(local), " lists a value that is not a URI")};
    }
    ids.push_back(Reader::LotId(uri.get<std::string>()));
  }
  return ids;
}

Or<std::string> OnePiece(const Reader& r, const Json& e, std::string_view what) {
  if (!e.contains("epcList") || !e["epcList"].is_array() || e["epcList"].size() != 1 ||
      !e["epcList"][0].is_string()) {
    return Refusal{absl::StrCat(Sv(what), " names the one piece in epcList")};
  }
  return r.PieceId(e["epcList"][0].get<std::string>());
}

bool ThenAtMost(const std::vector<const Json*>& g, std::string_view type, std::string_view action,
                std::string_view step) {
  return g.size() == 1 || (g.size() == 2 && S(*g[1], "type") == type &&
                           S(*g[1], "action") == action && S(*g[1], "bizStep") == step);
}

Or<v1::Record> LotCreatedOf(const Reader& r, const Json& e) {
  EPCIS_TAKE(q, OneLot(e));
  if (!e.contains("ilmd") || r.T(e["ilmd"], "material") == nullptr) {
    return Refusal{
        "the lot's master data (ilmd) has no touchstone:material: Touchstone records "
        "what a lot is made of, where it comes from and how fine it is"};
  }
  const Json& ilmd = e["ilmd"];
  EPCIS_TAKE(amount, AmountOf(*q, true));
  v1::Record rec;
  v1::LotCreated* l = rec.mutable_lot_created();
  l->set_lot_id(Reader::LotId(S(*q, "epcClass")));
  l->set_material(r.Str(ilmd, "material"));
  l->set_form(r.Str(ilmd, "form"));
  const std::optional<int> origin =
      EnumValue(v1::OriginClass_descriptor(), "ORIGIN_CLASS_", r.Str(ilmd, "originClass"));
  if (!origin) {
    return Refusal{absl::StrCat("touchstone:originClass '", r.Str(ilmd, "originClass"),
                                "' is not an origin class (mined, recycled_pre_consumer, "
                                "recycled_post_consumer, lab_grown)")};
  }
  l->set_origin_class(static_cast<v1::OriginClass>(*origin));
  l->set_quantity(amount.quantity);
  l->set_unit(amount.unit);
  EPCIS_TAKE(ptt, r.Int(ilmd, "finenessPtt", kInt32Max));
  EPCIS_TAKE(ppt, r.Int(ilmd, "finenessPpt", kInt32Max));
  l->set_fineness_ptt(static_cast<int32_t>(ptt));
  l->set_fineness_ppt(static_cast<int32_t>(ppt));
  l->set_facility(r.Str(ilmd, "facility"));
  l->set_note(r.Str(ilmd, "note"));
  AddCertificates(e, l->mutable_certificate_ids());
  if (const Json* p = r.T(ilmd, "parcel")) {
    EPCIS_TAKE(stones, r.Int(*p, "stones"));
    EPCIS_TAKE(min, r.Int(*p, "minStoneThousandths"));
    EPCIS_TAKE(max, r.Int(*p, "maxStoneThousandths"));
    l->mutable_parcel()->set_stone_count(stones);
    l->mutable_parcel()->set_size_class(r.Str(*p, "sizeClass"));
    l->mutable_parcel()->set_min_stone_thousandths(min);
    l->mutable_parcel()->set_max_stone_thousandths(max);
  }
  if (const Json* g = r.T(ilmd, "gemstone")) {
    l->mutable_gemstone()->set_species(r.Str(*g, "species"));
    l->mutable_gemstone()->set_treatment(r.Str(*g, "treatment"));
    l->mutable_gemstone()->set_country_of_origin(r.Str(*g, "countryOfOrigin"));
  }
  return rec;
}

Or<v1::Record> TransformationOf(const Reader& r, const Json& e) {
  const std::optional<int> process =
      EnumValue(v1::Process_descriptor(), "PROCESS_", r.Str(e, "process"));
  if (!process) {
    return Refusal{absl::StrCat("touchstone:process '", r.Str(e, "process"),
                                "' is not a process (refine, alloy, cast, cut_and_polish, split, "
                                "merge)")};
  }
  if (e.contains("inputEPCList") || !e.contains("inputQuantityList") ||
      !e.contains("outputQuantityList") || !e["inputQuantityList"].is_array() ||
      !e["outputQuantityList"].is_array()) {
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
  t->set_material(r.Str(e, "material"));
  t->set_location(r.Str(e, "location"));
  t->set_note(r.Str(e, "note"));
  EPCIS_TAKE(loss_ptt, r.Int(e, "declaredLossFinePtt"));
  EPCIS_TAKE(loss, r.Int(e, "declaredLossFine"));
  t->set_declared_loss_fine_ptt(loss_ptt);
  t->set_declared_loss_fine(loss);
  AddCertificates(e, t->mutable_certificate_ids());
  absl::flat_hash_map<std::string, const Json*> draws, outs;
  if (const Json* d = r.T(e, "draws"); d != nullptr && d->is_array()) {
    for (const Json& x : *d) draws[Reader::LotId(r.Str(x, "lot"))] = &x;
  }
  if (e.contains("ilmd")) {
    if (const Json* o = r.T(e["ilmd"], "outputs"); o != nullptr && o->is_array()) {
      for (const Json& x : *o) outs[Reader::LotId(r.Str(x, "lot"))] = &x;
    }
  }
  for (const Json& q : e["inputQuantityList"]) {
    EPCIS_TAKE(amount, AmountOf(q, true));
    v1::LotQuantity* in = t->add_inputs();
    in->set_lot_id(Reader::LotId(S(q, "epcClass")));
    in->set_quantity(amount.quantity);
    if (auto it = draws.find(in->lot_id()); it != draws.end()) {
      EPCIS_TAKE(stones, r.Int(*it->second, "stones"));
      EPCIS_TAKE(left, r.Int(*it->second, "stonesLeft"));
      EPCIS_TAKE(qleft, r.Int(*it->second, "quantityLeft"));
      in->set_stones(stones);
      in->set_stones_left(left);
      in->set_quantity_left(qleft);
    }
  }
  for (const Json& q : e["outputQuantityList"]) {
    EPCIS_TAKE(amount, AmountOf(q, true));
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
    out->set_form(r.Str(m, "form"));
    EPCIS_TAKE(ptt, r.Int(m, "finenessPtt", kInt32Max));
    EPCIS_TAKE(ppt, r.Int(m, "finenessPpt", kInt32Max));
    EPCIS_TAKE(stones, r.Int(m, "stones"));
    EPCIS_TAKE(fine, r.Int(m, "heirloomFine"));
    out->set_fineness_ptt(static_cast<int32_t>(ptt));
    out->set_fineness_ppt(static_cast<int32_t>(ppt));
    out->set_stones(stones);
    out->set_size_class(r.Str(m, "sizeClass"));
    out->set_heirloom_fine(fine);
  }
  return rec;
}

Or<v1::Record> ShippedOf(const Reader& r, const Json& e) {
  EPCIS_TAKE(q, OneLot(e));
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
  EPCIS_TAKE(party, Reader::Party(to));
  const std::string shipment = r.Str(e, "shipmentId");
  if (shipment.empty()) return Refusal{"no touchstone:shipmentId"};
  v1::Record rec;
  v1::CustodyShipped* s = rec.mutable_custody_shipped();
  s->set_shipment_id(shipment);
  s->set_lot_id(Reader::LotId(S(*q, "epcClass")));
  s->set_to_participant(party);
  s->set_warranty_statement(r.Str(e, "warrantyStatement"));
  if (const std::string ref = r.Str(e, "businessReferenceSha256"); !ref.empty()) {
    EPCIS_TAKE(bytes, Hex(ref, "touchstone:businessReferenceSha256"));
    s->set_business_reference_sha256(bytes);
  }
  return rec;
}

Or<v1::Record> ReceivedOf(const Reader& r, const Json& e) {
  EPCIS_TAKE(q, OneLot(e));
  const std::string shipment = r.Str(e, "shipmentId");
  if (shipment.empty()) {
    return Refusal{"no touchstone:shipmentId: a receipt names the shipment it closes"};
  }
  v1::Record rec;
  rec.mutable_custody_received()->set_shipment_id(shipment);
  rec.mutable_custody_received()->set_lot_id(Reader::LotId(S(*q, "epcClass")));
  return rec;
}

Or<v1::Record> InspectedOf(const Reader& r, const Json& e) {
  EPCIS_TAKE(q, OneLot(e));
  const Json* c = r.T(e, "certificate");
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
  ci->set_scheme(r.Str(*c, "scheme"));
  ci->set_subject_lot(Reader::LotId(S(*q, "epcClass")));
  ci->set_scope(r.Str(*c, "scope"));
  ci->set_external_number(r.Str(*c, "externalNumber"));
  for (const auto& [key, field] : {std::pair{"validFrom", 0}, std::pair{"validUntil", 1}}) {
    const std::string text = r.Str(*c, key);
    if (text.empty()) continue;
    EPCIS_TAKE(micros, Micros(text, absl::StrCat("touchstone:", key)));
    field == 0 ? ci->set_valid_from_micros(micros) : ci->set_valid_until_micros(micros);
  }
  if (const Json* d = r.T(*c, "document")) {
    EPCIS_TAKE(bytes, Hex(r.Str(*d, "sha256"), "touchstone:document's touchstone:sha256"));
    ci->set_document_sha256(bytes);
    ci->set_document_hash_algorithm(r.Str(*d, "hashAlgorithm"));
    ci->set_document_media_type(r.Str(*d, "mediaType"));
  }
  auto carats = [&r](const Json& o) -> Or<int64_t> {
    const Json* v = r.T(o, "carats");
    if (v == nullptr) return int64_t{0};
    if (!v->is_number()) return Refusal{"touchstone:carats must be a number"};
    const double thousandths = v->get<double>() * 1000;
    const double whole = std::round(thousandths);
    if (std::abs(thousandths - whole) > 1e-6 || whole < 0 || whole > 9e15) {
      return Refusal{"touchstone:carats must be a whole, non-negative number of thousandths"};
    }
    return static_cast<int64_t>(whole);
  };
  // An enum word of ours: UNSPECIFIED (0) if absent, empty or "unspecified"; a
  // refusal if unknown.
  auto word = [&r](const Json& o, std::string_view key, const google::protobuf::EnumDescriptor* d,
                   std::string_view prefix) -> Or<int> {
    const std::string w = r.Str(o, key);
    if (w.empty() || w == "unspecified") return 0;
    std::optional<int> v = EnumValue(d, prefix, w);
    if (!v) return Refusal{absl::StrCat("touchstone:", Sv(key), " '", w, "' is not known")};
    return *v;
  };
  if (const Json* g = r.T(*c, "gradingReport")) {
    v1::GradingReport* gr = ci->mutable_grading_report();
    gr->set_lab(r.Str(*g, "lab"));
    gr->set_report_number(r.Str(*g, "reportNumber"));
    gr->set_inscription(r.Str(*g, "inscription"));
    EPCIS_TAKE(origin, word(*g, "origin", v1::StoneOrigin_descriptor(), "STONE_ORIGIN_"));
    EPCIS_TAKE(growth, word(*g, "growthMethod", v1::GrowthMethod_descriptor(), "GROWTH_METHOD_"));
    gr->set_origin(static_cast<v1::StoneOrigin>(origin));
    gr->set_growth_method(static_cast<v1::GrowthMethod>(growth));
    gr->set_treatment(r.Str(*g, "treatment"));
    EPCIS_TAKE(ct, carats(*g));
    gr->set_carats_thousandths(ct);
    gr->set_colour(r.Str(*g, "colour"));
    gr->set_clarity(r.Str(*g, "clarity"));
    gr->set_cut(r.Str(*g, "cut"));
    gr->set_measurements(r.Str(*g, "measurements"));
  } else if (const Json* k = r.T(*c, "kimberleyProcess")) {
    v1::KimberleyProcessCertificate* kp = ci->mutable_kimberley_process();
    kp->set_certificate_number(r.Str(*k, "certificateNumber"));
    kp->set_country_of_origin(r.Str(*k, "countryOfOrigin"));
    kp->set_exporter(r.Str(*k, "exporter"));
    kp->set_importer(r.Str(*k, "importer"));
    EPCIS_TAKE(ct, carats(*k));
    EPCIS_TAKE(parcels, r.Int(*k, "parcels", kInt32Max));
    kp->set_carats_thousandths(ct);
    kp->set_parcels(static_cast<int32_t>(parcels));
  } else if (const Json* p = r.T(*c, "parcelReport")) {
    v1::ParcelReport* pr = ci->mutable_parcel_report();
    pr->set_report_number(r.Str(*p, "reportNumber"));
    EPCIS_TAKE(origin, word(*p, "origin", v1::StoneOrigin_descriptor(), "STONE_ORIGIN_"));
    pr->set_origin(static_cast<v1::StoneOrigin>(origin));
    EPCIS_TAKE(stones, r.Int(*p, "stones"));
    EPCIS_TAKE(ct, carats(*p));
    pr->set_stone_count(stones);
    pr->set_carats_thousandths(ct);
    pr->set_size_class(r.Str(*p, "sizeClass"));
  }
  return rec;
}

Or<v1::Record> StatusChangedOf(const Reader& r, const Json& e) {
  EPCIS_TAKE(q, OneLot(e));
  (void)q;  // the certificate's lot: the record names the certificate only
  EPCIS_TAKE(id, OneCertificate(e, "a certificate's change of status"));
  const Json* c = r.T(e, "certificateStatus");
  if (c == nullptr || !c->is_object()) return Refusal{"no touchstone:certificateStatus object"};
  const std::optional<int> status =
      EnumValue(v1::CertificateStatus_descriptor(), "CERTIFICATE_STATUS_", r.Str(*c, "status"));
  if (!status) {
    return Refusal{absl::StrCat("touchstone:status '", r.Str(*c, "status"),
                                "' is not suspended, revoked or reinstated")};
  }
  v1::Record rec;
  v1::CertificateStatusChanged* sc = rec.mutable_certificate_status_changed();
  sc->set_certificate_id(id);
  sc->set_status(static_cast<v1::CertificateStatus>(*status));
  sc->set_reason(r.Str(*c, "reason"));
  if (const std::string t = r.Str(*c, "effective"); !t.empty()) {
    EPCIS_TAKE(micros, Micros(t, "touchstone:effective"));
    sc->set_effective_micros(micros);
  }
  return rec;
}

Or<v1::Record> AccountOpenedOf(const Reader& r, const Json& e) {
  const bool objects =
      (e.contains("epcList") && !(e["epcList"].is_array() && e["epcList"].empty())) ||
      e.contains("quantityList");
  if (objects) {
    return Refusal{"opening a mass-balance account names no objects"};
  }
  EPCIS_TAKE(account, AccountOf(e));
  const Json* t = r.T(e, "account");
  if (t == nullptr || !t->is_object()) return Refusal{"no touchstone:account object"};
  const Json& terms = *t;
  const std::optional<int> attribute =
      EnumValue(v1::Attribute_descriptor(), "ATTRIBUTE_", r.Str(terms, "attribute"));
  if (!attribute) {
    return Refusal{absl::StrCat("touchstone:attribute '", r.Str(terms, "attribute"),
                                "' is not recycled, lab_grown or natural")};
  }
  EPCIS_TAKE(start, Micros(r.Str(terms, "periodStart"), "touchstone:periodStart"));
  EPCIS_TAKE(end, Micros(r.Str(terms, "periodEnd"), "touchstone:periodEnd"));
  v1::Record rec;
  v1::CreditAccountOpened* a = rec.mutable_credit_account_opened();
  a->set_account_id(account);
  a->set_site(r.Str(terms, "site"));
  a->set_material(r.Str(terms, "material"));
  a->set_attribute(static_cast<v1::Attribute>(*attribute));
  a->set_period_start_micros(start);
  a->set_period_end_micros(end);
  if (e.contains("certificationInfo")) {
    EPCIS_TAKE(cert, OneCertificate(e, "a mass-balance account"));
    a->set_certificate_id(cert);
  }
  return rec;
}

Or<v1::Record> CreditOf(const Reader& r, const Json& e) {
  EPCIS_TAKE(q, OneLot(e));
  EPCIS_TAKE(account, AccountOf(e));
  const Json* credit = r.T(e, "credit");
  if (credit == nullptr || !credit->is_object()) return Refusal{"no touchstone:credit object"};
  const Json& c = *credit;
  const std::string kind = r.Str(c, "kind");
  if (kind != "booking" && kind != "allocation") {
    return Refusal{absl::StrCat("touchstone:kind '", kind, "' is not booking or allocation")};
  }
  EPCIS_TAKE(fine, r.Int(c, "fine"));
  EPCIS_TAKE(seq, r.Int(c, "seq"));
  EPCIS_TAKE(balance, r.Int(c, "balanceAfter"));
  v1::Record rec;
  auto fill = [&](auto* x) {
    x->set_account_id(account);
    x->set_lot_id(Reader::LotId(S(*q, "epcClass")));
    x->set_fine(fine);
    x->set_seq(static_cast<uint64_t>(seq));
    x->set_balance_after(balance);
  };
  kind == "booking" ? fill(rec.mutable_credit_booked()) : fill(rec.mutable_credit_allocated());
  return rec;
}

Or<v1::Record> LifecycleOf(const Reader& r, const Json& e) {
  EPCIS_TAKE(piece, OnePiece(r, e, "a piece's event"));
  const std::optional<int> event =
      EnumValue(v1::PieceEvent_descriptor(), "PIECE_EVENT_", r.Str(e, "event"));
  if (!event || *event == v1::PIECE_EVENT_REPURPOSED) {
    return Refusal{absl::StrCat("touchstone:event '", r.Str(e, "event"),
                                "' is not sold, repaired, lost, stolen or recovered")};
  }
  v1::Record rec;
  v1::PieceLifecycle* l = rec.mutable_piece_lifecycle();
  l->set_piece_id(piece);
  l->set_event(static_cast<v1::PieceEvent>(*event));
  l->set_note(r.Str(e, "note"));
  if (const std::string h = r.Str(e, "ownerSaltedSha256"); !h.empty()) {
    EPCIS_TAKE(bytes, Hex(h, "touchstone:ownerSaltedSha256"));
    l->set_owner_salted_sha256(bytes);
  }
  if (r.T(e, "buyerOwnerKey") != nullptr) {
    EPCIS_TAKE(buyer, OwnerKeyOf(r, e, "buyerOwnerKey"));
    *l->mutable_buyer() = std::move(buyer);
  }
  return rec;
}

Or<v1::Record> ReplacedOf(const Reader& r, const std::vector<const Json*>& g) {
  if (g.size() != 2 || S(*g[0], "action") != "DELETE" || S(*g[1], "action") != "ADD" ||
      S(*g[1], "type") != "AggregationEvent" || S(*g[1], "bizStep") != "replacing" ||
      S(*g[0], "parentID") != S(*g[1], "parentID")) {
    return Refusal{
        "a stone replacement is an AggregationEvent DELETE of the old stone then ADD "
        "of the new, same parent"};
  }
  EPCIS_TAKE(piece, r.PieceId(S(*g[0], "parentID")));
  auto one = [](const Json& e) -> std::string {
    return e.contains("childEPCs") && e["childEPCs"].is_array() && e["childEPCs"].size() == 1 &&
                   e["childEPCs"][0].is_string()
               ? Reader::LotId(e["childEPCs"][0].get<std::string>())
               : "";
  };
  v1::Record rec;
  v1::StoneReplaced* s = rec.mutable_stone_replaced();
  s->set_piece_id(piece);
  s->set_old_stone_lot_id(one(*g[0]));
  s->set_new_stone_lot_id(one(*g[1]));
  s->set_reason(r.Str(*g[1], "reason"));
  if (s->old_stone_lot_id().empty() || s->new_stone_lot_id().empty()) {
    return Refusal{"each replacing event names one stone in childEPCs"};
  }
  return rec;
}

Or<v1::Record> PieceOf(const Reader& r, const std::vector<const Json*>& g) {
  const Json& made = *g.front();
  if (!ThenAtMost(g, "AggregationEvent", "ADD", "assembling")) {
    return Refusal{
        "a piece's registration is its making, then at most one AggregationEvent ADD "
        "assembling of its stones"};
  }
  const Json* ilmd = made.contains("ilmd") ? &made["ilmd"] : nullptr;
  if (ilmd == nullptr || r.Str(*ilmd, "pieceId").empty()) {
    return Refusal{"the piece's master data (ilmd) has no touchstone:pieceId"};
  }
  v1::Record rec;
  v1::PieceRegistered* p = rec.mutable_piece_registered();
  if (const Json* h = r.T(*ilmd, "heirloom"); h != nullptr) {
    v1::HeirloomClaim* c = p->mutable_heirloom();
    c->set_owner_key_id(r.Str(*h, "ownerKeyId"));
    c->set_material(r.Str(*h, "material"));
    EPCIS_TAKE(owner_fine, r.Int(*h, "ownerFine"));
    EPCIS_TAKE(material_fine, r.Int(*h, "materialFine"));
    c->set_owner_fine(owner_fine);
    c->set_material_fine(material_fine);
    EPCIS_TAKE(stones, LotList(r, *h, "ownerStones"));
    for (std::string& s : stones) c->add_owner_stone_lot_ids(std::move(s));
    const Json* intakes = r.T(*h, "intakeIds");
    if (intakes != nullptr && !intakes->is_array()) {
      return Refusal{"touchstone:intakeIds is not a list"};
    }
    for (const Json& id : intakes != nullptr ? *intakes : Json::array()) {
      if (!id.is_string()) return Refusal{"touchstone:intakeIds lists a value that is not an id"};
      c->add_intake_ids(id.get<std::string>());
    }
  }
  p->set_piece_id(r.Str(*ilmd, "pieceId"));
  p->set_description(r.Str(*ilmd, "description"));
  p->set_hallmark(r.Str(*ilmd, "hallmark"));
  p->set_gtin(r.Str(*ilmd, "gtin"));
  p->set_serial(r.Str(*ilmd, "serial"));
  if (const Json* d = r.T(*ilmd, "discloseInputs"); d != nullptr && d->is_boolean()) {
    p->set_disclose_inputs(d->get<bool>());
  }
  // The piece the events name must be the piece the master data describes.
  const char* list = made.contains("outputEPCList") ? "outputEPCList" : "epcList";
  if (!made[list].is_array() || made[list].size() != 1 || !made[list][0].is_string()) {
    return Refusal{absl::StrCat("a piece's making names the one piece in ", list)};
  }
  const std::string uri = made[list][0].get<std::string>();
  const bool ours = Reader::Named(uri, "piece") == p->piece_id();
  const bool link =
      !p->gtin().empty() &&
      uri == absl::StrCat("https://id.gs1.org", DigitalLinkPath(p->gtin(), p->serial()));
  if (!ours && !link) {
    return Refusal{absl::StrCat(list, " names ", uri, ", not piece '", p->piece_id(),
                                "' of touchstone:pieceId (nor its Digital Link)")};
  }
  if (g.size() == 2 && S(*g[1], "parentID") != uri) {
    return Refusal{
        absl::StrCat("the stones are set into ", S(*g[1], "parentID"), ", not into ", uri)};
  }
  if (made.contains("inputQuantityList")) {
    if (!made["inputQuantityList"].is_array()) return Refusal{"inputQuantityList is not a list"};
    for (const Json& q : made["inputQuantityList"]) {
      EPCIS_TAKE(amount, AmountOf(q, true));
      if (amount.unit != v1::UNIT_MILLIGRAM) {
        return Refusal{"a piece's metal is measured in mass (MGM, GRM, KGM)"};
      }
      v1::MetalInput* m = p->add_metal_inputs();
      m->set_lot_id(Reader::LotId(S(q, "epcClass")));
      m->set_quantity(amount.quantity);
    }
  }
  if (const Json* claims = r.T(*ilmd, "materialClaims"); claims && claims->is_array()) {
    for (const Json& c : *claims) {
      v1::MaterialClaim* mc = p->add_material_claims();
      mc->set_material(r.Str(c, "material"));
      const std::optional<int> attribute =
          EnumValue(v1::Attribute_descriptor(), "ATTRIBUTE_", r.Str(c, "attribute"));
      const std::optional<int> model =
          EnumValue(v1::CustodyModel_descriptor(), "CUSTODY_MODEL_", r.Str(c, "model"));
      if (!attribute || !model) {
        return Refusal{absl::StrCat("a material claim's attribute '", r.Str(c, "attribute"),
                                    "' or model '", r.Str(c, "model"), "' is not known")};
      }
      mc->set_attribute(static_cast<v1::Attribute>(*attribute));
      mc->set_model(static_cast<v1::CustodyModel>(*model));
      EPCIS_TAKE(share, r.Int(c, "shareBp", 10000));
      mc->set_share_bp(static_cast<uint32_t>(share));
      mc->set_account_id(r.Str(c, "accountId"));
      mc->set_scheme(r.Str(c, "scheme"));
    }
  }
  if (const Json* legacy = r.T(*ilmd, "claims"); legacy && legacy->is_array()) {
    for (const Json& c : *legacy) {
      const std::optional<int> claim =
          EnumValue(v1::Claim_descriptor(), "CLAIM_", c.is_string() ? c.get<std::string>() : "");
      if (!claim) {
        return Refusal{absl::StrCat("claim '", c.is_string() ? c.get<std::string>() : c.type_name(),
                                    "' is not known")};
      }
      p->add_claims(static_cast<v1::Claim>(*claim));
    }
  }
  if (g.size() == 2) {
    const Json& set = *g[1];
    if (set.contains("childEPCs")) {
      if (!set["childEPCs"].is_array()) return Refusal{"childEPCs is not a list"};
      for (const Json& s : set["childEPCs"]) {
        if (!s.is_string()) return Refusal{"childEPCs holds something other than a URI"};
        p->add_stone_lot_ids(Reader::LotId(s.get<std::string>()));
      }
    }
    if (set.contains("childQuantityList")) {
      if (!set["childQuantityList"].is_array()) return Refusal{"childQuantityList is not a list"};
      for (const Json& q : set["childQuantityList"]) {
        auto it = q.find("quantity");
        if (S(q, "uom") != "H87" || it == q.end() || !it->is_number_integer() ||
            (it->is_number_unsigned() &&
             it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
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

}  // namespace touchstone::epcis_internal
