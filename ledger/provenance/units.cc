// Trade units for people (see units.h).
#include "ledger/provenance/units.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ledger/provenance/fineness.h"

namespace touchstone {
namespace {

// Thousandths of a unit of `num / den` milligrams each, of `mg` milligrams,
// rounded half up: mg x 1000 x den / num.
int64_t Thousandths(int64_t mg, int64_t num, int64_t den) {
  const __int128 scaled = static_cast<__int128>(mg) * 1000 * den;
  return static_cast<int64_t>((2 * scaled + num) / (2 * num));
}

// "1,234.567": thousandths with the integer part grouped by commas.
std::string Grouped(int64_t thousandths) {
  std::string whole = absl::StrCat(thousandths / 1000);
  for (int at = static_cast<int>(whole.size()) - 3; at > 0; at -= 3) whole.insert(at, ",");
  return absl::StrFormat("%s.%03d", whole, thousandths % 1000);
}

}  // namespace

std::string MassText(int64_t milligrams) {
  if (milligrams < 0) return "-" + MassText(-milligrams);
  // 1 ozt = 311034768 / 10^4 mg; 1 dwt = 155517384 / 10^5 mg.
  return absl::StrCat(Grouped(milligrams), " g (",
                      Grouped(Thousandths(milligrams, 311034768, 10000)), " ozt, ",
                      Grouped(Thousandths(milligrams, 155517384, 100000)), " dwt)");
}

std::string CaratText(int64_t thousandths) {
  if (thousandths < 0) return "-" + CaratText(-thousandths);
  return Grouped(thousandths) + " ct";
}

std::string QuantityText(v1::Unit unit, int64_t quantity) {
  return unit == v1::UNIT_MILLIGRAM ? MassText(quantity) : CaratText(quantity);
}

std::string FineMassText(int64_t fine_units) { return MassText(fine_units / kFullFinenessPtt); }

std::string FinenessKaratText(int32_t ptt) {
  const std::string karats = KaratText(ptt);
  return karats.empty() ? FinenessText(ptt) : absl::StrCat(FinenessText(ptt), " (", karats, ")");
}

std::string MetalFinenessText(std::string_view material, int32_t ptt) {
  return material == "gold" ? FinenessKaratText(ptt) : FinenessText(ptt);
}

}  // namespace touchstone
