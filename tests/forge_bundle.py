"""Forges piece bundles the way a dishonest operator could: one record of the
log replaced by another one validly signed (by a participant's real key), the
hash chain and the RFC 9162 tree recomputed over every entry, and a checkpoint
signed again with the operator's real key. Everything but the one rule the new
record breaks then checks out, so a verifier that reports that rule is the one
catching it. For tests only; /usr/bin/python3 with python3-cryptography.

Formats: entries as ledger/log/entry_format.h, records as proto/record.proto,
checkpoints as C2SP signed notes, proofs as c2sp.org/tlog-proof@v1, bundles as
proto/bundle.proto and services/bundle_json.h."""
import base64
import hashlib

from e2e_support import encode_fields, parse_fields, record_signing_message
from cryptography.hazmat.primitives.serialization import (Encoding, PublicFormat,
                                                          load_pem_private_key)

def sha256(data):
    return hashlib.sha256(data).digest()


# ---------------------------------------------------------------- protobuf wire format

def replace_field(fields, number, value):
    """The fields with every `number` field (length-delimited) set to `value`."""
    return [(n, w, value if n == number else v) for n, w, v in fields]


def field(fields, number, default=None):
    """The value of the (last) `number` field, or `default`."""
    values = [v for n, _, v in fields if n == number]
    return values[-1] if values else default


def set_field(fields, number, value, wire=2):
    """The fields with `number` set to `value` the canonical way (ledger/provenance/canonical.h):
    in increasing field order, and left out if `value` is the default (0, b"")."""
    kept = [f for f in fields if f[0] != number]
    if value in (0, b""):
        return kept
    at = next((i for i, f in enumerate(kept) if f[0] > number), len(kept))
    return kept[:at] + [(number, wire, value)] + kept[at:]


# Record body fields (proto/record.proto, the oneof body of Record).
BODY = {"genesis": 10, "participant_registered": 11, "key_added": 12, "key_revoked": 13,
        "role_granted": 14, "participant_suspended": 15, "participant_reinstated": 16,
        "certificate_issued": 17, "certificate_status_changed": 18, "lot_created": 20,
        "transformation": 21, "custody_shipped": 22, "custody_received": 23,
        "piece_registered": 24, "piece_lifecycle": 25, "stone_replaced": 26,
        "error_declared": 27, "operator_key_rotated": 28, "log_policy": 29,
        "scheme_registered": 30, "credit_account_opened": 31, "credit_booked": 32,
        "credit_allocated": 33, "ownership_accepted": 34, "ownership_transferred": 35,
        "owner_report": 36, "owner_key_replaced": 37, "heirloom_received": 38}
OWNER_SIGNATURE = 100  # Record.owner_signature (ledger/provenance/owner_signature.h)


def body_of(record):
    """(field number, fields) of a record's body (record: parse_fields of its bytes)."""
    number = next(n for n, _, _ in record if n in BODY.values())
    return number, parse_fields(field(record, number))


def edit_body(record, edit):
    """The record (fields) with its body's fields replaced by edit(body fields)."""
    number, body = body_of(record)
    return replace_field(record, number, encode_fields(edit(body)))


# ---------------------------------------------------------------- keys and records

def load_key(pem_file):
    with open(pem_file, "rb") as f:
        return load_pem_private_key(f.read(), password=None)


def raw_public_key(key):
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key):
    """record.proto key_id: hex of the first 8 bytes of SHA-256(raw public key)."""
    return sha256(raw_public_key(key))[:8].hex()


# ---------------------------------------------------------------- owner signatures

def owner_signing_message(origin, signed_part):
    """ledger/provenance/owner_signature.h OwnerSigningMessage."""
    return b"touchstone.v1 owner signature for log\n" + origin.encode() + b"\n" + signed_part


def owner_signed(record, key, origin):
    """The bytes of `record` (fields) with its owner_signature (field 100) made again by
    Ed25519 owner key `key` over the bytes before it, for the log `origin`."""
    part = encode_fields([f for f in record if f[0] != OWNER_SIGNATURE])
    sig = key.sign(owner_signing_message(origin, part))
    signature = encode_fields([(1, 2, key_id(key).encode()), (2, 2, sig)])
    return part + encode_fields([(OWNER_SIGNATURE, 2, signature)])


# ---------------------------------------------------------------- entries

def entry_parts(entry):
    r = int.from_bytes(entry[52:56], "big")
    return {"index": int.from_bytes(entry[4:12], "big"), "recorded_at": entry[12:20],
            "prev": entry[20:52], "record": entry[56:56 + r], "signature": entry[58 + r:]}


def make_entry(index, recorded_at, prev, record, signature):
    return (b"TSE1" + index.to_bytes(8, "big") + recorded_at + prev +
            len(record).to_bytes(4, "big") + record + len(signature).to_bytes(2, "big") +
            signature)


def leaf_hash(entry):
    return sha256(b"\x00" + entry)


# ---------------------------------------------------------------- RFC 9162 tree

def _split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def tree_hash(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return sha256(b"\x01" + tree_hash(leaves[:k]) + tree_hash(leaves[k:]))


def inclusion_path(index, leaves):
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return inclusion_path(index, leaves[:k]) + [tree_hash(leaves[k:])]
    return inclusion_path(index - k, leaves[k:]) + [tree_hash(leaves[:k])]


# ---------------------------------------------------------------- the forgery

def sign_note(text, name, key):
    """A C2SP signed note of `text` with one Ed25519 signature by `name`."""
    kid = sha256(name.encode() + b"\n\x01" + raw_public_key(key))[:4]
    sig = key.sign(text.encode())
    return "%s\n\u2014 %s %s\n" % (text, name, base64.b64encode(kid + sig).decode())


def note_text(note):
    """The text of a signed note (with its final newline)."""
    return note[:note.index("\n\n") + 1]


def cosign(note, name, key, timestamp):
    """`note` with a cosignature/v1 line (c2sp.org/tlog-cosignature, ledger/log/cosignature.h)
    by witness `name` holding `key`, cosigned at `timestamp` (unix seconds)."""
    kid = sha256(name.encode() + b"\n\x04" + raw_public_key(key))[:4]
    t = timestamp.to_bytes(8, "big")
    sig = key.sign(b"cosignature/v1\ntime %d\n" % timestamp + note_text(note).encode())
    return "%s\u2014 %s %s\n" % (note, name, base64.b64encode(kid + t + sig).decode())


def with_checkpoint(bundle, note):
    """The JSON bundle with its checkpoint note replaced by `note`, in the bundle and
    in every entry's tlog proof (which ends with the checkpoint)."""
    old = bundle["checkpoint"]
    entries = []
    for e in bundle["entries"]:
        assert e["tlog_proof"].endswith(old)
        entries.append(dict(e, tlog_proof=e["tlog_proof"][:-len(old)] + note))
    return dict(bundle, checkpoint=note, entries=entries)


def encode_bundle(bundle):
    """The binary PieceBundle (proto/bundle.proto) of a JSON bundle, with its openings
    (field 6, when the JSON has "openings"); no created_micros (informational, and not in
    what the JSON of a forged bundle says)."""
    entries = [encode_fields(([(1, 0, e["index"])] if e["index"] else []) +
                             [(2, 2, base64.b64decode(e["entry"])),
                              (3, 2, e["tlog_proof"].encode())]) for e in bundle["entries"]]
    openings = [encode_fields(([(1, 0, o["index"])] if o["index"] else []) +
                              [(2, 2, encode_fields([(1, 2, base64.b64decode(o["salt"])),
                                                     (2, 2, base64.b64decode(o["fields"]))]))])
                for o in bundle.get("openings", [])]
    audited = ([(7, 2, bundle["audited_checkpoint"].encode())] +
               [(8, 2, base64.b64decode(h)) for h in bundle.get("audit_consistency", [])]
               if bundle.get("audited_checkpoint") else [])
    return encode_fields([(1, 2, bundle["format"].encode()), (2, 2, bundle["piece_id"].encode()),
                          (3, 2, bundle["checkpoint"].encode())] + [(4, 2, b) for b in entries] +
                         [(6, 2, b) for b in openings] + audited)


def forge(bundle, log_entries, index, new_record, signer_key, operator_key, witnesses=(),
          prev=None, claimed_index=None, more=()):
    """The JSON bundle (dict, as /p/ID/bundle.json) and the binary PieceBundle of
    `bundle` after entry `index` of the log `log_entries` (every entry of the log
    at the bundle's size, bytes) is replaced by `new_record` signed with
    `signer_key`; the chain, tree, proofs and checkpoint are made again, the
    checkpoint signed with `operator_key` and cosigned by each (name, key,
    timestamp) of `witnesses` (the bundle's own cosignatures are dropped).
    `prev` (bytes), if given, is entry `index`'s previous-leaf hash instead of the
    true one; `claimed_index`, if given, the index its bytes say. `more`: further
    (index, new record, signer key) replaced the same way, at indices after `index`.
    A signer key of None leaves the entry's signature empty: a record an owner key
    signs alone (its owner_signature is in the record: owner_signed)."""
    entries = list(log_entries)
    replaced = {index: (new_record, signer_key)}
    for i, record, key in more:
        assert i > index and i not in replaced, "more replaces entries after `index`, once each"
        replaced[i] = (record, key)
    text_lines = note_text(bundle["checkpoint"]).split("\n")
    origin = text_lines[0]
    for i in range(index, len(entries)):
        p = entry_parts(entries[i])
        record, signature, at = p["record"], p["signature"], i
        chained = leaf_hash(entries[i - 1]) if i > 0 else p["prev"]
        if i in replaced:
            record, key = replaced[i]
            signature = key.sign(record_signing_message(origin, record)) if key else b""
        if i == index:
            chained = prev if prev is not None else chained
            at = claimed_index if claimed_index is not None else i
        entries[i] = make_entry(at, p["recorded_at"], chained, record, signature)
    leaves = [leaf_hash(e) for e in entries]
    assert int(text_lines[1]) == len(entries), "give every entry of the bundle's checkpoint"
    text_lines[2] = base64.b64encode(tree_hash(leaves)).decode()
    checkpoint = sign_note("\n".join(text_lines), origin, operator_key)
    for name, key, timestamp in witnesses:
        checkpoint = cosign(checkpoint, name, key, timestamp)
    forged = dict(bundle, checkpoint=checkpoint, entries=[])
    # An operator forging its log has no auditor's cosignature of it: the forged bundle
    # carries no audited checkpoint (the honest one does not extend to the forged tree).
    forged.pop("audited_checkpoint", None)
    forged.pop("audit_consistency", None)
    for e in bundle["entries"]:
        i = e["index"]
        proof = "c2sp.org/tlog-proof@v1\nindex %d\n%s\n%s" % (
            i, "".join(base64.b64encode(h).decode() + "\n" for h in inclusion_path(i, leaves)),
            checkpoint)
        forged["entries"].append(dict(e, entry=base64.b64encode(entries[i]).decode(),
                                      tlog_proof=proof))
    return forged, encode_bundle(forged)
