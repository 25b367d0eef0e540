// Ed25519 keys and signatures through OpenSSL EVP, with PEM files that the
// openssl command line reads and writes (PKCS#8 private keys, SPKI public keys).
#ifndef TOUCHSTONE_LEDGER_LOG_KEYS_H_
#define TOUCHSTONE_LEDGER_LOG_KEYS_H_

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace touchstone {

inline constexpr size_t kEd25519PublicKeySize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

// An Ed25519 public key. Immutable after construction; thread-safe.
class PublicKey {
 public:
  // From the raw 32 bytes; INVALID_ARGUMENT if not 32 bytes or OpenSSL rejects them.
  [[nodiscard]] static absl::StatusOr<PublicKey> FromRaw(std::string_view raw);
  // From a PEM "PUBLIC KEY" (SPKI) block, as `openssl pkey -pubout` writes.
  [[nodiscard]] static absl::StatusOr<PublicKey> FromPem(std::string_view pem);

  // The raw 32 bytes.
  const std::string& raw() const { return raw_; }
  // PEM SPKI text.
  std::string ToPem() const;
  // Lowercase hex of the first 8 bytes of SHA-256(raw): the id a Record names its key by.
  std::string Fingerprint() const;

  // True iff `signature` is a valid Ed25519 signature of `message` by this key.
  // Uses the cached EVP_PKEY and a fresh EVP_MD_CTX per call.
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  PublicKey(std::string raw, std::shared_ptr<EVP_PKEY> pkey);
  std::string raw_;
  // Parsed once, shared by copies; OpenSSL allows concurrent read-only use.
  std::shared_ptr<EVP_PKEY> pkey_;
};

// An Ed25519 private key. Immutable after construction; thread-safe.
class PrivateKey {
 public:
  // A fresh random key. INTERNAL on an OpenSSL failure.
  [[nodiscard]] static absl::StatusOr<PrivateKey> Generate();
  // From the raw 32-byte seed; INVALID_ARGUMENT otherwise.
  [[nodiscard]] static absl::StatusOr<PrivateKey> FromSeed(std::string_view seed);
  // From a PEM "PRIVATE KEY" (PKCS#8) block, as `openssl genpkey -algorithm ed25519`
  // writes. INVALID_ARGUMENT if it is not an Ed25519 private key.
  [[nodiscard]] static absl::StatusOr<PrivateKey> FromPem(std::string_view pem);
  // Reads a PEM file. NOT_FOUND if missing, INVALID_ARGUMENT if not a key.
  [[nodiscard]] static absl::StatusOr<PrivateKey> LoadPemFile(const std::string& path);

  // Writes PEM to `path` with mode 0600, failing with ALREADY_EXISTS if the file exists.
  [[nodiscard]] absl::Status SavePemFile(const std::string& path) const;
  // PKCS#8 PEM text.
  std::string ToPem() const;
  // The raw 32-byte seed.
  std::string Seed() const;

  const PublicKey& public_key() const { return public_key_; }

  // The 64-byte Ed25519 signature of message (deterministic).
  std::string Sign(std::string_view message) const;

 private:
  PrivateKey(std::shared_ptr<EVP_PKEY> pkey, PublicKey pub);
  std::shared_ptr<EVP_PKEY> pkey_;
  PublicKey public_key_;
};

// OK if the key file at `path` can be read by its owner only: no permission
// bit for group or others (mode 0600 or 0400). FAILED_PRECONDITION naming the
// path and its mode otherwise; NOT_FOUND if it does not exist; other errno
// statuses if it cannot be examined. Never reads the key.
[[nodiscard]] absl::Status CheckKeyFileIsPrivate(const std::string& path);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_LOG_KEYS_H_
