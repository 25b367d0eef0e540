// Redaction of derived state for public reads: a lot, piece or credit account a
// sealed record touched (its `sealed` flag, set by the rules: StateView::
// MarkRecordSealed) holds values derived from committed fields
// (ledger/provenance/commitments.h), which only those who may read the
// openings should learn. Every public read of state (Provenance.GetLot,
// GetPiece, GetCreditAccount, and any JSON of them) passes through these
// functions; the ledger itself, its rules and rebuilds keep the full state.
//
// Cleared on a sealed state, and nothing else:
//   LotState:           quantity, balance, stones, stones_balance, site,
//                       in_transit_to, heirloom_fine, mb_share_bp, alloy[].ptt
//                       (each derived from committed quantities, facilities,
//                       locations or counterparties)
//   PieceState:         metal_inputs[].quantity
//   CreditAccountState: balance, booked, allocated
// The rest (ids, material, form, fineness, origin class, custodian, custody
// order, certificates, claims, history indices) is public, as in the entries.
//
// Thread safety: pure functions.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_REDACTION_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_REDACTION_H_

#include "proto/state.pb.h"

namespace touchstone {

// Clears the committed-derived fields of `lot` if it is sealed; else leaves it.
void RedactLot(v1::LotState& lot);
// Clears the committed-derived fields of `piece` if it is sealed; else leaves it.
void RedactPiece(v1::PieceState& piece);
// Clears the committed-derived fields of `account` if it is sealed; else leaves it.
void RedactCreditAccount(v1::CreditAccountState& account);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_REDACTION_H_
