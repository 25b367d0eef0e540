// Trade disclosures (see disclosure.h).
#include "ledger/provenance/disclosure.h"

#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"

namespace touchstone {
namespace {

constexpr std::string_view kQualifiers[] = {
    "laboratory-grown", "laboratory grown", "laboratory-created", "laboratory created",
    "lab-grown",        "lab grown",        "lab-created",        "lab created",
};

bool WordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// True if `needle` occurs in `hay` with no letter or digit right before or after it.
bool HasWord(std::string_view hay, std::string_view needle) {
  for (size_t at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + 1)) {
    const bool left = at == 0 || !WordChar(hay[at - 1]);
    const size_t end = at + needle.size();
    const bool right = end == hay.size() || !WordChar(hay[end]);
    if (left && right) return true;
  }
  return false;
}

}  // namespace

std::span<const std::string_view> LabGrownQualifiers() { return kQualifiers; }

bool HasLabGrownQualifier(std::string_view description) {
  const std::string lower = absl::AsciiStrToLower(Sv(description));
  for (std::string_view q : kQualifiers) {
    if (HasWord(lower, q)) return true;
  }
  // "<name>-created": a word of at least two letters right before "-created".
  constexpr std::string_view kCreated = "-created";
  for (size_t at = lower.find(kCreated); at != std::string::npos;
       at = lower.find(kCreated, at + 1)) {
    const size_t end = at + kCreated.size();
    if (end != lower.size() && WordChar(lower[end])) continue;
    size_t start = at;
    while (start > 0 && std::isalpha(static_cast<unsigned char>(lower[start - 1]))) --start;
    if (at - start >= 2) return true;
  }
  return false;
}

bool IsDiamond(std::string_view material) { return material == "diamond"; }

bool NeedsWarranty(std::string_view material, v1::OriginClass origin) {
  return IsDiamond(material) && origin == v1::ORIGIN_CLASS_MINED;
}

absl::Status CheckGemstoneDisclosure(const v1::LotCreated& lot) {
  const bool coloured = lot.unit() == v1::UNIT_CARAT_THOUSANDTH && !IsDiamond(lot.material());
  if (!coloured) {
    if (lot.has_gemstone()) {
      return absl::InvalidArgumentError(
          "only a coloured gemstone lot carries a gemstone disclosure");
    }
    return absl::OkStatus();
  }
  if (!lot.has_gemstone() || lot.gemstone().species().empty() ||
      lot.gemstone().treatment().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "disclosure rule: a coloured gemstone (", lot.material(),
        ") needs its species and treatment disclosed (treatment \"none\" if untreated)"));
  }
  return absl::OkStatus();
}

}  // namespace touchstone
