// The trade's records from their fields (cli_trade_records.h).
#include "services/cli_trade_records.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "ledger/base/files.h"
#include "ledger/base/status_macros.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/disclosure.h"
#include "ledger/provenance/gs1.h"
#include "services/cli_trade_flags.h"
#include "services/cli_trade_state.h"

namespace touchstone::cli {
namespace {

// LOT:QUANTITY, the quantity in grams or milligrams.
[[nodiscard]] absl::StatusOr<v1::MetalInput> ParseMetal(const std::string& text) {
  const std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() != 2 || parts[0].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metal '", text, "': expected LOT:QUANTITY (\"cast-1:3.850 g\")"));
  }
  ASSIGN_OR_RETURN(Quantity q, ParseQuantity("--metal quantity", parts[1]));
  if (q.unit != v1::UNIT_MILLIGRAM) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metal '", text, "': metal is weighed in g or mg"));
  }
  v1::MetalInput m;
  m.set_lot_id(parts[0]);
  m.set_quantity(q.value);
  return m;
}

}  // namespace

[[nodiscard]] absl::StatusOr<v1::Record> LotRecord(const LotFlags& f) {
  v1::Record r;
  v1::LotCreated* lot = r.mutable_lot_created();
  lot->set_lot_id(f.id);
  lot->set_material(f.material);
  lot->set_form(f.form);
  ASSIGN_OR_RETURN(int origin, ParseEnumWord("--origin", v1::OriginClass_descriptor(),
                                             "ORIGIN_CLASS_", f.origin));
  lot->set_origin_class(static_cast<v1::OriginClass>(origin));
  ASSIGN_OR_RETURN(Quantity q, ParseQuantity("--quantity", f.quantity));
  lot->set_quantity(q.value);
  lot->set_unit(q.unit);
  // Stones are whole material: 1000 parts per thousand unless stated.
  const std::string fineness =
      f.fineness.empty() && q.unit == v1::UNIT_CARAT_THOUSANDTH ? "1000" : f.fineness;
  if (fineness.empty()) {
    return absl::InvalidArgumentError("give the metal's --fineness (\"999.9\", \"750\")");
  }
  ASSIGN_OR_RETURN(int32_t ptt, ParseFineness("--fineness", fineness));
  lot->set_fineness_ptt(ptt);  // never the legacy fineness_ppt
  lot->set_facility(f.facility);
  lot->set_note(f.note);
  for (const std::string& c : f.certificates) lot->add_certificate_ids(c);
  if (f.parcel_stones > 0) {
    v1::StoneParcel* parcel = lot->mutable_parcel();
    parcel->set_stone_count(f.parcel_stones);
    parcel->set_size_class(f.size_class);
    if (!f.min_stone.empty()) {
      ASSIGN_OR_RETURN(int64_t v, ParseCarats("--min-stone", f.min_stone));
      parcel->set_min_stone_thousandths(v);
    }
    if (!f.max_stone.empty()) {
      ASSIGN_OR_RETURN(int64_t v, ParseCarats("--max-stone", f.max_stone));
      parcel->set_max_stone_thousandths(v);
    }
  } else if (!f.size_class.empty() || !f.min_stone.empty() || !f.max_stone.empty()) {
    return absl::InvalidArgumentError(
        "--size-class, --min-stone and --max-stone describe a parcel: give --parcel-stones N");
  }
  if (!f.species.empty() || !f.treatment.empty() || !f.country.empty()) {
    v1::GemstoneDisclosure* g = lot->mutable_gemstone();
    g->set_species(f.species);
    g->set_treatment(f.treatment);
    g->set_country_of_origin(f.country);
  }
  return r;
}

[[nodiscard]] absl::StatusOr<v1::Record> ShipRecord(const LotLookup& lots, const ShipFlags& f) {
  ASSIGN_OR_RETURN(v1::LotState lot, lots(f.lot));
  v1::Record r;
  v1::CustodyShipped* ship = r.mutable_custody_shipped();
  ship->set_shipment_id(f.shipment);
  ship->set_lot_id(f.lot);
  ship->set_to_participant(f.to);
  if (!f.invoice.empty()) {
    ASSIGN_OR_RETURN(std::string invoice, ReadWholeFile(f.invoice));
    ship->set_business_reference_sha256(HashBytes(Sha256(invoice)));
  } else if (!f.invoice_sha256.empty()) {
    if (f.invoice_sha256.size() != 64 ||
        f.invoice_sha256.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("invoice-sha256 '", f.invoice_sha256,
                                                     "' is not a SHA-256 in 64 hex digits"));
    }
    ship->set_business_reference_sha256(absl::HexStringToBytes(f.invoice_sha256));
  }
  // Natural diamonds travel with the World Diamond Council's statement, word for word.
  if (NeedsWarranty(lot.material(), lot.origin_class())) {
    ship->set_warranty_statement(std::string(kSystemOfWarranties));
  }
  return r;
}

v1::Record ReceiveRecord(const ShipFlags& f) {
  v1::Record r;
  r.mutable_custody_received()->set_shipment_id(f.shipment);
  r.mutable_custody_received()->set_lot_id(f.lot);
  return r;
}

[[nodiscard]] absl::StatusOr<v1::Record> PieceRecord(const LotLookup& lots, const PieceFlags& f) {
  v1::Record r;
  v1::PieceRegistered* p = r.mutable_piece_registered();
  p->set_piece_id(f.id);
  p->set_description(f.description);
  p->set_hallmark(f.hallmark);
  p->set_disclose_inputs(f.disclose_inputs);
  if (!f.gtin.empty()) {
    ASSIGN_OR_RETURN(std::string gtin14, Gtin14(f.gtin));
    p->set_gtin(gtin14);
  }
  p->set_serial(f.serial);
  for (const std::string& s : f.stones) p->add_stone_lot_ids(s);
  for (const std::string& m : f.metal) {
    ASSIGN_OR_RETURN(*p->add_metal_inputs(), ParseMetal(m));
  }
  // A piece takes a whole parcel: its count is the parcel's stones left now.
  for (const std::string& lot_id : f.parcels) {
    ASSIGN_OR_RETURN(v1::LotState parcel, lots(lot_id));
    if (parcel.sealed()) {
      return SealedStateError(absl::StrCat("--parcel '", lot_id, "'"), "stones left are",
                              "parcel_stones");
    }
    if (parcel.stones() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--parcel '", lot_id, "' is not a parcel; set a graded stone with --stone"));
    }
    v1::ParcelStones* ps = p->add_parcel_stones();
    ps->set_lot_id(lot_id);
    ps->set_stones(parcel.stones_balance());
  }
  for (const std::string& c : f.claims) {
    ASSIGN_OR_RETURN(*p->add_material_claims(), ParseMaterialClaim(c));
  }
  return r;
}

}  // namespace touchstone::cli
