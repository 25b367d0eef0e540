#!/usr/bin/python3
"""Prometheus metrics at /metrics on touchstoned's HTTP port, against what was done to it:
records appended, refusals by reason, commit groups, the log size; with --metrics_listen, on a
port of their own and no longer on the pages' port. Parsed as the Prometheus
text format (every sample line `name{labels} value`, every family typed). And the server's
log: one JSON object per line, with time, level, event and message, and no key material."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

from e2e_support import Server, clean_env, parse_binaries, read_port_file, scrape_metrics as scrape

ARGS = None


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="touchstone_metrics_")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.data = os.path.join(self.tmp, "data")
        port_file = os.path.join(self.tmp, "http_port")
        self.server = Server(ARGS.touchstoned, self.tmp, self.data,
                             ["--http_listen", "127.0.0.1:0", "--http_port_file", port_file])
        self.addCleanup(self.server.kill)
        self.server.start()
        self.base = "http://127.0.0.1:%d" % read_port_file(port_file, self.server)

    def cli(self, *args):
        return subprocess.run([ARGS.touchstone, "--server", self.server.addr] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=60,
                              cwd=self.tmp)

    def test_metrics_count_what_the_ledger_did(self):
        before = scrape(self.base)
        self.assertEqual(before["touchstone_log_size"], 1)  # the genesis entry
        self.assertEqual(before["touchstone_appended_total"], 0)
        op = os.path.join(self.data, "operator.pem")
        key = os.path.join(self.tmp, "refiner.pem")
        self.assertEqual(self.cli("keygen", "-o", key).returncode, 0)
        register = ["participant", "register", "--as", "operator", "--key", op, "--id", "refiner",
                    "--name", "Alpenrand Refining SA", "--role", "refiner", "--pubkey", key]
        r = self.cli(*register)
        self.assertEqual(r.returncode, 0, r.stderr)
        # The same participant id again (other record id): a rule refuses it.
        r = self.cli(*register)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ALREADY_EXISTS", r.stderr)
        # A record signed by a key the signer does not have.
        lot = os.path.join(self.tmp, "lot.json")
        with open(lot, "w") as f:
            f.write('{"lotCreated": {"lotId": "grain-1", "material": "gold", "form": "grain", '
                    '"originClass": "ORIGIN_CLASS_MINED", "quantity": "1000", '
                    '"unit": "UNIT_MILLIGRAM", "finenessPtt": 9990}}')
        other = os.path.join(self.tmp, "other.pem")
        self.assertEqual(self.cli("keygen", "-o", other).returncode, 0)
        r = self.cli("submit", "--as", "refiner", "--key", other, "--json", lot)
        self.assertNotEqual(r.returncode, 0)
        r = self.cli("submit", "--as", "refiner", "--key", key, "--json", lot)
        self.assertEqual(r.returncode, 0, r.stderr)

        after = scrape(self.base)
        self.assertEqual(after["touchstone_log_size"], 3)
        self.assertEqual(after["touchstone_appended_total"], 2)
        refused = {k: v for k, v in after.items() if k.startswith("touchstone_refused_total")}
        self.assertEqual(sum(refused.values()), 2, refused)
        self.assertEqual(after['touchstone_refused_total{code="ALREADY_EXISTS"}'], 1)
        self.assertEqual(sum(v for k, v in refused.items() if "ALREADY_EXISTS" not in k), 1)
        # Every submission that reached the sequencer ran in some commit group.
        self.assertGreaterEqual(after["touchstone_commit_groups_total"], 3)
        self.assertEqual(after["touchstone_commit_group_size_count"],
                         after["touchstone_commit_groups_total"])
        self.assertEqual(after['touchstone_commit_group_size_bucket{le="+Inf"}'],
                         after["touchstone_commit_group_size_count"])
        self.assertEqual(after["touchstone_commit_seconds_count"], 2)  # groups that appended
        self.assertGreater(after["touchstone_commit_seconds_sum"], 0)
        self.assertGreaterEqual(after["touchstone_checkpoint_age_seconds"], 0)
        self.assertLess(after["touchstone_checkpoint_age_seconds"], 60)
        self.assertEqual(after["touchstone_witnessed_size"], 0)


    def test_metrics_listen_serves_metrics_on_their_own_port_and_not_on_the_pages_port(self):
        self.assertEqual(self.server.stop(), 0)
        pages_file, metrics_file = (os.path.join(self.tmp, n) for n in ("pages", "metrics"))
        server = Server(ARGS.touchstoned, self.tmp, self.data,
                        ["--http_listen", "127.0.0.1:0", "--http_port_file", pages_file,
                         "--metrics_listen", "127.0.0.1:0", "--metrics_port_file", metrics_file])
        self.addCleanup(server.kill)
        server.start()
        pages = "http://127.0.0.1:%d" % read_port_file(pages_file, server)
        metrics = "http://127.0.0.1:%d" % read_port_file(metrics_file, server)
        self.assertNotEqual(pages, metrics)
        samples = scrape(metrics)
        self.assertEqual(samples["touchstone_log_size"], 1)
        self.assertEqual(samples["touchstone_http_bundle_cache_hits_total"], 0)
        for base, path in ((pages, "/metrics"), (metrics, "/p/anything"), (metrics, "/")):
            with self.assertRaises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path, timeout=10)
            self.assertEqual(refused.exception.code, 404, base + path)
        # The pages' port still serves the pages.
        with urllib.request.urlopen(pages + "/static/verify.js", timeout=10) as r:
            self.assertEqual(r.status, 200)
        self.assertEqual(server.stop(), 0)
        events = [json.loads(l)["event"] for l in server.log().splitlines() if l.strip()]
        self.assertEqual(events[:3], ["serving", "http_serving", "metrics_serving"])

    def test_the_log_is_one_json_object_per_line_without_key_material(self):
        self.assertEqual(self.server.stop(), 0)
        lines = [l for l in self.server.log().splitlines() if l.strip()]
        events = [json.loads(l) for l in lines]  # every line parses
        for e in events:
            self.assertEqual(set(e) >= {"time", "level", "event", "msg"}, True, e)
            self.assertRegex(e["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
        names = [e["event"] for e in events]
        self.assertEqual(names[:2], ["serving", "http_serving"])
        self.assertEqual(names[-2:], ["stopping", "stopped"])
        serving = events[0]
        self.assertEqual(serving["size"], 1)
        self.assertEqual(serving["tls"], "plaintext")
        with open(os.path.join(self.data, "operator.pem")) as f:
            key_body = "".join(f.read().splitlines()[1:-1])
        self.assertNotIn(key_body, self.server.log())
        self.assertNotIn("PRIVATE KEY", self.server.log())


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
