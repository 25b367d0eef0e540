// Ed25519 keys through OpenSSL EVP: raw and PEM encodings, signing, verification
// and 0600 key files that the openssl command line can read.
#include "ledger/log/keys.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/files.h"
#include "ledger/base/strings.h"
#include "ledger/log/hash.h"

namespace touchstone {
namespace {

constexpr size_t kEd25519SeedSize = 32;
// A PEM Ed25519 key is ~120 bytes; anything much larger is not a key file.
constexpr size_t kMaxPemFileSize = 64 * 1024;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

std::shared_ptr<EVP_PKEY> WrapPkey(EVP_PKEY* pkey) {
  return std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
}

// The first error on OpenSSL's (thread-local) queue as text; clears the queue.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

// Aborts on an OpenSSL failure that cannot happen with a valid key (allocation).
void CheckOpenSsl(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "touchstone: %s failed: %s\n", what, OpenSslError().c_str());
  std::abort();
}

// A password callback that refuses: never prompt on a terminal for an encrypted PEM.
int NoPassword(char*, int, int, void*) { return -1; }

BioPtr MemBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, len > 0 ? static_cast<size_t>(len) : 0);
}

std::string RawPublic(EVP_PKEY* pkey) {
  std::string raw(kEd25519PublicKeySize, '\0');
  size_t len = raw.size();
  CheckOpenSsl(
      EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(raw.data()), &len) == 1 &&
          len == kEd25519PublicKeySize,
      "EVP_PKEY_get_raw_public_key");
  return raw;
}

[[nodiscard]] absl::Status ErrnoStatus(int err, std::string_view what, std::string_view path) {
  return absl::ErrnoToStatus(err, absl::StrCat(Sv(what), " ", Sv(path)));
}

}  // namespace

// ---------------------------------------------------------------- PublicKey

PublicKey::PublicKey(std::string raw, std::shared_ptr<EVP_PKEY> pkey)
    : raw_(std::move(raw)), pkey_(std::move(pkey)) {}

absl::StatusOr<PublicKey> PublicKey::FromRaw(std::string_view raw) {
  if (raw.size() != kEd25519PublicKeySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 public key must be 32 bytes, got ", raw.size()));
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("invalid Ed25519 public key: ", OpenSslError()));
  }
  return PublicKey(std::string(raw), WrapPkey(pkey));
}

absl::StatusOr<PublicKey> PublicKey::FromPem(std::string_view pem) {
  BioPtr bio = MemBio(pem);
  if (bio == nullptr) return absl::InternalError(OpenSslError());
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassword, nullptr);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("not a PEM public key: ", OpenSslError()));
  }
  std::shared_ptr<EVP_PKEY> owned = WrapPkey(pkey);
  if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("PEM public key is not Ed25519");
  }
  return PublicKey(RawPublic(pkey), std::move(owned));
}

std::string PublicKey::ToPem() const {
  if (pkey_ == nullptr) return "";
  BioPtr bio(BIO_new(BIO_s_mem()));
  CheckOpenSsl(bio != nullptr && PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) == 1,
               "PEM_write_bio_PUBKEY");
  return BioContents(bio.get());
}

std::string PublicKey::Fingerprint() const {
  const Hash digest = Sha256(raw_);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest.data()), 8));
}

bool PublicKey::Verify(std::string_view message, std::string_view signature) const {
  if (pkey_ == nullptr || signature.size() != kEd25519SignatureSize) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (ctx == nullptr ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1) {
    ERR_clear_error();
    return false;
  }
  const int rc = EVP_DigestVerify(
      ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (rc != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- PrivateKey

PrivateKey::PrivateKey(std::shared_ptr<EVP_PKEY> pkey, PublicKey pub)
    : pkey_(std::move(pkey)), public_key_(std::move(pub)) {}

namespace {

// Wraps an Ed25519 private EVP_PKEY (taking ownership) with its public half.
[[nodiscard]] absl::StatusOr<std::pair<std::shared_ptr<EVP_PKEY>, PublicKey>> SplitPrivate(
    EVP_PKEY* pkey) {
  std::shared_ptr<EVP_PKEY> owned = WrapPkey(pkey);
  if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError("private key is not Ed25519");
  }
  absl::StatusOr<PublicKey> pub = PublicKey::FromRaw(RawPublic(pkey));
  if (!pub.ok()) return pub.status();
  return std::make_pair(std::move(owned), *std::move(pub));
}

}  // namespace

absl::StatusOr<PrivateKey> PrivateKey::Generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) {
    return absl::InternalError(absl::StrCat("Ed25519 key generation: ", OpenSslError()));
  }
  auto parts = SplitPrivate(pkey);
  if (!parts.ok()) return absl::InternalError(parts.status().message());
  return PrivateKey(std::move(parts->first), std::move(parts->second));
}

absl::StatusOr<PrivateKey> PrivateKey::FromSeed(std::string_view seed) {
  if (seed.size() != kEd25519SeedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("Ed25519 seed must be 32 bytes, got ", seed.size()));
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("invalid Ed25519 seed: ", OpenSslError()));
  }
  auto parts = SplitPrivate(pkey);
  if (!parts.ok()) return parts.status();
  return PrivateKey(std::move(parts->first), std::move(parts->second));
}

absl::StatusOr<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  BioPtr bio = MemBio(pem);
  if (bio == nullptr) return absl::InternalError(OpenSslError());
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr);
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an unencrypted PEM private key: ", OpenSslError()));
  }
  auto parts = SplitPrivate(pkey);
  if (!parts.ok()) return parts.status();
  return PrivateKey(std::move(parts->first), std::move(parts->second));
}

absl::StatusOr<PrivateKey> PrivateKey::LoadPemFile(const std::string& path) {
  absl::StatusOr<std::string> pem = ReadWholeFile(path, kMaxPemFileSize);
  if (absl::IsNotFound(pem.status())) {
    return absl::NotFoundError(absl::StrCat("no key file ", path));
  }
  if (absl::IsOutOfRange(pem.status())) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is too large for a key file"));
  }
  if (!pem.ok()) return pem.status();
  absl::StatusOr<PrivateKey> key = FromPem(*pem);
  if (!key.ok()) {
    return absl::Status(key.status().code(), absl::StrCat(path, ": ", key.status().message()));
  }
  return key;
}

absl::Status PrivateKey::SavePemFile(const std::string& path) const {
  // Created durably and never over an existing file: a crash at any point
  // leaves either no key file or a complete one (never an empty one).
  absl::Status s = CreateFileDurably(path, ToPem(), 0600);
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("refusing to overwrite ", path));
  }
  return s;
}

std::string PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  CheckOpenSsl(bio != nullptr && PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey_.get(), nullptr,
                                                               nullptr, 0, nullptr, nullptr) == 1,
               "PEM_write_bio_PKCS8PrivateKey");
  return BioContents(bio.get());
}

std::string PrivateKey::Seed() const {
  std::string seed(kEd25519SeedSize, '\0');
  size_t len = seed.size();
  CheckOpenSsl(EVP_PKEY_get_raw_private_key(
                   pkey_.get(), reinterpret_cast<unsigned char*>(seed.data()), &len) == 1 &&
                   len == kEd25519SeedSize,
               "EVP_PKEY_get_raw_private_key");
  return seed;
}

std::string PrivateKey::Sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  CheckOpenSsl(ctx != nullptr, "EVP_MD_CTX_new");
  CheckOpenSsl(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) == 1,
               "EVP_DigestSignInit");
  std::string sig(kEd25519SignatureSize, '\0');
  size_t len = sig.size();
  CheckOpenSsl(
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1 &&
          len == kEd25519SignatureSize,
      "EVP_DigestSign");
  return sig;
}

[[nodiscard]] absl::Status CheckKeyFileIsPrivate(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat("no key file ", path));
    return ErrnoStatus(err, "cannot examine", path);
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return absl::FailedPreconditionError(
        absl::StrCat("key file ", path, " has mode ", mode,
                     ": group or others may access it; make it private (chmod 600 ", path, ")"));
  }
  return absl::OkStatus();
}

}  // namespace touchstone
