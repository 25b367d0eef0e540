#!/usr/bin/python3
"""Operator checkpoint key rotation end to end, with the real binaries: a
seeded log is stopped, `touchstoned --rotate_operator_key` hands its checkpoint
key over, and then every verifier that pinned the genesis key follows the
handover record: the client's trusted head (`log update`), `piece verify` of a
bundle made before and one made after, `audit --from_server`, `audit --tiles`,
`audit --data_dir`, a `touchstone witness` configured with the genesis key
only, which the server's cosigner shows the handover, and the customer page's
verifier (verify.js under Node), which pins the key in force. (That the retired
key signs nothing more is tested in tests/key_handover_test.cc.)"""
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
import unittest
import urllib.request

from e2e_support import Server, clean_env, parse_binaries, start_witness

ARGS = None
ORIGIN = "touchstone.local/ledger"


def run(*args, cwd=None, timeout=120):
    r = subprocess.run([ARGS.touchstone] + list(args), capture_output=True, text=True,
                       env=clean_env(), timeout=timeout, cwd=cwd)
    return r.returncode, r.stdout, r.stderr


class RotationTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="touchstone-rotation-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.data = os.path.join(self.tmp, "data")
        self.state = os.path.join(self.tmp, "trusted")
        self.server = None
        self.addCleanup(lambda: self.server and self.server.kill())

    def ok(self, *args):
        code, out, err = run(*args, cwd=self.tmp)
        self.assertEqual(code, 0, "touchstone %s:\n%s%s" % (" ".join(args), out, err))
        return out

    def at_server(self, *args):
        return self.ok("--server", self.server.addr, *args)

    def info(self):
        return json.loads(self.at_server("log", "info", "--json"))

    def start(self, *extra):
        self.server = Server(ARGS.touchstoned, self.tmp, self.data, list(extra)).start()

    def wait_witnessed(self):
        deadline = time.monotonic() + 30
        while True:
            info = self.info()
            if info["witnessed_size"] == info["size"]:
                return info
            self.assertLess(time.monotonic(), deadline,
                            "the witness did not cosign the whole log:\n" + self.server.log())
            time.sleep(0.1)

    def test_every_verifier_follows_the_handover_from_the_genesis_key(self):
        op_key = os.path.join(self.data, "operator.pem")
        keys = os.path.join(self.tmp, "demo-keys")
        self.start()
        k0 = self.info()["verifier_key"]
        self.at_server("demo", "--operator_key", op_key, "--keys_dir", keys, "--prefix", "a")
        first = self.at_server("log", "update", "--vkey", k0, "--state_dir", self.state)
        self.assertIn("first use", first)
        before = os.path.join(self.tmp, "before.tsbundle")
        self.at_server("piece", "bundle", "a-RING-1", "-o", before)
        self.assertEqual(self.server.stop(), 0)

        # The rotation itself, offline; a world-readable new key is refused first.
        new_key = os.path.join(self.tmp, "next.pem")
        self.ok("keygen", "-o", new_key)
        os.chmod(new_key, 0o644)
        rotate = [ARGS.touchstoned, "--data_dir", self.data, "--log_format", "text",
                  "--rotate_operator_key", new_key, "--rotation_reason", "yearly rotation"]
        refused = subprocess.run(rotate, capture_output=True, text=True, env=clean_env(),
                                 timeout=60)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("FAILED_PRECONDITION", refused.stdout + refused.stderr)
        os.chmod(new_key, 0o600)
        done = subprocess.run(rotate, capture_output=True, text=True, env=clean_env(), timeout=60)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        k1 = done.stdout.strip().splitlines()[-1]
        self.assertRegex(k1, r"^%s\+[0-9a-f]{8}\+" % re.escape(ORIGIN))
        self.assertNotEqual(k1, k0)
        # The operator key file now holds the new key, owner-only.
        self.assertEqual(stat.S_IMODE(os.stat(op_key).st_mode) & 0o077, 0)
        self.assertEqual(self.ok("key", op_key, "--json"), self.ok("key", new_key, "--json"))

        # Served again with a witness that knows only the genesis key.
        witness = start_witness(ARGS.touchstone, self.tmp, "w.example/witness", k0)
        self.addCleanup(witness.kill)
        http_port_file = os.path.join(self.tmp, "http_port")
        self.start("--witness", "%s=%s" % (witness.url, witness.vkey),
                   "--http_listen", "127.0.0.1:0", "--http_port_file", http_port_file)
        info = self.info()
        self.assertEqual(info["verifier_key"], k1)
        self.assertEqual(len(info["key_handovers"]), 1)
        handover = info["key_handovers"][0]
        # New records: the operator now signs with the new key (demo registers participants).
        self.at_server("demo", "--operator_key", op_key, "--keys_dir", keys, "--prefix", "b")
        info = self.wait_witnessed()
        self.assertIn("POST /key-handover", witness.stderr())
        self.assertIn("\u2014 w.example/witness ",
                      self.at_server("log", "checkpoint", "--size", str(info["size"])))

        # The trusted head pinned to k0 follows the handover, and keeps k0 pinned.
        update = self.at_server("log", "update", "--state_dir", self.state)
        self.assertIn("advanced", update)
        self.assertIn("followed the log's checkpoint key handover to " + k1, update)
        again = json.loads(self.at_server("log", "update", "--state_dir", self.state, "--vkey",
                                          k0, "--json"))
        self.assertEqual((again["status"], again["verifier_key"], again["checkpoint_key"]),
                         ("unchanged", k0, k1))

        # Bundles from before and after verify with the genesis key; after, with k1 too.
        after = os.path.join(self.tmp, "after.tsbundle")
        self.at_server("piece", "bundle", "b-RING-1", "-o", after)
        for bundle, vkey, signer in ((before, k0, k0), (after, k0, k1), (after, k1, k1)):
            code, out, err = run("piece", "verify", bundle, "--vkey", vkey, "--json")
            self.assertEqual(code, 0, out + err)
            report = json.loads(out)
            self.assertTrue(report["verdict"], out)
            self.assertEqual(report["checkpoint"]["checkpoint_key"], signer)
        # A bundle from before the handover does not verify with the newer key alone.
        code, out, err = run("piece", "verify", before, "--vkey", k1)
        self.assertNotEqual(code, 0)
        self.assertIn("NOT VERIFIED", out)
        code, out, err = run("piece", "verify", after, "--vkey", k0)
        self.assertIn("hands the log's checkpoint key over", out)

        # The customer's page pins the key in force, and its in-browser verifier
        # (services/web/verify.js, run here under Node) replays the handover.
        with open(http_port_file) as f:
            base = "http://127.0.0.1:%d" % int(f.read())
        with urllib.request.urlopen(base + "/p/b-RING-1", timeout=10) as resp:
            self.assertIn(k1, resp.read().decode())
        bundle_json = os.path.join(self.tmp, "after.json")
        with urllib.request.urlopen(base + "/p/b-RING-1/bundle.json", timeout=10) as resp:
            with open(bundle_json, "wb") as f:
                f.write(resp.read())
        # The page's files as served, beside the binaries (build/services/web).
        verify_js = os.path.join(os.path.dirname(os.path.abspath(ARGS.touchstone)), "web",
                                 "verify.js")
        script = ("import { verifyBundle } from %s; import { readFileSync } from 'node:fs';"
                  "const r = await verifyBundle(JSON.parse(readFileSync(process.argv[1])),"
                  " process.argv[2]); console.log(JSON.stringify({ok: r.ok, check: r.check,"
                  " detail: r.detail}));" % json.dumps("file://" + os.path.abspath(verify_js)))
        for vkey, ok in ((k1, True), (k0, False)):
            node = subprocess.run(["node", "--input-type=module", "-e", script, bundle_json, vkey],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(node.returncode, 0, node.stderr)
            self.assertEqual(json.loads(node.stdout)["ok"], ok, node.stdout)

        # Audits from the genesis key: from the server, from an export.
        audit = json.loads(self.at_server("audit", "--from_server", "--vkey", k0, "--json"))
        self.assertTrue(audit["passed"])
        self.assertEqual(audit["checkpoint_key"], k1)
        self.assertEqual(audit["key_handovers"], [handover])
        tiles = os.path.join(self.tmp, "tiles")
        self.ok("export", tiles, "--data_dir", self.data)
        self.ok("audit", "--tiles", tiles, "--vkey", k0)
        self.ok("audit", "--tiles", tiles, "--vkey", k1)
        stranger = os.path.join(self.tmp, "stranger.pem")
        self.ok("keygen", "-o", stranger, "--name", ORIGIN)
        code, out, err = run("key", stranger, "--name", ORIGIN, "--json", cwd=self.tmp)
        stranger_vkey = json.loads(out)["verifier_key"]
        code, out, err = run("audit", "--tiles", tiles, "--vkey", stranger_vkey, cwd=self.tmp)
        self.assertNotEqual(code, 0)
        self.assertIn("is not one of this log's checkpoint keys", out + err)
        self.assertEqual(self.server.stop(), 0)
        local = json.loads(self.ok("audit", "--data_dir", self.data, "--json"))
        self.assertEqual(local["key_handovers"], [handover])


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
