// What the trade commands read back from touchstoned before they sign: a lot's
// and an account's state through the Provenance lookups (the same RPCs as
// `touchstone lookup`), and what follows from it: the remainder a parcel draw
// states, the next seq and balance of a credit account.
#ifndef TOUCHSTONE_SERVICES_CLI_TRADE_STATE_H_
#define TOUCHSTONE_SERVICES_CLI_TRADE_STATE_H_

#include <string>

#include "absl/status/statusor.h"
#include "proto/record.pb.h"
#include "proto/state.pb.h"
#include "services/cli.h"

namespace touchstone::cli {

// The lot's state now; the server's error as it is (NOT_FOUND "no lot 'X'").
[[nodiscard]] absl::StatusOr<v1::LotState> FetchLot(const Context& ctx, const std::string& id);

// The account's state now; NOT_FOUND "no account 'X'".
[[nodiscard]] absl::StatusOr<v1::CreditAccountState> FetchAccount(const Context& ctx,
                                                                  const std::string& id);

// The registered scheme `name`; NOT_FOUND "no scheme 'X'".
[[nodiscard]] absl::StatusOr<v1::SchemeState> FetchScheme(const Context& ctx,
                                                          const std::string& name);

// The refusal of a command that would build its record from a sealed state's
// redacted values (ledger/provenance/redaction.h): FAILED_PRECONDITION
// "<subject> is sealed: its <values> committed and not read back here; state
// <field> with the record itself (touchstone submit)", e.g. values "balance is".
absl::Status SealedStateError(const std::string& subject, const std::string& values,
                              const std::string& field);

// Fills a parcel draw's stated remainder (stones_left, quantity_left) from the
// parcel's state: what it holds now less what `draw` takes. INVALID_ARGUMENT
// if the lot is not a parcel, or the draw takes more than it holds (the
// ledger would refuse it too: DrawFromParcel, ledger/provenance/parcels.h);
// FAILED_PRECONDITION if the parcel is sealed (SealedStateError).
[[nodiscard]] absl::Status StateRemainder(const v1::LotState& parcel, v1::LotQuantity& draw);

// The next record of `account` about `lot`: a CreditBooked of the lot's whole
// remaining fine weight, or (`allocation`) a CreditAllocated of `share_bp` of
// the lot's fine weight (quantity x fineness), rounded up to a whole fine unit
// so that the lot's share (AllocatedShareBp, rounded down) is the one asked
// for; seq and balance_after follow from the account's state.
// FAILED_PRECONDITION if the allocation would overdraw the account (the ledger
// refuses it too: ApplyCredit, ledger/provenance/mass_balance.h), or if the
// account or the lot is sealed (SealedStateError).
[[nodiscard]] absl::StatusOr<v1::Record> NextCreditRecord(const v1::CreditAccountState& account,
                                                          const v1::LotState& lot, bool allocation,
                                                          uint32_t share_bp);

// Fine units (milligrams x ptt) as grams of fine metal: "62.000 g (...) fine".
std::string FineText(int64_t fine);

// Human-readable lines about a lot in the trade's units (ledger/provenance/units.h):
// "lot X: gold bar, 250.000 g (8.038 ozt, 160.754 dwt) at 999.9 (24k), ...".
std::string LotText(const v1::LotState& lot);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_TRADE_STATE_H_
