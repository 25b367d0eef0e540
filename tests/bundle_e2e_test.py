#!/usr/bin/env python3
"""End-to-end: a customer's offline check of a piece's provenance bundle.

`touchstone demo --prefix b1` seeds a real touchstoned; `touchstone piece bundle`
saves each demo piece's bundle; then the server is STOPPED and `touchstone piece
verify` checks every bundle with nothing but the log's verifier key: the verdict
line, the --json report (verdict, claims, timeline), and refusals for a byte
flipped inside an entry and for another key under the log's name. From a
tlog-tiles export of the stopped server's data alone, a bundle is built again
and a bundle that leaves out a later certificate revocation is caught.

Usage: bundle_e2e_test.py --touchstoned PATH --touchstone PATH [unittest args]
Python 3 standard library only.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from e2e_support import Server, clean_env, encode_varint, parse_binaries, proto_fields

TOUCHSTONED = None
TOUCHSTONE = None
P = "b1"
CLAIMS = {  # what the demo's records support, piece by piece
    P + "-RING-1": ["CLAIM_RECYCLED_METAL", "CLAIM_LAB_GROWN_DIAMONDS", "CLAIM_CERTIFIED_CHAIN"],
    P + "-PENDANT-1": ["CLAIM_RECYCLED_METAL", "CLAIM_LAB_GROWN_DIAMONDS",
                       "CLAIM_CERTIFIED_CHAIN"],
    P + "-BAND-1": ["CLAIM_RECYCLED_METAL", "CLAIM_CERTIFIED_CHAIN"],
}


def run(*args, cwd=None):
    proc = subprocess.run([TOUCHSTONE] + list(args), capture_output=True, cwd=cwd,
                          env=clean_env(), timeout=60)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(
        errors="replace")


def without_entry(bundle, index):
    """The PieceBundle bytes re-encoded without the BundleEntry of that log index."""
    fields = proto_fields(bundle)
    out = bytearray()
    for number in sorted(fields):
        for value in fields[number]:
            if number == 4 and proto_fields(value).get(1, [0])[0] == index:
                continue
            if isinstance(value, int):
                out += encode_varint(number << 3) + encode_varint(value)
            else:
                out += encode_varint(number << 3 | 2) + encode_varint(len(value)) + value
    return bytes(out)


def entry_offsets(data):
    """Offsets of the entries (ledger/log/entry_format.h) inside a bundle file: "TSE1",
    an index, and a 64-byte signature right after the record."""
    found, at = [], data.find(b"TSE1")
    while at >= 0:
        r = int.from_bytes(data[at + 52:at + 56], "big")
        if r < 65536 and data[at + 56 + r:at + 58 + r] == b"\x00\x40":
            found.append((at, 58 + r + 64))
        at = data.find(b"TSE1", at + 1)
    return found


class BundleE2ETest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_bundle_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        data_dir = os.path.join(cls.tmp, "data")
        cls.keys_dir = os.path.join(cls.tmp, "keys")
        cls.server = Server(TOUCHSTONED, cls.tmp, data_dir)
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        srv = ["--server", cls.server.addr]
        rc, out, err = run(*srv, "demo", "--operator_key", os.path.join(data_dir, "operator.pem"),
                           "--keys_dir", cls.keys_dir, "--prefix", P)
        assert rc == 0, out + err
        # The maker's key is revoked after it signed: its earlier records stay valid.
        rc, out, err = run("key", os.path.join(cls.keys_dir, P + "-maker.pem"))
        key_id = dict(line.split(" ", 1) for line in out.splitlines())["key_id"]
        rc, out, err = run(*srv, "participant", "revoke-key", "--as", "operator", "--key",
                           os.path.join(data_dir, "operator.pem"), "--id", P + "-maker",
                           "--key_id", key_id, "--reason", "workshop laptop stolen")
        assert rc == 0, out + err
        rc, out, err = run(*srv, "log", "info")
        assert rc == 0, err
        info = dict(line.split(" ", 1) for line in out.splitlines())
        cls.vkey, cls.origin, cls.size = info["verifier_key"], info["origin"], int(info["size"])
        cls.files, cls.saved = {}, {}
        for piece in CLAIMS:
            path = os.path.join(cls.tmp, piece + ".tsbundle")
            cls.saved[piece] = run(*srv, "piece", "bundle", piece, "-o", path)
            cls.files[piece] = path
        # Saving again never overwrites; `piece show` fetches and verifies in one go.
        cls.again = run(*srv, "piece", "bundle", P + "-RING-1", "-o", cls.files[P + "-RING-1"])
        cls.trusted = os.path.join(cls.tmp, "trusted")
        cls.show = run(*srv, "piece", "show", P + "-RING-1", "--state_dir", cls.trusted)
        cls.show_vkey = run(*srv, "piece", "show", P + "-BAND-1", "--vkey", cls.vkey,
                            "--state_dir", cls.trusted)
        cls.show_pinned = run(*srv, "piece", "show", P + "-RING-1", "--state_dir", cls.trusted)
        cls.show_missing = run(*srv, "piece", "show", P + "-NOPE")
        assert cls.server.stop() == 0
        cls.server.proc = None  # stopped: everything below is offline
        cls.tiles = os.path.join(cls.tmp, "tiles")
        rc, out, err = run("export", cls.tiles, "--data_dir", data_dir)
        assert rc == 0, out + err

    def verify(self, path, *extra):
        return run("piece", "verify", path, "--vkey", self.vkey, *extra)

    def test_1_each_piece_of_the_demo_is_saved_and_verifies_offline(self):
        self.assertIsNone(self.server.proc)
        for piece, path in self.files.items():
            rc, out, err = self.saved[piece]
            self.assertEqual(rc, 0, out + err)
            self.assertIn("wrote %s: piece %s" % (path, piece), out)
            rc, out, err = self.verify(path)
            self.assertEqual(rc, 0, out + err)
            last = out.strip().splitlines()[-1]
            self.assertTrue(last.startswith("VERIFIED: piece %s: " % piece), out)
            self.assertIn("included in %s at size %d" % (self.origin, self.size), last)
            self.assertIn("Timeline (", out)
            self.assertIn("registers piece " + piece, out)

    def test_2_the_json_report_holds_the_verdict_claims_and_timeline(self):
        for piece, path in self.files.items():
            rc, out, err = self.verify(path, "--json")
            self.assertEqual(rc, 0, out + err)
            report = json.loads(out)
            self.assertIs(report["verdict"], True)
            self.assertEqual(report["reason"], "")
            self.assertEqual(report["piece_id"], piece)
            self.assertEqual(report["claims"], CLAIMS[piece])
            self.assertEqual(report["checkpoint"]["origin"], self.origin)
            self.assertEqual(report["checkpoint"]["size"], self.size)
            kinds = [t["kind"] for t in report["timeline"]]
            self.assertEqual(kinds[0], "genesis")
            self.assertEqual(kinds.count("piece_registered"), 1)
            indices = [t["index"] for t in report["timeline"]]
            self.assertEqual(indices, sorted(set(indices)))
            registered = next(t for t in report["timeline"] if t["kind"] == "piece_registered")
            self.assertEqual(registered["signer"], P + "-jeweler")
            self.assertEqual(registered["signer_name"], "Marlowe & Daughters Jewellers Ltd")
        ring = json.loads(self.verify(self.files[P + "-RING-1"], "--json")[1])
        revoked = [t for t in ring["timeline"] if t["kind"] == "key_revoked"]
        self.assertEqual(len(revoked), 1)
        self.assertIn("of Berici Oro Manifattura Srl (%s-maker): workshop laptop stolen" % P,
                      revoked[0]["description"])
        pendant = json.loads(self.verify(self.files[P + "-PENDANT-1"], "--json")[1])
        self.assertEqual(pendant["stones"], [P + "-stone-3"])
        # Under the trade rules a piece registers material claims, not the legacy ones.
        self.assertEqual(pendant["asserted_claims"], [])
        texts = [c["text"] for c in pendant["material_claims"]]
        self.assertTrue(any(t.startswith("recycled gold, ") for t in texts), texts)
        self.assertTrue(any(t.startswith("lab-grown diamond, ") for t in texts), texts)
        self.assertEqual({c["material"] for c in pendant["composition"]} >= {"gold", "diamond"},
                         True, pendant["composition"])
        registered = next(t for t in pendant["timeline"] if t["kind"] == "piece_registered")
        self.assertRegex(registered["certificates"][0],
                         r"^%s-report-2 \([a-z0-9.-]+\): valid then; revoked now \(entry \d+\)$"
                         % P)
        self.assertIn("revoked now", " ".join(pendant["warnings"]))
        band = json.loads(self.verify(self.files[P + "-BAND-1"], "--json")[1])
        wrong = [t for t in band["timeline"] if t["declared_wrong"]]
        self.assertEqual(len(wrong), 1)
        self.assertIn("repair booked on the wrong piece", wrong[0]["declared_wrong"][0])

    def test_3_a_byte_flipped_inside_any_entry_is_refused(self):
        with open(self.files[P + "-RING-1"], "rb") as f:
            data = f.read()
        entries = entry_offsets(data)
        self.assertEqual(len(entries), 44)
        middle = entries[len(entries) // 2]
        positions = [entries[0][0] + 11,             # the index field
                     entries[1][0] + 60,             # inside the record
                     middle[0] + middle[1] // 2,     # the middle of an entry
                     entries[-1][0] + entries[-1][1] - 1]  # the signature's last byte
        for pos in positions:
            altered = bytearray(data)
            altered[pos] ^= 0x01
            path = os.path.join(self.tmp, "flipped-%d.tsbundle" % pos)
            with open(path, "wb") as f:
                f.write(altered)
            rc, out, err = self.verify(path)
            self.assertNotEqual(rc, 0, out)
            self.assertRegex(out, r"^NOT VERIFIED: DATA_LOSS: entry \d+ is not in the log", out)
            rc, out, err = self.verify(path, "--json")
            self.assertNotEqual(rc, 0, out)
            report = json.loads(out)
            self.assertIs(report["verdict"], False)
            self.assertIn("is not in the log", report["reason"])

    def test_4_another_key_under_the_logs_name_is_refused(self):
        rc, out, err = run("key", os.path.join(self.keys_dir, P + "-igi.pem"), "--name",
                           self.origin)
        self.assertEqual(rc, 0, err)
        other = dict(line.split(" ", 1) for line in out.splitlines())["verifier_key"]
        self.assertNotEqual(other, self.vkey)
        rc, out, err = run("piece", "verify", self.files[P + "-BAND-1"], "--vkey", other)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("NOT VERIFIED: PERMISSION_DENIED: checkpoint: no signature by", out)
        # A witness quorum the checkpoint does not meet (this log has no witnesses yet).
        rc, out, err = run("key", os.path.join(self.keys_dir, P + "-rjc.pem"))
        raw = base64.b64decode(dict(l.split(" ", 1) for l in out.splitlines())["public_key"])
        name = "witness.example/w1"
        key_id = hashlib.sha256(name.encode() + b"\n\x04" + raw).digest()[:4].hex()
        witness = "%s+%s+%s" % (name, key_id, base64.b64encode(b"\x04" + raw).decode())
        rc, out, err = self.verify(self.files[P + "-BAND-1"], "--witness", witness, "--quorum", "1")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("NOT VERIFIED: PERMISSION_DENIED: checkpoint: cosigned by 0 of the 1 "
                      "witnesses given; 1 required", out)
        rc, out, err = self.verify(self.files[P + "-BAND-1"], "--witness", self.vkey)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("is not a cosignature/v1 key", out)
        rc, out, err = run("piece", "verify", os.path.join(self.tmp, "missing"), "--vkey",
                           self.vkey)
        self.assertNotEqual(rc, 0)
        self.assertIn("NOT VERIFIED: NOT_FOUND", out)

    def test_5_bundle_never_overwrites_and_show_says_which_key_it_trusted(self):
        rc, out, err = self.again
        self.assertNotEqual(rc, 0)
        self.assertIn("exists; refusing to overwrite it", err)
        rc, out, err = self.show
        self.assertEqual(rc, 0, out + err)
        self.assertIn("VERIFIED: piece %s-RING-1" % P, out)
        self.assertIn("the key the server itself reports", out)
        self.assertNotIn("trusted head:", out)  # nothing pinned: no trusted head kept
        rc, out, err = self.show_vkey
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("the key the server itself reports", out)
        self.assertIn("trusted head: first use: now trusting %s at size %d" % (self.origin,
                                                                              self.size), out)
        # The key given once is pinned with the trusted head and used from then on.
        rc, out, err = self.show_pinned
        self.assertEqual(rc, 0, out + err)
        self.assertIn("trusted head: unchanged: %s at size %d" % (self.origin, self.size), out)
        self.assertIn("VERIFIED: piece %s-RING-1" % P, out)
        self.assertNotIn("the key the server itself reports", out)
        rc, out, err = self.show_missing
        self.assertNotEqual(rc, 0)
        self.assertIn("NOT_FOUND", err)


    def test_6_an_export_alone_builds_a_bundle_and_catches_one_that_leaves_a_record_out(self):
        # Built from the export, with no server: the same records as the server's bundle.
        rebuilt = os.path.join(self.tmp, "ring-from-tiles.tsbundle")
        rc, out, err = run("piece", "bundle", P + "-RING-1", "-o", rebuilt, "--tiles",
                           self.tiles, "--vkey", self.vkey)
        self.assertEqual(rc, 0, out + err)
        ours = json.loads(self.verify(rebuilt, "--json")[1])
        theirs = json.loads(self.verify(self.files[P + "-RING-1"], "--json")[1])
        self.assertIs(ours["verdict"], True)
        self.assertEqual(ours["timeline"], theirs["timeline"])
        self.assertEqual(ours["checkpoint"], theirs["checkpoint"])
        rc, out, err = run("piece", "bundle", P + "-RING-1", "-o", rebuilt + "2", "--tiles",
                           self.tiles)
        self.assertNotEqual(rc, 0)
        self.assertIn("--tiles needs --vkey", err)

        # Every saved bundle is complete against the export.
        for path in self.files.values():
            rc, out, err = self.verify(path, "--tiles", self.tiles)
            self.assertEqual(rc, 0, out + err)
            self.assertIn("VERIFIED", out)

        # The pendant's grading report was revoked after the pendant used it. A
        # bundle without that revocation still verifies on its own (nothing in it
        # refers to the revocation) and tells a rosier story; the export catches it.
        path = self.files[P + "-PENDANT-1"]
        report = json.loads(self.verify(path, "--json")[1])
        revocation = [t["index"] for t in report["timeline"]
                      if t["kind"] == "certificate_status_changed"
                      and "report-2" in t["description"]]
        self.assertEqual(len(revocation), 1, report["timeline"])
        with open(path, "rb") as f:
            cut = without_entry(f.read(), revocation[0])
        cut_path = os.path.join(self.tmp, "pendant-cut.tsbundle")
        with open(cut_path, "wb") as f:
            f.write(cut)
        rc, out, err = self.verify(cut_path)
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("revoked now", out)
        rc, out, err = self.verify(cut_path, "--tiles", self.tiles)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("NOT VERIFIED: FAILED_PRECONDITION: INCOMPLETE: the log at size %d has "
                      "entry %d (certificate_status_changed) in piece %s-PENDANT-1's provenance "
                      "graph, and the bundle leaves it out" % (self.size, revocation[0], P), out)

        # The export itself audits clean: files, tree, every signature and rule.
        rc, out, err = run("audit", "--tiles", self.tiles, "--vkey", self.vkey)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("entries signature-checked and re-applied through the rules", out)
        rc, out, err = run("audit", "--tiles", self.tiles, "--vkey", self.vkey, "--json")
        self.assertEqual(rc, 0, out + err)
        report = json.loads(out)
        self.assertIs(report["passed"], True)
        self.assertEqual((report["entries"], report["size"]), (self.size, self.size))
        other = self.vkey.replace(self.vkey.split("+")[1], "%08x" % (int(self.vkey.split("+")[1], 16) ^ 1))
        rc, out, err = run("audit", "--tiles", self.tiles, "--vkey", other, "--json")
        self.assertNotEqual(rc, 0)
        report = json.loads(out)
        self.assertIs(report["passed"], False)
        self.assertEqual(report["code"], "INVALID_ARGUMENT")
        self.assertIn("verifier key ID does not match", report["reason"])


def main():
    global TOUCHSTONED, TOUCHSTONE
    args, argv = parse_binaries()
    TOUCHSTONED, TOUCHSTONE = args.touchstoned, args.touchstone
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
