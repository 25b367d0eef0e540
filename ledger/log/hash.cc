// SHA-256 and RFC 9162 hashing via OpenSSL's one-shot and EVP digest APIs.
// The low-level SHA256_* calls avoid an EVP context allocation per hash on the
// append hot path; OpenSSL 3 marks them deprecated but keeps them.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ledger/log/hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"

namespace touchstone {

// OpenSSL 3's one-shot SHA256() fetches the algorithm and allocates an EVP
// context on every call (~0.7 us on this machine); SHA256_Init/Update/Final
// hash a 65-byte node in ~0.15 us.
Hash Sha256(std::string_view data) {
  Hash out;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(out.data(), &ctx);
  return out;
}

Hash LeafHash(std::string_view leaf) {
  Hash out;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  const unsigned char prefix = 0x00;
  SHA256_Update(&ctx, &prefix, 1);
  SHA256_Update(&ctx, leaf.data(), leaf.size());
  SHA256_Final(out.data(), &ctx);
  return out;
}

Hash NodeHash(const Hash& left, const Hash& right) {
  unsigned char buf[65];
  buf[0] = 0x01;
  std::memcpy(buf + 1, left.data(), 32);
  std::memcpy(buf + 33, right.data(), 32);
  Hash out;
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, buf, sizeof(buf));
  SHA256_Final(out.data(), &ctx);
  return out;
}

Hash EmptyRoot() { return Sha256(""); }

std::string HashBytes(const Hash& h) {
  return std::string(reinterpret_cast<const char*>(h.data()), h.size());
}

[[nodiscard]] absl::StatusOr<Hash> HashFromBytes(std::string_view bytes) {
  if (bytes.size() != 32) {
    return absl::InvalidArgumentError(absl::StrCat("hash must be 32 bytes, got ", bytes.size()));
  }
  Hash h;
  std::memcpy(h.data(), bytes.data(), 32);
  return h;
}

std::string HashToBase64(const Hash& h) { return absl::Base64Escape(HashBytes(h)); }

[[nodiscard]] absl::StatusOr<Hash> HashFromBase64(std::string_view b64) {
  std::string raw;
  if (!absl::Base64Unescape(Sv(b64), &raw)) {
    return absl::InvalidArgumentError(absl::StrCat("hash is not valid base64: '", Sv(b64), "'"));
  }
  return HashFromBytes(raw);
}

std::string HashToHex(const Hash& h) { return absl::BytesToHexString(HashBytes(h)); }

}  // namespace touchstone
