// Impact of a recall (Provenance.Impact; proto/search.proto ImpactQuery): given
// a lot, or a certificate, everything that descends from it as of a checkpoint:
// the lots and transformations its material went through, the pieces made of
// them and their jewelers, mass-balance accounts it backed and the lots their
// credit went to. For a certificate the walk starts at the records that relied
// on it (CertificateState.relied_by: the lots and transformations that cited
// it, the accounts it backs) and at its subject lot. For a participant it
// starts at what the participant made or vouched for, read from the records it
// signed (the record id index): the lots it created, its transformations and
// their outputs, the pieces it registered, the accounts it opened, and, for
// each certificate it issued, what the certificate's walk starts at. Custody it
// only held is not a root: the material was someone else's.
//
// The walk follows forward edges the derived state keeps: a lot's history
// (transformations that consumed it, pieces it went into, stone replacements,
// credit booked from it), an account's history (its allocations), a piece's
// heirloom intake (the lot it became). It reads the records of the affected
// lots, pieces and accounts only, so its cost grows with the affected subgraph,
// not with the log (for a participant: plus its own records). Entries at or
// beyond the checkpoint's size are not followed.
#ifndef TOUCHSTONE_LEDGER_IMPACT_H_
#define TOUCHSTONE_LEDGER_IMPACT_H_

#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "proto/search.pb.h"

namespace touchstone {

// The items that descend from the query's root, each once, with the path it
// was first reached by (shortest first), and the signed checkpoint they are as
// of. Errors: INVALID_ARGUMENT for an empty query; NOT_FOUND "no lot '...'" /
// "no certificate '...'" / "no participant '...'" or "... is not in the log at
// size N"; NOT_FOUND if no checkpoint was issued at at_size, OUT_OF_RANGE if
// at_size is beyond the log; DATA_LOSS / UNAVAILABLE from storage.
[[nodiscard]] absl::StatusOr<v1::ImpactAnswer> Impact(const Ledger& ledger,
                                                      const v1::ImpactQuery& query);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_IMPACT_H_
