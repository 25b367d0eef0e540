// The import's column layouts (import_layout.h).
#include "services/import_layout.h"

#include <functional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "ledger/base/status_macros.h"
#include "ledger/base/strings.h"
#include "ledger/log/hash.h"

namespace touchstone::cli {
namespace {

constexpr char kEventTime[] = "event-time";

std::vector<std::string> Values(const std::string& cell) {
  std::vector<std::string> out;
  for (absl::string_view v : absl::StrSplit(cell, ';')) {
    v = absl::StripAsciiWhitespace(v);
    if (!v.empty()) out.emplace_back(v);
  }
  return out;
}

[[nodiscard]] absl::StatusOr<int64_t> Count(std::string_view column, const std::string& cell) {
  int64_t n = 0;
  if (cell.empty()) return 0;
  if (!absl::SimpleAtoi(Sv(cell), &n) || n < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("column ", Sv(column), ": '", cell, "' is not a count"));
  }
  return n;
}

[[nodiscard]] absl::StatusOr<bool> YesNo(std::string_view column, const std::string& cell) {
  const std::string v = absl::AsciiStrToLower(cell);
  if (v.empty() || v == "false" || v == "no" || v == "0") return false;
  if (v == "true" || v == "yes" || v == "1") return true;
  return absl::InvalidArgumentError(
      absl::StrCat("column ", Sv(column), ": '", cell, "' is not true or false"));
}

[[nodiscard]] absl::StatusOr<int64_t> EventTime(const std::string& cell) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, cell, &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "column event-time: '", cell, "' is not an RFC 3339 time (2026-11-30T09:00:00Z): ", err));
  }
  const int64_t micros = absl::ToUnixMicros(t);
  if (micros <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("column event-time: '", cell, "' is before 1970"));
  }
  return micros;
}

}  // namespace

std::string ImportTypeName(ImportType type) {
  switch (type) {
    case ImportType::kLots:
      return "lots";
    case ImportType::kShipments:
      return "shipments";
    case ImportType::kReceipts:
      return "receipts";
    case ImportType::kPieces:
      return "pieces";
  }
  return "?";
}

absl::StatusOr<ImportType> ParseImportType(std::string_view name) {
  for (ImportType t :
       {ImportType::kLots, ImportType::kShipments, ImportType::kReceipts, ImportType::kPieces}) {
    if (ImportTypeName(t) == name) return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--type '", Sv(name), "': one of lots, shipments, receipts, pieces"));
}

std::vector<ImportColumn> ImportColumns(ImportType type) {
  std::vector<ImportColumn> c;
  switch (type) {
    case ImportType::kLots:
      c = {{"id", true, false, "the new lot's id"},
           {"material", true, false, "gold, silver, platinum, diamond, ruby, ..."},
           {"form", true, false, "scrap, grain, bar, rough, polished, melee, ..."},
           {"origin", true, false,
            "mined, recycled-pre-consumer, recycled-post-consumer, lab-grown"},
           {"quantity", true, false, "with its unit: 150 g, 3.420 ct"},
           {"fineness", false, false, "parts per thousand: 999.9, 750 (stones: 1000)"},
           {"facility", true, false, "where it was made"},
           {"cert", false, true, "certificates it cites"},
           {"note", false, false, "a note"},
           {"parcel-stones", false, false, "a parcel: how many stones"},
           {"size-class", false, false, "a parcel's sieve class or size range"},
           {"min-stone", false, false, "a parcel's smallest stone, carats"},
           {"max-stone", false, false, "a parcel's largest stone, carats"},
           {"species", false, false, "a coloured gemstone's species"},
           {"treatment", false, false, "a coloured gemstone's treatment"},
           {"country", false, false, "a coloured gemstone's country of origin (ISO 3166)"}};
      break;
    case ImportType::kShipments:
      c = {{"shipment", true, false, "the shipment's id"},
           {"lot", true, false, "the lot shipped"},
           {"to", true, false, "the receiving participant"},
           {"invoice-sha256", false, false, "SHA-256 of the invoice, 64 hex digits"}};
      break;
    case ImportType::kReceipts:
      c = {{"shipment", true, false, "the shipment received"}, {"lot", true, false, "its lot"}};
      break;
    case ImportType::kPieces:
      c = {{"id", true, false, "the piece's id"},
           {"description", true, false, "what it is (a lab-grown stone needs its qualifier)"},
           {"hallmark", false, false, "750, 999.9, 18K"},
           {"stone", false, true, "graded stones' lots"},
           {"metal", false, true, "LOT:QUANTITY of metal taken: cast-1:3.850 g"},
           {"parcel", false, true, "LOT:STONES: a parcel it takes whole, and how many stones"},
           {"claim", false, true, "MATERIAL:ATTRIBUTE:MODEL:PERCENT[:SCHEME]"},
           {"gtin", false, false, "its GTIN (with serial)"},
           {"serial", false, false, "its serial (GS1 AI 21)"},
           {"disclose-inputs", false, false, "true: a sealed piece's bundle opens its inputs"}};
      break;
  }
  c.push_back({kEventTime, false, false, "when it happened, RFC 3339; empty: the import's time"});
  return c;
}

absl::StatusOr<ImportHeader> ImportHeader::Check(ImportType type,
                                                 const std::vector<std::string>& header) {
  const std::vector<ImportColumn> columns = ImportColumns(type);
  ImportHeader out;
  out.type_ = type;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    if (name.empty()) continue;  // a column with no name (a trailing delimiter) is not read
    bool known = false;
    for (const ImportColumn& c : columns) known = known || c.name == name;
    if (!known) {
      std::vector<std::string> names;
      for (const ImportColumn& c : columns) names.push_back(c.name);
      return absl::InvalidArgumentError(
          absl::StrCat("column '", name, "' is not one of the ", ImportTypeName(type),
                       " layout: ", absl::StrJoin(names, ", "), " (docs/import.md)"));
    }
    for (const auto& [seen, at] : out.columns_) {
      if (seen == name) {
        return absl::InvalidArgumentError(absl::StrCat(
            "column '", name, "' is named twice (columns ", at + 1, " and ", i + 1, ")"));
      }
    }
    out.columns_.emplace_back(name, i);
  }
  for (const ImportColumn& c : columns) {
    if (!c.required) continue;
    bool present = false;
    for (const auto& [name, at] : out.columns_) present = present || name == c.name;
    if (!present) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the ", ImportTypeName(type), " layout needs a column '", c.name, "' (", c.help, ")"));
    }
  }
  return out;
}

std::string ImportHeader::Cell(const std::vector<std::string>& row, std::string_view name) const {
  for (const auto& [column, at] : columns_) {
    if (column == name && at < row.size()) {
      return std::string(absl::StripAsciiWhitespace(row[at]));
    }
  }
  return "";
}

absl::StatusOr<ImportRecord> RowRecord(const ImportHeader& header,
                                       const std::vector<std::string>& row, const LotLookup& lots) {
  const auto cell = [&](std::string_view name) { return header.Cell(row, name); };
  for (const ImportColumn& c : ImportColumns(header.type())) {
    if (c.required && cell(c.name).empty()) {
      return absl::InvalidArgumentError(absl::StrCat("column ", c.name, " is empty"));
    }
  }
  ImportRecord out;
  switch (header.type()) {
    case ImportType::kLots: {
      LotFlags f;
      f.id = cell("id");
      f.material = cell("material");
      f.form = cell("form");
      f.origin = cell("origin");
      f.quantity = cell("quantity");
      f.fineness = cell("fineness");
      f.facility = cell("facility");
      f.certificates = Values(cell("cert"));
      f.note = cell("note");
      ASSIGN_OR_RETURN(f.parcel_stones, Count("parcel-stones", cell("parcel-stones")));
      f.size_class = cell("size-class");
      f.min_stone = cell("min-stone");
      f.max_stone = cell("max-stone");
      f.species = cell("species");
      f.treatment = cell("treatment");
      f.country = cell("country");
      ASSIGN_OR_RETURN(out.record, LotRecord(f));
      out.key = f.id;
      break;
    }
    case ImportType::kShipments: {
      ShipFlags f;
      f.shipment = cell("shipment");
      f.lot = cell("lot");
      f.to = cell("to");
      f.invoice_sha256 = absl::AsciiStrToLower(cell("invoice-sha256"));
      ASSIGN_OR_RETURN(out.record, ShipRecord(lots, f));
      out.key = f.shipment;
      break;
    }
    case ImportType::kReceipts: {
      ShipFlags f;
      f.shipment = cell("shipment");
      f.lot = cell("lot");
      out.record = ReceiveRecord(f);
      out.key = f.shipment;
      break;
    }
    case ImportType::kPieces: {
      PieceFlags f;
      f.id = cell("id");
      f.description = cell("description");
      f.hallmark = cell("hallmark");
      f.stones = Values(cell("stone"));
      f.metal = Values(cell("metal"));
      f.claims = Values(cell("claim"));
      f.gtin = cell("gtin");
      f.serial = cell("serial");
      ASSIGN_OR_RETURN(f.disclose_inputs, YesNo("disclose-inputs", cell("disclose-inputs")));
      ASSIGN_OR_RETURN(out.record, PieceRecord(lots, f));
      // A parcel's stones are stated in the file, not read from its state now:
      // a rerun after the piece took them signs the same bytes.
      for (const std::string& v : Values(cell("parcel"))) {
        const std::vector<std::string> parts = absl::StrSplit(v, ':');
        int64_t stones = 0;
        if (parts.size() != 2 || parts[0].empty() || !absl::SimpleAtoi(parts[1], &stones) ||
            stones <= 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "column parcel '", v, "': expected LOT:STONES, the parcel and its stones left"));
        }
        v1::ParcelStones* ps = out.record.mutable_piece_registered()->add_parcel_stones();
        ps->set_lot_id(parts[0]);
        ps->set_stones(stones);
      }
      out.key = f.id;
      break;
    }
  }
  if (const std::string when = cell(kEventTime); !when.empty()) {
    ASSIGN_OR_RETURN(const int64_t micros, EventTime(when));
    out.record.set_event_time_micros(micros);
  }
  return out;
}

std::string ImportRecordId(ImportType type, std::string_view key) {
  return absl::StrCat("import-", ImportTypeName(type), "-",
                      absl::BytesToHexString(HashBytes(Sha256(key))).substr(0, 32));
}

}  // namespace touchstone::cli
