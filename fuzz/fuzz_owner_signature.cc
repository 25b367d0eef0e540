// Fuzzes owner signatures (ledger/provenance/owner_signature.h): the signed part
// of record bytes, owner key validation, and the verification of an
// OwnerSignature (Ed25519, and WebAuthn assertions: authenticator data, client
// data JSON, DER ECDSA) against fixed keys whose private halves the fuzzer
// does not hold.
// Invariants: OwnerSignedPart returns a strict prefix of its input that ends
// where a field 100 tag starts; VerifyOwnerSignature never crashes and never
// accepts (a forged Ed25519 or ECDSA signature); whatever it refuses is
// PERMISSION_DENIED.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "fuzz/fixture.h"
#include "ledger/provenance/owner_signature.h"
#include "proto/record.pb.h"

namespace {

using touchstone::v1::OwnerKey;
using touchstone::v1::OwnerSignature;

// The P-256 base point: a valid key. (Its private key is 1; no fuzzer computes
// an ECDSA signature from that.)
const OwnerKey& Passkey() {
  static const OwnerKey* key = [] {
    auto* k = new OwnerKey;
    const std::string point = absl::HexStringToBytes(
        "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
    k->mutable_webauthn()->set_p256(point);
    k->mutable_webauthn()->set_rp_id("localhost");
    k->mutable_webauthn()->set_credential_id("c");
    return k;
  }();
  return *key;
}

const OwnerKey& Ed25519Key() {
  static const OwnerKey* key = [] {
    auto* k = new OwnerKey;
    k->set_ed25519(touchstone::fuzz::FixedKey("owner").public_key().raw());
    return k;
  }();
  return *key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace touchstone;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<std::string_view> part = OwnerSignedPart(bytes);
  if (part.ok()) {
    if (part->data() != bytes.data() || part->size() >= bytes.size()) {
      fuzz::Fail("the signed part is not a strict prefix");
    }
    // A field 100 tag (length-delimited or not) starts right after it.
    const uint8_t b0 = static_cast<uint8_t>(bytes[part->size()]);
    if ((b0 & 0xf8) != 0xa0) fuzz::Fail("the signed part does not end at a field 100 tag");
  }

  OwnerKey key;
  if (key.ParseFromString(std::string(bytes))) {
    (void)ValidateOwnerKey(key, "key");
    (void)OwnerKeyId(key);
  }

  OwnerSignature sig;
  if (!sig.ParseFromString(std::string(bytes))) return 0;
  const std::string message = OwnerSigningMessage("fuzz.test/log", "record");
  for (OwnerKey k : {Passkey(), Ed25519Key()}) {
    // Let the key id match so verification reaches the signature itself.
    OwnerSignature s = sig;
    if (size % 2 == 0) s.set_key_id(OwnerKeyId(k));
    absl::Status st = VerifyOwnerSignature(k, s, message);
    if (st.ok()) fuzz::Fail("a forged owner signature verified");
    if (st.code() != absl::StatusCode::kPermissionDenied) {
      fuzz::Fail("an owner signature refused with a code other than PERMISSION_DENIED");
    }
  }
  return 0;
}
