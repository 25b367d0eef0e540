// Search by what people hold (Provenance.Search; proto/search.proto): a grading
// report number or girdle inscription with its laboratory, a GTIN and serial
// or the GS1 Digital Link URI carrying them, a participant's external
// identifier. The answer names what matches and carries, for each match, the
// entries that bind the query to it with their inclusion proofs in one signed
// checkpoint, so a client checks it is in the log without trusting the server
// (ledger/bundle/search_check.h). The indexes it reads are derived state
// (storage_map.h ReportNumberKey, InscriptionKey, GtinKey, IdentifierKey),
// written in the same batch as the entry that binds them and rebuilt by rebuild.
#ifndef TOUCHSTONE_LEDGER_SEARCH_H_
#define TOUCHSTONE_LEDGER_SEARCH_H_

#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "proto/search.pb.h"

namespace touchstone {

// The matches for `query` against the committed state, proven against the
// latest checkpoint. A stone query matches the graded lot and, while it is
// set in one, the piece; a GTIN or Digital Link matches a piece; an identifier
// a participant. Errors: INVALID_ARGUMENT for an empty or malformed query
// (saying what is missing); NOT_FOUND "nothing in the log has ..." if nothing
// matches; UNAVAILABLE if the newest checkpoint does not yet cover an entry the
// index names (retry); DATA_LOSS / UNAVAILABLE from storage.
[[nodiscard]] absl::StatusOr<v1::SearchAnswer> Search(const Ledger& ledger,
                                                      const v1::SearchQuery& query);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_SEARCH_H_
