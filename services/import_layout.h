// The column layouts of `touchstone import` (docs/import.md): which CSV
// columns each record type takes, and how a row becomes an unsigned record.
// A column is named as the flag of the one-record command that sets the same
// field (`lot create --material` is the column `material`), so a row reads
// like the command it replaces. Pure functions over the row's text, except
// where a record follows from a lot's state (LotLookup, cli_trade_records.h).
#ifndef TOUCHSTONE_SERVICES_IMPORT_LAYOUT_H_
#define TOUCHSTONE_SERVICES_IMPORT_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/record.pb.h"
#include "services/cli_trade_records.h"

namespace touchstone::cli {

// What a file holds, one record per row.
enum class ImportType { kLots, kShipments, kReceipts, kPieces };

// "lots", "shipments", "receipts", "pieces".
std::string ImportTypeName(ImportType type);
// The type named so; INVALID_ARGUMENT listing the names otherwise.
[[nodiscard]] absl::StatusOr<ImportType> ParseImportType(std::string_view name);

// One column of a layout. Value type.
struct ImportColumn {
  std::string name;
  bool required = false;
  bool repeated = false;  // several values in one cell, separated by ';'
  std::string help;
};

// The columns of `type`, in the order docs/import.md lists them. Every layout
// also has the optional column "event-time" (RFC 3339, e.g.
// 2026-11-30T09:00:00Z): when the event happened; empty, the import's time.
std::vector<ImportColumn> ImportColumns(ImportType type);

// A header checked against a layout: where each known column is. Value type.
class ImportHeader {
 public:
  // INVALID_ARGUMENT for an unknown column (naming the known ones), a column
  // named twice, or a required column missing.
  [[nodiscard]] static absl::StatusOr<ImportHeader> Check(ImportType type,
                                                          const std::vector<std::string>& header);

  ImportType type() const { return type_; }
  // The cell of column `name` in `row` (trimmed of spaces); "" if the file has
  // no such column.
  std::string Cell(const std::vector<std::string>& row, std::string_view name) const;

 private:
  ImportType type_ = ImportType::kLots;
  std::vector<std::pair<std::string, size_t>> columns_;
};

// A row as an unsigned record: its body, and event_time_micros if the row
// states one (else 0). The key the row's record id derives from is `key`: the
// lot, shipment or piece id the row is about. INVALID_ARGUMENT naming the
// column for a value that does not parse (or a missing required value); the
// lookup's errors.
struct ImportRecord {
  v1::Record record;
  std::string key;
};
[[nodiscard]] absl::StatusOr<ImportRecord> RowRecord(const ImportHeader& header,
                                                     const std::vector<std::string>& row,
                                                     const LotLookup& lots);

// The record id of the row about `key` in a file of `type`: "import-<type>-"
// and the first 32 hex digits of SHA-256(key). The same row gets the same id
// in every run, wherever it sits in the file, so that a rerun is an idempotent
// retry of what an earlier run appended.
std::string ImportRecordId(ImportType type, std::string_view key);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_IMPORT_LAYOUT_H_
