// What a client of a log reads from it to keep a trusted head (ledger/
// trusted_head_store.h) or to show a witness the log's checkpoint key
// handovers: the latest checkpoint, consistency and inclusion proofs, entries
// and where the handovers are. The CLI implements it over gRPC
// (services/cli_log_reader.h), the cosigner over the Ledger it runs beside
// (services/cosigner.cc), tests over a log they control.
#ifndef TOUCHSTONE_LEDGER_LOG_READER_H_
#define TOUCHSTONE_LEDGER_LOG_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/key_handover.h"

namespace touchstone {

// Implementations say their own thread safety. Every method returns the
// log's error as it is (a server's status, a storage error).
class LogReader {
 public:
  virtual ~LogReader() = default;

  // The latest checkpoint note, verbatim (not verified).
  [[nodiscard]] virtual absl::StatusOr<std::string> GetCheckpoint() = 0;
  // The consistency proof from old_size to new_size (0 < old_size < new_size).
  [[nodiscard]] virtual absl::StatusOr<std::vector<Hash>> GetConsistencyProof(
      uint64_t old_size, uint64_t new_size) = 0;
  // The indices of the log's checkpoint key handover entries, ascending.
  [[nodiscard]] virtual absl::StatusOr<std::vector<uint64_t>> GetKeyHandoverIndices() = 0;
  // The stored bytes of the entry at `index`.
  [[nodiscard]] virtual absl::StatusOr<std::string> GetEntry(uint64_t index) = 0;
  // The inclusion proof of the entry at `index` in the tree of size `tree_size`.
  [[nodiscard]] virtual absl::StatusOr<std::vector<Hash>> GetInclusionProof(uint64_t index,
                                                                            uint64_t tree_size) = 0;
};

// The log's checkpoint key handovers below `tree_size`, each with its entry and
// its inclusion proof in the tree of that size: what
// VerifyCheckpointWithHandovers (ledger/provenance/key_handover.h) and a
// witness's key-handover request need. Empty if there is none. The reader's
// errors as they are.
[[nodiscard]] absl::StatusOr<std::vector<HandoverProof>> FetchKeyHandovers(LogReader& log,
                                                                           uint64_t tree_size);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_READER_H_
