// Encoding and decoding of log entries (layout in entry_format.h).
#include "ledger/log/entry_format.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/big_endian.h"

namespace touchstone {

std::string EncodeEntry(uint64_t index, int64_t recorded_at_micros, const Hash& prev_leaf_hash,
                        std::string_view record, std::string_view signature) {
  std::string out(kEntryHeaderSize + record.size() + 2 + signature.size(), '\0');
  char* p = out.data();
  std::memcpy(p, kEntryMagic.data(), 4);
  StoreBE(p + 4, index, 8);
  StoreBE(p + 12, static_cast<uint64_t>(recorded_at_micros), 8);
  std::memcpy(p + 20, prev_leaf_hash.data(), 32);
  StoreBE(p + 52, record.size(), 4);
  std::memcpy(p + 56, record.data(), record.size());
  StoreBE(p + 56 + record.size(), signature.size(), 2);
  std::memcpy(p + 58 + record.size(), signature.data(), signature.size());
  return out;
}

[[nodiscard]] absl::StatusOr<EntryView> DecodeEntry(std::string_view b) {
  if (b.size() < kEntryHeaderSize + 2) {
    return absl::DataLossError(absl::StrCat("entry truncated: ", b.size(), " bytes"));
  }
  if (b.substr(0, 4) != kEntryMagic) return absl::DataLossError("entry has a bad magic");
  EntryView v;
  v.index = LoadBE(b.data() + 4, 8);
  v.recorded_at_micros = static_cast<int64_t>(LoadBE(b.data() + 12, 8));
  std::memcpy(v.prev_leaf_hash.data(), b.data() + 20, 32);
  const uint64_t r = LoadBE(b.data() + 52, 4);
  if (b.size() < kEntryHeaderSize + r + 2) {
    return absl::DataLossError("entry truncated inside its record");
  }
  v.record = b.substr(kEntryHeaderSize, r);
  const uint64_t s = LoadBE(b.data() + kEntryHeaderSize + r, 2);
  if (b.size() != kEntryHeaderSize + r + 2 + s) {
    return absl::DataLossError(
        absl::StrCat("entry length ", b.size(), " does not match its fields"));
  }
  v.signature = b.substr(kEntryHeaderSize + r + 2, s);
  return v;
}

[[nodiscard]] absl::Status CheckEntryIndex(const EntryView& view, uint64_t index) {
  if (view.index == index) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(" says it is entry ", view.index));
}

[[nodiscard]] absl::Status CheckEntryChain(const EntryView& view, uint64_t index,
                                           const Hash& prev_leaf_hash) {
  if (view.prev_leaf_hash == prev_leaf_hash) return absl::OkStatus();
  return absl::DataLossError(
      absl::StrCat(": prev_leaf_hash is not the leaf hash of entry ",
                   index == 0 ? std::string("(none: zeros)") : absl::StrCat(index - 1)));
}

[[nodiscard]] absl::Status CheckEntryLink(const EntryView& view, uint64_t index,
                                          const Hash* prev_leaf_hash) {
  if (absl::Status s = CheckEntryIndex(view, index); !s.ok()) return s;
  if (prev_leaf_hash == nullptr) return absl::OkStatus();
  return CheckEntryChain(view, index, *prev_leaf_hash);
}

}  // namespace touchstone
