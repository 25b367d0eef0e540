// The one conversion between a lot's stored state (proto/state.proto
// LotState, fields 4, 16..18 and 23..36) and its trace as the shared trade
// definitions read it (material_trace.h LotTrace), and between its fields
// 37..40 and what the heirloom rules know of it (heirloom.h HeirloomLot). The
// rules keep every lot's trace and the owner's material in its LotState
// through these functions and nowhere else.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_LOT_TRACE_STATE_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_LOT_TRACE_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/provenance/heirloom.h"
#include "ledger/provenance/material_trace.h"
#include "proto/state.pb.h"

namespace touchstone {

// The trace of `lot`: its identity, unit and fineness_ptt, origin class,
// certified, stone origin, graded (a grading report is recorded), stones when
// made, site, natural chain, mass-balance share and accounts, schemes,
// sources and alloy, as stored.
LotTrace TraceOfLot(const v1::LotState& lot);

// Stores `trace` in `lot` (everything TraceOfLot reads except lot_id, unit,
// material and graded, which the lot keeps from its record). The legacy
// fineness_ppt is left as the record stated it.
void StoreTrace(const LotTrace& trace, v1::LotState& lot);

// What the heirloom rules know of `lot` when `quantity` of it is taken
// (`whole`: its whole remaining quantity): a stone (unit carats) has fine 0;
// a metal's fine is quantity x fineness_ptt. The owner's material as stored
// (heirloom_fine, heirloom_owner, heirloom_intakes, heirloom_mixed).
HeirloomLot HeirloomOfLot(const v1::LotState& lot, int64_t quantity, bool whole);

// Stores the owner's material in a lot (fields 37..40): `heirloom_fine`
// (metal), and the owner, intakes and mixed if it carries some; a lot
// carrying none (heirloom_fine 0 and `owner_stone` false) keeps none of them.
void StoreHeirloom(int64_t heirloom_fine, bool owner_stone, const std::string& owner,
                   const std::vector<std::string>& intakes, bool mixed, v1::LotState& lot);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_LOT_TRACE_STATE_H_
