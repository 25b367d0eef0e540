// The read-only JSON API on touchstoned's HTTP port (docs/openapi.yaml is its
// OpenAPI 3.1 description): what the gRPC Ledger and Provenance services read,
// for web shops and tools that speak JSON over HTTP. Writes stay gRPC (signed
// records).
//
//   GET /v1/log                                  origin, key, size, latest checkpoint
//   GET /v1/checkpoint[?size=N]                  a checkpoint note
//   GET /v1/entries/{index}                      an entry's bytes (base64) and leaf hash
//   GET /v1/proofs/inclusion?index=I[&size=S]    an inclusion proof with its checkpoint
//   GET /v1/proofs/consistency?old=A[&new=B]     a consistency proof with its checkpoint
//   GET /v1/participants/{id}, /v1/lots/{id},
//       /v1/certificates/{id}, /v1/pieces/{id}   derived state (proto/state.proto)
//   GET /v1/search?report=N&lab=L | inscription=T&lab=L | gtin=G&serial=S |
//                  link=URI | scheme=S&value=V   Provenance.Search
//   GET /v1/impact?certificate=C | lot=L [&at=S] Provenance.Impact
//
// Bodies are proto3 JSON (proto field names; 64-bit integers as strings, bytes
// as base64) of the gRPC replies, so one reading serves both. Errors are
// {"error", "code"} with the status of services/http_json.h.
//
// Caching: an answer about the latest state carries the weak ETag
// W/"<size>-<hash>": the log's checkpoint size when it was read (its state
// reflects at least that size) and a hash of the body (a certificate's status
// moves with the clock, with no new entry); Cache-Control "public, max-age=5",
// and a request whose If-None-Match names it gets 304. Every answer carries
// Vary: Accept-Encoding and Access-Control-Allow-Origin: *. Any other path
// under /v1/ is a JSON 404. An entry is
// "public, max-age=31536000, immutable"; an answer fixed by a size it names (a
// checkpoint, a proof, an impact at that size) is "public, max-age=60", since
// the checkpoint issued at a size gains witness cosignature lines once they
// come. When the log grew while an answer was read, it gets no ETag and
// "no-cache".
#ifndef TOUCHSTONE_SERVICES_HTTP_JSON_API_H_
#define TOUCHSTONE_SERVICES_HTTP_JSON_API_H_

#include "httplib.h"
#include "ledger/ledger.h"

namespace touchstone {

// Adds the routes above to `server`. The ledger must outlive it. Thread-safe
// (each route reads the ledger, which is).
void AddJsonApiRoutes(httplib::Server& server, const Ledger& ledger);

}  // namespace touchstone

#endif  // TOUCHSTONE_SERVICES_HTTP_JSON_API_H_
