#include "ledger/epcis/epcis_reader.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ledger/provenance/record.h"

namespace touchstone::epcis_internal {

std::optional<std::string> PercentDecode(std::string_view s) {
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

namespace {

// True if `s` is valid UTF-8 (no overlong forms, no surrogates, at most
// U+10FFFF) with no C0 control character and no DEL.
bool IsPrintableUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

// The enum value named `word` after `prefix` ("recycled_post_consumer" with
// "ORIGIN_CLASS_"), or nullopt.
std::optional<int> EnumValue(const google::protobuf::EnumDescriptor* d, std::string_view prefix,
                             std::string_view word) {
  const google::protobuf::EnumValueDescriptor* v =
      d->FindValueByName(absl::StrCat(Sv(prefix), absl::AsciiStrToUpper(std::string(word))));
  if (v == nullptr || v->number() == 0) return std::nullopt;
  return v->number();
}

std::optional<std::string> Reader::Named(std::string_view uri, std::string_view kind) {
  if (!absl::StartsWith(Sv(uri), "https://")) return std::nullopt;
  const std::string marker = absl::StrCat("/", Sv(kind), "/");
  const size_t at = uri.find(marker, 8);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = uri.substr(at + marker.size());
  if (rest.empty() || rest.find('/') != std::string_view::npos) return std::nullopt;
  std::optional<std::string> name = PercentDecode(rest);
  if (!name || !IsPrintableUtf8(*name)) return std::nullopt;
  if (kind == "participant" && !IsValidParticipantId(*name)) return std::nullopt;
  return name;
}

std::string S(const Json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : "";
}

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

Or<int64_t> Micros(const std::string& text, std::string_view what) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
    return Refusal{absl::StrCat(Sv(what), " '", text, "' is not RFC 3339: ", err)};
  }
  const absl::Time last = absl::FromCivil(absl::CivilSecond(10000, 1, 1), absl::UTCTimeZone());
  if (t < absl::UnixEpoch() || t >= last) {
    return Refusal{absl::StrCat(Sv(what), " '", text, "' is before 1970 or after 9999")};
  }
  return absl::ToUnixMicros(t);
}

}  // namespace touchstone::epcis_internal
