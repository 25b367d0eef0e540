#!/usr/bin/python3
"""Auditors who cosign, end to end (issue 16): a real touchstoned seeded by
`touchstone demo` and configured with one auditor (--auditor NAME=VKEY, its key
made with `touchstone keygen` and `witness-key`). `touchstone audit --data_dir
--cosign-key --cosign-name` re-checks the whole log and hands its cosignature
to the server (Ledger.AddAuditCosignature); the server then serves bundles
carrying the audited checkpoint, kept across a restart, which `piece verify
--auditor-key` checks and names ("mass balance and custody re-checked by
auditor ... through entry N"); the page pins the auditor's key. A cosignature
by an unconfigured auditor key is refused; an audit that fails cosigns
nothing; another pinned auditor key refuses the bundle for rule `auditors`.
A remote audit (`audit --from_server --as AUDITOR --key KEY`, openings read
through the Openings service) cosigns the checkpoint it reached.

The demo runs with --sealed: the gold's suppliers seal their records, so every
audit here re-checks sealed records on their openings; RING-1's bundle opens
its own registration and nothing upstream, and an audit without openings says
which entry it cannot re-check.

Usage: auditor_e2e_test.py --touchstoned PATH --touchstone PATH [unittest args]"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

from e2e_support import (Server, clean_env, ldb, parse_binaries, read_port_file, run_browser_test,
                         run_demo)

ARGS = None
P = "au"
AUDITOR = "a1.example/auditor"
STRANGER = "a2.example/auditor"


def flip_state_byte(db, key):
    """Changes one byte of the state value at `key`, straight in RocksDB (as audit_e2e does)."""
    value = bytearray.fromhex(ldb(db, "state", "get", key, "--value_hex")[2:])
    value[-1] ^= 0x01
    ldb(db, "state", "put", key, "0x" + value.hex().upper(), "--value_hex")


def ts(*args):
    return subprocess.run([ARGS.touchstone] + list(args), capture_output=True, text=True,
                          env=clean_env(), timeout=120)


class AuditorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_auditor_")
        cls.data = os.path.join(cls.tmp, "data")
        cls.vkeys = {}
        for name in (AUDITOR, STRANGER):
            pem = os.path.join(cls.tmp, name.split(".")[0] + ".pem")
            assert ts("keygen", "-o", pem).returncode == 0
            r = ts("witness-key", pem, "--name", name)
            assert r.returncode == 0, r.stderr
            cls.vkeys[name] = (pem, r.stdout.strip())
        cls.server = cls.start_server()
        cls.demo = run_demo(ARGS.touchstone, cls.server.addr, cls.data,
                            os.path.join(cls.tmp, "keys"), P, extra=["--sealed"]).stdout

    @classmethod
    def start_server(cls):
        http_port_file = os.path.join(cls.tmp, "http_port")
        if os.path.exists(http_port_file):
            os.remove(http_port_file)
        server = Server(ARGS.touchstoned, cls.tmp, cls.data,
                        ["--http_listen", "127.0.0.1:0", "--http_port_file", http_port_file,
                         "--auditor", "%s=%s" % (AUDITOR, cls.vkeys[AUDITOR][1])]).start()
        cls.base = "http://127.0.0.1:%d" % read_port_file(http_port_file, server)
        return server

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def cli(self, *args):
        return ts("--server", self.server.addr, *args)

    def info(self):
        return json.loads(self.cli("log", "info", "--json").stdout)

    def cosign(self, data, name):
        pem = self.vkeys[name][0]
        return self.cli("audit", "--data_dir", data, "--cosign-key", pem, "--cosign-name", name)

    def bundle(self, piece):
        path = os.path.join(self.tmp, "%s.%d.tsbundle" % (piece, len(os.listdir(self.tmp))))
        r = self.cli("piece", "bundle", P + "-" + piece, "-o", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        return path

    def verify(self, path, *extra):
        return ts("piece", "verify", path, "--vkey", self.info()["verifier_key"], *extra)

    def test_0_the_sealed_demo_hides_the_gold_suppliers_volumes(self):
        sealed = re.search(r"^sealed: (\d+) records", self.demo, re.M)
        self.assertIsNotNone(sealed, self.demo)
        self.assertGreater(int(sealed.group(1)), 10)
        ring = re.search(r"^\s*(\d+)\s+%s-jeweler\s+registers piece %s-RING-1: .*; sealed, its "
                         "inputs opened in its bundle$" % (P, P), self.demo, re.M)
        self.assertIsNotNone(ring, self.demo)
        ring = int(ring.group(1))
        # The demo's own log of what it appended shows the melt; the ring's bundle does not.
        self.assertIn("250.000 g", self.demo)
        with urllib.request.urlopen("%s/p/%s-RING-1/bundle.json" % (self.base, P),
                                    timeout=30) as b:
            bundle = json.load(b)
        self.assertEqual([o["index"] for o in bundle["openings"]], [ring])
        path = self.bundle("RING-1")
        r = self.verify(path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for hidden in ("250.000 g", "162.500 g", "133.300 g", "133.100 g",
                       "Greenloop, Birmingham", "Alpenrand, Mendrisio", "Berici Oro, Vicenza"):
            self.assertNotIn(hidden, r.stdout)
        self.assertIn("3.850 g", r.stdout)  # the ring's own input, opened by its jeweler
        self.assertIn("its quantities, loss and location are sealed", r.stdout)
        self.assertIn("not checked here: committed (entry ", r.stdout)
        report = json.loads(self.verify(path, "--json").stdout)
        self.assertEqual(report["opened"], [ring])
        self.assertGreater(len(report["sealed"]), 10)
        self.assertTrue(any("mass balance of transformation" in v["what"]
                            for v in report["vouched"]), report["vouched"])
        # Without openings, an audit re-checks nothing it cannot: it names the sealed entry.
        r = self.cli("audit", "--from_server", "--vkey", self.info()["verifier_key"])
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("FAILED_PRECONDITION", r.stderr)
        self.assertIn("is sealed: its rules can be re-checked only on its opening", r.stderr)

    def test_1_a_cosignature_by_an_unconfigured_auditor_key_is_refused(self):
        r = self.cosign(self.data, STRANGER)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("PERMISSION_DENIED", r.stderr)
        self.assertIn("not cosigned by a configured auditor", r.stderr)
        self.assertEqual(self.info()["audited_size"], 0)

    def test_2_an_audit_that_fails_cosigns_nothing(self):
        broken = os.path.join(self.tmp, "broken")
        shutil.copytree(self.data, broken, ignore=shutil.ignore_patterns("*.sock", "LOCK"))
        flip_state_byte(os.path.join(broken, "db"), "piece/%s-RING-1" % P)
        r = self.cosign(broken, AUDITOR)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("AUDIT FAILED", r.stderr)
        self.assertIn("nothing cosigned", r.stderr)
        self.assertEqual(self.info()["audited_size"], 0)

    def test_3_a_clean_audit_cosigns_and_bundles_carry_the_audited_checkpoint(self):
        before = self.bundle("RING-1")
        r = self.verify(before, "--auditor-key", self.vkeys[AUDITOR][1])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("re-checked by", r.stdout)  # nothing audited yet
        size = self.info()["size"]
        r = self.cosign(self.data, AUDITOR)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("cosigned the checkpoint at size %d as auditor %s" % (size, AUDITOR), r.stdout)
        self.assertIn("the audited checkpoint bundles carry is at size %d" % size, r.stdout)
        self.assertEqual(self.info()["audited_size"], size)
        after = self.bundle("RING-1")
        r = self.verify(after, "--auditor-key", self.vkeys[AUDITOR][1], "--require-audit")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("mass balance and custody re-checked by auditor %s through entry %d" %
                      (AUDITOR, size - 1), r.stdout)
        j = json.loads(self.verify(after, "--auditor-key", self.vkeys[AUDITOR][1],
                                   "--json").stdout)
        self.assertEqual(j["auditors"]["names"], [AUDITOR])
        self.assertEqual(j["auditors"]["audited_size"], size)
        # Pinning another auditor's key: the bundle's audited checkpoint lacks its cosignature.
        r = self.verify(after, "--auditor-key", self.vkeys[STRANGER][1])
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("rule broken: auditors", r.stdout)
        # The page pins the auditor's key the server names.
        with urllib.request.urlopen("%s/p/%s-RING-1" % (self.base, P), timeout=30) as page:
            html = page.read().decode()
        self.assertIn('<meta name="touchstone-auditor-key" content="%s">' % self.vkeys[AUDITOR][1],
                      html)
        with urllib.request.urlopen("%s/p/%s-RING-1/bundle.json" % (self.base, P),
                                    timeout=30) as b:
            self.assertEqual(int(json.load(b)["audited_checkpoint"].split("\n")[1]), size)
        # Kept durably: after a restart the server still serves it.
        self.assertEqual(self.server.stop(), 0)
        type(self).server = self.start_server()
        self.assertEqual(self.info()["audited_size"], size)
        r = self.verify(self.bundle("RING-1"), "--auditor-key", self.vkeys[AUDITOR][1],
                        "--require-audit")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_4_a_remote_audit_as_an_auditor_participant_cosigns_what_it_reached(self):
        pem = os.path.join(self.tmp, "auditor-participant.pem")
        self.assertEqual(ts("keygen", "-o", pem).returncode, 0)
        r = self.cli("participant", "register", "--as", "operator", "--key",
                     os.path.join(self.data, "operator.pem"), "--id", P + "-auditor", "--name",
                     "Assay Audit Ltd", "--role", "auditor", "--pubkey", pem)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        info = self.info()
        r = self.cli("audit", "--from_server", "--vkey", info["verifier_key"], "--as",
                     P + "-auditor", "--key", pem, "--cosign-key", self.vkeys[AUDITOR][0],
                     "--cosign-name", AUDITOR)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("audit passed: %d entries streamed from" % info["size"], r.stdout)
        self.assertIn("cosigned the checkpoint at size %d as auditor %s" % (info["size"], AUDITOR),
                      r.stdout)
        self.assertEqual(self.info()["audited_size"], info["size"])
        # --as without --key: refused before anything is read or cosigned.
        r = self.cli("audit", "--from_server", "--vkey", info["verifier_key"], "--as",
                     P + "-auditor")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--as and --key go together", r.stderr)

    def test_5_the_sealed_ring_page_verifies_in_a_browser_and_names_its_auditor(self):
        info = self.info()
        self.assertGreater(info["audited_size"], 0)
        code, output = run_browser_test(
            "sealed_page_test.mjs",
            ["--base", self.base, "--piece", P + "-RING-1", "--auditor", AUDITOR, "--through",
             str(info["audited_size"] - 1), "--screenshot",
             os.path.join(ARGS.screenshots, "sealed-ring.png")])
        self.assertEqual(code, 0, output)
        self.assertIn("all sealed page tests passed", output)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--screenshots", required=True)
    extra, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    ARGS, argv = parse_binaries()
    ARGS.screenshots = os.path.abspath(extra.screenshots)
    os.makedirs(ARGS.screenshots, exist_ok=True)
    unittest.main(argv=argv, verbosity=2)
