#!/usr/bin/python3
"""Writes tests/testdata/owner_vectors.json: known answers for owner signatures.

Independent of Touchstone's C++: the records are encoded by hand here (protobuf
wire format), the keys and signatures made with python3-cryptography (Ed25519,
and ECDSA P-256 as a passkey signs a WebAuthn assertion). What is checked is
the contract of ledger/provenance/owner_signature.h; tests/owner_vectors_test.cc
(C++ VerifyOwnerSignature) and tests/browser/owner_sig_test.mjs (the page's
services/web/owner_sig.js) must both give every expected answer.

Deterministic: fixed keys, RFC 6979 ECDSA. Usage:
  python3 tests/testdata/make_owner_vectors.py > tests/testdata/owner_vectors.json
"""
import base64
import hashlib
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

ORIGIN = "touchstone.test/ledger"
SIGNING_CONTEXT = b"touchstone.v1 owner signature for log\n"
PROOF_CONTEXT = b"touchstone.v1 ownership proof\n"
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

FORMAT = """owner_vectors.json: known answers for ledger/provenance/owner_signature.h.
"origin" is the log's origin. "signed_part" cases: "record" (hex of record bytes) and either
"signed_part" (hex: the bytes before the owner_signature field, Record field 100) or "error"
(a substring of the INVALID_ARGUMENT message). "signature" cases: "key" is the owner key
({"ed25519": hex} or {"webauthn": {"p256": hex, "rp_id": text, "credential_id": hex}}),
"key_id" its id (lowercase hex of the first 8 bytes of SHA-256 of the raw key or point);
either "record" (hex of the whole record bytes: its owner_signature is the signature, and the
message is the owner signing message of the record's signed part in "origin") or "proof"
({"piece_id", "nonce"}: the message is the ownership proof message, and "signature" holds the
OwnerSignature as {"key_id": text, "signature", "authenticator_data", "client_data_json": hex}).
"message" is the hex of the message that is signed (absent if the proof message itself is
refused: then "message_error" is a substring of its INVALID_ARGUMENT message). "ok" is true if
the signature verifies; otherwise "error" is a substring of the PERMISSION_DENIED message (which
starts "owner signature: "). Made by tests/testdata/make_owner_vectors.py with
python3-cryptography, independently of the C++ code."""


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def field_bytes(number, value):
    return varint(number << 3 | 2) + varint(len(value)) + value if value else b""


def field_varint(number, value):
    return varint(number << 3) + varint(value) if value else b""


def owner_signature_bytes(sig):
    return (field_bytes(1, sig["key_id"].encode()) + field_bytes(2, sig["signature"]) +
            field_bytes(3, sig.get("authenticator_data", b"")) +
            field_bytes(4, sig.get("client_data_json", b"")))


def record_signed_part(piece_id="RING-1", prev_index=7, record_id="own-1"):
    """An OwnershipAccepted by an owner alone: no signer, no key_id."""
    body = field_bytes(1, piece_id.encode()) + field_varint(2, prev_index)
    return (field_bytes(1, record_id.encode()) + field_varint(4, 1767225600000000) +
            field_bytes(34, body))


def with_signature(part, sig):
    return part + field_bytes(100, owner_signature_bytes(sig))


def signing_message(part):
    return SIGNING_CONTEXT + ORIGIN.encode() + b"\n" + part


def proof_message(piece_id, nonce):
    return PROOF_CONTEXT + ORIGIN.encode() + b"\n" + piece_id.encode() + b"\n" + nonce.encode()


def key_id(raw):
    return hashlib.sha256(raw).hexdigest()[:16]


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


ED_PRIV = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ED_PUB = ED_PRIV.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
ED_OTHER = ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(101, 133)))
P_PRIV = ec.derive_private_key(0x1D3A5B7C9E0F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C4D5E6F70819203, ec.SECP256R1())
P_POINT = P_PRIV.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
P_OTHER = ec.derive_private_key(0x7777, ec.SECP256R1())
CRED = bytes.fromhex("c0ffee0102030405060708090a0b0c0d")


def ed_key():
    return {"ed25519": ED_PUB.hex()}


def passkey(rp_id="touchstone.example"):
    return {"webauthn": {"p256": P_POINT.hex(), "rp_id": rp_id, "credential_id": CRED.hex()}}


def der(r, s):
    return encode_dss_signature(r, s)


def assertion(message, rp_id="touchstone.example", origin="https://touchstone.example", flags=0x05,
              type_="webauthn.get", challenge=None, cross_origin=None, signer=P_PRIV,
              rp_hash=None, client_json=None, mangle=None, auth=None):
    """A WebAuthn assertion over `message`; the keyword arguments break one thing each."""
    if auth is None:
        auth = (rp_hash or hashlib.sha256(rp_id.encode()).digest()) + bytes([flags]) + bytes([0, 0, 0, 9])
    if client_json is None:
        client = {"type": type_,
                  "challenge": challenge or b64url(hashlib.sha256(message).digest()),
                  "origin": origin}
        if cross_origin is not None:
            client["crossOrigin"] = cross_origin
        client_json = json.dumps(client, separators=(",", ":")).encode()
    signed = auth + hashlib.sha256(client_json).digest()
    sig = signer.sign(signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    if mangle:
        sig = mangle(sig)
    return {"key_id": key_id(P_POINT), "signature": sig, "authenticator_data": auth,
            "client_data_json": client_json}


def high_s(sig):
    r, s = decode_dss_signature(sig)
    return der(r, P256_N - s)


def non_minimal_int(sig):
    """r written with a needless leading zero byte (BER, not DER)."""
    r, s = decode_dss_signature(sig)
    rb = r.to_bytes(32, "big")
    if rb[0] & 0x80:
        rb = b"\x00" + rb
    rb = b"\x00" + rb
    sb = s.to_bytes((s.bit_length() + 8) // 8, "big")
    body = b"\x02" + bytes([len(rb)]) + rb + b"\x02" + bytes([len(sb)]) + sb
    return b"\x30" + bytes([len(body)]) + body


def long_form_length(sig):
    """The sequence length in long form (0x81 N) where the short form fits."""
    return b"\x30\x81" + sig[1:]


def trailing_byte(sig):
    return sig + b"\x00"


def raw_rs(sig):
    r, s = decode_dss_signature(sig)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def hexed(sig):
    full = {"key_id": "", "signature": b"", "authenticator_data": b"", "client_data_json": b""}
    full.update(sig)
    return {k: (v.hex() if isinstance(v, bytes) else v) for k, v in full.items()}


def record_case(name, key, sig_for, part=None, ok=False, error=None):
    part = part or record_signed_part()
    message = signing_message(part)
    sig = sig_for(message)
    case = {"name": name, "key": key, "key_id": key_id(bytes.fromhex(
        key["ed25519"] if "ed25519" in key else key["webauthn"]["p256"])),
        "record": with_signature(part, sig).hex(), "message": message.hex(), "ok": ok}
    if error:
        case["error"] = error
    return case


def proof_case(name, key, piece_id, nonce, sig_for=None, ok=False, error=None, message_error=None):
    raw = bytes.fromhex(key["ed25519"] if "ed25519" in key else key["webauthn"]["p256"])
    case = {"name": name, "key": key, "key_id": key_id(raw), "proof": {"piece_id": piece_id, "nonce": nonce}}
    if message_error:
        case["message_error"] = message_error
        case["ok"] = False
        return case
    message = proof_message(piece_id, nonce)
    case["message"] = message.hex()
    case["signature"] = hexed(sig_for(message))
    case["ok"] = ok
    if error:
        case["error"] = error
    return case


def ed_sig(message, priv=ED_PRIV, kid=None, extra=None):
    sig = {"key_id": kid or key_id(ED_PUB), "signature": priv.sign(message)}
    sig.update(extra or {})
    return sig


def flip(b):
    return b[:-1] + bytes([b[-1] ^ 1])


def main():
    pk = passkey()
    cases = [
        record_case("ed25519-valid", ed_key(), ed_sig, ok=True),
        record_case("ed25519-other-record", ed_key(), ed_sig,
                    part=record_signed_part("BRACELET-9", 300, "own-2"), ok=True),
        record_case("ed25519-wrong-key-id", ed_key(), lambda m: ed_sig(m, kid="0123456789abcdef"),
                    error="signed by key 0123456789abcdef, not by the owner key"),
        record_case("ed25519-other-key", ed_key(), lambda m: ed_sig(m, priv=ED_OTHER),
                    error="the Ed25519 signature does not verify"),
        record_case("ed25519-other-message", ed_key(), lambda m: ed_sig(m + b"x"),
                    error="the Ed25519 signature does not verify"),
        record_case("ed25519-with-webauthn-data", ed_key(),
                    lambda m: ed_sig(m, extra={"authenticator_data": b"\x01" * 37}),
                    error="an Ed25519 signature carries no WebAuthn data"),
        record_case("webauthn-valid", pk, assertion, ok=True),
        record_case("webauthn-valid-high-s", pk, lambda m: assertion(m, mangle=high_s), ok=True),
        record_case("webauthn-valid-subdomain-port", pk,
                    lambda m: assertion(m, origin="https://shop.touchstone.example:8443"), ok=True),
        record_case("webauthn-valid-cross-origin-false", pk,
                    lambda m: assertion(m, cross_origin=False), ok=True),
        record_case("webauthn-valid-localhost-http", passkey("localhost"),
                    lambda m: assertion(m, rp_id="localhost", origin="http://localhost:8080"), ok=True),
        record_case("webauthn-wrong-challenge", pk,
                    lambda m: assertion(m, challenge=b64url(hashlib.sha256(m + b"x").digest())),
                    error="the challenge is not this record's"),
        record_case("webauthn-padded-challenge", pk,
                    lambda m: assertion(m, challenge=b64url(hashlib.sha256(m).digest()) + "="),
                    error="the challenge is not this record's"),
        record_case("webauthn-wrong-rp-id-hash", pk,
                    lambda m: assertion(m, rp_hash=hashlib.sha256(b"evil.example").digest()),
                    error="the authenticator data is not for rp id 'touchstone.example'"),
        record_case("webauthn-no-user-presence", pk, lambda m: assertion(m, flags=0x04),
                    error="the authenticator did not record user presence"),
        record_case("webauthn-short-authenticator-data", pk,
                    lambda m: assertion(m, auth=hashlib.sha256(b"touchstone.example").digest() + b"\x05"),
                    error="authenticator data must be 37 to 1024 bytes"),
        record_case("webauthn-wrong-origin", pk, lambda m: assertion(m, origin="https://evil.example"),
                    error="client data origin 'https://evil.example' is not of rp id 'touchstone.example'"),
        record_case("webauthn-origin-suffix-not-subdomain", pk,
                    lambda m: assertion(m, origin="https://eviltouchstone.example"),
                    error="is not of rp id"),
        record_case("webauthn-origin-http", pk, lambda m: assertion(m, origin="http://touchstone.example"),
                    error="is not of rp id"),
        record_case("webauthn-origin-bad-port", pk,
                    lambda m: assertion(m, origin="https://touchstone.example:08443"),
                    error="is not of rp id"),
        record_case("webauthn-cross-origin-true", pk, lambda m: assertion(m, cross_origin=True),
                    error="the assertion was made cross-origin"),
        record_case("webauthn-cross-origin-string", pk, lambda m: assertion(m, cross_origin="false"),
                    error="the assertion was made cross-origin"),
        record_case("webauthn-wrong-type", pk, lambda m: assertion(m, type_="webauthn.create"),
                    error="client data type is not webauthn.get"),
        record_case("webauthn-client-data-not-json", pk,
                    lambda m: assertion(m, client_json=b'{"type":"webauthn.get",'),
                    error="client data is not JSON"),
        record_case("webauthn-client-data-array", pk, lambda m: assertion(m, client_json=b"[1]"),
                    error="client data is not JSON"),
        record_case("webauthn-client-data-lone-surrogate", pk,
                    lambda m: assertion(m, client_json=(
                        '{"type":"webauthn.get","challenge":"%s","origin":"https://touchstone.example",'
                        '"x":"\\ud800"}' % b64url(hashlib.sha256(m).digest())).encode()),
                    error="client data is not JSON"),
        record_case("webauthn-bad-der-non-minimal-integer", pk,
                    lambda m: assertion(m, mangle=non_minimal_int),
                    error="the passkey signature does not verify"),
        record_case("webauthn-bad-der-long-form-length", pk,
                    lambda m: assertion(m, mangle=long_form_length),
                    error="the passkey signature does not verify"),
        record_case("webauthn-bad-der-trailing-byte", pk, lambda m: assertion(m, mangle=trailing_byte),
                    error="the passkey signature does not verify"),
        record_case("webauthn-raw-r-s-not-der", pk, lambda m: assertion(m, mangle=raw_rs),
                    error="the passkey signature does not verify"),
        record_case("webauthn-other-key", pk, lambda m: assertion(m, signer=P_OTHER),
                    error="the passkey signature does not verify"),
        record_case("webauthn-flipped-signature", pk, lambda m: assertion(m, mangle=flip),
                    error="the passkey signature does not verify"),
        record_case("webauthn-wrong-key-id", pk,
                    lambda m: dict(assertion(m), key_id=key_id(ED_PUB)),
                    error="not by the owner key"),
        proof_case("proof-ed25519-valid", ed_key(), "RING-1", "n0nce-from-the-asker-42", ed_sig, ok=True),
        proof_case("proof-ed25519-other-piece", ed_key(), "RING-1", "n0nce-from-the-asker-42",
                   lambda m: ed_sig(m.replace(b"RING-1", b"RING-2")),
                   error="the Ed25519 signature does not verify"),
        proof_case("proof-webauthn-valid", pk, "RING-1", "Zm9vYmFyYmF6cXV4cXV1eA", assertion, ok=True),
        proof_case("proof-webauthn-wrong-challenge", pk, "RING-1", "Zm9vYmFyYmF6cXV4cXV1eA",
                   lambda m: assertion(m, challenge=b64url(hashlib.sha256(b"another").digest())),
                   error="the challenge is not this record's"),
        proof_case("proof-nonce-too-short", ed_key(), "RING-1", "short-nonce",
                   message_error="16 to 128 bytes"),
        proof_case("proof-nonce-not-printable", ed_key(), "RING-1", "a nonce with spaces in it",
                   message_error="printable ASCII"),
        proof_case("proof-no-piece", ed_key(), "", "n0nce-from-the-asker-42",
                   message_error="names a piece"),
    ]
    part = record_signed_part()
    signed_part = [
        {"name": "signed-part-before-field-100", "record": with_signature(part, ed_sig(b"m")).hex(),
         "signed_part": part.hex()},
        {"name": "signed-part-empty-record-body", "record": with_signature(b"", ed_sig(b"m")).hex(),
         "signed_part": ""},
        {"name": "signed-part-no-owner-signature", "record": part.hex(),
         "error": "the record carries no owner_signature"},
        {"name": "signed-part-truncated", "record": field_bytes(1, b"own-1")[:-2].hex(),
         "error": "truncated record"},
        {"name": "signed-part-wire-type-7", "record": (b"\x0f" + part).hex(),
         "error": "record is not a protobuf message"},
    ]
    print(json.dumps({"format": FORMAT, "origin": ORIGIN, "signed_part": signed_part,
                      "signature": cases}, indent=1))


if __name__ == "__main__":
    main()
