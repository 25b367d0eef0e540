// Builds a piece's provenance bundle (proto/bundle.proto): every record in the
// piece's provenance graph with its inclusion proof against one checkpoint.
//
// The graph: the piece's own records; each stone and metal lot it holds or held,
// back to origin (the record that created each lot, the transformation inputs
// it came from, its custody transfers, its grading report); every certificate
// those records cite, with its status changes; every signer's registration and
// key records; and every error declaration about any of these records.
#ifndef TOUCHSTONE_LEDGER_BUNDLE_BUILDER_H_
#define TOUCHSTONE_LEDGER_BUNDLE_BUILDER_H_

#include <cstdint>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "ledger/ledger.h"
#include "proto/bundle.pb.h"

namespace touchstone {

inline constexpr char kBundleFormat[] = "touchstone-bundle/v1";

// The log indices of the piece's provenance graph, as of the committed state.
// NOT_FOUND if there is no such piece; DATA_LOSS if stored state is inconsistent.
absl::StatusOr<std::set<uint64_t>> PieceGraphIndices(const Ledger& ledger,
                                                     const std::string& piece_id);

// The bundle for `piece_id` against the latest checkpoint. Errors as PieceGraphIndices.
absl::StatusOr<v1::PieceBundle> BuildPieceBundle(const Ledger& ledger,
                                                 const std::string& piece_id);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BUNDLE_BUILDER_H_
