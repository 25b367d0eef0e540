// ReadCsv (csv_file.h), over libcsv's callback parser.
#include "services/csv_file.h"

#include <csv.h>

#include <fstream>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace touchstone::cli {
namespace {

// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF): what a record's string fields must be.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// What the callbacks build, and the line being fed.
struct Parse {
  uint64_t line = 0;       // the line being fed
  uint64_t row_start = 0;  // the line the row being parsed started on
  CsvRow row;
  bool row_started = false;
  std::vector<CsvRow> rows;
};

void OnField(void* data, size_t len, void* out) {
  auto* p = static_cast<Parse*>(out);
  if (!p->row_started) {
    p->row.line = p->row_start;
    p->row_started = true;
  }
  p->row.fields.emplace_back(data == nullptr ? "" : std::string(static_cast<char*>(data), len));
}

void OnRowEnd(int, void* out) {
  auto* p = static_cast<Parse*>(out);
  bool blank = true;
  for (const std::string& f : p->row.fields) {
    if (!absl::StripAsciiWhitespace(f).empty()) blank = false;
  }
  if (!blank) p->rows.push_back(std::move(p->row));
  p->row = CsvRow{};
  p->row_started = false;
}

}  // namespace

absl::StatusOr<CsvTable> ReadCsv(const std::string& path, char delimiter) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
    return absl::ResourceExhaustedError("no memory for the CSV parser");
  }
  csv_set_delim(&parser, static_cast<unsigned char>(delimiter));
  Parse p;
  std::string text;
  absl::Status failed;
  while (failed.ok() && std::getline(in, text)) {
    ++p.line;
    if (p.line == 1 && text.rfind("\xEF\xBB\xBF", 0) == 0) text.erase(0, 3);
    text.push_back('\n');  // getline dropped it; the parser ends rows on it
    // A row begun before this line (a quoted field with a line break) keeps its start.
    if (parser.pstate == 0) p.row_start = p.line;  // libcsv's ROW_NOT_BEGUN
    if (csv_parse(&parser, text.data(), text.size(), OnField, OnRowEnd, &p) != text.size()) {
      failed = absl::InvalidArgumentError(
          absl::StrCat(path, ":", p.line, ": ", csv_strerror(csv_error(&parser)),
                       " (a quote inside a quoted field is written twice: \"\")"));
    }
  }
  if (failed.ok() && csv_fini(&parser, OnField, OnRowEnd, &p) != 0) {
    failed = absl::InvalidArgumentError(
        absl::StrCat(path, ":", p.row_start, ": ", csv_strerror(csv_error(&parser)),
                     " (a quoted field is not closed before the end of the file)"));
  }
  csv_free(&parser);
  if (!failed.ok()) return failed;
  if (p.rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(path,
                                                   ": no header row: the first row names "
                                                   "the columns"));
  }
  CsvTable table;
  for (const std::string& h : p.rows.front().fields) {
    table.header.emplace_back(absl::StripAsciiWhitespace(h));
  }
  p.rows.erase(p.rows.begin());
  for (CsvRow& row : p.rows) {
    if (row.fields.size() > table.header.size()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", row.line, ": ", row.fields.size(),
                                                     " fields, but the header has ",
                                                     table.header.size(), " columns"));
    }
    for (const std::string& f : row.fields) {
      if (!IsUtf8(f)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", row.line,
                         ": a field is not UTF-8 text (save the file as "
                         "UTF-8 CSV)"));
      }
    }
    row.fields.resize(table.header.size());
  }
  table.rows = std::move(p.rows);
  return table;
}

}  // namespace touchstone::cli
