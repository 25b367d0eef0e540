// Reading a CSV file (RFC 4180, through libcsv) as a header and rows, each row
// with the line it starts on, so that an error names the line a person finds
// in their spreadsheet. For `touchstone import` (cli_import.cc).
#ifndef TOUCHSTONE_SERVICES_CSV_FILE_H_
#define TOUCHSTONE_SERVICES_CSV_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace touchstone::cli {

struct CsvRow {
  uint64_t line = 0;  // 1-based line the row starts on (a quoted field may span lines)
  std::vector<std::string> fields;
};

// Value type.
struct CsvTable {
  std::vector<std::string> header;  // the first row's fields, trimmed of spaces
  std::vector<CsvRow> rows;         // every later row that has a non-empty field
};

// Reads the CSV file at `path`, fields separated by `delimiter` (',' or ';' as
// European spreadsheets write), quoted with '"' (doubled inside a field).
// A UTF-8 byte order mark is skipped; blank rows are skipped; a row may have
// fewer fields than the header (the rest are empty). Errors: NOT_FOUND if the
// file is missing; INVALID_ARGUMENT "PATH:LINE: ..." for malformed quoting, a
// row with more fields than the header, a field that is not UTF-8, or a file
// with no header.
[[nodiscard]] absl::StatusOr<CsvTable> ReadCsv(const std::string& path, char delimiter);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CSV_FILE_H_
