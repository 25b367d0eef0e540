// Fuzzes entry decoding (ledger/log/entry_format.h), which reads every stored entry,
// every entry in a bundle and every entry of a tiles export. Invariant: a decoded
// entry re-encodes to exactly the bytes it came from (the format has one
// encoding), and its views lie inside those bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fixture.h"
#include "ledger/log/entry_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<EntryView> e = DecodeEntry(bytes);
  if (!e.ok()) {
    if (e.status().code() != absl::StatusCode::kDataLoss) fuzz::Fail("DecodeEntry: not DATA_LOSS");
    return 0;
  }
  const auto inside = [&](std::string_view v) {
    return v.data() >= bytes.data() && v.data() + v.size() <= bytes.data() + bytes.size();
  };
  if (!inside(e->record) || !inside(e->signature)) fuzz::Fail("entry views outside the input");
  if (EncodeEntry(e->index, e->recorded_at_micros, e->prev_leaf_hash, e->record, e->signature) !=
      bytes) {
    fuzz::Fail("decoded entry does not re-encode to its bytes");
  }
  return 0;
}
