// Quantities in the units the trade reads, for people: the bundle verifier's
// report and timeline (ledger/bundle/bundle_timeline.cc) and the CLI. One
// definition on the C++ side; the page (services/web) has its own, and
// tests/testdata/trade_vectors.json pins both to the same text.
//
//   mass (milligrams):              "1,000.000 g (32.151 ozt, 643.015 dwt)"
//                                   1 troy ounce = 31,103.4768 mg, 1 pennyweight = 1,555.17384 mg;
//                                   ounces and pennyweights rounded half up to thousandths
//   stones (thousandths of a carat): "1.250 ct"
//   fineness (parts per ten thousand): "750 (18k)", "999.9 (24k)", "500" (no karats below 8k)
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_UNITS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_UNITS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/record.pb.h"

namespace touchstone {

// "1,000.000 g (32.151 ozt, 643.015 dwt)" for 1,000,000 mg; a negative mass
// gets a leading "-".
std::string MassText(int64_t milligrams);

// "1.250 ct" for 1250 thousandths of a carat; a negative weight gets a leading "-".
std::string CaratText(int64_t thousandths);

// MassText or CaratText by `unit` (milligrams: mass; anything else: carats).
std::string QuantityText(v1::Unit unit, int64_t quantity);

// The fine weight of `fine_units` (milligrams x ptt, fineness.h) as a mass,
// rounded down to the milligram: "62.000 g (1.993 ozt, 39.867 dwt)".
std::string FineMassText(int64_t fine_units);

// FinenessText and, from 8k up, KaratText in parentheses: "750 (18k)",
// "999.9 (24k)", "585 (14k)", "500".
std::string FinenessKaratText(int32_t ptt);

// The fineness of a lot of `material` as the trade states it: karats for gold
// only (FinenessKaratText), parts per thousand for other metals ("950").
std::string MetalFinenessText(std::string_view material, int32_t ptt);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_UNITS_H_
