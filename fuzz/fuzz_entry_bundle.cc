// Fuzzes tlog-tiles entry bundles (ledger/tiles.h, DecodeEntryBundle), which an
// auditor reads from a static export it does not trust. Invariant: a decoded
// bundle re-encodes to exactly its bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fixture.h"
#include "ledger/tiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<std::string_view>> entries = DecodeEntryBundle(bytes);
  if (!entries.ok()) return 0;
  const std::vector<std::string> copies(entries->begin(), entries->end());
  if (fuzz::OrDie(EncodeEntryBundle(copies), "re-encode decoded bundle") != bytes) {
    fuzz::Fail("decoded entry bundle does not re-encode to its bytes");
  }
  return 0;
}
