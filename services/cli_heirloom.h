// The owner's material from the command line (ledger/provenance/heirloom.h):
// what a transformation's outputs state of it and what a piece claims of it,
// computed from the lots' states the ledger reports (GetLot) with the very
// functions the rules check them with, so that `lot transform --heirloom-fine
// auto`, `piece register --heirloom-claim auto` and the demo state exactly
// what the lineage gives.
#ifndef TOUCHSTONE_SERVICES_CLI_HEIRLOOM_H_
#define TOUCHSTONE_SERVICES_CLI_HEIRLOOM_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/provenance/heirloom.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"
#include "services/cli.h"

namespace touchstone::cli {

// What the heirloom rules know of `lot` when `taken` of it (its unit) is used.
HeirloomLot HeirloomLotOf(const v1::LotState& lot, int64_t taken);

// Sets the heirloom_fine of `t`'s outputs. `stated` is what --heirloom-fine
// says: {"auto"} computes the owner's fine weight out of the inputs' states
// (HeirloomAfterLoss) and shares it among the outputs in proportion to their
// fine weight (the remainder to the first output with room); otherwise each
// entry is LOT=FINE (fine units, mg x ptt). Empty: nothing is set.
// INVALID_ARGUMENT for a malformed entry or an unknown output; the server's
// error reading a lot; FAILED_PRECONDITION from CombineHeirloomInputs.
[[nodiscard]] absl::Status FillHeirloomFine(const Context& ctx, v1::Transformation& t,
                                            const std::vector<std::string>& stated);

// The claim the piece's inputs give (ComputeHeirloomClaim over its metal
// inputs, stones and parcels as the ledger reports them). FAILED_PRECONDITION
// if they carry no owner's material, or as ComputeHeirloomClaim.
[[nodiscard]] absl::StatusOr<v1::HeirloomClaim> ComputeClaimOf(const Context& ctx,
                                                               const v1::PieceRegistered& piece);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_HEIRLOOM_H_
