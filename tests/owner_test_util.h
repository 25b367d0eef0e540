// Owners for tests (ledger/provenance/owner_signature.h): owner keys that sign
// as the CLI (Ed25519) or a browser's passkey (WebAuthn ES256, made here with
// OpenSSL) would, owner-signed record bytes, and OwnerFixture: a trade-rules
// ledger with builders of the four owner records and submitters for records
// an owner key signs alone or co-signs. For the owner, heirloom and verifier
// tests.
#ifndef TOUCHSTONE_TESTS_OWNER_TEST_UTIL_H_
#define TOUCHSTONE_TESTS_OWNER_TEST_UTIL_H_

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ledger/log/hash.h"
#include "ledger/provenance/owner_signature.h"
#include "ledger/provenance/record.h"
#include "tests/trade_test_util.h"

namespace touchstone::testing {

// The web origin a test passkey signs from (client data "origin").
inline constexpr std::string_view kTestWebOrigin = "http://localhost:8080";

// An owner key with its private half: Ed25519 (as the CLI or WebCrypto makes)
// or a passkey (P-256, as a browser's authenticator makes). Thread-compatible.
class TestOwner {
 public:
  static TestOwner Ed25519() {
    TestOwner o;
    o.ed25519_ = std::make_shared<PrivateKey>(PrivateKey::Generate().value());
    o.key_ = Ed25519OwnerKey(o.ed25519_->public_key());
    return o;
  }

  // A passkey scoped to `rp_id`, signing from `web_origin`.
  static TestOwner Passkey(std::string rp_id = "localhost",
                           std::string web_origin = std::string(kTestWebOrigin)) {
    TestOwner o;
    o.p256_ = std::shared_ptr<EVP_PKEY>(EVP_EC_gen("P-256"), EVP_PKEY_free);
    unsigned char* der = nullptr;
    const int n = i2d_PUBKEY(o.p256_.get(), &der);
    // The DER SubjectPublicKeyInfo of an uncompressed P-256 point ends with the 65-byte point.
    const std::string spki(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
    OPENSSL_free(der);
    auto* w = o.key_.mutable_webauthn();
    w->set_p256(spki.substr(spki.size() - kP256PointSize));
    w->set_rp_id(std::move(rp_id));
    w->set_credential_id("credential-" + HashToHex(Sha256(spki)).substr(0, 16));
    o.web_origin_ = std::move(web_origin);
    return o;
  }

  const v1::OwnerKey& key() const { return key_; }
  std::string id() const { return OwnerKeyId(key_); }
  bool is_passkey() const { return p256_ != nullptr; }

  // The owner's signature of `message` (owner_signature.h): Ed25519, or a
  // WebAuthn assertion whose challenge is SHA-256(message).
  v1::OwnerSignature Sign(std::string_view message) const {
    if (!is_passkey()) return SignAsOwner(*ed25519_, message);
    return Assert(WebAuthnChallenge(message));
  }

  // A passkey assertion whose client data names `challenge` (raw bytes,
  // base64url-encoded into the JSON): the owner's signature of a message
  // whose SHA-256 it is, a forgery for any other. Authenticator data = SHA-256(rp_id) || flags 0x05
  // (UP, UV) || a 4-byte counter; the signature is ECDSA over authenticator data || SHA-256(client
  // data JSON).
  v1::OwnerSignature Assert(std::string_view challenge) const {
    const std::string auth =
        absl::StrCat(HashBytes(Sha256(key_.webauthn().rp_id())), std::string("\x05\0\0\0\x07", 5));
    const std::string client = absl::StrCat(R"({"type":"webauthn.get","challenge":")",
                                            absl::WebSafeBase64Escape(std::string(challenge)),
                                            R"(","origin":")", web_origin_, R"("})");
    v1::OwnerSignature sig;
    sig.set_key_id(id());
    sig.set_signature(EcdsaSign(absl::StrCat(auth, HashBytes(Sha256(client)))));
    sig.set_authenticator_data(auth);
    sig.set_client_data_json(client);
    return sig;
  }

 private:
  std::string EcdsaSign(std::string_view data) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    size_t n = 0;
    if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, p256_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) != 1) {
      ADD_FAILURE() << "ECDSA signing failed";
      return "";
    }
    std::string out(n, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
      ADD_FAILURE() << "ECDSA signing failed";
      return "";
    }
    out.resize(n);
    return out;
  }

  v1::OwnerKey key_;
  std::shared_ptr<PrivateKey> ed25519_;
  std::shared_ptr<EVP_PKEY> p256_;
  std::string web_origin_;
};

// `record` (which holds no owner_signature) serialized, with `owner`'s
// signature for the log `origin` appended as its owner_signature: the bytes
// an owner-only record is submitted as, and those a participant co-signed by
// an owner then signs.
inline std::string OwnerSignedBytes(const v1::Record& record, const TestOwner& owner,
                                    std::string_view origin) {
  const std::string bytes = SerializeRecord(record);
  return AppendOwnerSignature(bytes, owner.Sign(OwnerSigningMessage(origin, bytes)));
}

// The four owner records' bodies, set on `r` (a header: record id, event time).
inline v1::Record WithAccepted(v1::Record r, const std::string& piece_id, uint64_t prev_index,
                               const v1::OwnerTerms& terms = {}) {
  auto* a = r.mutable_ownership_accepted();
  a->set_piece_id(piece_id);
  a->set_prev_index(prev_index);
  *a->mutable_terms() = terms;
  if (a->terms().ByteSizeLong() == 0) a->clear_terms();
  return r;
}
inline v1::Record WithTransferred(v1::Record r, const std::string& piece_id, uint64_t prev_index,
                                  const v1::OwnerKey& new_owner) {
  auto* t = r.mutable_ownership_transferred();
  t->set_piece_id(piece_id);
  t->set_prev_index(prev_index);
  *t->mutable_new_owner() = new_owner;
  return r;
}
inline v1::Record WithReport(v1::Record r, const std::string& piece_id, uint64_t prev_index,
                             v1::PieceEvent event, std::string note = "taken from a car") {
  auto* rep = r.mutable_owner_report();
  rep->set_piece_id(piece_id);
  rep->set_prev_index(prev_index);
  rep->set_event(event);
  rep->set_note(std::move(note));
  return r;
}
inline v1::Record WithKeyReplaced(v1::Record r, const std::string& piece_id, uint64_t prev_index,
                                  const v1::OwnerKey& new_key) {
  auto* k = r.mutable_owner_key_replaced();
  k->set_piece_id(piece_id);
  k->set_prev_index(prev_index);
  *k->mutable_new_key() = new_key;
  k->set_reason("phone lost");
  return r;
}

// A trade-rules ledger (TradeFixture) with owners: a piece sold to an owner's
// key, and owner records signed and submitted as clients would.
class OwnerFixture : public TradeFixture {
 protected:
  // A header for a record an owner key signs alone: a fresh record id, event
  // time NextTime(), no signer, no key id.
  v1::Record OwnerHeader() {
    v1::Record r;
    r.set_record_id(NextRecordId());
    r.set_event_time_micros(NextTime());
    return r;
  }

  v1::Record Accepted(const std::string& piece_id, uint64_t prev_index,
                      const v1::OwnerTerms& terms = {}) {
    return WithAccepted(OwnerHeader(), piece_id, prev_index, terms);
  }
  v1::Record Transferred(const std::string& piece_id, uint64_t prev_index,
                         const v1::OwnerKey& new_owner) {
    return WithTransferred(OwnerHeader(), piece_id, prev_index, new_owner);
  }
  v1::Record Report(const std::string& piece_id, uint64_t prev_index, v1::PieceEvent event) {
    return WithReport(OwnerHeader(), piece_id, prev_index, event);
  }
  v1::Record KeyReplaced(const std::string& piece_id, uint64_t prev_index,
                         const v1::OwnerKey& new_key) {
    return WithKeyReplaced(OwnerHeader(), piece_id, prev_index, new_key);
  }
  // `r` signed by participant `who` instead (signer and key id set).
  static v1::Record By(const Identity& who, v1::Record r) {
    r.set_signer(who.id);
    r.set_key_id(who.key.public_key().Fingerprint());
    return r;
  }

  // Submits `r` signed by `owner` alone: owner-signed bytes, an empty signature.
  [[nodiscard]] absl::StatusOr<Receipt> SubmitAsOwner(const v1::Record& r, const TestOwner& owner) {
    return ledger().Submit(OwnerSignedBytes(r, owner, origin()), "");
  }
  Receipt AcceptAsOwner(const v1::Record& r, const TestOwner& owner,
                        std::source_location where = std::source_location::current()) {
    ::testing::ScopedTrace trace(where.file_name(), static_cast<int>(where.line()),
                                 "owner record " + r.record_id() + " should be accepted");
    absl::StatusOr<Receipt> receipt = SubmitAsOwner(r, owner);
    EXPECT_TRUE(receipt.ok()) << receipt.status() << "\n" << r.DebugString();
    return receipt.ok() ? *std::move(receipt) : Receipt{};
  }
  // Expects `r` signed by `owner` alone to be refused with `code` and
  // `substring`, nothing appended and the piece `piece_id`'s state unchanged.
  void ExpectRefusedAsOwner(const v1::Record& r, const TestOwner& owner, absl::StatusCode code,
                            std::string_view substring, const std::string& piece_id = "",
                            std::source_location where = std::source_location::current()) {
    const v1::PieceState before = GetPiece(piece_id);
    ExpectRefusedBytes(OwnerSignedBytes(r, owner, origin()), "", code, substring, where);
    EXPECT_EQ(GetPiece(piece_id).SerializeAsString(), before.SerializeAsString())
        << "a refused owner record changed piece " << piece_id;
  }
  // The bytes and signature of participant `who`'s record `r` co-signed by `owner`.
  std::pair<std::string, std::string> CoSigned(const Identity& who, const v1::Record& r,
                                               const TestOwner& owner) {
    std::string bytes = OwnerSignedBytes(r, owner, origin());
    std::string sig = SignRecord(who.key, origin(), bytes);
    return {std::move(bytes), std::move(sig)};
  }

  // A gold piece `piece_id` registered by the fixture's jeweler (from a
  // mined gold lot the refiner made and shipped to it); returns its
  // registration's receipt.
  Receipt RegisterGoldPiece(const std::string& piece_id,
                            std::source_location where = std::source_location::current()) {
    const std::string lot = "gold-for-" + piece_id;
    Accept(LotT(refiner, lot, "gold", v1::ORIGIN_CLASS_MINED, 10000, 10000), where);
    Transfer(refiner, jeweler, lot, where);
    return Accept(PieceT(jeweler, piece_id, "band " + piece_id, {}, {{lot, 4000}}, {}, {}, "999.9"),
                  where);
  }
  // The jeweler's sale of `piece_id` naming `buyer`'s key.
  v1::Record SoldTo(const std::string& piece_id, const v1::OwnerKey& buyer) {
    v1::Record r = Lifecycle(jeweler, piece_id, v1::PIECE_EVENT_SOLD);
    *r.mutable_piece_lifecycle()->mutable_buyer() = buyer;
    return r;
  }
  // Registers `piece_id` and sells it to `buyer`; returns the sale's index
  // (the piece's first ownership record).
  uint64_t SellToOwner(const std::string& piece_id, const TestOwner& buyer,
                       std::source_location where = std::source_location::current()) {
    RegisterGoldPiece(piece_id, where);
    return Accept(SoldTo(piece_id, buyer.key()), where).index;
  }
};

}  // namespace touchstone::testing

#endif  // TOUCHSTONE_TESTS_OWNER_TEST_UTIL_H_
