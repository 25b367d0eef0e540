// Fetching the key handovers a verifier follows (see log_reader.h).
#include "ledger/log_reader.h"

#include <utility>

#include "ledger/base/status_macros.h"

namespace touchstone {

[[nodiscard]] absl::StatusOr<std::vector<HandoverProof>> FetchKeyHandovers(LogReader& log,
                                                                           uint64_t tree_size) {
  ASSIGN_OR_RETURN(const std::vector<uint64_t> indices, log.GetKeyHandoverIndices());
  std::vector<HandoverProof> handovers;
  for (uint64_t index : indices) {
    if (index >= tree_size) break;
    HandoverProof h{index, {}, {}};
    ASSIGN_OR_RETURN(h.entry, log.GetEntry(index));
    ASSIGN_OR_RETURN(h.proof, log.GetInclusionProof(index, tree_size));
    handovers.push_back(std::move(h));
  }
  return handovers;
}

}  // namespace touchstone
