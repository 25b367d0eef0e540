#!/usr/bin/env python3
"""Conformance: "Verified" must never lie (issue 12). The corpus of
generate_corpus.py (the honest bundle of every demo piece, a control forged
without breaking a rule, and forged bundles breaking each rule of
ledger/bundle/bundle_rules.h, valid in every other respect) is generated from a real
touchstoned seeded by `touchstone demo` and cosigned by a real witness, then
checked by three verifiers:
  C++       `touchstone piece verify --json` (cli_runner.py);
  Node      services/web/verify.js as built, under Node's WebCrypto (node_runner.mjs);
  Chromium  the real page of the piece from the running touchstoned, served the
            entry's bundle (tests/browser/conformance_page.mjs).
Every bundle that must verify is accepted by all three; every forged one is
refused by all three, each naming the manifest's rule. Prints a table of every
entry with each verifier's rule, and "N passed, M failed".

Usage: conformance_test.py --touchstoned PATH --touchstone PATH --web_dir DIR --corpus DIR
         [--verify_js FILE] [unittest args]
(DIR: build/services/web, where verify.js and verify_tables.js are built; the
corpus is written to --corpus. --verify_js: a verify.js to use in Node and the
page instead of the built one, beside a copy of verify_tables.js, to check that
a verifier with a check taken out fails this test.)"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # tests/: e2e_support, forge_bundle
import cli_runner  # noqa: E402
import demo_log  # noqa: E402
import generate_corpus  # noqa: E402
import forge_bundle  # noqa: E402
import grpc  # noqa: E402
from e2e_support import encode_fields, parse_binaries, record_signing_message  # noqa: E402

BROWSER_DIR = os.path.join(os.path.dirname(HERE), "browser")
ARGS = None
VERIFIERS = ("C++", "Node", "Chromium")


def node(*args, cwd):
    """The JSON a node script prints; AssertionError with its output if it fails."""
    proc = subprocess.run(["node"] + list(args), cwd=cwd, capture_output=True, timeout=600)
    if proc.returncode != 0:
        raise AssertionError("node %s: exit %d\n%s%s" % (" ".join(args), proc.returncode,
                                                         proc.stdout.decode(errors="replace"),
                                                         proc.stderr.decode(errors="replace")))
    return json.loads(proc.stdout)


def verdict(result):
    return "VERIFIED" if result["ok"] else (result["rule"] or "(no rule)")


def agrees(entry, result):
    return result["ok"] if entry["rule"] == "" else (not result["ok"] and
                                                     result["rule"] == entry["rule"])


class ConformanceTest(unittest.TestCase):
    def test_every_verifier_refuses_each_forgery_for_its_rule_and_accepts_the_honest(self):
        tmp = tempfile.mkdtemp(prefix="touchstone-conformance-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        started = time.monotonic()
        npm = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR,
                             capture_output=True, timeout=300)
        self.assertEqual(npm.returncode, 0, npm.stderr.decode(errors="replace"))
        log = demo_log.DemoLog(ARGS.touchstone, ARGS.touchstoned, tmp)
        self.addCleanup(log.kill)
        log.start()
        manifest = generate_corpus.generate(log, ARGS.corpus)
        self.replay_the_two_body_record(log)
        generated = time.monotonic()
        verify_js = os.path.join(ARGS.web_dir, "verify.js")
        page_args = []
        if ARGS.verify_js:
            scratch = os.path.join(tmp, "web")
            shutil.copytree(ARGS.web_dir, scratch)
            shutil.copy(ARGS.verify_js, os.path.join(scratch, "verify.js"))
            verify_js = os.path.join(scratch, "verify.js")
            page_args = ["--verify-js", verify_js]
        results = {"C++": cli_runner.run(ARGS.touchstone, ARGS.corpus)}
        timings = {"C++": time.monotonic()}
        results["Node"] = node(os.path.join(HERE, "node_runner.mjs"), "--corpus", ARGS.corpus,
                               "--verify", verify_js, cwd=HERE)
        timings["Node"] = time.monotonic()
        results["Chromium"] = node("conformance_page.mjs", "--base", log.base, "--corpus",
                                   ARGS.corpus, *page_args, cwd=BROWSER_DIR)
        timings["Chromium"] = time.monotonic()
        log.stop()

        rows, failed = [], []
        for e in manifest["entries"]:
            got = [results[v][e["name"]] for v in VERIFIERS]
            ok = all(agrees(e, r) for r in got)
            rows.append((e["name"], e["rule"] or "(verifies)", *[verdict(r) for r in got],
                         "" if ok else "FAIL"))
            if not ok:
                failed.append((e, got))
        header = ("entry", "expected", *VERIFIERS, "")
        widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
        line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()  # noqa: E731
        print("\n" + line(header) + "\n" + "\n".join(line(r) for r in rows), file=sys.stderr)
        for e, got in failed:
            print("\nFAIL %s (%s, piece %s; expected %s):" % (
                e["name"], e["description"], e["piece"], e["rule"] or "verified"), file=sys.stderr)
            for v, r in zip(VERIFIERS, got):
                print("  %-8s %s: %s" % (v, verdict(r), r["detail"]), file=sys.stderr)
        print("\n%d passed, %d failed (corpus of %d entries, every rule of ledger/bundle/bundle_rules.h; "
              "generated in %.1f s; C++ %.1f s, Node %.1f s, Chromium %.1f s)" % (
                  len(rows) - len(failed), len(failed), len(rows), generated - started,
                  timings["C++"] - generated, timings["Node"] - timings["C++"],
                  timings["Chromium"] - timings["Node"]), file=sys.stderr)
        self.assertEqual([e["name"] for e, _ in failed], [], "the verifiers disagree with the corpus")

    def replay_the_two_body_record(self, log):
        """The forged record of issue 12 (a fake piece_registered then the genuine
        piece_lifecycle, one record), under a fresh record id and signed by the
        jeweler's real key, submitted to the running server: refused with
        INVALID_ARGUMENT naming both bodies, and the log does not grow."""
        with open(os.path.join(ARGS.corpus, "encoding-two-bodies.json")) as f:
            bundle = json.load(f)
        forged = [base64.b64decode(e["entry"]) for e in bundle["entries"]
                  if base64.b64decode(e["entry"]) != log.log[e["index"]]]
        self.assertEqual(len(forged), 1)
        fields = forge_bundle.parse_fields(forge_bundle.entry_parts(forged[0])["record"])
        self.assertEqual([n for n, _, _ in fields if n >= 10], [24, 25])  # both bodies
        record = encode_fields(forge_bundle.replace_field(fields, 1, b"replay-two-bodies"))
        origin = bundle["checkpoint"].split("\n")[0]
        signature = log.key("jeweler").sign(record_signing_message(origin, record))
        request = encode_fields([(1, 2, record), (2, 2, signature)])
        with grpc.insecure_channel(log.server.addr) as channel:
            submit = channel.unary_unary("/touchstone.v1.Ledger/Submit")
            with self.assertRaises(grpc.RpcError) as refused:
                submit(request, timeout=30)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("fields piece_registered (24) and piece_lifecycle (25) of oneof body are "
                      "both set", refused.exception.details())
        self.assertEqual(int(log.cli("log", "info", "--json")["size"]), log.size)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--web_dir", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--verify_js")
    extra, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0]] + rest
    ARGS, argv = parse_binaries()
    ARGS.web_dir, ARGS.corpus = os.path.abspath(extra.web_dir), os.path.abspath(extra.corpus)
    ARGS.verify_js = extra.verify_js and os.path.abspath(extra.verify_js)
    unittest.main(argv=argv, verbosity=2)
