// Checks a search answer (proto/search.proto; ledger/search.h builds it)
// offline: that its checkpoint is the log's, that every evidence entry is in
// the tree that checkpoint signs, and that the entries say what the match
// claims (the certificate gives the lot that report number or inscription at
// that laboratory; the registration or stone replacement sets that lot in the
// piece; the registration gives the piece that GTIN and serial, the
// participant that identifier). What it cannot show: that nothing else
// matches, or that a stone is still set in the piece now; the piece's bundle
// (bundle_verify.h) shows its current stones. Storage-free; thread-safe (pure).
#ifndef TOUCHSTONE_LEDGER_BUNDLE_SEARCH_CHECK_H_
#define TOUCHSTONE_LEDGER_BUNDLE_SEARCH_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/note.h"
#include "proto/search.pb.h"

namespace touchstone {

// One checked match.
struct CheckedMatch {
  std::string kind;  // "lot", "piece" or "participant"
  std::string id;
  std::vector<uint64_t> indices;  // its evidence entries, in order
  std::string lot;                // a stone query's graded lot (for kind "piece" too)
};

struct SearchCheck {
  uint64_t size = 0;  // the checkpoint's tree size
  std::vector<CheckedMatch> matches;
};

// OK with the checked matches if every one holds; otherwise the first thing
// wrong: the checkpoint's errors as VerifyCheckpoint (PERMISSION_DENIED for a
// key or signature that is not the log's); DATA_LOSS "search answer: ..." for
// an entry not in the signed tree, an entry that does not say what the match
// claims, a match of a kind the query cannot have, or no match at all;
// INVALID_ARGUMENT for a malformed query.
[[nodiscard]] absl::StatusOr<SearchCheck> CheckSearchAnswer(const v1::SearchQuery& query,
                                                            const v1::SearchAnswer& answer,
                                                            const NoteVerifier& log_key);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BUNDLE_SEARCH_CHECK_H_
