// The one conversion between a lot's stored state (proto/state.proto
// LotState, fields 4, 16..18 and 23..36) and its trace as the shared trade
// definitions read it (material_trace.h LotTrace). The rules keep every lot's
// trace in its LotState through these two functions and nowhere else.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_LOT_TRACE_STATE_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_LOT_TRACE_STATE_H_

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

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_LOT_TRACE_STATE_H_
