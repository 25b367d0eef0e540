// Owner keys and owner signatures: how a piece's owner, who is not a
// participant and is known on the log by a key alone, signs a record. One
// definition, used by the rules (rules_owners.cc), the bundle verifier and the
// CLI; services/web/owner.js mirrors it and tests/testdata/owner_vectors.json
// pins both to the same answers.
//
// The signed part of a record is its exact bytes before its owner_signature
// field (Record field 100, the highest, so canonical bytes hold it last):
//   record bytes = signed part || 0xA2 0x06 || varint(len) || OwnerSignature bytes
// The owner signing message binds the log's origin, as record signatures do
// (record.h), with a context of its own so that no owner signature is ever a
// record, checkpoint or note signature:
//   "touchstone.v1 owner signature for log\n" || origin || "\n" || signed part
//
// An Ed25519 owner key (the CLI, or WebCrypto in the browser) signs that
// message: OwnerSignature.signature is 64 bytes, nothing else is set.
//
// A passkey (WebAuthn, ES256) signs an assertion whose challenge is
// SHA-256(message). It verifies if:
//   - authenticator_data is at least 37 bytes, its first 32 are
//     SHA-256(key.rp_id), and its flags byte (offset 32) has UP (0x01) set;
//   - client_data_json is a JSON object with "type" "webauthn.get",
//     "challenge" the unpadded base64url of SHA-256(message), "origin"
//     "https://" + host (+ ":" + port), where host is rp_id or ends with
//     "." + rp_id (for rp_id "localhost" also "http://localhost[:port]"), and
//     "crossOrigin" absent or false;
//   - signature is the DER ECDSA signature, by key.p256, of
//     authenticator_data || SHA-256(client_data_json).
//
// Ownership proofs (the page's "prove you own this piece"): an owner key
// signs, the same way, the message
//   "touchstone.v1 ownership proof\n" || origin || "\n" || piece_id || "\n" || nonce
// where the nonce is the asker's challenge (printable, 16..128 bytes).
//
// Pure functions; thread-safe.
#ifndef TOUCHSTONE_LEDGER_PROVENANCE_OWNER_SIGNATURE_H_
#define TOUCHSTONE_LEDGER_PROVENANCE_OWNER_SIGNATURE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ledger/log/keys.h"
#include "proto/record.pb.h"

namespace touchstone {

inline constexpr std::string_view kOwnerSigningContext = "touchstone.v1 owner signature for log\n";
inline constexpr std::string_view kOwnershipProofContext = "touchstone.v1 ownership proof\n";
inline constexpr int kOwnerSignatureField = 100;  // Record.owner_signature
inline constexpr size_t kP256PointSize = 65;
inline constexpr size_t kMaxCredentialIdSize = 1023;
inline constexpr size_t kMaxClientDataJsonSize = 2048;
inline constexpr size_t kMaxAuthenticatorDataSize = 1024;
inline constexpr size_t kMinProofNonceSize = 16;
inline constexpr size_t kMaxProofNonceSize = 128;

// The key's id: lowercase hex of the first 8 bytes of SHA-256(ed25519) or
// SHA-256(webauthn.p256); "" if no key is set.
std::string OwnerKeyId(const v1::OwnerKey& key);

// OK if `key` is a well-formed owner key: a 32-byte Ed25519 key that OpenSSL
// accepts, or a passkey with a 65-byte point on P-256, a non-empty rp_id
// (lowercase host name: [a-z0-9.-], at most 253 bytes) and a credential id of
// 1..1023 bytes. INVALID_ARGUMENT naming `what` otherwise.
[[nodiscard]] absl::Status ValidateOwnerKey(const v1::OwnerKey& key, std::string_view what);

// True if a and b are the same key (every field equal).
bool SameOwnerKey(const v1::OwnerKey& a, const v1::OwnerKey& b);

// The signed part of canonical record bytes: the bytes before the
// owner_signature field. INVALID_ARGUMENT if the bytes hold no such field or
// are not a walkable protobuf message.
[[nodiscard]] absl::StatusOr<std::string_view> OwnerSignedPart(std::string_view record_bytes);

// The owner signing message for `signed_part` in the log `origin`.
std::string OwnerSigningMessage(std::string_view origin, std::string_view signed_part);

// The ownership proof message (file comment). INVALID_ARGUMENT if the nonce is
// not 16..128 printable ASCII bytes or the piece id is empty.
[[nodiscard]] absl::StatusOr<std::string> OwnershipProofMessage(std::string_view origin,
                                                                std::string_view piece_id,
                                                                std::string_view nonce);

// The WebAuthn challenge for `message`: SHA-256(message), 32 raw bytes.
std::string WebAuthnChallenge(std::string_view message);

// OK if `signature` is `key`'s signature of `message` (file comment).
// PERMISSION_DENIED "owner signature: ..." saying what does not hold (the key
// id differs, the Ed25519 signature does not verify, the client data's
// challenge, type or origin, the rp id hash, user presence, the ECDSA
// signature).
[[nodiscard]] absl::Status VerifyOwnerSignature(const v1::OwnerKey& key,
                                                const v1::OwnerSignature& signature,
                                                std::string_view message);

// Signs `message` with an Ed25519 owner key (clients and tests).
v1::OwnerSignature SignAsOwner(const PrivateKey& key, std::string_view message);

// The record bytes with `signature` appended as its owner_signature field, for
// `record_bytes` that hold none (clients: the ledger never re-serializes).
std::string AppendOwnerSignature(std::string_view record_bytes,
                                 const v1::OwnerSignature& signature);

// An Ed25519 owner key for `key`.
v1::OwnerKey Ed25519OwnerKey(const PublicKey& key);

}  // namespace touchstone

#endif  // TOUCHSTONE_LEDGER_PROVENANCE_OWNER_SIGNATURE_H_
