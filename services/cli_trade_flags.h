// How the trade commands (services/cli_trade.cc, cli_accounts.cc) read their
// flags: quantities with their unit ("150 g", "3.420 ct"), fineness in parts
// per thousand ("999.9", "750"), shares in percent ("62", "62.5"), enum names
// in lower case with dashes ("recycled-post-consumer", "mass-balance"), and a
// material claim in one word (`--claim gold:recycled:segregated:100[:SCHEME]`,
// `--claim gold:recycled:mass-balance:62:ACCOUNT[:SCHEME]`). Pure functions;
// each returns INVALID_ARGUMENT naming the flag and what it expects.
#ifndef TOUCHSTONE_SERVICES_CLI_TRADE_FLAGS_H_
#define TOUCHSTONE_SERVICES_CLI_TRADE_FLAGS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "proto/record.pb.h"

namespace touchstone::cli {

// A quantity and its unit: "150 g", "150.5g", "150000 mg" (milligrams), "3.42 ct"
// (thousandths of a carat). At most three decimals for g and ct, none for mg.
struct Quantity {
  v1::Unit unit = v1::UNIT_UNSPECIFIED;
  int64_t value = 0;  // milligrams or thousandths of a carat
};
[[nodiscard]] absl::StatusOr<Quantity> ParseQuantity(std::string_view flag, std::string_view text);

// Carats as thousandths: "0.010" -> 10, "1.25" -> 1250 (a trailing "ct" is allowed).
[[nodiscard]] absl::StatusOr<int64_t> ParseCarats(std::string_view flag, std::string_view text);

// Fineness in parts per thousand with at most one decimal, 0 < f <= 1000, as
// parts per ten thousand: "999.9" -> 9999, "750" -> 7500, "1000" -> 10000.
[[nodiscard]] absl::StatusOr<int32_t> ParseFineness(std::string_view flag, std::string_view text);

// A share in percent with at most two decimals, 0 < s <= 100, as basis points:
// "62" -> 6200, "62.5" -> 6250.
[[nodiscard]] absl::StatusOr<uint32_t> ParseSharePercent(std::string_view flag,
                                                         std::string_view text);

// The value of enum `type` named PREFIX_<WORD> where `word` is its lower-case
// name with '-' for '_': ("ORIGIN_CLASS_", "recycled-post-consumer").
[[nodiscard]] absl::StatusOr<int> ParseEnumWord(std::string_view flag,
                                                const google::protobuf::EnumDescriptor* type,
                                                std::string_view prefix, std::string_view word);

// The word ParseEnumWord reads for a value: (ORIGIN_CLASS_LAB_GROWN) -> "lab-grown".
std::string EnumWord(const google::protobuf::EnumDescriptor* type, std::string_view prefix,
                     int value);

// MATERIAL:ATTRIBUTE:MODEL:PERCENT[:SCHEME] or, for mass balance,
// MATERIAL:ATTRIBUTE:mass-balance:PERCENT:ACCOUNT[:SCHEME].
[[nodiscard]] absl::StatusOr<v1::MaterialClaim> ParseMaterialClaim(std::string_view text);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_TRADE_FLAGS_H_
