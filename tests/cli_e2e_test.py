#!/usr/bin/env python3
"""End-to-end test of touchstoned and the touchstone CLI.

Starts the real server on 127.0.0.1 (port 0) in a temporary directory and drives
the CLI through subprocess. Everything the log says is checked again here with
code that is not the project's: C2SP note / checkpoint / tlog-proof parsing, the
RFC 9162 inclusion and consistency verifiers (sections 2.1.3.2 and 2.1.4.2) in
Python, and Ed25519 signatures with the `openssl` command line.

Usage: cli_e2e_test.py --touchstoned PATH --touchstone PATH [unittest args]
Python 3 standard library and `openssl` (3.x, for Ed25519 -rawin) only.
"""

import base64
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from e2e_support import (LEGACY_RECORD_SIGNING_CONTEXT, Server, clean_env, parse_binaries,
                         proto_fields, record_signing_message)

TOUCHSTONED = None
TOUCHSTONE = None
HERE = os.path.dirname(os.path.abspath(__file__))
MERKLE_VECTORS = os.path.join(HERE, "..", "..", "shared", "testdata", "merkle")

# ASN.1 SubjectPublicKeyInfo prefix of a raw Ed25519 public key.
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
EM_DASH = "\u2014".encode()
ZERO_HASH = bytes(32)


# ----------------------------------------------------------------------------
# RFC 9162 Merkle tree hashing and proof verification.

def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(entry):
    return sha256(b"\x00" + entry)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size or len(leaf) != 32 or len(root) != 32:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0 or len(p) != 32:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, n, root1, root2, proof):
    """RFC 9162 2.1.4.2 (m == n: valid only with an empty proof and equal roots)."""
    if m == 0 or m > n:
        return False
    if m == n:
        return not proof and root1 == root2
    if len(root1) != 32 or len(root2) != 32:
        return False
    if any(len(p) != 32 for p in proof):
        return False
    if m & (m - 1) == 0:  # m is a power of two: the old root is the first node
        proof = [root1] + list(proof)
    if not proof:
        return False
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0


# ----------------------------------------------------------------------------
# C2SP signed note, checkpoint, tlog-proof.

def b64(data):
    return base64.b64encode(data).decode()


def unb64(text):
    return base64.b64decode(text, validate=True)


def note_key_id(name, pub):
    return sha256(name.encode() + b"\n\x01" + pub)[:4]


def verifier_key_string(name, pub):
    return "%s+%s+%s" % (name, note_key_id(name, pub).hex(), b64(b"\x01" + pub))


def parse_verifier_key(vkey):
    name, key_id_hex, key_b64 = vkey.split("+", 2)
    key = unb64(key_b64)
    assert len(key) == 33 and key[0] == 1, "not an Ed25519 verifier key: %r" % vkey
    return name, bytes.fromhex(key_id_hex), key[1:]


def parse_note(note):
    """Returns (text, [(name, key_id, signature)]) of a C2SP signed note (bytes)."""
    split = note.rfind(b"\n\n")
    assert split >= 0, "note has no blank line before its signatures"
    text, sig_block = note[:split + 1], note[split + 2:]
    assert sig_block.endswith(b"\n"), "signature block does not end in a newline"
    sigs = []
    for line in sig_block[:-1].split(b"\n"):
        assert line.startswith(EM_DASH + b" "), "bad signature line %r" % line
        name, blob = line[len(EM_DASH) + 1:].decode().split(" ")
        blob = unb64(blob)
        sigs.append((name, blob[:4], blob[4:]))
    return text, sigs


def parse_checkpoint_text(text):
    """(origin, size, root) from checkpoint text; strict about the C2SP shape."""
    assert text.endswith(b"\n")
    lines = text.decode().split("\n")[:-1]
    assert len(lines) >= 3, "checkpoint has fewer than 3 lines"
    origin, size_s, root_s = lines[:3]
    assert origin and size_s.isdigit() and (size_s == "0" or not size_s.startswith("0"))
    root = unb64(root_s)
    assert len(root) == 32
    return origin, int(size_s), root


def parse_tlog_proof(data):
    """(index, [hashes], checkpoint note bytes) of a c2sp.org/tlog-proof@v1 file."""
    header, sep, note = data.partition(b"\n\n")
    assert sep, "tlog-proof has no blank line before the checkpoint"
    lines = header.decode().split("\n")
    assert lines[0] == "c2sp.org/tlog-proof@v1", lines[0]
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    assert rest[0].startswith("index "), rest[0]
    index = int(rest[0][len("index "):])
    hashes = [unb64(h) for h in rest[1:]]
    assert all(len(h) == 32 for h in hashes)
    return index, hashes, note


def parse_consistency_body(data):
    """(old_size, [hashes], checkpoint note) of `touchstone log consistency` output."""
    header, sep, note = data.partition(b"\n\n")
    assert sep
    lines = header.decode().split("\n")
    assert lines[0].startswith("old ")
    return int(lines[0][4:]), [unb64(h) for h in lines[1:]], note


def parse_entry(data):
    """Entry v1 (ledger/log/entry_format.h), big-endian."""
    assert data[:4] == b"TSE1", "bad magic %r" % data[:4]
    r = int.from_bytes(data[52:56], "big")
    s = int.from_bytes(data[56 + r:58 + r], "big")
    assert len(data) == 58 + r + s, "entry length does not match its fields"
    return {
        "index": int.from_bytes(data[4:12], "big"),
        "recorded_at": int.from_bytes(data[12:20], "big", signed=True),
        "prev_leaf_hash": data[20:52],
        "record": data[56:56 + r],
        "signature": data[58 + r:],
    }


# ----------------------------------------------------------------------------
# openssl command line.

def openssl(*args, stdin=None):
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=30)


def openssl_raw_public_key(pem_file):
    r = openssl("pkey", "-in", pem_file, "-pubout", "-outform", "DER")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.startswith(ED25519_SPKI_PREFIX) and len(r.stdout) == 44
    return r.stdout[-32:]


def openssl_verify(workdir, pub, message, signature):
    """True if openssl accepts the Ed25519 signature of message under raw pub."""
    paths = [os.path.join(workdir, n) for n in ("ov.pub.der", "ov.msg", "ov.sig")]
    for path, data in zip(paths, (ED25519_SPKI_PREFIX + pub, message, signature)):
        with open(path, "wb") as f:
            f.write(data)
    r = openssl("pkeyutl", "-verify", "-pubin", "-inkey", paths[0], "-keyform", "DER",
                "-rawin", "-in", paths[1], "-sigfile", paths[2])
    ok = r.returncode == 0 and b"Signature Verified Successfully" in r.stdout
    assert ok or r.returncode != 0, "openssl exit 0 without success: %r" % r.stdout
    return ok


def openssl_sign(workdir, pem_file, message):
    path = os.path.join(workdir, "os.msg")
    with open(path, "wb") as f:
        f.write(message)
    r = openssl("pkeyutl", "-sign", "-inkey", pem_file, "-rawin", "-in", path)
    assert r.returncode == 0 and len(r.stdout) == 64, r.stderr.decode()
    return r.stdout


# ----------------------------------------------------------------------------
# touchstoned and touchstone.

class Result:
    def __init__(self, args, proc):
        self.args, self.rc, self.out = args, proc.returncode, proc.stdout
        self.err = proc.stderr.decode(errors="replace")

    @property
    def text(self):
        return self.out.decode()

    def field(self, name):
        """Value of the `name value` line of key/value output."""
        for line in self.text.splitlines():
            if line.split(" ", 1)[0] == name:
                return line.split(" ", 1)[1] if " " in line else ""
        raise AssertionError("no %r line in output of %s:\n%s" % (name, self.args, self.text))

    def describe(self):
        return "touchstone %s -> exit %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.args), self.rc, self.out.decode(errors="replace"), self.err)


def touchstone(*args, server=None, cwd=None, check=True, timeout=60):
    cmd = [TOUCHSTONE] + (["--server", server] if server else []) + list(args)
    env = clean_env()
    r = Result(list(args), subprocess.run(cmd, capture_output=True, cwd=cwd, env=env,
                                          timeout=timeout))
    if check and r.rc != 0:
        raise AssertionError("command failed: " + r.describe())
    return r


class LedgerCase(unittest.TestCase):
    """Base: a temp dir, a server over <tmp>/data, helpers bound to it."""

    @classmethod
    def start_ledger(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_e2e_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data_dir = os.path.join(cls.tmp, "data")
        cls.server = Server(TOUCHSTONED, cls.tmp, cls.data_dir)
        cls.addClassCleanup(lambda: cls.server.kill())
        cls.server.start()
        cls.operator_key = os.path.join(cls.data_dir, "operator.pem")

    @classmethod
    def ts(cls, *args, check=True):
        return touchstone(*args, server=cls.server.addr, cwd=cls.tmp, check=check)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.tmp, name)

    @classmethod
    def write(cls, name, data):
        with open(cls.path(name), "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        return cls.path(name)

    @classmethod
    def keygen(cls, name, key_name=None):
        args = ["keygen", "-o", cls.path(name)] + (["--name", key_name] if key_name else [])
        return touchstone(*args, cwd=cls.tmp)

    @classmethod
    def register(cls, pid, key_file, role="refiner"):
        return cls.ts("participant", "register", "--as", "operator", "--key", cls.operator_key,
                      "--id", pid, "--name", "Participant " + pid, "--role", role,
                      "--pubkey", key_file)

    @classmethod
    def lot_json(cls, name, lot_id, quantity="1000000", event_time=None):
        record = {"lotCreated": {"lotId": lot_id, "material": "gold", "quantity": quantity,
                                 "unit": "UNIT_MILLIGRAM", "finenessPtt": 9990,
                                 "originClass": "ORIGIN_CLASS_MINED"}}
        if event_time is not None:
            record["eventTimeMicros"] = event_time
        return cls.write(name, json.dumps(record))

    @classmethod
    def submit(cls, as_id, key_file, json_file, record_id=None, receipt=None, check=True):
        args = ["submit", "--as", as_id, "--key", key_file, "--json", json_file]
        if record_id:
            args += ["--record_id", record_id]
        if receipt:
            args += ["--receipt", receipt]
        return cls.ts(*args, check=check)

    @classmethod
    def info(cls):
        r = cls.ts("log", "info")
        info = {"origin": r.field("origin"), "verifier_key": r.field("verifier_key"),
                "size": int(r.field("size"))}
        j = json.loads(cls.ts("log", "info", "--json").text)  # the same, as JSON
        assert {k: j[k] for k in info} == info or j["size"] > info["size"], (j, info)
        return info

    @classmethod
    def checkpoint(cls, size=None):
        return cls.ts("log", "checkpoint", *(["--size", str(size)] if size else [])).out

    @classmethod
    def entry(cls, index):
        return cls.ts("log", "entry", str(index), "--raw").out

    def verified_checkpoint(self, note, vkey):
        """Parses a checkpoint note and checks its signature with openssl."""
        name, key_id, pub = parse_verifier_key(vkey)
        text, sigs = parse_note(note)
        origin, size, root = parse_checkpoint_text(text)
        self.assertEqual(origin, name)
        mine = [s for s in sigs if s[0] == name and s[1] == key_id]
        self.assertEqual(len(mine), 1, "expected one signature by %s in %r" % (vkey, note))
        self.assertTrue(openssl_verify(self.tmp, pub, text, mine[0][2]),
                        "openssl rejects the checkpoint signature:\n%s" % note.decode())
        return size, root


# ----------------------------------------------------------------------------

class PythonVerifiersTest(unittest.TestCase):
    """The verifiers in this file, checked against public vectors first."""

    def test_python_merkle_verifiers_agree_with_every_rfc9162_vector(self):
        files = sorted(glob.glob(os.path.join(MERKLE_VECTORS, "*", "*", "*.json")))
        if not files and os.environ.get("TOUCHSTONE_ALLOW_MISSING_SHARED") == "1":
            self.skipTest("no vectors at " + MERKLE_VECTORS)
        self.assertGreater(len(files), 90, "no RFC 9162 vectors at " + MERKLE_VECTORS)
        seen = {"inclusion": 0, "consistency": 0}
        for path in files:
            with open(path) as f:
                v = json.load(f)
            proof = [base64.b64decode(p) for p in (v.get("proof") or [])]
            if "leafIdx" in v:
                seen["inclusion"] += 1
                got = verify_inclusion(v["leafIdx"], v["treeSize"], base64.b64decode(v["leafHash"]),
                                       proof, base64.b64decode(v["root"]))
            else:
                seen["consistency"] += 1
                got = verify_consistency(v["size1"], v["size2"], base64.b64decode(v["root1"]),
                                         base64.b64decode(v["root2"]), proof)
            self.assertEqual(got, not v["wantErr"], "%s (%s)" % (path, v["desc"]))
        self.assertGreater(seen["inclusion"], 50)
        self.assertGreater(seen["consistency"], 50)

    def test_python_note_check_and_openssl_accept_the_published_example_note(self):
        vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
        note = ("This is an example message.\n\n\u2014 example.com/foo "
                "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHj"
                "G1Yu72IneyaQM=\n").encode()
        name, key_id, pub = parse_verifier_key(vkey)
        self.assertEqual(note_key_id(name, pub), key_id)
        text, sigs = parse_note(note)
        self.assertEqual(text, b"This is an example message.\n")
        self.assertEqual([(s[0], s[1]) for s in sigs], [(name, key_id)])
        with tempfile.TemporaryDirectory() as d:
            self.assertTrue(openssl_verify(d, pub, text, sigs[0][2]))
            self.assertFalse(openssl_verify(d, pub, text.replace(b"This", b"this"), sigs[0][2]))


class KeygenTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="touchstone_keygen_")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.key = os.path.join(self.tmp, "k.pem")

    def test_keygen_writes_an_owner_only_pem_that_openssl_reads_with_the_printed_public_key(self):
        r = touchstone("keygen", "-o", self.key, "--name", "refiner-1")
        self.assertEqual(os.stat(self.key).st_mode & 0o777, 0o600)
        raw = openssl_raw_public_key(self.key)
        self.assertEqual(unb64(r.field("public_key")), raw)
        self.assertEqual(r.field("key_id"), sha256(raw)[:8].hex())  # record.proto key_id
        self.assertEqual(r.field("verifier_key"), verifier_key_string("refiner-1", raw))
        # The PEM is a working Ed25519 private key: openssl signs, we verify.
        sig = openssl_sign(self.tmp, self.key, b"hello")
        self.assertTrue(openssl_verify(self.tmp, raw, b"hello", sig))

    def test_keygen_refuses_to_overwrite_an_existing_key_file(self):
        touchstone("keygen", "-o", self.key)
        with open(self.key, "rb") as f:
            before = f.read()
        r = touchstone("keygen", "-o", self.key, check=False)
        self.assertNotEqual(r.rc, 0)
        self.assertIn("ALREADY_EXISTS", r.err)
        self.assertIn("refusing to overwrite", r.err)
        with open(self.key, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(os.stat(self.key).st_mode & 0o777, 0o600)


class LiveLedgerTest(LedgerCase):
    """One server for the whole class; each test reads the state afresh."""

    @classmethod
    def setUpClass(cls):
        cls.start_ledger()
        cls.operator_pub = openssl_raw_public_key(cls.operator_key)
        cls.refiner_key = cls.path("k.pem")
        cls.keygen("k.pem", "refiner-1")
        cls.refiner_pub = openssl_raw_public_key(cls.refiner_key)
        cls.stranger_key = cls.path("stranger.pem")
        cls.keygen("stranger.pem")
        cls.stranger_pub = openssl_raw_public_key(cls.stranger_key)
        cls.info_at_start = cls.info()
        cls.register_out = cls.register("refiner-1", cls.refiner_key)
        cls.lot_file = cls.lot_json("lot.json", "lot-1")
        cls.receipt = cls.path("r.tlog-proof")
        cls.submit_out = cls.submit("refiner-1", cls.refiner_key, cls.lot_file, "lot-1",
                                    cls.receipt)
        # Concurrent submissions: the server commits them in groups, so the log
        # gets more entries and (almost always) some sizes get no checkpoint.
        for attempt in range(4):
            cls.burst(16, "burst%d" % attempt)
            cls.unissued = [s for s in range(1, cls.info()["size"] + 1)
                            if cls.ts("log", "checkpoint", "--size", str(s), check=False).rc]
            if cls.unissued:
                break

    @classmethod
    def burst(cls, n, prefix):
        procs = []
        for i in range(n):
            f = cls.lot_json("%s-%d.json" % (prefix, i), "%s-%d" % (prefix, i),
                             quantity=str(1000 + i))
            # All at once, keeping one trusted head (the key pinned on first use).
            procs.append(subprocess.Popen(
                [TOUCHSTONE, "--server", cls.server.addr, "submit", "--as", "refiner-1",
                 "--key", cls.refiner_key, "--json", f, "--state_dir",
                 os.path.join(cls.tmp, "burst-trusted")], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, env=clean_env()))
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err.decode()

    def keys_by_id(self):
        """record.proto key_id -> (participant id, raw public key) of every key we registered."""
        return {sha256(k)[:8].hex(): (pid, k)
                for pid, k in (("operator", self.operator_pub), ("refiner-1", self.refiner_pub))}

    # -- log info, register, submit -------------------------------------------

    def test_log_info_prints_origin_verifier_key_and_size(self):
        info = self.info()
        name, key_id, pub = parse_verifier_key(info["verifier_key"])
        self.assertEqual(info["origin"], "touchstone.local/ledger")
        self.assertEqual(name, info["origin"])
        self.assertEqual(note_key_id(name, pub), key_id)
        # A new log holds exactly its genesis entry.
        self.assertEqual(self.info_at_start["size"], 1)
        self.assertEqual(self.info_at_start["verifier_key"], info["verifier_key"])
        self.assertGreaterEqual(info["size"], 3 + 16)
        # The latest checkpoint is at the size log info reports.
        size, _ = self.verified_checkpoint(self.checkpoint(), info["verifier_key"])
        self.assertEqual(size, info["size"])

    def test_register_then_submit_prints_a_verified_receipt_for_the_stored_entry(self):
        self.assertEqual(self.register_out.field("index"), "1")
        self.assertIn("receipt verified", self.register_out.text)
        out = self.submit_out
        self.assertEqual(out.field("record_id"), "lot-1")
        self.assertEqual(out.field("index"), "2")
        self.assertEqual(out.field("tree_size"), "3")
        self.assertIn("receipt verified: included under a checkpoint signed by " +
                      self.info()["verifier_key"], out.text)
        self.assertNotIn("duplicate", out.text)
        entry = self.entry(2)
        self.assertEqual(unb64(out.field("leaf_hash")), leaf_hash(entry))
        # The stored record is the JSON we sent, signed as refiner-1.
        fields = proto_fields(parse_entry(entry)["record"])
        self.assertEqual(fields[1], [b"lot-1"])
        self.assertEqual(fields[2], [b"refiner-1"])
        self.assertEqual(fields[3], [sha256(self.refiner_pub)[:8].hex().encode()])
        lot = proto_fields(fields[20][0])
        # lot_id, material, origin (mined), quantity, unit (mg), fineness_ptt (field 11).
        self.assertEqual((lot[1], lot[2], lot[4], lot[5], lot[6], lot[11]),
                         ([b"lot-1"], [b"gold"], [1], [1000000], [1], [9990]))
        # The receipt file is a tlog-proof for index 2 under a signed size-3 checkpoint.
        with open(self.receipt, "rb") as f:
            index, hashes, note = parse_tlog_proof(f.read())
        self.assertEqual(index, 2)
        size, root = self.verified_checkpoint(note, self.info()["verifier_key"])
        self.assertEqual(size, 3)
        self.assertTrue(verify_inclusion(2, 3, leaf_hash(entry), hashes, root))

    # -- refusals ----------------------------------------------------------------

    def assert_refused(self, args, code, message):
        before_info, before_cp = self.info(), self.checkpoint()
        r = self.ts(*args, check=False)
        self.assertNotEqual(r.rc, 0, r.describe())
        self.assertIn("touchstone: %s: %s" % (code, message), r.err, r.describe())
        self.assertEqual(self.info(), before_info, "a refused command changed the log")
        self.assertEqual(self.checkpoint(), before_cp, "a refused command changed the log")
        return r

    def test_submit_as_an_unknown_signer_is_refused_and_changes_nothing(self):
        self.assert_refused(["submit", "--as", "nobody", "--key", self.refiner_key,
                             "--json", self.lot_file], "NOT_FOUND",
                            "unknown signer: no participant 'nobody'")

    def test_submit_with_a_key_not_registered_for_the_participant_is_refused(self):
        self.assert_refused(["submit", "--as", "refiner-1", "--key", self.stranger_key,
                             "--json", self.lot_file], "NOT_FOUND",
                            "unknown key: participant 'refiner-1' has no key %s"
                            % sha256(self.stranger_pub)[:8].hex())

    def test_a_non_operator_registering_a_participant_is_permission_denied(self):
        self.assert_refused(["participant", "register", "--as", "refiner-1", "--key",
                             self.refiner_key, "--id", "grower-9", "--name", "Grower Nine",
                             "--role", "grower", "--pubkey", self.stranger_key],
                            "PERMISSION_DENIED",
                            "only the operator may register participants; 'refiner-1' is not")
        # grower-9 does not exist afterwards.
        self.assert_refused(["submit", "--as", "grower-9", "--key", self.stranger_key,
                             "--json", self.lot_file], "NOT_FOUND",
                            "unknown signer: no participant 'grower-9'")

    def test_registering_with_an_unknown_role_name_is_refused(self):
        self.assert_refused(["participant", "register", "--as", "operator", "--key",
                             self.operator_key, "--id", "wiz-1", "--name", "Wizard",
                             "--role", "wizard", "--pubkey", self.stranger_key],
                            "INVALID_ARGUMENT", "unknown role 'wizard'")

    def test_malformed_record_json_is_refused(self):
        bad = self.write("bad.json", '{"lotCreated":{"lotId":"x",')
        self.assert_refused(["submit", "--as", "refiner-1", "--key", self.refiner_key,
                             "--json", bad], "INVALID_ARGUMENT", "record JSON: ")
        unknown = self.write("unknown.json", '{"lotCreated":{"lotId":"x","carats":1}}')
        self.assert_refused(["submit", "--as", "refiner-1", "--key", self.refiner_key,
                             "--json", unknown], "INVALID_ARGUMENT", "record JSON: ")

    def test_an_identifier_without_a_value_is_refused(self):
        self.assert_refused(["participant", "register", "--as", "operator", "--key",
                             self.operator_key, "--id", "gln-less", "--name", "No Value",
                             "--role", "refiner", "--pubkey", self.stranger_key,
                             "--identifier", "GLN"],
                            "INVALID_ARGUMENT", "identifier 'GLN' is not SCHEME=VALUE")

    def test_receipt_output_never_overwrites_an_existing_file(self):
        with open(self.refiner_key, "rb") as f:
            key_before = f.read()
        self.assert_refused(["submit", "--as", "refiner-1", "--key", self.refiner_key,
                             "--json", self.lot_json("lot-ow.json", "lot-ow"),
                             "--receipt", self.refiner_key],
                            "ALREADY_EXISTS", self.refiner_key + " exists; refusing to overwrite")
        with open(self.refiner_key, "rb") as f:
            self.assertEqual(f.read(), key_before, "the key file was overwritten by a receipt")

    def test_log_entry_beyond_the_size_is_out_of_range(self):
        size = self.info()["size"]
        self.assert_refused(["log", "entry", str(size)], "OUT_OF_RANGE",
                            "index %d is beyond the log (size %d)" % (size, size))
        self.entry(size - 1)  # the last one exists

    def test_checkpoint_at_a_size_never_issued_is_refused(self):
        size = self.info()["size"]
        self.assert_refused(["log", "checkpoint", "--size", str(size + 5)], "OUT_OF_RANGE",
                            "size %d is beyond the log (size %d)" % (size + 5, size))
        # Sizes inside the log that a group commit skipped.
        # Group commit must have grouped some of the 64 concurrent submissions.
        self.assertTrue(self.unissued, "every size got its own checkpoint: no commit group formed")
        self.assertNotIn(size, self.unissued)
        for s in self.unissued[:3]:
            self.assert_refused(["log", "checkpoint", "--size", str(s)], "NOT_FOUND",
                                "no checkpoint was issued at size %d" % s)

    # -- independent verification ---------------------------------------------------

    def test_checkpoint_signature_verifies_with_openssl_and_fails_after_a_one_byte_change(self):
        vkey = self.info()["verifier_key"]
        name, key_id, pub = parse_verifier_key(vkey)
        note = self.checkpoint()
        text, sigs = parse_note(note)
        self.assertEqual(len(sigs), 1)
        sig_name, sig_key_id, sig = sigs[0]
        self.assertEqual(sig_name, name)
        self.assertEqual(sig_key_id, note_key_id(name, pub))
        self.assertEqual(len(sig), 64)
        origin, size, root = parse_checkpoint_text(text)
        self.assertEqual(text, ("%s\n%d\n%s\n" % (origin, size, b64(root))).encode())
        self.assertTrue(openssl_verify(self.tmp, pub, text, sig))
        for pos in (0, len(text) - 2):  # first byte of the origin, last byte of the root
            changed = bytearray(text)
            changed[pos] ^= 0x01
            self.assertFalse(openssl_verify(self.tmp, pub, bytes(changed), sig))
        # The signature covers the final newline, not the blank line.
        self.assertFalse(openssl_verify(self.tmp, pub, text[:-1], sig))
        self.assertFalse(openssl_verify(self.tmp, pub, text + b"\n", sig))

    def test_every_entry_hashes_chains_and_carries_a_record_signature_openssl_accepts(self):
        vkey = self.info()["verifier_key"]
        size, root = self.verified_checkpoint(self.checkpoint(), vkey)
        keys = self.keys_by_id()
        prev = ZERO_HASH
        leaves = []
        for i in range(size):
            entry = self.entry(i)
            self.assertEqual(self.ts("log", "entry", str(i)).text, b64(entry) + "\n")
            e = parse_entry(entry)
            if i in (0, size - 1):  # the decoded form says the same as the bytes
                j = json.loads(self.ts("log", "entry", str(i), "--json").text)
                self.assertEqual(base64.b64decode(j["entry_base64"]), entry)
                self.assertEqual(j["index"], i)
                self.assertEqual(base64.b64decode(j["prev_leaf_hash"]), prev)
                self.assertEqual(base64.b64decode(j["record_base64"]), e["record"])
                self.assertEqual(base64.b64decode(j["signature_base64"]), e["signature"])
                self.assertEqual(j["record"]["signer"], proto_fields(e["record"])[2][0].decode())
                if i == 0:
                    self.assertEqual(j["kind"], "genesis")
            self.assertEqual(e["index"], i)
            self.assertEqual(e["prev_leaf_hash"], prev, "entry %d does not chain" % i)
            self.assertGreater(e["recorded_at"], 1_600_000_000_000_000)
            fields = proto_fields(e["record"])
            signer, pub = keys[fields[3][0].decode()]
            self.assertEqual(fields[2], [signer.encode()], "entry %d signer" % i)
            self.assertEqual(len(e["signature"]), 64)
            # Origin-bound (ledger/provenance/record.h): valid for this log only, and only in that form.
            origin = vkey.split("+", 1)[0]
            self.assertTrue(openssl_verify(self.tmp, pub, record_signing_message(origin, e["record"]),
                                           e["signature"]), "entry %d signature" % i)
            self.assertFalse(openssl_verify(self.tmp, pub,
                                            record_signing_message("other.example/log", e["record"]),
                                            e["signature"]), "signature is not bound to the origin")
            self.assertFalse(openssl_verify(self.tmp, pub, LEGACY_RECORD_SIGNING_CONTEXT + e["record"],
                                            e["signature"]), "signature is in the legacy form")
            self.assertFalse(openssl_verify(self.tmp, pub, e["record"], e["signature"]),
                             "signature is not domain-separated")
            if i == 0:
                self.assertIn(10, fields)  # genesis
                self.assertEqual(fields[2], [b"operator"])
                self.assertEqual(proto_fields(fields[10][0])[1], [b"touchstone.local/ledger"])
            prev = leaf_hash(entry)
            leaves.append(prev)
        # The leaf hashes rebuild the signed root (RFC 9162 MTH, no padding).
        def mth(hs):
            if len(hs) == 1:
                return hs[0]
            k = 1 << ((len(hs) - 1).bit_length() - 1)
            return node_hash(mth(hs[:k]), mth(hs[k:]))
        self.assertEqual(mth(leaves), root)

    def test_inclusion_proof_of_every_entry_verifies_in_python_against_the_signed_root(self):
        vkey = self.info()["verifier_key"]
        latest = self.checkpoint()
        size, root = self.verified_checkpoint(latest, vkey)
        self.assertGreater(size, 8)
        for i in range(size):
            index, hashes, note = parse_tlog_proof(self.ts("log", "proof", str(i)).out)
            self.assertEqual(index, i)
            self.assertEqual(note, latest)
            inner = (i ^ (size - 1)).bit_length()
            self.assertEqual(len(hashes), inner + bin(i >> inner).count("1"))
            leaf = leaf_hash(self.entry(i))
            self.assertTrue(verify_inclusion(i, size, leaf, hashes, root), "index %d" % i)
            self.assertFalse(verify_inclusion(i, size, sha256(leaf), hashes, root))
            if hashes:
                bad = list(hashes)
                bad[-1] = bytes([bad[-1][0] ^ 1]) + bad[-1][1:]
                self.assertFalse(verify_inclusion(i, size, leaf, bad, root))
                self.assertFalse(verify_inclusion(i, size, leaf, hashes[:-1], root))
            if i + 1 < size:
                self.assertFalse(verify_inclusion(i + 1, size, leaf, hashes, root))

    def test_consistency_proof_from_every_issued_size_verifies_in_python(self):
        vkey = self.info()["verifier_key"]
        latest = self.checkpoint()
        n, root2 = self.verified_checkpoint(latest, vkey)
        checked = 0
        for m in range(1, n + 1):
            old = self.ts("log", "checkpoint", "--size", str(m), check=False)
            if old.rc != 0:
                self.assertIn("NOT_FOUND: no checkpoint was issued at size %d" % m, old.err)
                continue
            size1, root1 = self.verified_checkpoint(old.out, vkey)
            self.assertEqual(size1, m)
            old_size, proof, note = parse_consistency_body(
                self.ts("log", "consistency", str(m)).out)
            self.assertEqual(old_size, m)
            self.assertEqual(note, latest)
            self.assertTrue(verify_consistency(m, n, root1, root2, proof), "from %d" % m)
            self.assertFalse(verify_consistency(m, n, sha256(root1), root2, proof))
            if proof:
                self.assertFalse(verify_consistency(m, n, root1, root2, proof[:-1]))
            checked += 1
        self.assertGreaterEqual(checked, 3)  # at least sizes 1, 2 and 3 were issued

    # -- --json on the read commands ---------------------------------------------------

    def json_of(self, *args):
        """The one JSON object a --json command prints on stdout (and nothing on stderr)."""
        r = self.ts(*args, "--json")
        self.assertEqual(r.err, "", r.describe())
        return json.loads(r.text)

    def test_log_proof_json_hashes_verify_and_its_size_is_log_info_size(self):
        info = self.json_of("log", "info")
        vkey = info["verifier_key"]
        for i in (0, 2, info["size"] - 1):
            p = self.json_of("log", "proof", str(i))
            self.assertEqual(p["index"], i)
            self.assertEqual(p["size"], info["size"])
            size, root = self.verified_checkpoint(p["checkpoint"].encode(), vkey)
            self.assertEqual((size, b64(root)), (p["size"], p["root"]))
            hashes = [unb64(h) for h in p["hashes"]]
            entry = unb64(self.json_of("log", "entry", str(i))["entry_base64"])
            self.assertTrue(verify_inclusion(i, size, leaf_hash(entry), hashes, root), i)
            # The same proof as the text form, byte for byte.
            self.assertEqual(p["tlog_proof"], self.ts("log", "proof", str(i)).text)
            self.assertEqual(parse_tlog_proof(p["tlog_proof"].encode()),
                             (i, hashes, p["checkpoint"].encode()))

    def test_log_consistency_json_proves_the_old_checkpoint_is_a_prefix(self):
        latest = self.json_of("log", "checkpoint")
        old = self.json_of("log", "checkpoint", "--size", "2")
        c = self.json_of("log", "consistency", "2")
        self.assertEqual((c["old_size"], c["size"], c["root"]),
                         (2, latest["size"], latest["root"]))
        proof = [unb64(h) for h in c["hashes"]]
        self.assertTrue(verify_consistency(2, c["size"], unb64(old["root"]), unb64(c["root"]),
                                           proof))
        self.assertFalse(verify_consistency(2, c["size"], sha256(unb64(old["root"])),
                                            unb64(c["root"]), proof))
        # The add-checkpoint body of the text form carries the same proof and checkpoint.
        self.assertEqual(parse_consistency_body(self.ts("log", "consistency", "2").out),
                         (2, proof, c["checkpoint"].encode()))

    def test_log_update_json_reports_first_use_then_the_head_as_it_moves(self):
        state = self.path("trusted-json")
        vkey = self.info()["verifier_key"]
        first = self.json_of("log", "update", "--vkey", vkey, "--state_dir", state)
        info = self.json_of("log", "info")
        self.assertEqual((first["ok"], first["status"], first["previous_size"]),
                         (True, "first use", None))
        self.assertEqual((first["size"], first["verifier_key"]), (info["size"], vkey))
        self.assertEqual(first["root"], self.json_of("log", "checkpoint")["root"])
        same = self.json_of("log", "update", "--state_dir", state)
        self.assertEqual((same["status"], same["previous_size"]), ("unchanged", first["size"]))
        # Another key than the pinned one: ok false, the reason, exit status 1.
        other = self.ts("log", "update", "--vkey", verifier_key_string(
            "touchstone.local/ledger", self.stranger_pub), "--state_dir", state, "--json",
            check=False)
        self.assertEqual(other.rc, 1, other.describe())
        j = json.loads(other.text)
        self.assertEqual((j["ok"], j["inconsistent"], j["code"]),
                         (False, False, "FAILED_PRECONDITION"))
        self.assertIn("is pinned to " + vkey, j["reason"])

    def test_lookup_piece_bundle_and_key_commands_take_json(self):
        lot = self.json_of("lookup", "lot", "lot-1")
        self.assertEqual(lot, json.loads(self.ts("lookup", "lot", "lot-1").text))
        self.assertEqual((lot["lot_id"], lot["balance"]), ("lot-1", "1000000"))
        k = self.json_of("key", self.refiner_key, "--name", "refiner-1")
        self.assertEqual(unb64(k["public_key"]), self.refiner_pub)
        self.assertEqual(k["key_id"], sha256(self.refiner_pub)[:8].hex())
        self.assertEqual(k["verifier_key"], verifier_key_string("refiner-1", self.refiner_pub))
        w = self.json_of("witness-key", self.refiner_key, "--name", "w.example/w")
        self.assertEqual(w["verifier_key"],
                         self.ts("witness-key", self.refiner_key, "--name", "w.example/w")
                         .text.strip())
        self.assertEqual((w["name"], w["key_id"]), ("w.example/w", w["verifier_key"].split("+")[1]))
        # No piece on this log: the error and its exit code, nothing on stdout.
        r = self.ts("piece", "bundle", "no-such-piece", "-o", self.path("np.tsbundle"), "--json",
                    check=False)
        self.assertEqual((r.rc, r.text), (1, ""))
        self.assertIn("NOT_FOUND: no piece 'no-such-piece'", r.err)
        self.assertIn("hint: piece ids are exact and case-sensitive", r.err)

    # -- idempotent retry --------------------------------------------------------------

    def test_identical_retry_is_a_duplicate_and_other_bytes_under_the_same_id_are_refused(self):
        # One fixed event time (now), so both submissions carry identical bytes.
        now = str(int(time.time() * 1e6))
        fixed = self.lot_json("fixed.json", "lot-fixed", event_time=now)
        first = self.submit("refiner-1", self.refiner_key, fixed, "lot-fixed")
        self.assertNotIn("duplicate", first.text)
        size = self.info()["size"]
        self.assertEqual(int(first.field("index")), size - 1)
        again = self.submit("refiner-1", self.refiner_key, fixed, "lot-fixed")
        self.assertEqual(again.field("duplicate"), "true (idempotent retry)")
        self.assertEqual(again.field("index"), first.field("index"))
        self.assertEqual(again.field("leaf_hash"), first.field("leaf_hash"))
        self.assertIn("receipt verified", again.text)
        self.assertEqual(self.info()["size"], size)
        changed = self.lot_json("fixed2.json", "lot-fixed", quantity="2000000", event_time=now)
        self.assert_refused(["submit", "--as", "refiner-1", "--key", self.refiner_key,
                             "--json", changed, "--record_id", "lot-fixed"],
                            "ALREADY_EXISTS",
                            "record id 'lot-fixed' of 'refiner-1' is already used by entry %s "
                            "with other bytes" % first.field("index"))


class OfflineProofTest(LedgerCase):
    """`touchstone proof verify` with the server stopped."""

    @classmethod
    def setUpClass(cls):
        cls.start_ledger()
        cls.keygen("k.pem")
        cls.register("refiner-1", cls.path("k.pem"))
        lot = cls.lot_json("lot.json", "lot-1")
        cls.submit("refiner-1", cls.path("k.pem"), cls.lot_json("lot0.json", "lot-0"))
        cls.submit_out = cls.submit("refiner-1", cls.path("k.pem"), lot, "lot-1",
                                    cls.path("r.tlog-proof"))
        cls.index = int(cls.submit_out.field("index"))
        cls.entry_file = cls.write("entry.bin", cls.entry(cls.index))
        info = cls.info()
        cls.vkey, cls.origin = info["verifier_key"], info["origin"]
        cls.addr = cls.server.addr
        cls.stop_rc = cls.server.stop()
        with open(cls.path("r.tlog-proof"), "rb") as f:
            cls.proof = f.read()

    def verify(self, proof_file, entry_file, vkey):
        return touchstone("proof", "verify", proof_file, entry_file, "--vkey", vkey,
                          cwd=self.tmp, check=False)

    def assert_verify_fails(self, proof_file, entry_file, vkey, reason):
        r = self.verify(proof_file, entry_file, vkey)
        self.assertNotEqual(r.rc, 0, r.describe())
        self.assertNotIn("valid", r.text)
        self.assertIn(reason, r.err, r.describe())
        return r

    def test_server_exited_zero_on_sigterm_and_is_unreachable(self):
        self.assertEqual(self.stop_rc, 0)
        r = touchstone("--timeout", "5", "log", "info", server=self.addr, check=False)
        self.assertNotEqual(r.rc, 0)
        self.assertIn("UNAVAILABLE", r.err)

    def test_offline_verify_accepts_the_receipt_with_the_server_stopped(self):
        self.assertEqual(self.stop_rc, 0)
        r = self.verify(self.path("r.tlog-proof"), self.entry_file, self.vkey)
        self.assertEqual(r.rc, 0, r.describe())
        with open(self.entry_file, "rb") as f:
            lh = b64(leaf_hash(f.read()))
        self.assertIn("valid: entry %d (leaf hash %s) is in %s at size %d" %
                      (self.index, lh, self.origin, self.index + 1), r.text)
        self.assertEqual(lh, self.submit_out.field("leaf_hash"))

    def test_offline_verify_json_says_what_was_proven_or_why_not(self):
        r = touchstone("proof", "verify", self.path("r.tlog-proof"), self.entry_file, "--vkey",
                       self.vkey, "--json", cwd=self.tmp)
        j = json.loads(r.text)
        with open(self.entry_file, "rb") as f:
            entry = f.read()
        index, hashes, note = parse_tlog_proof(self.proof)
        _, size, root = parse_checkpoint_text(parse_note(note)[0])
        self.assertEqual(j, {"valid": True, "index": self.index, "leaf_hash": b64(leaf_hash(entry)),
                             "origin": self.origin, "size": size, "root": b64(root),
                             "key_name": self.origin})
        self.assertTrue(verify_inclusion(j["index"], j["size"], unb64(j["leaf_hash"]), hashes,
                                         unb64(j["root"])))
        flipped = bytearray(entry)
        flipped[-1] ^= 1
        bad = touchstone("proof", "verify", self.path("r.tlog-proof"),
                         self.write("flipped-json.bin", bytes(flipped)), "--vkey", self.vkey,
                         "--json", cwd=self.tmp, check=False)
        self.assertEqual(bad.rc, 1, bad.describe())
        j = json.loads(bad.text)
        self.assertIs(j["valid"], False)
        self.assertTrue(j["code"] and j["reason"], j)
        self.assertIn(j["reason"], bad.err)

    def test_errors_say_what_to_do_next(self):
        # No server at the address: the error, then how to reach one.
        r = touchstone("--timeout", "5", "log", "info", server=self.addr, check=False)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("touchstone: UNAVAILABLE: ", r.err)
        self.assertIn("touchstone: hint: is touchstoned running and listening there? ", r.err)
        self.assertIn("--server HOST:PORT", r.err)
        # No --vkey: where the key comes from.
        r = touchstone("proof", "verify", self.path("r.tlog-proof"), self.entry_file,
                       cwd=self.tmp, check=False)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("INVALID_ARGUMENT: no log verifier key: give --vkey KEY, the key the "
                      "log's operator publishes", r.err)
        # A key file that is not there: how to fix the path or make a key.
        r = touchstone("--timeout", "5", "submit", "--as", "refiner-1", "--key",
                       self.path("no-such-key.pem"), "--json", self.path("lot.json"),
                       server=self.addr, cwd=self.tmp, check=False)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("NOT_FOUND: no key file " + self.path("no-such-key.pem"), r.err)
        self.assertIn("create a key with `touchstone keygen -o FILE`", r.err)

    def test_offline_verify_accepts_the_entry_as_base64(self):
        with open(self.entry_file, "rb") as f:
            b64file = self.write("entry.b64", b64(f.read()) + "\n")
        r = touchstone("proof", "verify", self.path("r.tlog-proof"), b64file, "--base64",
                       "--vkey", self.vkey, check=False)
        self.assertEqual(r.rc, 0, r.describe())

    def test_offline_verify_rejects_an_entry_with_one_flipped_byte(self):
        with open(self.entry_file, "rb") as f:
            entry = bytearray(f.read())
        for pos in (0, 30, len(entry) // 2, len(entry) - 1):
            flipped = bytearray(entry)
            flipped[pos] ^= 0x01
            bad = self.write("entry.flip%d.bin" % pos, bytes(flipped))
            self.assert_verify_fails(self.path("r.tlog-proof"), bad, self.vkey,
                                     "FAILED_PRECONDITION: root mismatch")

    def test_offline_verify_rejects_a_proof_with_a_flipped_hash_line(self):
        index, hashes, note = parse_tlog_proof(self.proof)
        self.assertTrue(hashes, "the receipt has no hashes to flip")
        lines = self.proof.split(b"\n")
        for n, h in enumerate(hashes):
            i = lines.index(b64(h).encode())
            bad = list(lines)
            bad[i] = b64(bytes([h[0] ^ 0x80]) + h[1:]).encode()  # still valid base64
            f = self.write("flip%d.tlog-proof" % n, b"\n".join(bad))
            self.assert_verify_fails(f, self.entry_file, self.vkey,
                                     "FAILED_PRECONDITION: root mismatch")

    def forged_proof(self, other_pem, key_id):
        """The receipt with its checkpoint re-signed by other_pem under the log's origin."""
        index, hashes, note = parse_tlog_proof(self.proof)
        text, _ = parse_note(note)
        sig = openssl_sign(self.tmp, other_pem, text)
        forged_note = text + b"\n" + EM_DASH + b" " + self.origin.encode() + b" " + \
            b64(key_id + sig).encode() + b"\n"
        body = "c2sp.org/tlog-proof@v1\nindex %d\n" % index + \
            "".join(b64(h) + "\n" for h in hashes) + "\n"
        return body.encode() + forged_note

    def test_offline_verify_rejects_a_checkpoint_signed_by_another_key(self):
        other = self.path("other.pem")
        r = openssl("genpkey", "-algorithm", "ed25519", "-out", other)
        self.assertEqual(r.returncode, 0, r.stderr)
        other_pub = openssl_raw_public_key(other)
        other_vkey = verifier_key_string(self.origin, other_pub)
        forged = self.write("forged.tlog-proof",
                            self.forged_proof(other, note_key_id(self.origin, other_pub)))
        # Control: the forged file is well formed and verifies under the other key.
        ok = self.verify(forged, self.entry_file, other_vkey)
        self.assertEqual(ok.rc, 0, ok.describe())
        self.assertIn("checkpoint signed by " + self.origin, ok.text)
        # ...but not under the log's key.
        self.assert_verify_fails(forged, self.entry_file, self.vkey,
                                 "PERMISSION_DENIED: no signature by " + self.origin)
        # Same, with the log's key ID in the signature line (only the signature is wrong).
        _, log_key_id, _ = parse_verifier_key(self.vkey)
        forged_id = self.write("forged-id.tlog-proof", self.forged_proof(other, log_key_id))
        self.assert_verify_fails(forged_id, self.entry_file, self.vkey,
                                 "PERMISSION_DENIED: bad signature by " + self.origin)

    def test_offline_verify_rejects_a_wrong_verifier_key(self):
        wrong = self.path("wrong.pem")
        touchstone("keygen", "-o", wrong)
        wrong_vkey = verifier_key_string(self.origin, openssl_raw_public_key(wrong))
        self.assert_verify_fails(self.path("r.tlog-proof"), self.entry_file, wrong_vkey,
                                 "PERMISSION_DENIED: no signature by " + self.origin)
        # The right key under another name is wrong too.
        _, _, pub = parse_verifier_key(self.vkey)
        self.assert_verify_fails(self.path("r.tlog-proof"), self.entry_file,
                                 verifier_key_string("other.example/log", pub),
                                 "PERMISSION_DENIED: no signature by other.example/log")


class RestartTest(LedgerCase):

    def test_restart_on_the_same_data_dir_keeps_size_and_checkpoint_and_continues_indexes(self):
        self.start_ledger()
        key = self.path("k.pem")
        self.keygen("k.pem")
        self.register("refiner-1", key)
        self.submit("refiner-1", key, self.lot_json("a.json", "lot-a"), "lot-a")
        before = self.info()
        cp_before = self.checkpoint()
        self.assertEqual(before["size"], 3)
        self.assertEqual(self.server.stop(), 0)
        self.assertIn("stopped at size 3", self.server.log())

        self.server.start()
        self.assertEqual(self.info(), before)
        self.assertEqual(self.checkpoint(), cp_before)
        self.assertEqual(self.checkpoint(3), cp_before)
        r = self.submit("refiner-1", key, self.lot_json("b.json", "lot-b"), "lot-b")
        self.assertEqual(r.field("index"), "3")
        self.assertEqual(r.field("tree_size"), "4")
        # The new entry chains onto the one written before the restart.
        self.assertEqual(parse_entry(self.entry(3))["prev_leaf_hash"], leaf_hash(self.entry(2)))
        # The pre-restart checkpoint is consistent with the new one.
        size1, root1 = self.verified_checkpoint(cp_before, before["verifier_key"])
        size2, root2 = self.verified_checkpoint(self.checkpoint(), before["verifier_key"])
        _, proof, _ = parse_consistency_body(self.ts("log", "consistency", "3").out)
        self.assertTrue(verify_consistency(size1, size2, root1, root2, proof))
        self.assertEqual(self.server.stop(), 0)


def main():
    global TOUCHSTONED, TOUCHSTONE
    args, argv = parse_binaries()
    TOUCHSTONED, TOUCHSTONE = args.touchstoned, args.touchstone
    if shutil.which("openssl") is None:
        sys.exit("cli_e2e_test: the openssl command line is required")
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
