// Fineness in parts per ten thousand (see fineness.h).
#include "ledger/provenance/fineness.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"

namespace touchstone {

absl::StatusOr<int32_t> StatedFinenessPtt(int32_t ppt, int32_t ptt, bool trade_rules,
                                          std::string_view what) {
  if (ppt != 0 && ptt != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), ": set fineness_ptt or the legacy fineness_ppt, not both"));
  }
  if (ppt != 0 && trade_rules) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what),
                     ": fineness is stated in parts per ten thousand (fineness_ptt) under the "
                     "trade rules; fineness_ppt is only for logs written before them"));
  }
  const int64_t value = ppt != 0 ? int64_t{ppt} * 10 : int64_t{ptt};
  if (value <= 0 || value > kFullFinenessPtt) {
    return absl::InvalidArgumentError(
        absl::StrCat(Sv(what), ": fineness_ptt must be 1 to ", kFullFinenessPtt,
                     " (parts per ten thousand; 9999 is 999.9 gold)"));
  }
  return static_cast<int32_t>(value);
}

absl::StatusOr<int64_t> DeclaredLossPtt(const v1::Transformation& t) {
  bool legacy = false, current = false;
  for (const v1::OutputLot& out : t.outputs()) {
    legacy = legacy || out.fineness_ppt() != 0;
    current = current || out.fineness_ppt() == 0;
  }
  if (legacy && current) {
    return absl::InvalidArgumentError(
        "outputs state fineness in parts per thousand and per ten thousand; use one form");
  }
  if (t.declared_loss_fine() < 0 || t.declared_loss_fine_ptt() < 0) {
    return absl::InvalidArgumentError("a declared loss must not be negative");
  }
  if (legacy) {
    if (t.declared_loss_fine_ptt() != 0) {
      return absl::InvalidArgumentError(
          "outputs in fineness_ppt declare their loss in declared_loss_fine");
    }
    if (t.declared_loss_fine() > INT64_MAX / 10) {
      return absl::InvalidArgumentError("declared_loss_fine is out of range");
    }
    return t.declared_loss_fine() * 10;
  }
  if (t.declared_loss_fine() != 0) {
    return absl::InvalidArgumentError(
        "outputs in fineness_ptt declare their loss in declared_loss_fine_ptt");
  }
  return t.declared_loss_fine_ptt();
}

absl::StatusOr<int32_t> HallmarkFinenessPtt(std::string_view hallmark) {
  std::string_view s = hallmark;
  size_t letters = 0;
  while (letters < s.size() && std::isalpha(static_cast<unsigned char>(s[letters]))) ++letters;
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "hallmark '", Sv(hallmark),
        "' is not a fineness mark: use parts per thousand (\"750\", \"999.9\", \"PT950\") or "
        "karats (\"18K\")"));
  };
  // Karats: one or two digits then K (only digits: no sign, no spaces).
  if (letters == 0 && s.size() >= 2 && (s.back() == 'K' || s.back() == 'k')) {
    const std::string_view digits = s.substr(0, s.size() - 1);
    if (digits.size() > 2 || !std::all_of(digits.begin(), digits.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        })) {
      return bad();
    }
    int karats = 0;
    if (!absl::SimpleAtoi(Sv(digits), &karats) || karats < 1 || karats > 24) return bad();
    return static_cast<int32_t>(karats * kFullFinenessPtt / 24);
  }
  if (letters > 3) return bad();
  s.remove_prefix(letters);
  // Parts per thousand: three digits, optionally a point and one digit.
  if (s.size() != 3 && s.size() != 5) return bad();
  for (size_t i = 0; i < s.size(); ++i) {
    const bool digit = std::isdigit(static_cast<unsigned char>(s[i])) != 0;
    if (i == 3 ? s[i] != '.' : !digit) return bad();
  }
  const int32_t ptt = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
                      (s.size() == 5 ? s[4] - '0' : 0);
  if (ptt == 0) return bad();
  return ptt;
}

std::string FinenessText(int32_t ptt) {
  if (ptt % 10 == 0) return absl::StrCat(ptt / 10);
  return absl::StrCat(ptt / 10, ".", ptt % 10);
}

std::string KaratText(int32_t ptt) {
  // karats x 10 = ptt x 240 / 10000, to the nearest tenth (583.3 is 14k).
  const int64_t tenths = (int64_t{ptt} * 240 + kFullFinenessPtt / 2) / kFullFinenessPtt;
  if (tenths < 80) return "";
  if (tenths % 10 == 0) return absl::StrCat(tenths / 10, "k");
  return absl::StrCat(tenths / 10, ".", tenths % 10, "k");
}

}  // namespace touchstone
