#!/usr/bin/python3
"""A client that cannot be fooled: `touchstone log update` and `touchstone piece
show` keep a trusted head and report a server that rewinds its log (restored from
an old copy) or forks it (the same key signing a different history) as LOG
INCONSISTENT, exit code 2; `touchstone submit` without --vkey pins the log's key
on first use (saying so) and refuses a server that reports another."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from e2e_support import Server, clean_env, parse_binaries

ARGS = None


class TrustedHeadTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="touchstone_trust_")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.data = os.path.join(self.tmp, "data")
        self.state = os.path.join(self.tmp, "trusted")
        self.server = None
        self.addCleanup(lambda: self.server and self.server.kill())
        self.registered = 0

    def start(self, data):
        self.server = Server(ARGS.touchstoned, self.tmp, data).start()

    def cli(self, *args):
        return subprocess.run([ARGS.touchstone, "--server", self.server.addr] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=60,
                              cwd=self.tmp)

    def grow(self, data, n, tag):
        """Appends n participant registrations signed by the operator of `data`."""
        for _ in range(n):
            self.registered += 1
            key = os.path.join(self.tmp, "k%d.pem" % self.registered)
            self.assertEqual(self.cli("keygen", "-o", key).returncode, 0)
            r = self.cli("participant", "register", "--as", "operator", "--key",
                         os.path.join(data, "operator.pem"), "--id",
                         "%s-%d" % (tag, self.registered), "--name", "P", "--role", "refiner",
                         "--pubkey", key)
            self.assertEqual(r.returncode, 0, r.stderr)

    def update(self, *extra):
        return self.cli("log", "update", "--state_dir", self.state, *extra)

    def vkey(self):
        for line in self.cli("log", "info").stdout.splitlines():
            if line.startswith("verifier_key "):
                return line.split(" ", 1)[1]
        self.fail("no verifier key")

    def test_client_follows_a_growing_log_and_reports_a_rewind_and_a_fork(self):
        self.start(self.data)
        vkey = self.vkey()
        self.grow(self.data, 3, "a")
        first = self.update()
        self.assertNotEqual(first.returncode, 0, "no trusted head yet: --vkey is needed")
        self.assertIn("--vkey", first.stderr)
        first = self.update("--vkey", vkey)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("first use: now trusting", first.stdout)

        # Keep a copy of the log as it is now (size 4), then let it grow.
        self.assertEqual(self.server.stop(), 0)
        old = os.path.join(self.tmp, "old-data")
        shutil.copytree(self.data, old)
        self.start(self.data)
        self.grow(self.data, 3, "b")
        advanced = self.update()
        self.assertEqual(advanced.returncode, 0, advanced.stderr)
        self.assertIn("advanced: touchstone.local/ledger from size 4 to 7", advanced.stdout)

        # The operator restores the old copy: the log rewound.
        self.assertEqual(self.server.stop(), 0)
        self.start(old)
        rewound = self.update()
        self.assertEqual(rewound.returncode, 2, rewound.stdout + rewound.stderr)
        self.assertIn("LOG INCONSISTENT", rewound.stderr)
        self.assertIn("rewound", rewound.stderr)

        # ...and writes a different history with the same key: a fork.
        self.grow(old, 3, "fork")
        forked = self.update()
        self.assertEqual(forked.returncode, 2, forked.stdout + forked.stderr)
        self.assertIn("LOG INCONSISTENT", forked.stderr)
        self.assertIn("forked", forked.stderr)
        self.grow(old, 2, "fork")
        forked_larger = self.update()
        self.assertEqual(forked_larger.returncode, 2, forked_larger.stderr)
        self.assertIn("does not extend the trusted one of size 7", forked_larger.stderr)

        # A key other than the pinned one is refused outright.
        other = self.update("--vkey", vkey.replace("+A", "+B", 1))
        self.assertNotEqual(other.returncode, 0)

        # The honest log is still accepted.
        self.assertEqual(self.server.stop(), 0)
        self.start(self.data)
        self.grow(self.data, 1, "c")
        again = self.update()
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("from size 7 to 8", again.stdout)


    def test_submit_pins_the_log_key_on_first_use_and_refuses_another(self):
        def submit(data, record_id, *extra):
            """Registers participant p-<record_id> (a fresh key) as the operator of `data`."""
            out = self.cli("keygen", "-o", os.path.join(self.tmp, record_id + ".pem")).stdout
            public = dict(l.split(" ", 1) for l in out.splitlines())["public_key"]
            record = os.path.join(self.tmp, record_id + ".json")
            with open(record, "w") as f:
                json.dump({"participantRegistered": {
                    "participantId": "p-" + record_id, "legalName": "P",
                    "roles": ["ROLE_REFINER"], "keys": [{"ed25519": public}]}}, f)
            return self.cli("submit", "--as", "operator", "--key",
                            os.path.join(data, "operator.pem"), "--json", record, "--record_id",
                            record_id, "--state_dir", self.state, *extra)

        def size():
            return int(dict(l.split(" ", 1) for l in self.cli("log", "info").stdout.splitlines())
                       ["size"])

        self.start(self.data)
        vkey = self.vkey()
        first = submit(self.data, "r1")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("touchstone: WARNING: trusting the server's key %s for "
                      "touchstone.local/ledger on first use; pass --vkey to pin it" % vkey,
                      first.stderr)
        self.assertIn("receipt verified: included under a checkpoint signed by " + vkey,
                      first.stdout)
        # Pinned with a trusted head, as `log update` keeps it.
        pinned = self.update("--json")
        self.assertEqual(pinned.returncode, 0, pinned.stderr)
        self.assertIn('"verifier_key": "%s"' % vkey, pinned.stdout)
        again = submit(self.data, "r2")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertNotIn("WARNING", again.stderr)
        self.assertEqual(self.server.stop(), 0)

        # Another server under the same origin with another key (a man in the middle, or
        # another log): refused before the record is sent.
        other_data = os.path.join(self.tmp, "other-data")
        self.start(other_data)
        other_vkey = self.vkey()
        self.assertNotEqual(other_vkey, vkey)
        refused = submit(other_data, "r3")
        self.assertEqual(refused.returncode, 1, refused.stdout + refused.stderr)
        self.assertIn("FAILED_PRECONDITION: the server reports the log key %s for "
                      "touchstone.local/ledger, but this client pinned %s on first use: "
                      "refusing its receipts" % (other_vkey, vkey), refused.stderr)
        self.assertNotIn("receipt verified", refused.stdout)
        self.assertEqual(size(), 1)  # nothing was submitted
        # Checked against a key given explicitly, the same submission goes through.
        given = submit(other_data, "r4", "--vkey", other_vkey)
        self.assertEqual(given.returncode, 0, given.stderr)
        self.assertEqual(size(), 2)

    def test_piece_show_keeps_the_trusted_head_and_reports_a_fork(self):
        self.start(self.data)
        vkey = self.vkey()
        r = self.cli("demo", "--operator_key", os.path.join(self.data, "operator.pem"),
                     "--keys_dir", os.path.join(self.tmp, "keys"), "--prefix", "t")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        def show(*extra):
            return self.cli("piece", "show", "t-RING-1", "--state_dir", self.state, *extra)

        first = show("--vkey", vkey)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertIn("trusted head: first use: now trusting", first.stdout)
        self.assertIn("VERIFIED: piece t-RING-1", first.stdout)

        self.assertEqual(self.server.stop(), 0)
        old = os.path.join(self.tmp, "old-data")
        shutil.copytree(self.data, old)
        self.start(self.data)
        self.grow(self.data, 2, "b")
        advanced = show()  # the pinned key from now on
        self.assertEqual(advanced.returncode, 0, advanced.stdout + advanced.stderr)
        self.assertIn("consistency proof verified", advanced.stdout)
        self.assertIn("VERIFIED: piece t-RING-1", advanced.stdout)

        # The old copy, grown differently past the trusted size: a fork.
        self.assertEqual(self.server.stop(), 0)
        self.start(old)
        self.grow(old, 3, "fork")
        forked = show()
        self.assertEqual(forked.returncode, 2, forked.stdout + forked.stderr)
        self.assertIn("NOT VERIFIED: DATA_LOSS: LOG INCONSISTENT", forked.stdout)
        self.assertNotIn("VERIFIED: piece", forked.stdout)


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
