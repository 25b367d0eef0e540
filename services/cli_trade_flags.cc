// How the trade commands read their flags (see cli_trade_flags.h).
#include "services/cli_trade_flags.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ledger/base/strings.h"

namespace touchstone::cli {
namespace {

// "12.345" with at most `decimals` decimals, scaled by 10^decimals. Digits only.
bool ParseFixed(absl::string_view text, int decimals, int64_t* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.empty() || parts.size() > 2 || parts[0].empty() || parts[0].size() > 15) return false;
  std::string frac = parts.size() == 2 ? std::string(parts[1]) : "";
  if ((parts.size() == 2 && frac.empty()) || static_cast<int>(frac.size()) > decimals) return false;
  frac.append(decimals - frac.size(), '0');
  for (char c : absl::StrCat(parts[0], frac)) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  int64_t whole = 0, part = 0;
  if (!absl::SimpleAtoi(parts[0], &whole)) return false;
  if (!frac.empty() && !absl::SimpleAtoi(frac, &part)) return false;
  int64_t scale = 1;
  for (int i = 0; i < decimals; ++i) scale *= 10;
  *out = whole * scale + part;
  return true;
}

[[nodiscard]] absl::Status Bad(std::string_view flag, std::string_view text,
                               std::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(Sv(flag), " '", Sv(text), "': expected ", Sv(expected)));
}

}  // namespace

absl::StatusOr<Quantity> ParseQuantity(std::string_view flag, std::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(Sv(text));
  const auto expected = "a quantity with its unit: \"150 g\", \"150000 mg\", \"3.420 ct\"";
  Quantity q;
  int decimals = 3;
  if (absl::ConsumeSuffix(&t, "mg")) {
    q.unit = v1::UNIT_MILLIGRAM;
    decimals = 0;
  } else if (absl::ConsumeSuffix(&t, "ct")) {
    q.unit = v1::UNIT_CARAT_THOUSANDTH;
  } else if (absl::ConsumeSuffix(&t, "g")) {
    q.unit = v1::UNIT_MILLIGRAM;
  } else {
    return Bad(flag, text, expected);
  }
  if (!ParseFixed(absl::StripAsciiWhitespace(t), decimals, &q.value) || q.value <= 0) {
    return Bad(flag, text, expected);
  }
  return q;
}

absl::StatusOr<int64_t> ParseCarats(std::string_view flag, std::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(Sv(text));
  absl::ConsumeSuffix(&t, "ct");
  int64_t v = 0;
  if (!ParseFixed(absl::StripAsciiWhitespace(t), 3, &v) || v <= 0) {
    return Bad(flag, text, "carats with at most three decimals: \"0.010\"");
  }
  return v;
}

absl::StatusOr<int32_t> ParseFineness(std::string_view flag, std::string_view text) {
  int64_t v = 0;
  if (!ParseFixed(absl::StripAsciiWhitespace(Sv(text)), 1, &v) || v <= 0 || v > 10000) {
    return Bad(flag, text,
               "fineness in parts per thousand with at most one decimal: \"999.9\", \"750\", "
               "\"1000\"");
  }
  return static_cast<int32_t>(v);
}

absl::StatusOr<uint32_t> ParseSharePercent(std::string_view flag, std::string_view text) {
  absl::string_view t = absl::StripAsciiWhitespace(Sv(text));
  absl::ConsumeSuffix(&t, "%");
  int64_t v = 0;
  if (!ParseFixed(t, 2, &v) || v <= 0 || v > 10000) {
    return Bad(flag, text, "a share in percent, more than 0 and at most 100: \"62\", \"62.5\"");
  }
  return static_cast<uint32_t>(v);
}

absl::StatusOr<int> ParseEnumWord(std::string_view flag,
                                  const google::protobuf::EnumDescriptor* type,
                                  std::string_view prefix, std::string_view word) {
  const std::string name =
      absl::StrCat(Sv(prefix), absl::AsciiStrToUpper(absl::StrReplaceAll(Sv(word), {{"-", "_"}})));
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByName(name);
  if (v == nullptr || v->number() == 0) {
    std::vector<std::string> words;
    for (int i = 1; i < type->value_count(); ++i) {
      words.push_back(EnumWord(type, prefix, type->value(i)->number()));
    }
    return Bad(flag, word, absl::StrCat("one of ", absl::StrJoin(words, ", ")));
  }
  return v->number();
}

std::string EnumWord(const google::protobuf::EnumDescriptor* type, std::string_view prefix,
                     int value) {
  const google::protobuf::EnumValueDescriptor* v = type->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  std::string name = v->name();
  if (absl::StartsWith(name, Sv(prefix))) name = name.substr(prefix.size());
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", "-"}});
}

absl::StatusOr<v1::MaterialClaim> ParseMaterialClaim(std::string_view text) {
  const std::vector<std::string> parts = absl::StrSplit(Sv(text), ':');
  const auto bad = [&] {
    return Bad("--claim", text,
               "MATERIAL:ATTRIBUTE:MODEL:PERCENT[:SCHEME] (gold:recycled:segregated:100) or "
               "MATERIAL:ATTRIBUTE:mass-balance:PERCENT:ACCOUNT[:SCHEME]");
  };
  if (parts.size() < 4 || parts.size() > 6 || parts[0].empty()) return bad();
  v1::MaterialClaim claim;
  claim.set_material(parts[0]);
  absl::StatusOr<int> attribute =
      ParseEnumWord("--claim attribute", v1::Attribute_descriptor(), "ATTRIBUTE_", parts[1]);
  if (!attribute.ok()) return attribute.status();
  claim.set_attribute(static_cast<v1::Attribute>(*attribute));
  absl::StatusOr<int> model =
      ParseEnumWord("--claim model", v1::CustodyModel_descriptor(), "CUSTODY_MODEL_", parts[2]);
  if (!model.ok()) return model.status();
  claim.set_model(static_cast<v1::CustodyModel>(*model));
  absl::StatusOr<uint32_t> share = ParseSharePercent("--claim share", parts[3]);
  if (!share.ok()) return share.status();
  claim.set_share_bp(*share);
  size_t next = 4;
  if (claim.model() == v1::CUSTODY_MODEL_MASS_BALANCE) {
    if (parts.size() < 5 || parts[4].empty()) return bad();
    claim.set_account_id(parts[4]);
    next = 5;
  }
  if (parts.size() > next + 1) return bad();
  if (parts.size() == next + 1) {
    if (parts[next].empty()) return bad();
    claim.set_scheme(parts[next]);
  }
  return claim;
}

}  // namespace touchstone::cli
