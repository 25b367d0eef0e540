#!/usr/bin/python3
"""The Python client example (examples/python/touchstone_client.py) against a real server:
stubs generated from proto/, a supplier's certificate and lot submitted and signed in Python,
a customer's independent verification. Also: the example refuses a wrong verifier key."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from e2e_support import Server, clean_env, parse_binaries

ARGS = None
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "examples", "python", "touchstone_client.py")


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_pyclient_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        cls.server = Server(ARGS.touchstoned, cls.tmp, cls.data)
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        info = subprocess.run([ARGS.touchstone, "--server", cls.server.addr, "log", "info"],
                              capture_output=True, text=True, env=clean_env(), timeout=30)
        cls.vkey = dict(l.split(" ", 1) for l in info.stdout.splitlines())["verifier_key"]

    def example(self, prefix, vkey):
        return subprocess.run(["/usr/bin/python3", EXAMPLE, "--server", self.server.addr,
                               "--operator_key", os.path.join(self.data, "operator.pem"),
                               "--vkey", vkey, "--prefix", prefix],
                              capture_output=True, text=True, env=clean_env(), timeout=120)

    def test_supplier_records_and_customer_verifies(self):
        r = self.example("py", self.vkey)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"registered py-refiner at entry \d+")
        self.assertRegex(r.stdout, r"lot py-grain-1 created at entry \d+; receipt proof verified")
        self.assertIn("customer: checkpoint of touchstone.local/ledger at size", r.stdout)
        self.assertIn("(RFC 9162 inclusion proof verified)", r.stdout)
        self.assertIn("signed by Alpenrand Refining SA (py-refiner)", r.stdout)
        self.assertIn("VERIFIED: lot py-grain-1: 250.000 g of gold grain @999.9, "
                      "ORIGIN_CLASS_RECYCLED_POST_CONSUMER, certificate py-cert-refiner", r.stdout)
        # What the example wrote is what the server holds (our own CLI agrees).
        lot = subprocess.run([ARGS.touchstone, "--server", self.server.addr, "lookup", "lot",
                              "py-grain-1"], capture_output=True, text=True, env=clean_env(),
                             timeout=30)
        self.assertEqual(lot.returncode, 0, lot.stderr)
        self.assertIn("py-cert-refiner", lot.stdout)

    def test_a_checkpoint_under_another_key_is_refused(self):
        name, key_id, blob = self.vkey.split("+", 2)
        other = "+".join([name, "%08x" % (int(key_id, 16) ^ 1), blob])
        r = self.example("py2", other)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("no signature by", r.stderr)
        self.assertNotIn("VERIFIED", r.stdout)


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
