#include "ledger/provenance/owner_signature.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "ledger/base/strings.h"
#include "ledger/log/hash.h"
#include "nlohmann/json.hpp"

namespace touchstone {
namespace {

std::string IdOf(std::string_view raw) { return HashToHex(Sha256(raw)).substr(0, 16); }

// The DER SubjectPublicKeyInfo prefix of an uncompressed P-256 point
// (id-ecPublicKey, prime256v1, a 66-byte bit string).
constexpr unsigned char kP256SpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                             0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                             0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

std::shared_ptr<EVP_PKEY> P256Key(std::string_view point) {
  if (point.size() != kP256PointSize || point[0] != 0x04) return nullptr;
  std::string der(reinterpret_cast<const char*>(kP256SpkiPrefix), sizeof(kP256SpkiPrefix));
  der.append(point);
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (key == nullptr) return nullptr;
  return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free);
}

bool EcdsaVerify(EVP_PKEY* key, std::string_view data, std::string_view der) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der.data()), der.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

bool ValidRpId(std::string_view rp) {
  if (rp.empty() || rp.size() > 253 || rp.front() == '.' || rp.back() == '.') return false;
  for (char c : rp) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return true;
}

// True if `origin` is a web origin the passkey scoped to `rp_id` may sign from.
bool OriginMatches(std::string_view origin, std::string_view rp_id) {
  std::string_view host;
  if (origin.starts_with("https://")) {
    host = origin.substr(8);
  } else if (rp_id == "localhost" && origin.starts_with("http://")) {
    host = origin.substr(7);
  } else {
    return false;
  }
  if (size_t colon = host.find(':'); colon != std::string_view::npos) {
    uint32_t port = 0;
    std::string_view digits = host.substr(colon + 1);
    if (digits.empty() || digits.size() > 5 || digits[0] == '0' ||
        !absl::SimpleAtoi(Sv(digits), &port) || port > 65535) {
      return false;
    }
    host = host.substr(0, colon);
  }
  if (host == rp_id) return true;
  return host.size() > rp_id.size() + 1 && host.ends_with(rp_id) &&
         host[host.size() - rp_id.size() - 1] == '.';
}

absl::Status Denied(std::string_view what) {
  return absl::PermissionDeniedError(absl::StrCat("owner signature: ", Sv(what)));
}

// Reads a varint at `pos`; false if truncated or longer than 10 bytes.
bool ReadVarint(std::string_view b, size_t& pos, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos >= b.size()) return false;
    const uint8_t byte = static_cast<uint8_t>(b[pos++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

void AppendVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

}  // namespace

std::string OwnerKeyId(const v1::OwnerKey& key) {
  switch (key.key_case()) {
    case v1::OwnerKey::kEd25519:
      return IdOf(key.ed25519());
    case v1::OwnerKey::kWebauthn:
      return IdOf(key.webauthn().p256());
    case v1::OwnerKey::KEY_NOT_SET:
      break;
  }
  return "";
}

absl::Status ValidateOwnerKey(const v1::OwnerKey& key, std::string_view what) {
  switch (key.key_case()) {
    case v1::OwnerKey::kEd25519:
      if (!PublicKey::FromRaw(key.ed25519()).ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            Sv(what), ": an Ed25519 owner key is 32 bytes, got ", key.ed25519().size()));
      }
      return absl::OkStatus();
    case v1::OwnerKey::kWebauthn: {
      const v1::WebAuthnKey& w = key.webauthn();
      if (P256Key(w.p256()) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            Sv(what), ": a passkey's p256 must be an uncompressed point on P-256 (65 bytes)"));
      }
      if (!ValidRpId(w.rp_id())) {
        return absl::InvalidArgumentError(absl::StrCat(
            Sv(what), ": a passkey's rp_id must be a lowercase host name, got '", w.rp_id(), "'"));
      }
      if (w.credential_id().empty() || w.credential_id().size() > kMaxCredentialIdSize) {
        return absl::InvalidArgumentError(
            absl::StrCat(Sv(what), ": a passkey's credential_id must be 1 to 1023 bytes"));
      }
      return absl::OkStatus();
    }
    case v1::OwnerKey::KEY_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(Sv(what), " is required (an owner key)"));
}

bool SameOwnerKey(const v1::OwnerKey& a, const v1::OwnerKey& b) {
  if (a.key_case() != b.key_case()) return false;
  if (a.key_case() == v1::OwnerKey::kEd25519) return a.ed25519() == b.ed25519();
  if (a.key_case() == v1::OwnerKey::kWebauthn) {
    return a.webauthn().p256() == b.webauthn().p256() &&
           a.webauthn().rp_id() == b.webauthn().rp_id() &&
           a.webauthn().credential_id() == b.webauthn().credential_id();
  }
  return true;
}

absl::StatusOr<std::string_view> OwnerSignedPart(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t start = pos;
    uint64_t tag = 0;
    if (!ReadVarint(bytes, pos, tag)) break;
    if ((tag >> 3) == kOwnerSignatureField) return bytes.substr(0, start);
    uint64_t n = 0;
    switch (tag & 7) {
      case 0:
        if (!ReadVarint(bytes, pos, n)) return absl::InvalidArgumentError("truncated record");
        break;
      case 1:
        pos += 8;
        break;
      case 2:
        if (!ReadVarint(bytes, pos, n) || n > bytes.size() - pos) {
          return absl::InvalidArgumentError("truncated record");
        }
        pos += n;
        break;
      case 5:
        pos += 4;
        break;
      default:
        return absl::InvalidArgumentError("record is not a protobuf message");
    }
    if (pos > bytes.size()) return absl::InvalidArgumentError("truncated record");
  }
  return absl::InvalidArgumentError("the record carries no owner_signature");
}

std::string OwnerSigningMessage(std::string_view origin, std::string_view signed_part) {
  return absl::StrCat(Sv(kOwnerSigningContext), Sv(origin), "\n", Sv(signed_part));
}

absl::StatusOr<std::string> OwnershipProofMessage(std::string_view origin,
                                                  std::string_view piece_id,
                                                  std::string_view nonce) {
  if (piece_id.empty()) return absl::InvalidArgumentError("an ownership proof names a piece");
  if (nonce.size() < kMinProofNonceSize || nonce.size() > kMaxProofNonceSize) {
    return absl::InvalidArgumentError("an ownership proof's nonce must be 16 to 128 bytes");
  }
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError("an ownership proof's nonce must be printable ASCII");
    }
  }
  return absl::StrCat(Sv(kOwnershipProofContext), Sv(origin), "\n", Sv(piece_id), "\n", Sv(nonce));
}

std::string WebAuthnChallenge(std::string_view message) { return HashBytes(Sha256(message)); }

absl::Status VerifyOwnerSignature(const v1::OwnerKey& key, const v1::OwnerSignature& sig,
                                  std::string_view message) {
  const std::string id = OwnerKeyId(key);
  if (id.empty()) return Denied("no owner key to verify with");
  if (sig.key_id() != id) {
    return Denied(absl::StrCat("signed by key ", sig.key_id(), ", not by the owner key ", id));
  }
  if (key.has_ed25519()) {
    if (!sig.authenticator_data().empty() || !sig.client_data_json().empty()) {
      return Denied("an Ed25519 signature carries no WebAuthn data");
    }
    absl::StatusOr<PublicKey> pub = PublicKey::FromRaw(key.ed25519());
    if (!pub.ok() || !pub->Verify(message, sig.signature())) {
      return Denied(absl::StrCat("the Ed25519 signature does not verify with owner key ", id));
    }
    return absl::OkStatus();
  }
  const v1::WebAuthnKey& w = key.webauthn();
  const std::string& auth = sig.authenticator_data();
  const std::string& cdj = sig.client_data_json();
  if (auth.size() < 37 || auth.size() > kMaxAuthenticatorDataSize) {
    return Denied("authenticator data must be 37 to 1024 bytes");
  }
  if (auth.substr(0, 32) != HashBytes(Sha256(w.rp_id()))) {
    return Denied(absl::StrCat("the authenticator data is not for rp id '", w.rp_id(), "'"));
  }
  if ((static_cast<uint8_t>(auth[32]) & 0x01) == 0) {
    return Denied("the authenticator did not record user presence");
  }
  if (cdj.empty() || cdj.size() > kMaxClientDataJsonSize) {
    return Denied("client data must be 1 to 2048 bytes");
  }
  const nlohmann::json client = nlohmann::json::parse(cdj, nullptr, /*allow_exceptions=*/false);
  if (client.is_discarded() || !client.is_object()) return Denied("client data is not JSON");
  auto text = [&](const char* field) -> std::string {
    auto it = client.find(field);
    return it != client.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (text("type") != "webauthn.get") return Denied("client data type is not webauthn.get");
  const std::string want = absl::WebSafeBase64Escape(WebAuthnChallenge(message));
  if (text("challenge") != want) {
    return Denied("the challenge is not this record's (SHA-256 of its signing message)");
  }
  if (!OriginMatches(text("origin"), w.rp_id())) {
    return Denied(absl::StrCat("client data origin '", text("origin"), "' is not of rp id '",
                               w.rp_id(), "'"));
  }
  if (auto it = client.find("crossOrigin");
      it != client.end() && !(it->is_boolean() && !it->get<bool>())) {
    return Denied("the assertion was made cross-origin");
  }
  std::shared_ptr<EVP_PKEY> pkey = P256Key(w.p256());
  if (pkey == nullptr) return Denied("the passkey is not a P-256 point");
  if (!EcdsaVerify(pkey.get(), absl::StrCat(auth, HashBytes(Sha256(cdj))), sig.signature())) {
    return Denied(absl::StrCat("the passkey signature does not verify with owner key ", id));
  }
  return absl::OkStatus();
}

v1::OwnerSignature SignAsOwner(const PrivateKey& key, std::string_view message) {
  v1::OwnerSignature sig;
  sig.set_key_id(IdOf(key.public_key().raw()));
  sig.set_signature(key.Sign(message));
  return sig;
}

std::string AppendOwnerSignature(std::string_view record_bytes,
                                 const v1::OwnerSignature& signature) {
  std::string body;
  signature.SerializeToString(&body);
  std::string out(record_bytes);
  AppendVarint(out, (static_cast<uint64_t>(kOwnerSignatureField) << 3) | 2);
  AppendVarint(out, body.size());
  out += body;
  return out;
}

v1::OwnerKey Ed25519OwnerKey(const PublicKey& key) {
  v1::OwnerKey k;
  k.set_ed25519(key.raw());
  return k;
}

}  // namespace touchstone
