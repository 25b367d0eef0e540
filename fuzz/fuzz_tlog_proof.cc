// Fuzzes c2sp.org/tlog-proof@v1 files (ledger/log/checkpoint.h: TlogProof), the
// receipts clients keep and bundles carry. Invariants: a parsed proof prints back
// to exactly its text; VerifyTlogProof under the fixture's log key accepts an
// entry only at its own index in a tree the key signed, and never the entry next
// to it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fixture.h"
#include "ledger/log/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const fuzz::FixtureLog& log = fuzz::FixtureLog::Get();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<TlogProof> proof = TlogProof::FromText(bytes);
  if (!proof.ok()) return 0;
  if (proof->ToText() != bytes) fuzz::Fail("tlog-proof does not round-trip");

  const uint64_t n = log.size();
  const uint64_t at = proof->index % n;
  for (uint64_t i : {at, (at + 1) % n}) {
    absl::StatusOr<Checkpoint> cp = VerifyTlogProof(*proof, log.entries()[i], log.verifier());
    if (!cp.ok()) continue;
    if (i != proof->index) fuzz::Fail("tlog-proof accepted an entry at another index");
    if (cp->size > n || cp->root != log.Root(cp->size) || i >= cp->size) {
      fuzz::Fail("tlog-proof accepted against a tree the log key never signed");
    }
  }
  return 0;
}
