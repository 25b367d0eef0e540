"""Forges piece bundles the way a dishonest operator could: one record of the
log replaced by another one validly signed (by a participant's real key), the
hash chain and the RFC 9162 tree recomputed over every entry, and a checkpoint
signed again with the operator's real key. Everything but the one rule the new
record breaks then checks out, so a verifier that reports that rule is the one
catching it. For tests only; /usr/bin/python3 with python3-cryptography.

Formats: entries as ledger/entry_format.h, records as proto/record.proto,
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


# ---------------------------------------------------------------- keys and records

def load_key(pem_file):
    with open(pem_file, "rb") as f:
        return load_pem_private_key(f.read(), password=None)


def raw_public_key(key):
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key):
    """record.proto key_id: hex of the first 8 bytes of SHA-256(raw public key)."""
    return sha256(raw_public_key(key))[:8].hex()


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


def forge(bundle, log_entries, index, new_record, signer_key, operator_key):
    """The JSON bundle (dict, as /p/ID/bundle.json) and the binary PieceBundle of
    `bundle` after entry `index` of the log `log_entries` (every entry of the log
    at the bundle's size, bytes) is replaced by `new_record` signed with
    `signer_key`; the chain, tree, proofs and checkpoint are made again, the
    checkpoint signed with `operator_key` (any witness cosignatures dropped)."""
    entries = list(log_entries)
    note = bundle["checkpoint"]
    text_lines = note[:note.index("\n\n") + 1].split("\n")
    origin = text_lines[0]
    for i in range(index, len(entries)):
        p = entry_parts(entries[i])
        record, signature = p["record"], p["signature"]
        if i == index:
            record = new_record
            signature = signer_key.sign(record_signing_message(origin, record))
        prev = leaf_hash(entries[i - 1]) if i > 0 else p["prev"]
        entries[i] = make_entry(i, p["recorded_at"], prev, record, signature)
    leaves = [leaf_hash(e) for e in entries]
    assert int(text_lines[1]) == len(entries), "give every entry of the bundle's checkpoint"
    text_lines[2] = base64.b64encode(tree_hash(leaves)).decode()
    checkpoint = sign_note("\n".join(text_lines), origin, operator_key)
    forged = dict(bundle, checkpoint=checkpoint, entries=[])
    binary_entries = []
    for e in bundle["entries"]:
        i = e["index"]
        proof = "c2sp.org/tlog-proof@v1\nindex %d\n%s\n%s" % (
            i, "".join(base64.b64encode(h).decode() + "\n" for h in inclusion_path(i, leaves)),
            checkpoint)
        forged["entries"].append(dict(e, entry=base64.b64encode(entries[i]).decode(),
                                      tlog_proof=proof))
        binary_entries.append(encode_fields(([(1, 0, i)] if i else []) +
                                            [(2, 2, entries[i]), (3, 2, proof.encode())]))
    binary = encode_fields([(1, 2, bundle["format"].encode()), (2, 2, bundle["piece_id"].encode()),
                            (3, 2, checkpoint.encode())] + [(4, 2, b) for b in binary_entries])
    return forged, binary
