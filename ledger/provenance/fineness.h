// Fineness and fine weight in parts per ten thousand (ptt), the legacy
// parts-per-thousand form of logs written before the trade rules, and
// hallmarks. One definition shared by the rules (rules_material.cc,
// rules_pieces.cc) and the offline bundle verifier; services/web/verify.js
// mirrors it and tests/testdata/trade_vectors.json pins both.
//
// Fine units: a lot's fine weight is quantity x fineness_ptt (milligrams x ptt
// for metals, thousandths of a carat x 10000 for stones). A legacy lot
// (fineness_ppt) has fineness_ptt = 10 x fineness_ppt, and a legacy
// transformation's declared_loss_fine (milligrams x ppt) is 10 x smaller than
// the same loss in ptt units, so every legacy conservation equation holds
// unchanged in ptt units.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_FINENESS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_FINENESS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "proto/record.pb.h"

namespace touchstone {

// Pure material, and every stone.
inline constexpr int32_t kFullFinenessPtt = 10000;

// The fineness a LotCreated or OutputLot states, in ptt: `ptt`, or 10 x the
// legacy `ppt`. INVALID_ARGUMENT (naming `what`) if both or neither are set,
// if it is not 1..10000, or if the legacy field is used under the trade rules
// (`trade_rules`).
[[nodiscard]] absl::StatusOr<int32_t> StatedFinenessPtt(int32_t ppt, int32_t ptt, bool trade_rules,
                                                        std::string_view what);

// The declared loss of `t` in ptt fine units: declared_loss_fine_ptt, or 10 x
// the legacy declared_loss_fine when every output states fineness_ppt.
// INVALID_ARGUMENT if outputs mix the two forms, if the loss field does not
// match the outputs' form, or if a loss is negative.
[[nodiscard]] absl::StatusOr<int64_t> DeclaredLossPtt(const v1::Transformation& t);

// The fineness a hallmark states, in ptt: "750" -> 7500, "999.9" -> 9999,
// "18K" / "18k" -> 7500 (karats x 10000 / 24, rounded down), with an optional
// metal prefix of up to three letters ("PT950", "Au750"). INVALID_ARGUMENT for
// anything else. An empty hallmark is not a hallmark: callers skip it.
[[nodiscard]] absl::StatusOr<int32_t> HallmarkFinenessPtt(std::string_view hallmark);

// "999.9", "750", "916.7": fineness in parts per thousand with the tenth
// shown when it is not zero.
std::string FinenessText(int32_t ptt);

// Karats of a fineness, to the nearest tenth: 7500 -> "18k", 5850 and 5833 ->
// "14k", 9999 -> "24k"; "" below 8k.
std::string KaratText(int32_t ptt);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_FINENESS_H_
