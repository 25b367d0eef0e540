// Big-endian integer encoding used by every on-disk and hashed layout.
#ifndef TOUCHSTONE_LEDGER_BASE_BIG_ENDIAN_H_
#define TOUCHSTONE_LEDGER_BASE_BIG_ENDIAN_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace touchstone {

inline void StoreBE(char* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}

inline uint64_t LoadBE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// The 8-byte big-endian form of v (sorts like the number).
inline std::string EncodeU64(uint64_t v) {
  std::string s(8, '\0');
  StoreBE(s.data(), v, 8);
  return s;
}

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_BASE_BIG_ENDIAN_H_
