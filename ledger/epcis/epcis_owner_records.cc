// EPCIS import's mappings of what an owner key signs (epcis_records.h): an
// heirloom intake (co-signed by the owner) and the records of a piece's
// owners. Each is the inverse of the export's (epcis_export.cc) for that record.
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/epcis/epcis_records.h"

namespace touchstone::epcis_internal {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

}  // namespace

Or<v1::OwnerKey> OwnerKeyOf(const Reader& r, const Json& o, std::string_view local) {
  std::string bytes;
  v1::OwnerKey key;
  const std::string text = r.Str(o, local);
  if (text.empty() || !absl::Base64Unescape(text, &bytes) || !key.ParseFromString(bytes) ||
      key.key_case() == v1::OwnerKey::KEY_NOT_SET) {
    return Refusal{
        absl::StrCat("touchstone:", Sv(local), " is not an owner key (base64 of proto OwnerKey)")};
  }
  return key;
}

Or<v1::Record> HeirloomOf(const Reader& r, const std::vector<const Json*>& g) {
  const Json& e = *g.front();
  if (!ThenAtMost(g, "ObjectEvent", "DELETE", "decommissioning")) {
    return Refusal{
        "an heirloom intake is the owner's metal lot commissioned, then at most one "
        "ObjectEvent DELETE decommissioning of the piece it repurposes"};
  }
  if (!e.contains("quantityList") || !e["quantityList"].is_array() ||
      e["quantityList"].size() != 1) {
    return Refusal{"an heirloom intake commissions one lot in quantityList"};
  }
  const Json& q = e["quantityList"][0];
  EPCIS_TAKE(amount, AmountOf(q, true));
  if (amount.unit != v1::UNIT_MILLIGRAM) return Refusal{"an heirloom intake's metal is a mass"};
  const Json& ilmd = e["ilmd"];
  v1::Record rec;
  v1::HeirloomReceived* h = rec.mutable_heirloom_received();
  h->set_intake_id(r.Str(ilmd, "intakeId"));
  h->set_description(r.Str(ilmd, "heirloom"));
  if (const Json* photos = r.T(ilmd, "photoSha256"); photos != nullptr) {
    if (!photos->is_array()) return Refusal{"touchstone:photoSha256 is not a list"};
    for (const Json& p : *photos) {
      EPCIS_TAKE(bytes, Hex(p.is_string() ? p.get<std::string>() : "", "touchstone:photoSha256"));
      h->add_photo_sha256(std::move(bytes));
    }
  }
  EPCIS_TAKE(gross, r.Int(ilmd, "grossWeightMg"));
  EPCIS_TAKE(ptt, r.Int(ilmd, "finenessPtt", kInt32Max));
  h->set_gross_weight_mg(gross);
  h->set_lot_id(Reader::LotId(S(q, "epcClass")));
  h->set_material(r.Str(ilmd, "material"));
  h->set_metal_mg(amount.quantity);
  h->set_fineness_ptt(static_cast<int32_t>(ptt));
  const std::optional<int> assay =
      EnumValue(v1::AssayMethod_descriptor(), "ASSAY_METHOD_", r.Str(ilmd, "assayMethod"));
  if (!assay) {
    return Refusal{absl::StrCat("touchstone:assayMethod '", r.Str(ilmd, "assayMethod"),
                                "' is not fire_assay or xrf")};
  }
  h->set_assay_method(static_cast<v1::AssayMethod>(*assay));
  EPCIS_TAKE(owner, OwnerKeyOf(r, ilmd, "ownerKey"));
  *h->mutable_owner() = std::move(owner);
  if (g.size() == 2) {
    EPCIS_TAKE(piece, OnePiece(r, *g[1], "the repurposed piece's decommissioning"));
    h->set_repurposed_piece_id(piece);
  }
  EPCIS_TAKE(stones, LotList(r, ilmd, "stones"));
  for (std::string& s : stones) h->add_stone_lot_ids(std::move(s));
  return rec;
}

Or<v1::Record> OwnerRecordOf(const Reader& r, const Json& e) {
  EPCIS_TAKE(piece, OnePiece(r, e, "an owner's record"));
  const Json& o = *r.T(e, "owner");
  const std::string kind = r.Str(o, "kind");
  const Json* prev_json = r.T(o, "prevEntry");
  if (prev_json == nullptr || !prev_json->is_number_unsigned()) {
    return Refusal{
        "an owner's record names the ownership record it follows (touchstone:prevEntry, the "
        "index it had in the log the document came from)"};
  }
  const uint64_t prev = prev_json->get<uint64_t>();
  v1::Record rec;
  // Fills the fields every owner's record has.
  auto common = [&](auto* x) {
    x->set_piece_id(piece);
    x->set_prev_index(prev);
  };
  if (kind == "accepted") {
    v1::OwnershipAccepted* a = rec.mutable_ownership_accepted();
    common(a);
    const Json* terms = r.T(o, "terms");
    if (terms == nullptr) return rec;  // no terms: nobody but the owner acts for it
    if (!terms->is_object()) return Refusal{"touchstone:terms is not an object"};
    v1::OwnerTerms* t = a->mutable_terms();
    if (r.T(*terms, "recoveryKey") != nullptr) {
      EPCIS_TAKE(key, OwnerKeyOf(r, *terms, "recoveryKey"));
      *t->mutable_recovery_key() = std::move(key);
    }
    for (auto [local, field] : {std::pair{"recoveryAgent", t->mutable_recovery_agent()},
                                std::pair{"insurer", t->mutable_insurer()}}) {
      if (const std::string uri = r.Str(*terms, local); !uri.empty()) {
        EPCIS_TAKE(who, Reader::Party(uri));
        *field = std::move(who);
      }
    }
  } else if (kind == "transferred") {
    v1::OwnershipTransferred* t = rec.mutable_ownership_transferred();
    common(t);
    EPCIS_TAKE(key, OwnerKeyOf(r, o, "newOwnerKey"));
    *t->mutable_new_owner() = std::move(key);
  } else if (kind == "report") {
    v1::OwnerReport* rep = rec.mutable_owner_report();
    common(rep);
    const std::optional<int> event =
        EnumValue(v1::PieceEvent_descriptor(), "PIECE_EVENT_", r.Str(o, "event"));
    if (!event || (*event != v1::PIECE_EVENT_LOST && *event != v1::PIECE_EVENT_STOLEN &&
                   *event != v1::PIECE_EVENT_RECOVERED)) {
      return Refusal{absl::StrCat("touchstone:event '", r.Str(o, "event"),
                                  "' is not lost, stolen or recovered")};
    }
    rep->set_event(static_cast<v1::PieceEvent>(*event));
    rep->set_note(r.Str(o, "note"));
  } else if (kind == "keyReplaced") {
    v1::OwnerKeyReplaced* k = rec.mutable_owner_key_replaced();
    common(k);
    EPCIS_TAKE(key, OwnerKeyOf(r, o, "newKey"));
    *k->mutable_new_key() = std::move(key);
    k->set_reason(r.Str(o, "reason"));
  } else {
    return Refusal{absl::StrCat("touchstone:kind '", kind,
                                "' is not accepted, transferred, report or keyReplaced")};
  }
  return rec;
}

}  // namespace touchstone::epcis_internal
