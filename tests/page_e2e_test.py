#!/usr/bin/env python3
"""End-to-end: the customer page of a piece, over HTTP, in a real browser.

A real touchstoned serves gRPC and HTTP on loopback port 0 (--http_listen,
read back from --http_port_file); `touchstone demo --prefix w` seeds it. Then:
- over plain HTTP: the page pins the log's verifier key; /bundle is the same
  bundle `touchstone piece bundle` writes (but for its informational build
  time) and verifies offline; /bundle.json carries the same exact entry bytes,
  proofs and checkpoint; the QR codes (SVG, PNG) draw the same modules, the
  same as `touchstone piece qr` writes; unknown pieces are 404;
- in headless Chromium (tests/browser/page_test.mjs, playwright-core from npm,
  installed with `npm ci`): the page verifies the bundle itself and tells the
  story, checks the cosignature of the server's witness (a `touchstone witness`
  on loopback; its key pinned in the page), and refuses tampered bundles naming
  the check, among them two forged as a dishonest operator could
  (tests/forge_bundle.py: a record validly re-signed, the tree and checkpoint
  made again with the operator's key) that only the role or the custody check
  catches. Screenshots go to --screenshots DIR.
- the page's language (tests/browser/page_i18n_test.mjs): the server serves the
  page in the language Accept-Language or ?lang= asks for (<html lang>,
  Content-Language, Vary), with each language's messages; in Chromium a French
  browser gets the French page (verdict, dates, weights with a decimal comma),
  the switcher turns it Japanese without verifying again, every language
  verifies and shows no message key. Screenshots ring-fr.png and ring-ja.png.

Usage: page_e2e_test.py --touchstoned PATH --touchstone PATH --screenshots DIR [unittest args]
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import zlib

import forge_bundle
from e2e_support import (Server, clean_env, encode_fields, parse_binaries, parse_fields, proto_fields,
                         read_port_file, run_browser_test, start_witness)

ARGS = None
P = "w"


def run(*args, cwd=None):
    proc = subprocess.run([ARGS.touchstone] + list(args), capture_output=True, cwd=cwd,
                          env=clean_env(), timeout=120)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(
        errors="replace")


def get(url):
    """(status, headers, body bytes) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def png_pixels(data):
    """(width, height, rows of grey bytes) of an 8-bit greyscale, filter-0 PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        crc = int.from_bytes(data[pos + 8 + n:pos + 12 + n], "big")
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            width, height = int.from_bytes(body[0:4], "big"), int.from_bytes(body[4:8], "big")
            assert body[8:13] == b"\x08\x00\x00\x00\x00", body[8:13]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    assert len(raw) == height * (width + 1)
    rows = [raw[y * (width + 1):(y + 1) * (width + 1)] for y in range(height)]
    assert all(r[0] == 0 for r in rows)
    return width, height, [r[1:] for r in rows]


def svg_modules(svg):
    """The set of (x, y) dark modules (8 units each, 4 of quiet zone) an SVG draws."""
    return {(int(x) // 8 - 4, int(y) // 8 - 4) for x, y in re.findall(r"M(\d+) (\d+)h8v8h-8z", svg)}


def png_modules(data):
    width, _, rows = png_pixels(data)
    n = width // 8 - 8
    return {(x, y) for y in range(n) for x in range(n) if rows[(y + 4) * 8 + 4][(x + 4) * 8 + 4] == 0}


class PageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone-page-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        http_port_file = os.path.join(cls.tmp, "http_port")
        # The operator key exists before the log, so that a witness can be told the log's key.
        cls.operator_key = os.path.join(cls.tmp, "operator.pem")
        code, out, err = run("keygen", "-o", cls.operator_key, "--name", "touchstone.local/ledger")
        assert code == 0, err
        log_vkey = re.search(r"^verifier_key (\S+)$", out, re.M).group(1)
        cls.witness = start_witness(ARGS.touchstone, cls.tmp, "w1.example/witness", log_vkey)
        cls.addClassCleanup(cls.witness.kill)
        cls.server = Server(ARGS.touchstoned, cls.tmp, os.path.join(cls.tmp, "data"),
                            ["--http_listen", "127.0.0.1:0", "--http_port_file", http_port_file,
                             "--operator_key", cls.operator_key,
                             "--witness", "%s=%s" % (cls.witness.url, cls.witness.vkey)])
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.base = "http://127.0.0.1:%d" % read_port_file(http_port_file, cls.server)
        cls.keys_dir = os.path.join(cls.tmp, "keys")
        code, out, err = run("--server", cls.server.addr, "demo", "--prefix", P,
                             "--operator_key", cls.operator_key, "--keys_dir", cls.keys_dir)
        assert code == 0, out + err
        # Bundles carry the witness's cosignature once it has cosigned the whole log.
        deadline = time.monotonic() + 30
        while True:
            code, out, err = run("--server", cls.server.addr, "log", "info", "--json")
            assert code == 0, err
            info = json.loads(out)
            if info["witnessed_size"] == info["size"]:
                break
            assert time.monotonic() < deadline, "no cosignature in 30 s:\n" + cls.server.log()
            time.sleep(0.1)
        cls.vkey = info["verifier_key"]
        assert cls.vkey == log_vkey

    @classmethod
    def tearDownClass(cls):
        # SIGTERM stops the HTTP side too, and the server exits cleanly.
        code = cls.server.stop()
        assert code == 0, "touchstoned exited %d:\n%s" % (code, cls.server.log())

    def test_page_pins_the_verifier_key_and_sends_a_strict_policy(self):
        status, headers, body = get(self.base + "/p/%s-RING-1" % P)
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        html = body.decode()
        self.assertIn('<meta name="touchstone-verifier-key" content="%s">' % self.vkey, html)
        self.assertEqual(re.findall(r'<meta name="touchstone-witness-key" content="([^"]*)">', html),
                         [self.witness.vkey])
        self.assertIn('data-piece-id="%s-RING-1"' % P, html)
        self.assertIn("script-src 'self'", headers["Content-Security-Policy"])
        for asset, kind in (("page.js", "text/javascript"), ("verify.js", "text/javascript"),
                            ("style.css", "text/css")):
            status, headers, body = get(self.base + "/static/" + asset)
            self.assertEqual(status, 200, asset)
            self.assertTrue(headers["Content-Type"].startswith(kind), asset)
            self.assertGreater(len(body), 1000, asset)

    def test_bundle_download_is_what_the_cli_writes_and_verifies_offline(self):
        status, headers, body = get(self.base + "/p/%s-RING-1/bundle" % P)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/octet-stream")
        self.assertIn('filename="%s-RING-1.tsbundle"' % P, headers["Content-Disposition"])
        cli_file = os.path.join(self.tmp, "cli.tsbundle")
        code, out, err = run("--server", self.server.addr, "piece", "bundle", P + "-RING-1",
                             "-o", cli_file)
        self.assertEqual(code, 0, err)
        with open(cli_file, "rb") as f:
            cli_bundle = f.read()
        http_fields, cli_fields = proto_fields(body), proto_fields(cli_bundle)
        del http_fields[5], cli_fields[5]  # created_micros: when each was built
        self.assertEqual(http_fields, cli_fields)
        http_file = os.path.join(self.tmp, "http.tsbundle")
        with open(http_file, "wb") as f:
            f.write(body)
        code, out, err = run("piece", "verify", http_file, "--vkey", self.vkey)
        self.assertEqual(code, 0, out + err)
        self.assertIn("VERIFIED: piece %s-RING-1: 43 records" % P, out)

    def test_bundle_json_carries_the_exact_bytes(self):
        _, _, binary = get(self.base + "/p/%s-RING-1/bundle" % P)
        status, headers, body = get(self.base + "/p/%s-RING-1/bundle.json" % P)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "application/json")
        j = json.loads(body)
        fields = proto_fields(binary)
        self.assertEqual(j["format"], "touchstone-bundle/v1")
        self.assertEqual(j["piece_id"], P + "-RING-1")
        self.assertEqual(j["checkpoint"].encode(), fields[3][0])
        self.assertEqual(len(j["entries"]), len(fields[4]))
        for e, raw in zip(j["entries"], fields[4]):
            f = proto_fields(raw)
            self.assertEqual(e["index"], f.get(1, [0])[0])
            self.assertEqual(base64.b64decode(e["entry"]), f[2][0])
            self.assertEqual(e["tlog_proof"].encode(), f[3][0])

    def test_qr_codes_encode_the_page_url_in_svg_and_png_like_the_cli(self):
        status, headers, svg = get(self.base + "/p/%s-RING-1/qr.svg" % P)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "image/svg+xml")
        svg = svg.decode()
        self.assertIn("<title>QR code: %s/p/%s-RING-1</title>" % (self.base, P), svg)
        status, headers, png = get(self.base + "/p/%s-RING-1/qr.png" % P)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "image/png")
        modules = svg_modules(svg)
        self.assertGreater(len(modules), 100)
        self.assertEqual(png_modules(png), modules)
        # Finder pattern: the top-left 7x7 square's border is dark, its ring inside light.
        self.assertTrue(all((i, 0) in modules and (0, i) in modules for i in range(7)))
        self.assertFalse((1, 1) in modules)
        for ext, data in (("svg", svg.encode()), ("png", png)):
            out_file = os.path.join(self.tmp, "ring." + ext)
            code, out, err = run("piece", "qr", P + "-RING-1", "--base_url", self.base,
                                 "-o", out_file)
            self.assertEqual(code, 0, err)
            self.assertIn("QR code of %s/p/%s-RING-1" % (self.base, P), out)
            with open(out_file, "rb") as f:
                self.assertEqual(f.read(), data, ext)
        code, _, err = run("piece", "qr", P + "-RING-1", "--base_url", self.base,
                           "-o", os.path.join(self.tmp, "ring.gif"))
        self.assertNotEqual(code, 0)
        self.assertIn(".svg or .png", err)

    def test_unknown_piece_is_not_found(self):
        for suffix in ("", "/bundle", "/bundle.json", "/qr.svg", "/qr.png"):
            status, _, body = get(self.base + "/p/no-such-piece" + suffix)
            self.assertEqual(status, 404, suffix)
            self.assertIn(b"no-such-piece", body, suffix)

    def forge(self, piece, index, edit, signer):
        """Forges piece's bundle with entry `index`'s record changed by `edit` (on its
        fields) and signed by `signer`'s demo key (or the operator's); checks that the C++
        verifier refuses the result, and returns (JSON file for the page, its verdict)."""
        _, _, body = get(self.base + "/p/%s/bundle.json" % piece)
        bundle = json.loads(body)
        size = int(bundle["checkpoint"].split("\n")[1])
        log = []
        for i in range(size):
            entry = subprocess.run([ARGS.touchstone, "--server", self.server.addr, "log", "entry",
                                    str(i), "--raw"], capture_output=True, env=clean_env(),
                                   check=True, timeout=60).stdout
            log.append(entry)
        self.assertIn(index, [e["index"] for e in bundle["entries"]])
        record = encode_fields(edit(parse_fields(
            forge_bundle.entry_parts(log[index])["record"])))
        key = forge_bundle.load_key(signer or self.operator_key)
        # Cosigned by the real witness too: the page demands its quorum of one.
        witness = (self.witness.name, forge_bundle.load_key(self.witness.key), int(time.time()))
        forged, binary = forge_bundle.forge(bundle, log, index, record, key,
                                            forge_bundle.load_key(self.operator_key),
                                            witnesses=[witness])
        name = os.path.join(self.tmp, "forged-%s-%d" % (piece, index))
        with open(name + ".tsbundle", "wb") as f:
            f.write(binary)
        with open(name + ".json", "w") as f:
            json.dump(forged, f)
        code, out, err = run("piece", "verify", name + ".tsbundle", "--vkey", self.vkey,
                             "--witness", self.witness.vkey, "--quorum", "1")
        self.assertEqual(code, 1, out + err)
        return name + ".json", out

    def forged_bundles(self):
        """Two forgeries of the ring's bundle, each breaking one rule the page now checks:
        the recycler registered as a cutter (so its recycled lot breaks the role rule), and
        the refiner's receipt of the melted bar signed by the maker instead (custody)."""
        code, out, err = run("--server", self.server.addr, "lookup", "participant",
                             P + "-recycler")
        self.assertEqual(code, 0, err)
        reg = int(json.loads(out)["registered_index"])

        def cutter(fields):  # participant_registered (11): roles (4) = [ROLE_CUTTER]
            body = parse_fields(dict((n, v) for n, _, v in fields)[11])
            body = [(n, w, v) for n, w, v in body if n != 4] + [(4, 2, bytes([6]))]
            body.sort(key=lambda f: f[0])  # canonical: fields in number order
            return forge_bundle.replace_field(fields, 11, encode_fields(body))
        roles, verdict = self.forge(P + "-RING-1", reg, cutter, None)
        self.assertIn("does not hold the role it needs (ROLE_RECYCLER or ROLE_REFINER)", verdict)

        code, out, err = run("--server", self.server.addr, "lookup", "lot", P + "-melt-1")
        self.assertEqual(code, 0, err)
        received = int(json.loads(out)["custody"][1])  # shipped, then received by the refiner
        maker_key = os.path.join(self.keys_dir, P + "-maker.pem")

        def by_maker(fields):  # signer (2) and key_id (3) of the maker
            fields = forge_bundle.replace_field(fields, 2, (P + "-maker").encode())
            return forge_bundle.replace_field(fields, 3, forge_bundle.key_id(
                forge_bundle.load_key(maker_key)).encode())
        custody, verdict = self.forge(P + "-RING-1", received, by_maker, maker_key)
        self.assertIn("custody rule: entry %d (custody_received) receives lot '%s-melt-1'" %
                      (received, P), verdict)
        return roles, custody

    def test_the_page_verifies_in_a_browser_and_refuses_tampering(self):
        code, out, err = run("--server", self.server.addr, "lookup", "certificate",
                             P + "-report-1")
        self.assertEqual(code, 0, err)
        report = json.loads(out)["certificate"]["report_number"]
        forged_roles, forged_custody = self.forged_bundles()
        code, output = run_browser_test(
            "page_test.mjs",
            ["--base", self.base, "--prefix", P, "--report", report, "--screenshots",
             ARGS.screenshots, "--witness", self.witness.name, "--forged-roles", forged_roles,
             "--forged-custody", forged_custody])
        self.assertEqual(code, 0, output)
        self.assertIn("all browser tests passed", output)


    def test_the_page_comes_in_the_language_accept_language_asks_for(self):
        url = self.base + "/p/%s-RING-1" % P

        def page(accept_language, query=""):
            req = urllib.request.Request(url + query, headers={"Accept-Language": accept_language})
            with urllib.request.urlopen(req, timeout=60) as r:
                html = r.read().decode()
                return re.search(r'<html lang="([^"]*)">', html).group(1), r.headers, html
        for header, lang in (("fr-CH, fr;q=0.9, en;q=0.8", "fr"), ("de-AT", "de"), ("it", "it"),
                             ("es-419,es;q=0.9", "es"), ("ja-JP", "ja"), ("zh-CN,zh;q=0.9", "zh-Hans"),
                             ("zh-TW", "en"), ("nl-NL, *;q=0.1", "en"), ("", "en"),
                             ("en;q=0.1, ja;q=0.8", "ja")):
            got, headers, html = page(header)
            self.assertEqual(got, lang, header)
            self.assertEqual(headers["Content-Language"], lang, header)
            self.assertIn("Accept-Language", headers["Vary"], header)
            self.assertIn('href="/static/i18n/%s.json"' % lang, html)
        # The switcher's ?lang= wins over the header; an unknown one is ignored.
        self.assertEqual(page("fr", "?lang=ja")[0], "ja")
        self.assertEqual(page("fr", "?lang=xx")[0], "fr")
        for lang in ("en", "fr", "de", "it", "es", "ja", "zh-Hans"):
            status, headers, body = get(self.base + "/static/i18n/%s.json" % lang)
            self.assertEqual(status, 200, lang)
            self.assertTrue(headers["Content-Type"].startswith("application/json"), lang)
            self.assertTrue(json.loads(body)["page.language"], lang)
        status, _, _ = get(self.base + "/static/i18n/nl.json")
        self.assertEqual(status, 404)

    def test_the_page_speaks_french_and_japanese_in_a_browser(self):
        code, output = run_browser_test(
            "page_i18n_test.mjs",
            ["--base", self.base, "--prefix", P, "--screenshots", ARGS.screenshots, "--web",
             os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "services", "web")])
        self.assertEqual(code, 0, output)
        self.assertIn("all browser tests passed", output)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--screenshots", required=True)
    extra, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    ARGS, argv = parse_binaries()
    ARGS.screenshots = os.path.abspath(extra.screenshots)
    unittest.main(argv=argv, verbosity=2)
