// Redaction of sealed derived state (the list of fields is in redaction.h).
#include "ledger/provenance/redaction.h"

namespace touchstone {

void RedactLot(v1::LotState& lot) {
  if (!lot.sealed()) return;
  lot.clear_quantity();
  lot.clear_balance();
  lot.clear_stones();
  lot.clear_stones_balance();
  lot.clear_site();
  lot.clear_in_transit_to();
  lot.clear_heirloom_fine();
  lot.clear_mb_share_bp();
  for (v1::AlloyPart& part : *lot.mutable_alloy()) part.clear_ptt();
}

void RedactPiece(v1::PieceState& piece) {
  if (!piece.sealed()) return;
  for (v1::MetalInput& input : *piece.mutable_metal_inputs()) input.clear_quantity();
}

void RedactCreditAccount(v1::CreditAccountState& account) {
  if (!account.sealed()) return;
  account.clear_balance();
  account.clear_booked();
  account.clear_allocated();
}

}  // namespace touchstone
