// The log a CLI command talks to, as a LogReader (ledger/log_reader.h) over
// gRPC: what the trusted-head store (ledger/trusted_head_store.h) reads.
#ifndef TOUCHSTONE_SERVICES_CLI_LOG_READER_H_
#define TOUCHSTONE_SERVICES_CLI_LOG_READER_H_

#include <memory>
#include <string>

#include "ledger/log_reader.h"
#include "ledger/trusted_head_store.h"
#include "services/cli.h"

namespace touchstone::cli {

// Thread-compatible. Every call has the context's deadline; errors are the
// server's status (status_convert.h), INVALID_ARGUMENT if a hash it sends is
// not 32 bytes.
class GrpcLogReader final : public LogReader {
 public:
  // `ctx` must outlive the reader.
  explicit GrpcLogReader(const Context& ctx);

  [[nodiscard]] absl::StatusOr<std::string> GetCheckpoint() override;
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> GetConsistencyProof(uint64_t old_size,
                                                                      uint64_t new_size) override;
  [[nodiscard]] absl::StatusOr<std::vector<uint64_t>> GetKeyHandoverIndices() override;
  [[nodiscard]] absl::StatusOr<std::string> GetEntry(uint64_t index) override;
  [[nodiscard]] absl::StatusOr<std::vector<Hash>> GetInclusionProof(uint64_t index,
                                                                    uint64_t tree_size) override;

 private:
  const Context& ctx_;
  std::unique_ptr<v1::Ledger::Stub> stub_;
};

// This client's trusted heads, kept in `state_dir` ("" = ~/.touchstone/trusted).
TrustedHeadStore TrustedHeads(const std::string& state_dir);

// The key a checkpoint `note` of the log is checked with: `vkey` if given,
// else the key pinned with this client's trusted head for the note's origin
// (with an empty `note`, the origin of the server's latest checkpoint),
// else the one the server reports (which proves nothing). *source says which:
// "given", "pinned" or "server". Errors: INVALID_ARGUMENT for a malformed note
// or key; the server's status.
[[nodiscard]] absl::StatusOr<NoteVerifier> LogKeyFor(const Context& ctx, std::string_view note,
                                                     const std::string& vkey,
                                                     const std::string& state_dir,
                                                     std::string* source);

// With `source` "server" (LogKeyFor), says on stderr that the key the server
// reports proves nothing and how to pin one; nothing otherwise.
void WarnIfServerKey(const std::string& source);

}  // namespace touchstone::cli

#endif  // TOUCHSTONE_SERVICES_CLI_LOG_READER_H_
