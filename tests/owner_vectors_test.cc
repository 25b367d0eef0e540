// Owner signatures (ledger/provenance/owner_signature.h) against
// tests/testdata/owner_vectors.json, made independently of this code by
// tests/testdata/make_owner_vectors.py (python3-cryptography). The page's port
// (services/web/owner_sig.js) reads the same file (tests/browser/owner_sig_test.mjs):
// both must give every expected answer.
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "ledger/provenance/owner_signature.h"
#include "nlohmann/json.hpp"
#include "proto/record.pb.h"

namespace touchstone {
namespace {

using nlohmann::json;

json Vectors() {
  std::ifstream in(TOUCHSTONE_OWNER_VECTORS);
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

std::string Hex(const json& j) { return absl::HexStringToBytes(j.get<std::string>()); }

v1::OwnerKey Key(const json& j) {
  v1::OwnerKey key;
  if (j.contains("ed25519")) {
    key.set_ed25519(Hex(j["ed25519"]));
  } else {
    const json& w = j["webauthn"];
    key.mutable_webauthn()->set_p256(Hex(w["p256"]));
    key.mutable_webauthn()->set_rp_id(w["rp_id"].get<std::string>());
    key.mutable_webauthn()->set_credential_id(Hex(w["credential_id"]));
  }
  return key;
}

v1::OwnerSignature Signature(const json& j) {
  v1::OwnerSignature sig;
  sig.set_key_id(j["key_id"].get<std::string>());
  sig.set_signature(Hex(j["signature"]));
  sig.set_authenticator_data(Hex(j["authenticator_data"]));
  sig.set_client_data_json(Hex(j["client_data_json"]));
  return sig;
}

TEST(OwnerVectorsTest, FileHoldsEnoughCases) {
  const json v = Vectors();
  EXPECT_TRUE(v["format"].is_string());
  EXPECT_GE(v["signature"].size(), 30u);
  EXPECT_GE(v["signed_part"].size(), 4u);
}

TEST(OwnerVectorsTest, SignedPartIsTheBytesBeforeField100) {
  const json vectors = Vectors();  // held: a range-for over a temporary's member would dangle
  for (const json& c : vectors["signed_part"]) {
    const std::string name = c["name"];
    const std::string record = Hex(c["record"]);
    absl::StatusOr<std::string_view> part = OwnerSignedPart(record);
    if (c.contains("error")) {
      ASSERT_FALSE(part.ok()) << name;
      EXPECT_EQ(part.status().code(), absl::StatusCode::kInvalidArgument) << name;
      EXPECT_NE(part.status().message().find(c["error"].get<std::string>()), std::string::npos)
          << name << ": " << part.status();
    } else {
      ASSERT_TRUE(part.ok()) << name << ": " << part.status();
      EXPECT_EQ(std::string(*part), Hex(c["signed_part"])) << name;
    }
  }
}

TEST(OwnerVectorsTest, EverySignatureGivesItsExpectedAnswer) {
  const json v = Vectors();
  const std::string origin = v["origin"];
  int valid = 0, refused = 0;
  for (const json& c : v["signature"]) {
    const std::string name = c["name"];
    const v1::OwnerKey key = Key(c["key"]);
    EXPECT_EQ(OwnerKeyId(key), c["key_id"].get<std::string>()) << name;
    EXPECT_TRUE(ValidateOwnerKey(key, "key").ok()) << name;
    std::string message;
    v1::OwnerSignature sig;
    if (c.contains("record")) {
      const std::string record = Hex(c["record"]);
      v1::Record parsed;
      ASSERT_TRUE(parsed.ParseFromString(record)) << name;
      ASSERT_TRUE(parsed.has_owner_signature()) << name;
      sig = parsed.owner_signature();
      absl::StatusOr<std::string_view> part = OwnerSignedPart(record);
      ASSERT_TRUE(part.ok()) << name << ": " << part.status();
      message = OwnerSigningMessage(origin, *part);
    } else {
      absl::StatusOr<std::string> m =
          OwnershipProofMessage(origin, c["proof"]["piece_id"].get<std::string>(),
                                c["proof"]["nonce"].get<std::string>());
      if (c.contains("message_error")) {
        ASSERT_FALSE(m.ok()) << name;
        EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << name;
        EXPECT_NE(m.status().message().find(c["message_error"].get<std::string>()),
                  std::string::npos)
            << name << ": " << m.status();
        ++refused;
        continue;
      }
      ASSERT_TRUE(m.ok()) << name << ": " << m.status();
      message = *m;
      sig = Signature(c["signature"]);
    }
    EXPECT_EQ(message, Hex(c["message"])) << name;
    const absl::Status s = VerifyOwnerSignature(key, sig, message);
    if (c["ok"].get<bool>()) {
      EXPECT_TRUE(s.ok()) << name << ": " << s;
      ++valid;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << name << ": " << s;
      EXPECT_TRUE(absl::StartsWith(s.message(), "owner signature: ")) << name << ": " << s;
      EXPECT_NE(s.message().find(c["error"].get<std::string>()), std::string::npos)
          << name << ": " << s;
      ++refused;
    }
  }
  EXPECT_GE(valid, 8);
  EXPECT_GE(refused, 25);
}

}  // namespace
}  // namespace touchstone
