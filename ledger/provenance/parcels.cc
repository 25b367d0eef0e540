// Parcel draws (see parcels.h).
#include "ledger/provenance/parcels.h"

#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"

namespace touchstone {

absl::Status CheckNewParcel(const v1::StoneParcel& parcel, int64_t weight) {
  if (parcel.stone_count() <= 0) {
    return absl::InvalidArgumentError("a parcel needs a stone_count of at least 1");
  }
  if (parcel.min_stone_thousandths() < 0 || parcel.max_stone_thousandths() < 0 ||
      (parcel.max_stone_thousandths() != 0 &&
       parcel.max_stone_thousandths() < parcel.min_stone_thousandths())) {
    return absl::InvalidArgumentError("a parcel's per-stone weight bounds are out of order");
  }
  const __int128 n = parcel.stone_count();
  if (parcel.min_stone_thousandths() != 0 && n * parcel.min_stone_thousandths() > weight) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parcel rule: ", parcel.stone_count(), " stones of at least ",
        parcel.min_stone_thousandths(), " thousandths of a carat weigh more than ", weight));
  }
  if (parcel.max_stone_thousandths() != 0 && n * parcel.max_stone_thousandths() < weight) {
    return absl::InvalidArgumentError(absl::StrCat(
        "parcel rule: ", parcel.stone_count(), " stones of at most ",
        parcel.max_stone_thousandths(), " thousandths of a carat weigh less than ", weight));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParcelBalance> DrawFromParcel(const ParcelBalance& before,
                                             const v1::LotQuantity& draw, std::string_view lot_id) {
  if (draw.stones() <= 0 || draw.quantity() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("a draw from parcel '", Sv(lot_id),
                                                   "' takes at least one stone and some weight"));
  }
  if (draw.stones() > before.stones || draw.quantity() > before.weight) {
    return absl::FailedPreconditionError(absl::StrCat(
        "parcel rule: parcel '", Sv(lot_id), "' holds ", before.stones, " stones weighing ",
        before.weight, "; the draw takes ", draw.stones(), " weighing ", draw.quantity()));
  }
  const ParcelBalance after{before.stones - draw.stones(), before.weight - draw.quantity()};
  if ((after.stones == 0) != (after.weight == 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "parcel rule: a draw from parcel '", Sv(lot_id), "' would leave ", after.stones,
        " stones weighing ", after.weight, " (the last stone goes with the last weight)"));
  }
  if (draw.stones_left() != after.stones || draw.quantity_left() != after.weight) {
    return absl::FailedPreconditionError(absl::StrCat(
        "parcel rule: the draw from parcel '", Sv(lot_id), "' states ", draw.stones_left(),
        " stones weighing ", draw.quantity_left(), " left; the parcel's draws leave ", after.stones,
        " weighing ", after.weight, " (a draw is missing or misstated)"));
  }
  return after;
}

}  // namespace touchstone
