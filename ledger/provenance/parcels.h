// Stone parcels (LotCreated.parcel): the arithmetic of drawing stones from a
// parcel by count and weight. One definition shared by the rules
// (rules_material.cc, from the ledger's state) and the offline bundle verifier
// (replaying every draw a bundle carries); services/web/verify.js mirrors it.
//
// A draw (a Transformation input with `stones` > 0) takes `stones` stones
// weighing `quantity` from a parcel holding (stones, weight); it states what is
// left, and that statement must be exact. Conservation: a draw takes at least
// one stone and some weight, never more than the parcel holds, takes the last
// stone only with the last weight (and the last weight only with the last
// stone). A bundle carries every draw from a parcel up to its own, so replaying
// them from the parcel's creation adds up, or a draw is missing or misstated.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_PARCELS_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_PARCELS_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/record.pb.h"

namespace touchstone {

// What a parcel holds. Value type.
struct ParcelBalance {
  int64_t stones = 0;
  int64_t weight = 0;  // thousandths of a carat
};

// A new parcel's own consistency: stone_count > 0, and the weight within
// stone_count x the per-stone bounds when they are stated. INVALID_ARGUMENT.
[[nodiscard]] absl::Status CheckNewParcel(const v1::StoneParcel& parcel, int64_t weight);

// The parcel `lot_id` after `draw` takes from `before`. INVALID_ARGUMENT if
// the draw takes no stone or no weight; FAILED_PRECONDITION "parcel rule: ..."
// if it takes more than the parcel holds, breaks conservation, or states a
// remainder (stones_left, quantity_left) other than the true one.
[[nodiscard]] absl::StatusOr<ParcelBalance> DrawFromParcel(const ParcelBalance& before,
                                                           const v1::LotQuantity& draw,
                                                           std::string_view lot_id);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_PARCELS_H_
