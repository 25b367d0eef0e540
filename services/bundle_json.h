// The JSON form of a piece bundle that the customer page reads.
//
//   {"format": "touchstone-bundle/v1", "piece_id": "...",
//    "checkpoint": "<the signed note, verbatim>", "created_micros": N,
//    "entries": [{"index": N, "entry": "<base64 of the exact entry bytes>",
//                 "tlog_proof": "<c2sp.org/tlog-proof@v1 text, verbatim>"}, ...],
//    and, if the bundle carries one (ledger/log/audit_note.h):
//    "audited_checkpoint": "<the audited checkpoint note, verbatim>",
//    "audit_consistency": ["<base64 hash>", ...],
//    and, if it carries one:
//    "openings": [{"index": N, "salt": "<base64>", "fields": "<base64>"}, ...]}
//
// "openings" (PieceBundle.openings: the openings of sealed entries the bundle
// carries) is there only when the bundle carries one.
//
// Nothing is re-serialized: entries are the stored bytes, the proof and the
// checkpoint the stored texts, so a verifier checks what the log signed.
#ifndef TOUCHSTONE_SERVICES_BUNDLE_JSON_H_
#define TOUCHSTONE_SERVICES_BUNDLE_JSON_H_

#include <string>

#include "proto/bundle.pb.h"

namespace touchstone {

// Returns the JSON text of `bundle` (UTF-8; the checkpoint and proofs are ASCII
// but for the note's em dash).
std::string BundleToJson(const v1::PieceBundle& bundle);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_BUNDLE_JSON_H_
