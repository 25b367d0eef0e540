#!/usr/bin/python3
"""Two `touchstone witness` processes (c2sp.org/tlog-witness over HTTP on
loopback) cosign a real touchstoned's checkpoints as its log grows, given the
add-checkpoint body `touchstone log consistency OLD` prints; the cosignatures
verify (Ed25519 checked with openssl, not our code); a forked log (an old copy of
the data dir, served with the same key, extended differently) is refused by both,
also after a witness restart."""
import base64
import hashlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from e2e_support import Server, Witness, clean_env, parse_binaries, start_witness

ARGS = None
SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")


def parse_vkey(vkey):
    name, keyid, b64 = vkey.split("+", 2)
    typed = base64.b64decode(b64)
    assert typed[0] == 0x04 and len(typed) == 33, vkey
    # The key ID is SHA-256(name || 0x0A || 0x04 || key)[:4], computed here independently.
    assert hashlib.sha256(name.encode() + b"\n" + typed).digest()[:4].hex() == keyid, vkey
    return name, bytes.fromhex(keyid), typed[1:]


class WitnessE2ETest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="touchstone_witness_")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.data = os.path.join(self.tmp, "data")
        self.server = None
        self.addCleanup(lambda: self.server and self.server.kill())
        self.witnesses = []
        self.registered = 0

    def start(self, data):
        self.server = Server(ARGS.touchstoned, self.tmp, data).start()

    def cli(self, *args):
        return subprocess.run([ARGS.touchstone, "--server", self.server.addr] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=60,
                              cwd=self.tmp)

    def ok(self, *args):
        r = self.cli(*args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def grow(self, data, n, tag):
        """Appends n participant registrations signed by the operator of `data`."""
        for _ in range(n):
            self.registered += 1
            key = os.path.join(self.tmp, "k%d.pem" % self.registered)
            self.ok("keygen", "-o", key)
            self.ok("participant", "register", "--as", "operator", "--key",
                    os.path.join(data, "operator.pem"), "--id", "%s-%d" % (tag, self.registered),
                    "--name", "P", "--role", "refiner", "--pubkey", key)

    def info(self):
        return dict(line.split(" ", 1) for line in self.ok("log", "info").splitlines())

    def body(self, old):
        """The add-checkpoint body from `old` to the latest checkpoint, as the CLI prints it."""
        if old == 0:  # first contact: no proof
            return "old 0\n\n" + self.ok("log", "checkpoint")
        return self.ok("log", "consistency", str(old))

    def test_the_server_gets_a_quorum_of_cosignatures_and_bundles_carry_them(self):
        # The operator key exists before the log, so the witnesses can be told it.
        op_key = os.path.join(self.tmp, "op.pem")
        out = self.ok_offline("keygen", "-o", op_key, "--name", "touchstone.local/ledger")
        log_vkey = [l.split(" ", 1)[1] for l in out.splitlines()
                    if l.startswith("verifier_key ")][0]
        w1 = self.start_witness("w1.example/witness", log_vkey)
        w2 = self.start_witness("w2.example/witness", log_vkey)
        data = os.path.join(self.tmp, "witnessed-data")
        server = Server(ARGS.touchstoned, self.tmp, data, [
            "--operator_key", op_key, "--witness", "%s=%s" % (w1.url, w1.vkey),
            "--witness", "%s=%s" % (w2.url, w2.vkey), "--witness_quorum", "2"]).start()
        self.addCleanup(server.kill)
        cli = lambda *a: subprocess.run([ARGS.touchstone, "--server", server.addr] + list(a),
                                        capture_output=True, text=True, env=clean_env(),
                                        timeout=120, cwd=self.tmp)
        r = cli("demo", "--operator_key", op_key, "--keys_dir",
                os.path.join(self.tmp, "demo-keys"), "--prefix", "q1")
        self.assertEqual(r.returncode, 0, r.stderr)
        deadline = time.monotonic() + 30
        while True:
            info = dict(l.split(" ", 1) for l in cli("log", "info").stdout.splitlines())
            if info["witnessed_size"] == info["size"]:
                break
            self.assertLess(time.monotonic(), deadline, "no quorum within 30 s: " + server.log())
            time.sleep(0.1)
        note = cli("log", "checkpoint", "--size", info["size"]).stdout
        self.assertIn("\u2014 w1.example/witness ", note)
        self.assertIn("\u2014 w2.example/witness ", note)
        bundle = os.path.join(self.tmp, "ring.tsbundle")
        self.assertEqual(cli("piece", "bundle", "q1-RING-1", "-o", bundle).returncode, 0)
        self.assertEqual(server.stop(), 0)
        verify = lambda *a: subprocess.run(
            [ARGS.touchstone, "piece", "verify", bundle, "--vkey", log_vkey] + list(a),
            capture_output=True, text=True, env=clean_env(), timeout=60)
        ok = verify("--witness", w1.vkey, "--witness", w2.vkey, "--quorum", "2")
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn("VERIFIED", ok.stdout)
        short = verify("--witness", w1.vkey, "--quorum", "2")
        self.assertNotEqual(short.returncode, 0)
        self.assertIn("NOT VERIFIED", short.stdout + short.stderr)

    def test_a_stop_signal_the_moment_the_port_file_appears_stops_the_witness(self):
        # The port file is written just before the server listens; a SIGTERM in
        # that gap once left the witness running forever (CI, stop 26).
        key = os.path.join(self.tmp, "w.pem")
        self.ok_offline("keygen", "-o", key, "--name", "w.example/witness")
        op_key = os.path.join(self.tmp, "op.pem")
        out = self.ok_offline("keygen", "-o", op_key, "--name", "touchstone.local/ledger")
        log_vkey = [l.split(" ", 1)[1] for l in out.splitlines()
                    if l.startswith("verifier_key ")][0]
        port_file = os.path.join(self.tmp, "w.port")
        for i in range(30):
            if os.path.exists(port_file):
                os.remove(port_file)
            proc = subprocess.Popen(
                [ARGS.touchstone, "witness", "--listen", "127.0.0.1:0", "--key", key,
                 "--name", "w.example/witness", "--log", log_vkey,
                 "--state", os.path.join(self.tmp, "w.state"), "--port_file", port_file],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env())
            self.addCleanup(lambda p=proc: p.poll() is None and p.kill())
            deadline = time.monotonic() + 20
            while not os.path.exists(port_file) and proc.poll() is None:
                self.assertLess(time.monotonic(), deadline, "no port file in 20 s")
            proc.send_signal(signal.SIGTERM)
            try:
                self.assertEqual(proc.wait(timeout=10), 0, "round %d" % i)
            except subprocess.TimeoutExpired:
                self.fail("round %d: the witness did not stop within 10 s of SIGTERM" % i)

    def test_one_witness_key_under_two_names_counts_once_towards_the_quorum(self):
        op_key = os.path.join(self.tmp, "op.pem")
        out = self.ok_offline("keygen", "-o", op_key, "--name", "touchstone.local/ledger")
        log_vkey = [l.split(" ", 1)[1] for l in out.splitlines()
                    if l.startswith("verifier_key ")][0]
        w1 = self.start_witness("w1.example/witness", log_vkey)
        # The same key again, as a second witness under another name (so another key ID).
        alias = Witness(ARGS.touchstone, self.tmp, "alias.example/witness", w1.key, log_vkey,
                        os.path.join(self.tmp, "alias.state")).start()
        self.addCleanup(alias.kill)
        alias.vkey = self.ok_offline("witness-key", w1.key, "--name", alias.name).strip()
        self.assertNotEqual(alias.vkey, w1.vkey)
        w2 = self.start_witness("w2.example/witness", log_vkey)
        self.assertEqual(w2.stop(), 0)  # a real, distinct witness that is down
        flags = lambda *ws: [a for w in ws for a in ("--witness", "%s=%s" % (w.url, w.vkey))]
        data = os.path.join(self.tmp, "alias-data")
        # A quorum of two over one key cannot be configured.
        with self.assertRaises(AssertionError) as refused:
            Server(ARGS.touchstoned, self.tmp, data, ["--operator_key", op_key] +
                   flags(w1, alias) + ["--witness_quorum", "2"]).start()
        self.assertIn("a witness quorum of 2 needs at least 2 witnesses with distinct keys; "
                      "the --witness flags name 1", str(refused.exception))
        # With the down witness there are two keys; the one key's two cosignatures are one.
        server = Server(ARGS.touchstoned, self.tmp, data, ["--operator_key", op_key] +
                        flags(w1, alias, w2) + ["--witness_quorum", "2"]).start()
        self.addCleanup(server.kill)
        # The first round (size 1) ends with w2 refused; both names of w1's key cosign before.
        deadline = time.monotonic() + 30
        while not ('"witness_refused"' in server.log() and w2.url in server.log()):
            self.assertLess(time.monotonic(), deadline, "no round within 30 s: " + server.log())
            time.sleep(0.05)
        time.sleep(1)  # a checkpoint published at the end of that round would be there now
        self.assertEqual(w1.stop(), 0)
        self.assertEqual(alias.stop(), 0)
        self.assertIn("-> 200", w1.stderr())  # both cosigned: the quorum was tempted
        self.assertIn("-> 200", alias.stderr())
        info = dict(l.split(" ", 1) for l in subprocess.run(
            [ARGS.touchstone, "--server", server.addr, "log", "info"], capture_output=True,
            text=True, env=clean_env(), timeout=60).stdout.splitlines())
        self.assertEqual(info["size"], "1")
        self.assertEqual(info["witnessed_size"], "0", server.log())
        self.assertEqual(server.stop(), 0)

    def ok_offline(self, *args):
        r = subprocess.run([ARGS.touchstone] + list(args), capture_output=True, text=True,
                           env=clean_env(), timeout=60, cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def start_witness(self, name, log_vkey):
        w = start_witness(ARGS.touchstone, self.tmp, name, log_vkey)
        self.addCleanup(w.kill)
        self.assertIn("verifier_key " + w.vkey + "\n", w.stdout())
        return w

    def check_cosignature(self, witness, checkpoint_text, line):
        """Verifies one cosignature line with openssl: key ID, timestamp, Ed25519."""
        name, keyid, pub = parse_vkey(witness.vkey)
        self.assertTrue(line.startswith("\u2014 " + name + " "), line)
        payload = base64.b64decode(line.split(" ")[2])
        self.assertEqual(len(payload), 4 + 8 + 64)
        self.assertEqual(payload[:4], keyid)
        (ts,) = struct.unpack(">Q", payload[4:12])
        self.assertLess(abs(ts - time.time()), 300)
        msg = b"cosignature/v1\ntime %d\n" % ts + checkpoint_text.encode()
        paths = {}
        for part, data in (("pub", SPKI_ED25519_PREFIX + pub), ("msg", msg),
                           ("sig", payload[12:])):
            paths[part] = os.path.join(self.tmp, "verify." + part)
            with open(paths[part], "wb") as f:
                f.write(data)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER",
                            "-inkey", paths["pub"], "-rawin", "-in", paths["msg"],
                            "-sigfile", paths["sig"]], capture_output=True, text=True)
        return r.returncode == 0

    def cosign_all(self, body):
        """Both witnesses cosign `body`; returns the cosigned checkpoint note."""
        note = body.split("\n\n", 1)[1]
        text = note.split("\n\n", 1)[0] + "\n"
        lines = []
        for w in self.witnesses:
            status, _, answer = w.add_checkpoint(body)
            self.assertEqual(status, 200, answer + w.stderr())
            self.assertTrue(answer.endswith("\n"))
            self.assertEqual(len(answer.splitlines()), 1, answer)
            self.assertTrue(self.check_cosignature(w, text, answer.rstrip("\n")), answer)
            # A tampered text does not verify: the openssl check is not vacuous.
            self.assertFalse(self.check_cosignature(w, text.replace("\n", "\n ", 1),
                                                    answer.rstrip("\n")))
            lines.append(answer)
        return note + "".join(lines)

    def test_two_witnesses_cosign_a_growing_log_and_refuse_its_fork(self):
        self.start(self.data)
        log_vkey = self.info()["verifier_key"]
        self.witnesses = [self.start_witness("witness.example/w1", log_vkey),
                          self.start_witness("witness.example/w2", log_vkey)]
        w1, w2 = self.witnesses

        # Round 1: first contact (old 0, no proof).
        self.grow(self.data, 3, "a")
        s1 = int(self.info()["size"])
        cosigned = self.cosign_all(self.body(0))
        self.assertEqual(cosigned.count("\n\u2014 "), 3, cosigned)  # log + two witnesses
        with open(os.path.join(self.tmp, "cosigned.checkpoint"), "w") as f:
            f.write(cosigned)
        # Asking again from 0: 409, the witness is at s1 (text/x.tlog.size).
        status, ctype, answer = w1.add_checkpoint(self.body(0))
        self.assertEqual((status, answer), (409, "%d\n" % s1))
        self.assertTrue(ctype.startswith("text/x.tlog.size"), ctype)
        # The same tree again: a fresh cosignature.
        self.assertEqual(w2.add_checkpoint(self.body(s1))[0], 200)

        # Keep a copy of the log at s1, then round 2 on the honest log.
        self.assertEqual(self.server.stop(), 0)
        fork = os.path.join(self.tmp, "fork-data")
        shutil.copytree(self.data, fork)
        self.start(self.data)
        self.grow(self.data, 2, "b")
        s2 = int(self.info()["size"])
        self.assertGreater(s2, s1)
        body2 = self.body(s1)
        self.assertTrue(body2.startswith("old %d\n" % s1), body2)
        self.cosign_all(body2)
        # The C++ client (RequestCosignature via `touchstone witness-add`) on a stale body.
        with open(os.path.join(self.tmp, "body2"), "w") as f:
            f.write(body2)
        stale = self.cli("witness-add", w1.url, os.path.join(self.tmp, "body2"))
        self.assertEqual(stale.returncode, 1, stale.stdout + stale.stderr)
        self.assertIn("FAILED_PRECONDITION", stale.stderr)
        self.assertIn("is at size %d" % s2, stale.stderr)
        with open(os.path.join(self.tmp, "body2b"), "w") as f:
            f.write(self.body(s2))
        again = self.cli("witness-add", w1.url + "/", os.path.join(self.tmp, "body2b"))
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertTrue(again.stdout.startswith("\u2014 witness.example/w1 "), again.stdout)

        # The fork: the old copy, served with the same key, extended differently.
        self.assertEqual(self.server.stop(), 0)
        self.start(fork)
        self.assertEqual(self.info()["verifier_key"], log_vkey)
        self.grow(fork, s2 - s1, "fork")
        self.assertEqual(int(self.info()["size"]), s2)
        same_size = self.body(s2)  # old s2, no proof, another tree of size s2
        for w in self.witnesses:
            status, ctype, answer = w.add_checkpoint(same_size)
            self.assertEqual(status, 409, answer)
            self.assertFalse(ctype.startswith("text/x.tlog.size"), ctype)
            self.assertIn("forked", answer)
        self.grow(fork, 2, "fork")
        larger = self.body(s2)  # the fork's own proof from s2
        for w in self.witnesses:
            status, _, answer = w.add_checkpoint(larger)
            self.assertEqual(status, 422, answer)
            self.assertIn("does not extend", answer)
            # Claiming the witness is still at s1 does not help.
            status, _, answer = w.add_checkpoint(self.body(s1))
            self.assertEqual((status, answer), (409, "%d\n" % s2))
        with open(os.path.join(self.tmp, "forkbody"), "w") as f:
            f.write(larger)
        refused = self.cli("witness-add", w2.url, os.path.join(self.tmp, "forkbody"))
        self.assertEqual(refused.returncode, 2, refused.stdout + refused.stderr)
        self.assertIn("DATA_LOSS", refused.stderr)

        # A checkpoint from another log (another key, same origin) is 403.
        other = Server(ARGS.touchstoned, os.path.join(self.tmp, "o"),
                       os.path.join(self.tmp, "other-data"))
        os.makedirs(other.workdir)
        other.start()
        self.addCleanup(other.kill)
        r = subprocess.run([ARGS.touchstone, "--server", other.addr, "log", "checkpoint"],
                           capture_output=True, text=True, env=clean_env(), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(w1.add_checkpoint("old %d\n\n%s" % (s2, r.stdout))[0], 403)
        self.assertEqual(other.stop(), 0)
        # A malformed body is 400.
        self.assertEqual(w1.add_checkpoint("old 01\n\n" + r.stdout)[0], 400)

        # A witness restart keeps its state: still refuses the fork, follows the honest log.
        self.assertEqual(w1.stop(), 0)
        w1.start()
        self.assertEqual(w1.add_checkpoint(larger)[0], 422)
        status, _, answer = w1.add_checkpoint("old 0\n\n" + larger.split("\n\n", 1)[1])
        self.assertEqual((status, answer), (409, "%d\n" % s2))
        self.assertEqual(self.server.stop(), 0)
        self.start(self.data)
        self.grow(self.data, 1, "c")
        final = self.cosign_all(self.body(s2))
        self.assertIn("\n%d\n" % (s2 + 1), final)
        self.assertIn("-> 422", w2.stderr())  # the witness logs what it refused


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
