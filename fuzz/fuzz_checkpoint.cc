// Fuzzes checkpoint text parsing and checkpoint verification (ledger/log/checkpoint.h).
// Invariants: a parsed checkpoint prints back to exactly its text (one encoding);
// VerifyCheckpoint under the fixture's log key accepts only a checkpoint that key
// signed (the fixture's, at some size), never a mutation of one.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fixture.h"
#include "ledger/log/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const fuzz::FixtureLog& log = fuzz::FixtureLog::Get();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<Checkpoint> cp = Checkpoint::FromText(bytes);
  if (cp.ok() && cp->ToText() != bytes) fuzz::Fail("checkpoint text does not round-trip");

  absl::StatusOr<Checkpoint> verified = VerifyCheckpoint(bytes, log.verifier());
  if (verified.ok()) {
    if (verified->origin != fuzz::kOrigin || verified->size > log.size() ||
        verified->root != log.Root(verified->size) ||
        verified->ToText() != log.CheckpointText(verified->size)) {
      fuzz::Fail("VerifyCheckpoint accepted a checkpoint the log key never signed");
    }
  }
  return 0;
}
