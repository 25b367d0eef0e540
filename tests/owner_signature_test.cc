// Owner keys and owner signatures (ledger/provenance/owner_signature.h): the
// signed part of a record, Ed25519 owner signatures, and WebAuthn assertions
// made here with an OpenSSL P-256 key, accepted when right and refused for
// each thing that can be wrong with them.
#include "ledger/provenance/owner_signature.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ledger/base/strings.h"
#include "ledger/log/hash.h"
#include "proto/record.pb.h"

namespace touchstone {
namespace {

using ::testing::HasSubstr;
using Code = absl::StatusCode;

constexpr char kOrigin[] = "touchstone.test/owners";

std::string RecordBytes() {
  v1::Record r;
  r.set_record_id("owner-1");
  r.set_event_time_micros(1'700'000'000'000'000);
  r.mutable_ownership_transferred()->set_piece_id("RING-1");
  r.mutable_ownership_transferred()->set_prev_index(42);
  r.mutable_ownership_transferred()->mutable_new_owner()->set_ed25519(std::string(32, 'k'));
  std::string out;
  EXPECT_TRUE(r.SerializeToString(&out));
  return out;
}

TEST(OwnerSignedPartTest, IsExactlyTheBytesBeforeTheOwnerSignature) {
  const std::string unsigned_bytes = RecordBytes();
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  const v1::OwnerSignature sig = SignAsOwner(*key, OwnerSigningMessage(kOrigin, unsigned_bytes));
  const std::string signed_bytes = AppendOwnerSignature(unsigned_bytes, sig);

  absl::StatusOr<std::string_view> part = OwnerSignedPart(signed_bytes);
  ASSERT_TRUE(part.ok()) << part.status();
  EXPECT_EQ(*part, unsigned_bytes);

  // What AppendOwnerSignature writes is what protobuf writes for the whole record.
  v1::Record parsed;
  ASSERT_TRUE(parsed.ParseFromString(signed_bytes));
  EXPECT_EQ(parsed.owner_signature().key_id(), sig.key_id());
  std::string again;
  ASSERT_TRUE(parsed.SerializeToString(&again));
  EXPECT_EQ(again, signed_bytes);
}

TEST(OwnerSignedPartTest, RefusesBytesWithoutAnOwnerSignatureOrTruncated) {
  const std::string bytes = RecordBytes();
  EXPECT_THAT(OwnerSignedPart(bytes).status().message(), HasSubstr("no owner_signature"));
  EXPECT_EQ(OwnerSignedPart(bytes.substr(0, bytes.size() - 3)).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(OwnerSignedPart("\x0f").status().code(), Code::kInvalidArgument);  // wire type 7
}

TEST(OwnerSignatureTest, Ed25519SignsTheOriginBoundMessage) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate();
  ASSERT_TRUE(key.ok());
  const v1::OwnerKey owner = Ed25519OwnerKey(key->public_key());
  ASSERT_TRUE(ValidateOwnerKey(owner, "owner").ok());
  EXPECT_EQ(OwnerKeyId(owner), key->public_key().Fingerprint());
  const std::string message = OwnerSigningMessage(kOrigin, "record");
  EXPECT_EQ(message, absl::StrCat("touchstone.v1 owner signature for log\n", kOrigin, "\nrecord"));
  const v1::OwnerSignature sig = SignAsOwner(*key, message);
  EXPECT_TRUE(VerifyOwnerSignature(owner, sig, message).ok());

  // Another log's message, another key, a key id that is not the key's.
  absl::Status other_log =
      VerifyOwnerSignature(owner, sig, OwnerSigningMessage("other.test/log", "record"));
  EXPECT_EQ(other_log.code(), Code::kPermissionDenied);
  EXPECT_THAT(other_log.message(), HasSubstr("does not verify"));
  absl::StatusOr<PrivateKey> stranger = PrivateKey::Generate();
  ASSERT_TRUE(stranger.ok());
  EXPECT_THAT(VerifyOwnerSignature(owner, SignAsOwner(*stranger, message), message).message(),
              HasSubstr("not by the owner key"));
  v1::OwnerSignature relabelled = SignAsOwner(*stranger, message);
  relabelled.set_key_id(OwnerKeyId(owner));
  EXPECT_EQ(VerifyOwnerSignature(owner, relabelled, message).code(), Code::kPermissionDenied);
}

// A P-256 key and the assertions a WebAuthn authenticator would make with it.
class Passkey {
 public:
  Passkey() : key_(EVP_EC_gen("P-256"), EVP_PKEY_free) {
    unsigned char point[kP256PointSize];
    size_t n = 0;
    EXPECT_EQ(EVP_PKEY_get_octet_string_param(key_.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                              sizeof(point), &n),
              1);
    owner_.mutable_webauthn()->set_p256(std::string(reinterpret_cast<char*>(point), n));
    owner_.mutable_webauthn()->set_rp_id("example.org");
    owner_.mutable_webauthn()->set_credential_id("credential-1");
  }

  const v1::OwnerKey& owner() const { return owner_; }

  static std::string ClientData(std::string_view message, std::string_view origin,
                                std::string_view extra = "") {
    return absl::StrCat(R"({"type":"webauthn.get","challenge":")",
                        absl::WebSafeBase64Escape(WebAuthnChallenge(message)), R"(","origin":")",
                        Sv(origin), "\"", Sv(extra), "}");
  }
  static std::string AuthData(std::string_view rp_id, uint8_t flags = 0x05) {
    return absl::StrCat(HashBytes(Sha256(rp_id)), std::string(1, static_cast<char>(flags)),
                        std::string("\0\0\0\x07", 4));
  }

  v1::OwnerSignature Sign(std::string auth, std::string client) const {
    v1::OwnerSignature sig;
    sig.set_key_id(OwnerKeyId(owner_));
    const std::string data = absl::StrCat(auth, HashBytes(Sha256(client)));
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()), 1);
    size_t len = 0;
    EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len,
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()),
              1);
    std::string der(len, '\0');
    EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()),
              1);
    der.resize(len);
    sig.set_signature(der);
    sig.set_authenticator_data(std::move(auth));
    sig.set_client_data_json(std::move(client));
    return sig;
  }

 private:
  std::shared_ptr<EVP_PKEY> key_;
  v1::OwnerKey owner_;
};

TEST(OwnerSignatureTest, PasskeyAssertionVerifiesFromItsRpIdAndSubdomains) {
  Passkey passkey;
  ASSERT_TRUE(ValidateOwnerKey(passkey.owner(), "owner").ok());
  const std::string message = OwnerSigningMessage(kOrigin, "record");
  for (std::string_view origin :
       {"https://example.org", "https://shop.example.org", "https://example.org:8443"}) {
    EXPECT_TRUE(VerifyOwnerSignature(passkey.owner(),
                                     passkey.Sign(Passkey::AuthData("example.org"),
                                                  Passkey::ClientData(message, origin)),
                                     message)
                    .ok())
        << origin;
  }
  EXPECT_TRUE(VerifyOwnerSignature(passkey.owner(),
                                   passkey.Sign(Passkey::AuthData("example.org"),
                                                Passkey::ClientData(message, "https://example.org",
                                                                    R"(,"crossOrigin":false)")),
                                   message)
                  .ok());
}

TEST(OwnerSignatureTest, PasskeyAssertionRefusedForEachFault) {
  Passkey passkey;
  const std::string message = OwnerSigningMessage(kOrigin, "record");
  const std::string good_auth = Passkey::AuthData("example.org");
  const std::string good_client = Passkey::ClientData(message, "https://example.org");
  struct Case {
    std::string name;
    v1::OwnerSignature sig;
    std::string want;
  };
  v1::OwnerSignature tampered = passkey.Sign(good_auth, good_client);
  tampered.set_client_data_json(Passkey::ClientData(message, "https://shop.example.org"));
  v1::OwnerSignature bad_der = passkey.Sign(good_auth, good_client);
  bad_der.mutable_signature()->push_back('\0');
  const Case cases[] = {
      {"another record's challenge",
       passkey.Sign(good_auth, Passkey::ClientData(OwnerSigningMessage(kOrigin, "other"),
                                                   "https://example.org")),
       "challenge"},
      {"another rp id", passkey.Sign(Passkey::AuthData("evil.org"), good_client), "rp id"},
      {"no user presence", passkey.Sign(Passkey::AuthData("example.org", 0x04), good_client),
       "user presence"},
      {"an origin that only ends like the rp id",
       passkey.Sign(good_auth, Passkey::ClientData(message, "https://badexample.org")), "origin"},
      {"plain http", passkey.Sign(good_auth, Passkey::ClientData(message, "http://example.org")),
       "origin"},
      {"a port with a leading zero",
       passkey.Sign(good_auth, Passkey::ClientData(message, "https://example.org:0443")), "origin"},
      {"cross-origin",
       passkey.Sign(good_auth,
                    Passkey::ClientData(message, "https://example.org", R"(,"crossOrigin":true)")),
       "cross-origin"},
      {"a registration, not an assertion",
       passkey.Sign(good_auth, absl::StrCat(R"({"type":"webauthn.create","challenge":")",
                                            absl::WebSafeBase64Escape(WebAuthnChallenge(message)),
                                            R"(","origin":"https://example.org"})")),
       "webauthn.get"},
      {"client data that is not JSON", passkey.Sign(good_auth, "{not json"), "not JSON"},
      {"client data changed after signing", tampered, "does not verify"},
      {"a signature with a byte appended", bad_der, "does not verify"},
      {"short authenticator data", passkey.Sign(good_auth.substr(0, 36), good_client), "37"},
  };
  for (const Case& c : cases) {
    absl::Status s = VerifyOwnerSignature(passkey.owner(), c.sig, message);
    EXPECT_EQ(s.code(), Code::kPermissionDenied) << c.name;
    EXPECT_THAT(s.message(), HasSubstr(c.want)) << c.name;
  }
}

TEST(OwnerSignatureTest, LocalhostPasskeysMayUsePlainHttp) {
  Passkey passkey;
  v1::OwnerKey local = passkey.owner();
  local.mutable_webauthn()->set_rp_id("localhost");
  const std::string message = OwnerSigningMessage(kOrigin, "record");
  // The key id is of the point only, so the same signer serves both rp ids here.
  EXPECT_TRUE(
      VerifyOwnerSignature(local,
                           passkey.Sign(Passkey::AuthData("localhost"),
                                        Passkey::ClientData(message, "http://localhost:8080")),
                           message)
          .ok());
}

TEST(OwnerKeyTest, MalformedKeysAreRefused) {
  v1::OwnerKey none;
  EXPECT_THAT(ValidateOwnerKey(none, "buyer").message(), HasSubstr("buyer is required"));
  EXPECT_EQ(OwnerKeyId(none), "");
  v1::OwnerKey short_ed;
  short_ed.set_ed25519("short");
  EXPECT_EQ(ValidateOwnerKey(short_ed, "buyer").code(), Code::kInvalidArgument);
  Passkey passkey;
  v1::OwnerKey k = passkey.owner();
  k.mutable_webauthn()->set_rp_id("Example.org");
  EXPECT_THAT(ValidateOwnerKey(k, "buyer").message(), HasSubstr("rp_id"));
  k = passkey.owner();
  k.mutable_webauthn()->clear_credential_id();
  EXPECT_THAT(ValidateOwnerKey(k, "buyer").message(), HasSubstr("credential_id"));
  k = passkey.owner();
  (*k.mutable_webauthn()->mutable_p256())[10] ^= 1;  // off the curve
  EXPECT_THAT(ValidateOwnerKey(k, "buyer").message(), HasSubstr("P-256"));
  EXPECT_FALSE(SameOwnerKey(k, passkey.owner()));
  EXPECT_TRUE(SameOwnerKey(passkey.owner(), passkey.owner()));
}

TEST(OwnershipProofTest, MessageBindsOriginPieceAndNonce) {
  absl::StatusOr<std::string> m = OwnershipProofMessage(kOrigin, "RING-1", "0123456789abcdef");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m,
            absl::StrCat("touchstone.v1 ownership proof\n", kOrigin, "\nRING-1\n0123456789abcdef"));
  EXPECT_EQ(OwnershipProofMessage(kOrigin, "RING-1", "short").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(OwnershipProofMessage(kOrigin, "RING-1", "0123456789 abcdef").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(OwnershipProofMessage(kOrigin, "", "0123456789abcdef").status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace touchstone
