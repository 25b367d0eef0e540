#!/usr/bin/python3
"""Touchstone from Python: a supplier records a certificate and a lot; a customer verifies them.

What an integrator needs, and nothing of ours: Debian's python3-grpcio, python3-protobuf and
python3-cryptography, plus stubs generated from proto/ with protoc and grpc_python_plugin
(packages protobuf-compiler, protobuf-compiler-grpc). The script generates the stubs itself
into a temporary directory.

  1. The operator (its key is the server's data_dir/operator.pem) registers two participants:
     a certification body and a refinery, each with a new Ed25519 key.
  2. The operator registers the body's scheme; the body issues a recycled-content certificate
     to the refinery.
  3. The refinery records a lot of recycled gold grain citing that certificate. Each record is
     serialized once, signed as "touchstone.v1 record signature for log\\n" + the log's origin
     (the name in VKEY) + "\\n" + those exact bytes, so the signature is valid in this log only,
     and submitted; the receipt's inclusion proof is checked at once.
  4. A customer, who trusts only the log's verifier key (VKEY, published by the operator),
     looks the lot up, fetches the entry that created it and an inclusion proof, and checks:
     the checkpoint's Ed25519 signature, the RFC 9162 inclusion proof, the entry's record
     bytes, and the refinery's signature over them with the key the log registered for it.

Usage:
  touchstone_client.py --server 127.0.0.1:50051 --operator_key /var/lib/touchstone/operator.pem \\
                       --vkey 'touchstone.local/ledger+...' [--prefix py]
Prints each step; exits non-zero on any failure.
"""
import argparse
import base64
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTEXT = b"touchstone.v1 record signature for log\n"


def signing_message(origin, record_bytes):
    """What a record signature covers (ledger/provenance/record.h): the context, the log's origin
    (the name of its verifier key), a newline, and the record's exact bytes."""
    return CONTEXT + origin.encode() + b"\n" + record_bytes


def generate_stubs(out_dir):
    """Python modules for proto/*.proto (package `proto`), from protoc + grpc_python_plugin."""
    protos = ["proto/record.proto", "proto/state.proto", "proto/bundle.proto", "proto/search.proto",
              "proto/watch.proto", "proto/ledger_service.proto", "proto/provenance_service.proto"]
    subprocess.run(["protoc", "-I", REPO, "--python_out", out_dir, "--grpc_out", out_dir,
                    "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin"] + protos,
                   check=True)
    sys.path.insert(0, out_dir)


# ---------------------------------------------------------------- keys and signatures

def load_key(path):
    from cryptography.hazmat.primitives import serialization
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def raw_public(key):
    from cryptography.hazmat.primitives import serialization
    return key.public_key().public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)


def key_id(raw):
    """Record.key_id: lowercase hex of the first 8 bytes of SHA-256(raw public key)."""
    return hashlib.sha256(raw).digest()[:8].hex()


# ---------------------------------------------------------------- verification (customer side)

def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(index, size, leaf, proof):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        raise ValueError("index %d is not below tree size %d" % (index, size))
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ValueError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("inclusion proof too short")
    return r


def verify_checkpoint(note, vkey):
    """Checks a C2SP signed note's Ed25519 signature by `vkey` (name+hex id+base64(0x01||key))
    and returns (origin, size, root) of the checkpoint text."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    name, hex_id, blob = vkey.split("+", 2)
    blob = base64.b64decode(blob)
    assert blob[0] == 1 and len(blob) == 33, "not an Ed25519 note verifier key"
    text, _, sigs = note.partition("\n\n")
    text += "\n"
    for line in sigs.splitlines():
        if not line.startswith("\u2014 %s " % name):
            continue
        sig = base64.b64decode(line.split(" ")[2])
        if sig[:4].hex() != hex_id:
            continue
        Ed25519PublicKey.from_public_bytes(blob[1:]).verify(sig[4:], text.encode())
        origin, size, root = text.splitlines()[:3]
        if origin != name:
            raise ValueError("checkpoint of %r, key of %r" % (origin, name))
        return origin, int(size), base64.b64decode(root)
    raise ValueError("no signature by %s on the checkpoint" % vkey)


def decode_entry(entry):
    """ledger/log/entry_format.h: "TSE1" | index u64 | recorded_at i64 | prev leaf hash 32 |
    u32 record length | record | u16 signature length | signature (all big-endian)."""
    if entry[:4] != b"TSE1":
        raise ValueError("not a v1 entry")
    index, recorded_at = struct.unpack(">Qq", entry[4:20])
    (n,) = struct.unpack(">I", entry[52:56])
    record = entry[56:56 + n]
    (m,) = struct.unpack(">H", entry[56 + n:58 + n])
    signature = entry[58 + n:58 + n + m]
    if 58 + n + m != len(entry):
        raise ValueError("trailing bytes in entry")
    return index, recorded_at, record, signature


# ---------------------------------------------------------------- the story

class Client:
    def __init__(self, server):
        import grpc
        from proto import ledger_service_pb2_grpc, provenance_service_pb2_grpc
        self.channel = grpc.insecure_channel(server)
        self.ledger = ledger_service_pb2_grpc.LedgerStub(self.channel)
        self.provenance = provenance_service_pb2_grpc.ProvenanceStub(self.channel)

    def submit(self, record, key, vkey):
        """Serializes once, signs those bytes, submits, and checks the receipt's proof."""
        from proto import ledger_service_pb2
        raw = record.SerializeToString()
        signature = key.sign(signing_message(vkey.split("+", 1)[0], raw))
        receipt = self.ledger.Submit(
            ledger_service_pb2.SubmitRequest(record=raw, signature=signature), timeout=30)
        _, size, root = verify_checkpoint(receipt.checkpoint, vkey)
        got = root_from_inclusion_proof(receipt.index, size, receipt.leaf_hash,
                                        list(receipt.inclusion_proof))
        if got != root:
            raise ValueError("receipt for entry %d: inclusion proof does not match" % receipt.index)
        return receipt


def record(pb, signer, key, record_id, **body):
    r = pb.Record(record_id=record_id, signer=signer, key_id=key_id(raw_public(key)),
                  event_time_micros=int(time.time() * 1e6) - 1000)
    for field, value in body.items():
        getattr(r, field).CopyFrom(value)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--operator_key", required=True)
    ap.add_argument("--vkey", required=True, help="the log's verifier key, published by the operator")
    ap.add_argument("--operator_id", default="operator", help="the operator's participant id")
    ap.add_argument("--prefix", default="py", help="prefix of the ids this run creates")
    args = ap.parse_args()

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    stubs = tempfile.TemporaryDirectory(prefix="touchstone_stubs_")
    generate_stubs(stubs.name)
    from proto import ledger_service_pb2, provenance_service_pb2, record_pb2 as pb

    client = Client(args.server)
    info = client.ledger.GetLogInfo(ledger_service_pb2.GetLogInfoRequest(), timeout=10)
    print("log %s at size %d" % (info.origin, info.size))
    operator = load_key(args.operator_key)
    op_id = args.operator_id
    P = args.prefix
    certifier, refiner = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    # 1. The operator registers the certification body and the refinery.
    for pid, name, role, key in [(P + "-certifier", "Responsible Metals Scheme", pb.ROLE_CERTIFIER,
                                  certifier),
                                 (P + "-refiner", "Alpenrand Refining SA", pb.ROLE_REFINER,
                                  refiner)]:
        reg = pb.ParticipantRegistered(participant_id=pid, legal_name=name, roles=[role],
                                       keys=[pb.PublicKey(ed25519=raw_public(key))])
        r = client.submit(record(pb, op_id, operator, "register-" + pid, participant_registered=reg),
                          operator, args.vkey)
        print("registered %s at entry %d" % (pid, r.index))

    # 2. The operator pins the certification body as the one issuer of its scheme (the
    #    trade rules accept a certificate only from its scheme's registered issuer), and the
    #    body certifies the refinery's recycled content.
    scheme = P + "-recycled"
    reg = pb.SchemeRegistered(scheme=scheme, issuer=P + "-certifier",
                              kind=pb.SCHEME_KIND_RECYCLED_CONTENT,
                              display_name="Responsible Metals Scheme, recycled content")
    r = client.submit(record(pb, op_id, operator, "scheme-" + scheme, scheme_registered=reg),
                      operator, args.vkey)
    print("scheme %s registered at entry %d" % (scheme, r.index))
    now = int(time.time() * 1e6)
    cert = pb.CertificateIssued(certificate_id=P + "-cert-refiner", scheme=scheme,
                                subject_participant=P + "-refiner",
                                scope="recycled gold refining", valid_from_micros=now - 86_400_000_000,
                                external_number="RMS-2026-0042",
                                document_sha256=hashlib.sha256(b"certificate pdf").digest(),
                                document_hash_algorithm="sha-256",
                                document_media_type="application/pdf")
    r = client.submit(record(pb, P + "-certifier", certifier, "cert-1", certificate_issued=cert),
                      certifier, args.vkey)
    print("certificate %s issued at entry %d" % (cert.certificate_id, r.index))

    # 3. The refinery records a lot of recycled gold grain, citing the certificate.
    lot = pb.LotCreated(lot_id=P + "-grain-1", material="gold", form="grain",
                        origin_class=pb.ORIGIN_CLASS_RECYCLED_POST_CONSUMER, quantity=250000,
                        unit=pb.UNIT_MILLIGRAM, fineness_ptt=9999, facility="Mendrisio",
                        certificate_ids=[cert.certificate_id])
    r = client.submit(record(pb, P + "-refiner", refiner, "lot-1", lot_created=lot), refiner,
                      args.vkey)
    print("lot %s created at entry %d; receipt proof verified" % (lot.lot_id, r.index))

    # 4. A customer verifies the lot with nothing but the log's verifier key.
    state = client.provenance.GetLot(provenance_service_pb2.LookupRequest(id=lot.lot_id),
                                     timeout=10)
    entry = client.ledger.GetEntry(ledger_service_pb2.GetEntryRequest(index=state.created_index),
                                   timeout=10)
    proof = client.ledger.GetInclusionProof(
        ledger_service_pb2.GetInclusionProofRequest(index=state.created_index), timeout=10)
    origin, size, root = verify_checkpoint(proof.checkpoint, args.vkey)
    print("customer: checkpoint of %s at size %d: signature verified" % (origin, size))
    if root_from_inclusion_proof(state.created_index, size, leaf_hash(entry.data),
                                 list(proof.hashes)) != root:
        raise SystemExit("customer: inclusion proof does NOT verify")
    print("customer: entry %d is in the log (RFC 9162 inclusion proof verified)" % entry.index)
    index, _, record_bytes, signature = decode_entry(entry.data)
    assert index == state.created_index
    created = pb.Record.FromString(record_bytes)
    # The signer's key as the log registered it (its registration entry, proven the same way).
    signer = client.provenance.GetParticipant(
        provenance_service_pb2.LookupRequest(id=created.signer), timeout=10)
    reg_entry = client.ledger.GetEntry(
        ledger_service_pb2.GetEntryRequest(index=signer.registered_index), timeout=10)
    reg_proof = client.ledger.GetInclusionProof(
        ledger_service_pb2.GetInclusionProofRequest(index=signer.registered_index, tree_size=size),
        timeout=10)
    if root_from_inclusion_proof(signer.registered_index, size, leaf_hash(reg_entry.data),
                                 list(reg_proof.hashes)) != root:
        raise SystemExit("customer: the signer's registration is NOT in the log")
    registration = pb.Record.FromString(decode_entry(reg_entry.data)[2]).participant_registered
    keys = {key_id(k.ed25519): k.ed25519 for k in registration.keys}
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    Ed25519PublicKey.from_public_bytes(keys[created.key_id]).verify(signature,
                                                                    signing_message(origin, record_bytes))
    print("customer: the record is signed by %s (%s), key %s registered at entry %d"
          % (registration.legal_name, created.signer, created.key_id, signer.registered_index))
    lc = created.lot_created
    print("VERIFIED: lot %s: %.3f g of %s %s @%.1f, %s, certificate %s"
          % (lc.lot_id, lc.quantity / 1000, lc.material, lc.form, lc.fineness_ptt / 10,
             pb.OriginClass.Name(lc.origin_class), ", ".join(lc.certificate_ids)))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # gRPC errors carry a status code and a message; say both
        code = getattr(e, "code", None)
        detail = "%s: %s" % (code().name, e.details()) if callable(code) else repr(e)
        sys.exit("touchstone_client: %s" % detail)
