#!/usr/bin/env python3
"""End-to-end: a piece's owner acts from the customer page (issue 15).

A real touchstoned serves gRPC and HTTP on loopback port 0; `touchstone demo
--prefix o` seeds it. Then:
- over plain HTTP: POST /v1/owner-records refuses what is not an owner record
  (garbage bytes, an empty body, another content type, a body over the ledger's
  record size) with a JSON {error, code} and the right status, and the log does
  not grow; the page's owner.js is served;
- in headless Chromium (tests/browser/owner_test.mjs, playwright-core from npm),
  each page with a CDP virtual authenticator (a passkey made on
  http://localhost:PORT, rp id "localhost"): the page makes an owner key, the
  jeweler records the sale naming it (`touchstone submit` with the jeweler's
  demo key), the page takes ownership, a second browser makes its key and is
  given the piece, takes ownership and proves it; a proof by the first key is
  "not the current owner", and a transfer the first key signs after giving the
  piece away is refused by the ledger, the refusal shown on the page; reported
  stolen, the piece cannot be transferred until it is reported recovered.
  Screenshots go to --screenshots DIR.

Usage: owner_e2e_test.py --touchstoned PATH --touchstone PATH --screenshots DIR --web DIR
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

from e2e_support import (Server, clean_env, encode_fields, parse_binaries, read_port_file,
                         run_browser_test, run_demo)

ARGS = None
P = "o"


def run(*args):
    proc = subprocess.run([ARGS.touchstone] + list(args), capture_output=True, env=clean_env(),
                          timeout=120)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(
        errors="replace")


def post(url, body, content_type="application/octet-stream"):
    """(status, content type, body bytes) of a POST."""
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


class OwnerPageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone-owner-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        http_port_file = os.path.join(cls.tmp, "http_port")
        cls.data_dir = os.path.join(cls.tmp, "data")
        cls.server = Server(ARGS.touchstoned, cls.tmp, cls.data_dir,
                            ["--http_listen", "127.0.0.1:0", "--http_port_file", http_port_file])
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.port = read_port_file(http_port_file, cls.server)
        # WebAuthn refuses IP addresses as relying party ids: the page is opened on localhost.
        cls.base = "http://localhost:%d" % cls.port
        cls.keys_dir = os.path.join(cls.tmp, "keys")
        run_demo(ARGS.touchstone, cls.server.addr, cls.data_dir, cls.keys_dir, P)

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        assert code == 0, "touchstoned exited %d:\n%s" % (code, cls.server.log())

    def log_size(self):
        code, out, err = run("--server", self.server.addr, "log", "info", "--json")
        self.assertEqual(code, 0, err)
        return int(json.loads(out)["size"])

    def test_owner_records_endpoint_refuses_what_is_not_an_owner_record(self):
        url = "http://127.0.0.1:%d/v1/owner-records" % self.port
        before = self.log_size()
        # Garbage: not a record. The ledger's parse refuses it, named.
        status, kind, body = post(url, b"\xff\x00garbage\x12")
        self.assertEqual(status, 400, body)
        self.assertEqual(kind, "application/json")
        answer = json.loads(body)
        self.assertEqual(answer["code"], "INVALID_ARGUMENT")
        self.assertTrue(answer["error"], answer)
        # A well-formed owner record that no owner signed: refused, not appended.
        accepted = encode_fields([(1, 2, (P + "-GOLD18-1").encode()), (2, 0, 5)])
        record = encode_fields([(1, 2, b"owner-unsigned"), (4, 0, 1700000000000000),
                                (34, 2, accepted)])
        status, kind, body = post(url, record)
        self.assertIn(status, (400, 403, 412), body)
        self.assertIn(json.loads(body)["code"],
                      ("INVALID_ARGUMENT", "PERMISSION_DENIED", "FAILED_PRECONDITION"))
        # An empty body, another content type.
        status, kind, body = post(url, b"")
        self.assertEqual(status, 400, body)
        self.assertIn("the body must be a record's bytes", json.loads(body)["error"])
        status, kind, body = post(url, b"\x0a\x01x", content_type="application/json")
        self.assertEqual(status, 415, body)
        self.assertIn("application/octet-stream", json.loads(body)["error"])
        # More than the ledger's largest record (64 KiB): refused before it is read.
        status, kind, body = post(url, b"\x00" * (64 * 1024 + 1))
        self.assertEqual(status, 413, body)
        # A record-sized body is taken on this route alone: elsewhere 4 KiB is the bound.
        status, kind, body = post("http://127.0.0.1:%d/p/%s-GOLD18-1" % (self.port, P),
                                  b"\x00" * 5000)
        self.assertEqual(status, 413, body)
        self.assertIn(b"request bodies over 4096 bytes are not accepted", body)
        # GET is not a route; nothing changed.
        try:
            urllib.request.urlopen(url, timeout=30)
            self.fail("GET /v1/owner-records answered")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 404)
        self.assertEqual(self.log_size(), before)

    def test_owner_js_is_served(self):
        with urllib.request.urlopen(self.base + "/static/owner.js", timeout=30) as r:
            self.assertTrue(r.headers["Content-Type"].startswith("text/javascript"))
            self.assertIn(b"/v1/owner-records", r.read())

    def test_owners_act_from_the_page_with_passkeys(self):
        before = self.log_size()
        code, output = run_browser_test(
            "owner_test.mjs",
            ["--base", self.base, "--prefix", P, "--piece", P + "-GOLD18-1", "--screenshots",
             ARGS.screenshots, "--web", ARGS.web, "--touchstone", ARGS.touchstone, "--server",
             self.server.addr, "--keys-dir", self.keys_dir],
            env=clean_env())
        self.assertEqual(code, 0, output)
        self.assertIn("all owner browser tests passed", output)
        # The sale, two acceptances, one transfer, stolen and recovered: six records; the
        # refused transfers none.
        self.assertEqual(self.log_size(), before + 6)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--web", required=True)
    extra, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    ARGS, argv = parse_binaries()
    ARGS.screenshots = os.path.abspath(extra.screenshots)
    ARGS.web = os.path.abspath(extra.web)
    unittest.main(argv=argv, verbosity=2)
