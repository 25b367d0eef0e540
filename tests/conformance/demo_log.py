"""The log the conformance corpus is forged from: a real touchstoned on
127.0.0.1 port 0 (gRPC and HTTP), cosigned by a real `touchstone witness`,
seeded by `touchstone demo`, audited and cosigned by an auditor (`touchstone
audit --cosign-key`, the server's --auditor); with the demo participants' keys, the operator's
key, the witness's key, every entry of the log and the honest bundle of every
demo piece, as the corpus generator (generate_corpus.py) needs them.
For tests only; /usr/bin/python3 with python3-cryptography."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import forge_bundle  # noqa: E402
from e2e_support import (Server, clean_env, parse_fields, read_port_file,  # noqa: E402
                         start_witness)

PREFIX = "c"
# Every piece `touchstone demo` makes (services/cli_demo_story.cc, cli_demo_trade.cc,
# cli_demo_heirloom.cc), by its short name.
PIECES = ("RING-1", "PENDANT-1", "BAND-1", "PAVE-1", "GOLD18-1", "MB-1", "NATURAL-1",
          "BRACELET-1", "HEIRLOOM-RING-1")
WITNESS_NAME = "w1.example/witness"
AUDITOR_NAME = "a1.example/auditor"
LOG_NAME = "touchstone.local/ledger"
TRADE_RULES = 2  # LogPolicy.rules_version of the trade rules (ledger/provenance/log_policy.h)
GENESIS_POLICY, RULES_VERSION = 3, 4  # Genesis.policy, LogPolicy.rules_version


class DemoLog:
    """A seeded, witnessed touchstoned and what a forger needs of it. Not thread-safe.
    Start with start(), end with stop() (or kill() on failure)."""

    def __init__(self, touchstone, touchstoned, tmp):
        self.touchstone, self.touchstoned, self.tmp = touchstone, touchstoned, tmp
        self.server = self.witness = None

    def run(self, *args, check=True):
        """stdout (bytes) of `touchstone ARGS`; raises AssertionError on failure if `check`."""
        proc = subprocess.run([self.touchstone] + list(args), capture_output=True,
                              env=clean_env(), timeout=120, cwd=self.tmp)
        if check and proc.returncode != 0:
            raise AssertionError("touchstone %s: exit %d\n%s%s" % (
                " ".join(args), proc.returncode, proc.stdout.decode(errors="replace"),
                proc.stderr.decode(errors="replace")))
        return proc.stdout

    def cli(self, *args):
        """`touchstone --server ADDR ARGS` as JSON (ARGS end with --json)."""
        return json.loads(self.run("--server", self.server.addr, *args))

    def start(self):
        self.operator_pem = os.path.join(self.tmp, "operator.pem")
        out = self.run("keygen", "-o", self.operator_pem, "--name", LOG_NAME).decode()
        log_vkey = re.search(r"^verifier_key (\S+)$", out, re.M).group(1)
        self.witness = start_witness(self.touchstone, self.tmp, WITNESS_NAME, log_vkey)
        # An auditor (ledger/log/audit_note.h): its key made as a witness's is.
        self.auditor_pem = os.path.join(self.tmp, "auditor.pem")
        self.run("keygen", "-o", self.auditor_pem)
        self.auditor_vkey = self.run("witness-key", self.auditor_pem, "--name",
                                     AUDITOR_NAME).decode().strip()
        http_port_file = os.path.join(self.tmp, "http_port")
        self.server = Server(self.touchstoned, self.tmp, os.path.join(self.tmp, "data"),
                             ["--http_listen", "127.0.0.1:0", "--http_port_file", http_port_file,
                              "--operator_key", self.operator_pem, "--witness",
                              "%s=%s" % (self.witness.url, self.witness.vkey),
                              "--witness_quorum", "1",
                              "--auditor", "%s=%s" % (AUDITOR_NAME, self.auditor_vkey)]).start()
        self.base = "http://127.0.0.1:%d" % read_port_file(http_port_file, self.server)
        self.keys_dir = os.path.join(self.tmp, "keys")
        self.run("--server", self.server.addr, "demo", "--prefix", PREFIX,
                 "--operator_key", self.operator_pem, "--keys_dir", self.keys_dir)
        # Bundles carry the witness's cosignature once it has cosigned the whole log.
        deadline = time.monotonic() + 30
        while True:
            info = self.cli("log", "info", "--json")
            if info["witnessed_size"] == info["size"]:
                break
            assert time.monotonic() < deadline, "no cosignature in 30 s:\n" + self.server.log()
            time.sleep(0.1)
        self.vkey = info["verifier_key"]
        # The auditor audits the whole log (its data directory, read-only) and cosigns it:
        # bundles carry that audited checkpoint from then on.
        self.run("--server", self.server.addr, "audit", "--data_dir", os.path.join(self.tmp, "data"),
                 "--cosign-key", self.auditor_pem, "--cosign-name", AUDITOR_NAME)
        assert self.vkey == log_vkey, (self.vkey, log_vkey)
        self.size = int(info["size"])
        self.log = [self.run("--server", self.server.addr, "log", "entry", str(i), "--raw")
                    for i in range(self.size)]
        assert self.rules_version() == TRADE_RULES, "the demo's log is not under the trade rules"
        self.operator_key = forge_bundle.load_key(self.operator_pem)
        self.witness_key = forge_bundle.load_key(self.witness.key)
        self.honest = {}  # piece id -> (bundle JSON dict, binary PieceBundle bytes)
        for piece in PIECES:
            pid = self.piece(piece)
            bundle = json.loads(self.get("/p/%s/bundle.json" % pid))
            assert int(bundle["checkpoint"].split("\n")[1]) == self.size, "the log grew"
            assert bundle.get("audited_checkpoint"), "the bundle carries no audited checkpoint"
            self.honest[pid] = (bundle, self.get("/p/%s/bundle" % pid))
        return self

    def stop(self):
        code = self.server.stop()
        self.witness.stop()
        assert code == 0, "touchstoned exited %d:\n%s" % (code, self.server.log())

    def kill(self):
        for proc in (self.server, self.witness):
            if proc is not None:
                proc.kill()

    # ---------------------------------------------------------------- reading the log

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=60) as r:
            return r.read()

    def piece(self, short):
        """The demo's id of a piece, lot, certificate or participant: "c-RING-1"."""
        return "%s-%s" % (PREFIX, short)

    def key(self, who):
        """The private key of demo participant `who` ("jeweler") or "operator"."""
        if who == "operator":
            return self.operator_key
        return forge_bundle.load_key(os.path.join(self.keys_dir, self.piece(who) + ".pem"))

    def rules_version(self):
        """LogPolicy.rules_version of the policy in force at the end of the log: the
        genesis's, or that of the last LogPolicy entry."""
        policy = None
        for i in range(self.size):
            number, body = forge_bundle.body_of(self.record(i))
            if number == forge_bundle.BODY["genesis"]:
                policy = parse_fields(forge_bundle.field(body, GENESIS_POLICY, b""))
            elif number == forge_bundle.BODY["log_policy"]:
                policy = body
        return forge_bundle.field(policy, RULES_VERSION, 0)

    def record(self, index):
        """The record of log entry `index`, as parse_fields gives it."""
        return parse_fields(forge_bundle.entry_parts(self.log[index])["record"])

    def find(self, kind, test=lambda body: True):
        """The index of the only log entry whose record has body field `kind`
        (forge_bundle.BODY) and whose body (fields) passes `test`."""
        found = [i for i in range(self.size)
                 if forge_bundle.body_of(self.record(i))[0] == forge_bundle.BODY[kind] and
                 test(forge_bundle.body_of(self.record(i))[1])]
        assert len(found) == 1, "%s: %d entries match" % (kind, len(found))
        return found[0]
