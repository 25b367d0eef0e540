#include "ledger/provenance/gs1.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/base/strings.h"

namespace touchstone {
namespace {

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

// The GS1 check digit of `body` (the digits before it).
char CheckDigit(std::string_view body) {
  int sum = 0;
  int weight = 3;
  for (size_t i = body.size(); i-- > 0;) {
    sum += (body[i] - '0') * weight;
    weight = 4 - weight;
  }
  return static_cast<char>('0' + (10 - sum % 10) % 10);
}

bool IsSerialChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!\"%&'()*+,-./:;<=>?_").find(c) != std::string_view::npos;
}

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

[[nodiscard]] absl::StatusOr<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) {
      return absl::InvalidArgumentError("a Digital Link URI has a truncated %-escape");
    }
    const int hi = HexValue(s[i + 1]);
    const int low = HexValue(s[i + 2]);
    if (hi < 0 || low < 0) {
      return absl::InvalidArgumentError("a Digital Link URI has a malformed %-escape");
    }
    out.push_back(static_cast<char>(hi * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> Gtin14(std::string_view gtin) {
  if (!AllDigits(gtin)) {
    return absl::InvalidArgumentError(absl::StrCat("GTIN '", Sv(gtin), "' is not all digits"));
  }
  if (gtin.size() != 8 && gtin.size() != 12 && gtin.size() != 13 && gtin.size() != 14) {
    return absl::InvalidArgumentError(absl::StrCat("GTIN '", Sv(gtin), "' has ", gtin.size(),
                                                   " digits; a GTIN has 8, 12, 13 or 14"));
  }
  const char expected = CheckDigit(gtin.substr(0, gtin.size() - 1));
  if (gtin.back() != expected) {
    return absl::InvalidArgumentError(absl::StrCat("GTIN '", Sv(gtin), "' has check digit ",
                                                   std::string(1, gtin.back()),
                                                   "; its digits give ", std::string(1, expected)));
  }
  return std::string(14 - gtin.size(), '0') + std::string(gtin);
}

bool IsCanonicalGtin14(std::string_view gtin) { return gtin.size() == 14 && Gtin14(gtin).ok(); }

absl::Status CheckGs1Serial(std::string_view serial) {
  if (serial.empty() || serial.size() > 20) {
    return absl::InvalidArgumentError(
        absl::StrCat("a GS1 serial is 1 to 20 characters; this one has ", serial.size()));
  }
  for (char c : serial) {
    if (!IsSerialChar(c)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "a GS1 serial holds A-Z a-z 0-9 and !\"%%&'()*+,-./:;<=>?_ only; byte 0x%02x is not one",
          static_cast<unsigned char>(c)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, std::string>> ParseDigitalLink(std::string_view uri) {
  const size_t end = uri.find_first_of("?#");
  const std::string_view path = uri.substr(0, end);
  const size_t at = path.rfind("/01/");
  if (at == std::string_view::npos) {
    return absl::InvalidArgumentError(
        "not a GS1 Digital Link URI: no /01/<gtin>/21/<serial> in it");
  }
  const std::string_view rest = path.substr(at + 4);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash, 4) != "/21/") {
    return absl::InvalidArgumentError(
        "a GS1 Digital Link URI of a piece carries its serial: /01/<gtin>/21/<serial>");
  }
  std::string_view encoded_serial = rest.substr(slash + 4);
  if (const size_t next = encoded_serial.find('/'); next != std::string_view::npos) {
    encoded_serial = encoded_serial.substr(0, next);  // further qualifiers (/10/lot) ignored
  }
  absl::StatusOr<std::string> gtin = Gtin14(rest.substr(0, slash));
  if (!gtin.ok()) return gtin.status();
  absl::StatusOr<std::string> serial = PercentDecode(encoded_serial);
  if (!serial.ok()) return serial.status();
  if (absl::Status s = CheckGs1Serial(*serial); !s.ok()) return s;
  return std::make_pair(*std::move(gtin), *std::move(serial));
}

std::string DigitalLinkPath(std::string_view gtin14, std::string_view serial) {
  std::string out = absl::StrCat("/01/", Sv(gtin14), "/21/");
  for (char c : serial) {
    if (IsUnreserved(c)) {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace touchstone
