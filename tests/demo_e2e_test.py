#!/usr/bin/env python3
"""End-to-end scenario over real gRPC: `touchstone demo` seeds a real touchstoned,
then the story it tells is checked against the live log.

The demo's participants (their keys are in the demo's --keys_dir) then try what
the rules forbid, through `touchstone submit --json`: re-spending a lot already
shipped and refined, setting a stone already set, a claim the inputs do not
support, writing with a revoked key. A second demo run with another prefix
works; the same prefix again is refused without appending anything. Finally
the server is stopped with SIGTERM and restarted over the same data directory:
same log size and checkpoint, same derived state.

Usage: demo_e2e_test.py --touchstoned PATH --touchstone PATH [unittest args]
Python 3 standard library only.
"""

import base64
import hashlib
import json
import os
import pty
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from e2e_support import Server, clean_env, parse_binaries, proto_fields

TOUCHSTONED = None
TOUCHSTONE = None
P = "d1"  # the first demo run's prefix


class Result:
    def __init__(self, args, proc):
        self.args, self.rc = args, proc.returncode
        self.out = proc.stdout.decode(errors="replace")
        self.err = proc.stderr.decode(errors="replace")

    def field(self, name):
        for line in self.out.splitlines():
            if line.split(" ", 1)[0] == name:
                return line.split(" ", 1)[1]
        raise AssertionError("no %r line in:\n%s" % (name, self.out))

    def describe(self):
        return "touchstone %s -> exit %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.args), self.rc, self.out, self.err)


def parse_entry(data):
    """Entry v1 (ledger/log/entry_format.h): the record bytes inside."""
    assert data[:4] == b"TSE1", "bad magic %r" % data[:4]
    r = int.from_bytes(data[52:56], "big")
    return {"index": int.from_bytes(data[4:12], "big"), "record": data[56:56 + r]}


# record.proto field numbers.
REC_SIGNER, REC_KEY_ID, REC_TIME = 2, 3, 4
BODY = {11: "participant_registered", 17: "certificate_issued",
        18: "certificate_status_changed", 20: "lot_created", 21: "transformation",
        22: "custody_shipped", 23: "custody_received", 24: "piece_registered",
        25: "piece_lifecycle", 26: "stone_replaced", 27: "error_declared",
        30: "scheme_registered", 31: "credit_account_opened", 32: "credit_booked",
        33: "credit_allocated", 34: "ownership_accepted", 35: "ownership_transferred",
        38: "heirloom_received"}
N = 128  # records the demo appends (services/cli_demo.h kDemoRecords)
PARTIES = ("recycler", "refiner", "grower", "cutter", "maker", "jeweler", "miner", "rjc", "scs",
           "igi", "kp-bw")
PIECES = ("RING-1", "PENDANT-1", "BAND-1", "PAVE-1", "GOLD18-1", "MB-1", "NATURAL-1",
          "BRACELET-1", "HEIRLOOM-RING-1")
STEP = re.compile(r"^\s*(\d+)  (\S+)\s+(.*)$")


class DemoScenarioTest(unittest.TestCase):
    """One server; the demo seeds it once; tests run in name order (test_1 ... test_9)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_demo_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data_dir = os.path.join(cls.tmp, "data")
        cls.keys_dir = os.path.join(cls.tmp, "keys")
        cls.operator_key = os.path.join(cls.data_dir, "operator.pem")
        cls.server = Server(TOUCHSTONED, cls.tmp, cls.data_dir)
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.started = time.time()
        cls.demo = cls.run_demo(P)
        cls.finished = time.time()
        cls.steps = [(int(m.group(1)), m.group(2), m.group(3))
                     for m in map(STEP.match, cls.demo.out.splitlines()) if m]
        cls.pieces = re.findall(r"^  piece (\S+)", cls.demo.out, re.M)
        cls.revoked = re.findall(r"^revoked certificate: (\S+)", cls.demo.out, re.M)

    @classmethod
    def ts(cls, *args):
        cmd = [TOUCHSTONE, "--server", cls.server.addr] + list(args)
        return Result(list(args), subprocess.run(cmd, capture_output=True, cwd=cls.tmp,
                                                 env=clean_env(), timeout=60))

    @classmethod
    def run_demo(cls, prefix):
        return cls.ts("demo", "--operator_key", cls.operator_key, "--keys_dir", cls.keys_dir,
                      "--prefix", prefix)

    def ok(self, *args):
        r = self.ts(*args)
        self.assertEqual(r.rc, 0, r.describe())
        return r

    def key(self, who, prefix=P):
        return os.path.join(self.keys_dir, "%s-%s.pem" % (prefix, who))

    def size(self):
        return int(self.ok("log", "info").field("size"))

    def submit(self, who, record):
        """`touchstone submit --json` signed with the demo's key of <P>-<who>."""
        path = os.path.join(self.tmp, "record.%d.json" % time.monotonic_ns())
        with open(path, "w") as f:
            json.dump(record, f)
        return self.ts("submit", "--as", "%s-%s" % (P, who), "--key", self.key(who),
                       "--json", path)

    def assert_refused(self, who, record, code, message):
        before = self.size()
        r = self.submit(who, record)
        self.assertNotEqual(r.rc, 0, r.describe())
        self.assertIn("touchstone: %s: %s" % (code, message), r.err, r.describe())
        self.assertEqual(self.size(), before, "a refused record changed the log")
        return r

    def lookup(self, kind, ident):
        return json.loads(self.ok("lookup", kind, ident).out)

    def record_at(self, index):
        entry = parse_entry(subprocess.run(
            [TOUCHSTONE, "--server", self.server.addr, "log", "entry", str(index), "--raw"],
            capture_output=True, env=clean_env(), timeout=60, check=True).stdout)
        self.assertEqual(entry["index"], index)
        return proto_fields(entry["record"])

    def step(self, signer, what_prefix):
        """(index, what) of the demo's line by `signer` starting with `what_prefix`."""
        found = [(i, w) for i, s, w in self.steps if s == signer and w.startswith(what_prefix)]
        self.assertEqual(len(found), 1, "%s %r in:\n%s" % (signer, what_prefix, self.demo.out))
        return found[0]

    # -- the demo itself ------------------------------------------------------

    def test_1_demo_exits_zero_and_tells_the_story_step_by_step(self):
        self.assertEqual(self.demo.rc, 0, self.demo.describe())
        self.assertEqual(self.pieces, ["%s-%s" % (P, p) for p in PIECES])
        self.assertEqual(self.revoked, [P + "-report-2"])
        # One line per record, indexes 1..N in order, the log holds exactly them.
        self.assertEqual([i for i, _, _ in self.steps], list(range(1, N + 1)))
        self.assertIn("%d records appended, log size %d" % (N, N + 1), self.demo.out)
        self.assertLess(self.finished - self.started, 30)
        # Who signs what: each record by the participant it speaks for.
        expect = [("operator", "registers %s-recycler (recycler)" % P),
                  ("operator", "registers %s-igi (certifier)" % P),
                  ("operator", "registers scheme rjc-coc (chain-of-custody): only %s-rjc "
                               "signs its certificates" % P),
                  (P + "-scs", "certifies %s-recycler: scs-recycled" % P),
                  (P + "-rjc", "certifies %s-refiner: rjc-coc" % P),
                  (P + "-recycler", "creates lot %s-scrap-14k: 150.000 g (4.823 ozt, 96.452 "
                                    "dwt) gold scrap @585 (14k), recycled post-consumer" % P),
                  (P + "-recycler", "MERGE "), (P + "-recycler", "ships %s-melt-1" % P),
                  (P + "-refiner", "receives %s-melt-1" % P),
                  (P + "-refiner", "REFINE %s-melt-1 250.000 g (8.038 ozt, 160.754 dwt) -> "
                                   "%s-grain-1 162.500 g (5.224 ozt, 104.490 dwt) grain @999.9 "
                                   "(24k); declared loss 0.266 g" % (P, P)),
                  (P + "-refiner", "SPLIT "), (P + "-maker", "ALLOY %s-grain-1a" % P),
                  (P + "-maker", "ALLOY %s-grain-1b 40.000 g" % P), (P + "-maker", "CAST "),
                  (P + "-grower", "creates lot %s-rough-1: 3.420 ct rough diamond, lab grown" % P),
                  (P + "-cutter", "CUT_AND_POLISH %s-rough-1" % P),
                  (P + "-igi", "grades %s-stone-1: report %s-report-1" % (P, P)),
                  (P + "-jeweler", "registers piece %s-RING-1" % P),
                  (P + "-jeweler", "sells %s-RING-1" % P),
                  (P + "-jeweler", "sells %s-BAND-1 to the same customer" % P),
                  (P + "-igi", "revokes report %s-report-2" % P),
                  (P + "-jeweler", "replaces %s-stone-2 in %s-PENDANT-1" % (P, P)),
                  (P + "-jeweler", "declares entry "),
                  (P + "-cutter", "SPLIT %s-melee-1 0.240 ct (24 stones; 76 stones, 0.760 ct "
                                  "left) -> %s-melee-24 24 stones, 0.240 ct" % (P, P)),
                  (P + "-refiner", "opens mass-balance account %s-mb-account" % P),
                  (P + "-refiner", "books "), (P + "-refiner", "allocates "),
                  (P + "-kp-bw", "issues Kimberley Process certificate %s-kp-1" % P),
                  (P + "-miner", "ships %s-rough-n1" % P)]
        for signer, what in expect:
            self.step(signer, what)
        # Keys: one PEM per participant, owner-only.
        for who in PARTIES:
            self.assertEqual(os.stat(self.key(who)).st_mode & 0o777, 0o600, who)
        self.assertIn("%d created, 0 reused" % len(PARTIES), self.demo.out)

    def test_1b_progress_goes_to_a_terminal_only(self):
        # Captured (not a terminal): the story on stdout, nothing else anywhere.
        self.assertEqual(self.demo.err, "")
        self.assertNotIn("\r", self.demo.out)
        self.assertNotIn("records appended and checked", self.demo.out)
        # With stderr on a terminal (a pty), a progress line counts up to the last record
        # there, and stdout stays the same story.
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen(
                [TOUCHSTONE, "--server", self.server.addr, "demo", "--operator_key",
                 self.operator_key, "--keys_dir", self.keys_dir, "--prefix", "dp"],
                stdout=subprocess.PIPE, stderr=slave, cwd=self.tmp, env=clean_env())
            os.close(slave)
            tty = b""
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                tty += chunk
            out = proc.stdout.read().decode()
            self.assertEqual(proc.wait(timeout=60), 0, out + tty.decode(errors="replace"))
        finally:
            os.close(master)
        tty = tty.decode(errors="replace")
        # (A second run on this log: the schemes are registered already, 5 records fewer.)
        self.assertIn("\rdemo: 1 of %d records appended and checked" % N, tty)
        self.assertIn("\rdemo: %d of %d records appended and checked" % (N - 5, N - 5), tty)
        self.assertNotIn("\r", out)
        self.assertIn("%d records appended" % (N - 5), out)

    def test_1b_two_sales_to_one_customer_do_not_link(self):
        # The jeweler keeps each sale's salt and owner; the log holds only the hash.
        sales_path = os.path.join(self.keys_dir, P + "-jeweler-sales.txt")
        self.assertIn("owner salts the jeweler keeps: " + sales_path, self.demo.out)
        self.assertEqual(os.stat(sales_path).st_mode & 0o777, 0o600)
        with open(sales_path) as f:
            sales = [line.rstrip("\n").split(" ", 3) for line in f]
        self.assertEqual([piece for _, piece, _, _ in sales], [P + "-RING-1", P + "-BAND-1"])
        (ring_index, _, ring_salt, ring_owner), (band_index, _, band_salt, band_owner) = sales
        self.assertEqual(ring_owner, band_owner)  # one customer bought both
        self.assertRegex(ring_owner, r"^customer \d+$")
        self.assertEqual(len(bytes.fromhex(ring_salt)), 16)
        self.assertNotEqual(ring_salt, band_salt)  # a fresh salt per sale
        hashes = []
        for index, piece, salt, owner in sales:
            self.assertEqual(int(index), self.step(P + "-jeweler", "sells " + piece)[0])
            sold = proto_fields(self.record_at(int(index))[25][0])  # piece_lifecycle
            self.assertEqual(sold[1], [piece.encode()])
            self.assertEqual(sold[2], [1])  # PIECE_EVENT_SOLD
            self.assertEqual(sold[3], [hashlib.sha256(bytes.fromhex(salt) +
                                                      owner.encode()).digest()])
            hashes.append(sold[3][0])
        self.assertNotEqual(hashes[0], hashes[1])  # nothing in the log links the two sales

    def test_2_every_record_is_signed_by_the_printed_participant_at_real_now_times(self):
        key_ids = {"operator": self.ok("key", self.operator_key).field("key_id")}
        for name in (n for n in os.listdir(self.keys_dir) if n.endswith(".pem")):
            key_ids[name[:-4]] = self.ok("key", os.path.join(self.keys_dir, name)).field("key_id")
        last = 0
        for index, signer, what in self.steps:
            rec = self.record_at(index)
            if signer == "owner":  # "owner key K ...": signed by an owner key alone
                self.assertTrue(what.startswith("key "), what)
                self.assertNotIn(REC_SIGNER, rec, what)
                self.assertNotIn(REC_KEY_ID, rec, what)
                self.assertIn(100, rec, what)  # Record.owner_signature
            else:
                self.assertEqual(rec[REC_SIGNER][0].decode(), signer, what)
                self.assertEqual(rec[REC_KEY_ID][0].decode(), key_ids[signer], what)
            t = rec[REC_TIME][0] / 1e6
            self.assertGreater(rec[REC_TIME][0], last, "event times must increase: " + what)
            self.assertTrue(self.started - 1 <= t <= self.finished + 1, what)
            last = rec[REC_TIME][0]
            self.assertEqual(len([f for f in rec if f in BODY]), 1, what)

    def test_3_claims_revocation_and_replacement_as_the_ledger_derives_them(self):
        revoke_index, _ = self.step(P + "-igi", "revokes report")
        # From the entry itself: CertificateStatusChanged{certificate_id, REVOKED}.
        body = proto_fields(self.record_at(revoke_index)[18][0])
        self.assertEqual(body[1], [(P + "-report-2").encode()])
        self.assertEqual(body[2], [2])  # CERTIFICATE_STATUS_REVOKED
        ring_index, _ = self.step(P + "-jeweler", "registers piece %s-RING-1" % P)
        ring = proto_fields(self.record_at(ring_index)[24][0])
        self.assertEqual(ring[3], [(P + "-stone-1").encode()])
        ring = self.lookup("piece", P + "-RING-1")
        # Per material, as the jeweler stated them and the ledger checked them.
        self.assertEqual(ring["material_claims"], [
            {"material": "gold", "attribute": "ATTRIBUTE_RECYCLED",
             "model": "CUSTODY_MODEL_SEGREGATED", "share_bp": 10000, "scheme": "scs-recycled"},
            {"material": "diamond", "attribute": "ATTRIBUTE_LAB_GROWN",
             "model": "CUSTODY_MODEL_IDENTITY_PRESERVED", "share_bp": 10000}])
        self.assertEqual(len(base64.b64decode(ring["owner_salted_sha256"])), 32)
        self.assertEqual(ring["last_event"], "PIECE_EVENT_REPAIRED")
        pendant = self.lookup("piece", P + "-PENDANT-1")
        self.assertEqual(pendant["stone_lot_ids"], [P + "-stone-3"])
        self.assertEqual(len(pendant["material_claims"]), 2)  # they still hold after it
        cert = self.lookup("certificate", P + "-report-2")
        self.assertEqual(cert["status_now"], "revoked")
        change = cert["certificate"]["changes"][0]
        self.assertEqual(change["status"], "CERTIFICATE_STATUS_REVOKED")
        self.assertEqual(int(change["index"]), revoke_index)
        # Revoked after it was used: the pendant was registered with it before.
        self.assertGreater(int(change["effective_micros"]), int(pendant["registered_micros"]))
        self.assertEqual(self.lookup("certificate", P + "-report-1")["status_now"], "valid")
        stone2 = self.lookup("lot", P + "-stone-2")
        self.assertNotIn("active_piece", stone2)  # released by the replacement
        self.assertEqual(stone2["custodian"], P + "-jeweler")
        cast = self.lookup("lot", P + "-cast-1")
        # RING-1, PENDANT-1, BAND-1, PAVE-1 and NATURAL-1 took their gold from it.
        self.assertEqual(int(cast["balance"]), 133100 - 3850 - 2100 - 5600 - 4200 - 3600)
        # Under the trade rules the gold's origin is the gold's: the pre-consumer
        # silver-copper alloyed into it is listed apart, not mixed into the origin.
        self.assertEqual(cast["origin_class"], "ORIGIN_CLASS_RECYCLED_POST_CONSUMER")
        self.assertEqual([a["material"] for a in cast["alloy"]], ["silver-copper"])

    # -- what the rules refuse on the live demo state -------------------------

    def test_4_the_recycler_cannot_re_spend_scrap_it_already_shipped_or_merged(self):
        self.assert_refused("recycler", {"custodyShipped": {
            "shipmentId": P + "-again", "lotId": P + "-melt-1", "toParticipant": P + "-maker"}},
            "PERMISSION_DENIED",
            "custody rule: lot '%s-melt-1' is held by '%s-refiner', not '%s-recycler'" % (P, P, P))
        self.assert_refused("recycler", {"transformation": {
            "transformationId": P + "-again", "process": "PROCESS_REFINE", "material": "gold",
            "inputs": [{"lotId": P + "-scrap-14k", "quantity": "150000"}],
            "outputs": [{"lotId": P + "-grain-x", "form": "grain", "quantity": "87000",
                         "finenessPtt": 9990}], "declaredLossFinePtt": "8370000"}},
            "FAILED_PRECONDITION",
            "balance rule: lot '%s-scrap-14k' holds 0; the transformation takes 150000" % P)

    def test_5_a_stone_already_set_or_with_a_revoked_report_goes_in_no_new_piece(self):
        piece = {"pieceId": P + "-RING-2", "metalInputs": [{"lotId": P + "-cast-1",
                                                            "quantity": "3000"}]}
        self.assert_refused("jeweler", {"pieceRegistered": dict(piece, stoneLotIds=[
            P + "-stone-1"])}, "FAILED_PRECONDITION",
            "stone rule: stone '%s-stone-1' is already set in piece '%s-RING-1'" % (P, P))
        self.assert_refused("jeweler", {"pieceRegistered": dict(piece, stoneLotIds=[
            P + "-stone-2"])}, "FAILED_PRECONDITION",
            "certificate rule: certificate '%s-report-2' was revoked at" % P)

    def test_6a_the_keys_dir_names_each_participants_key(self):
        # No --key: the CLI takes <keys_dir>/<participant>.pem, as the demo wrote them.
        path = os.path.join(self.tmp, "keysdir-lot.json")
        with open(path, "w") as f:
            json.dump({"lotCreated": {
                "lotId": P + "-keysdir-1", "material": "gold", "form": "grain",
                "originClass": "ORIGIN_CLASS_RECYCLED_POST_CONSUMER", "quantity": "500",
                "unit": "UNIT_MILLIGRAM", "finenessPtt": 9990,
                "certificateIds": [P + "-cert-recycler"]}}, f)
        keys_dir = os.path.dirname(self.key("recycler"))
        r = self.ts("submit", "--as", P + "-recycler", "--keys_dir", keys_dir, "--json", path)
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIn("receipt verified", r.out)
        self.assertEqual(self.lookup("lot", P + "-keysdir-1")["custodian"], P + "-recycler")
        no_key = self.ts("submit", "--as", P + "-recycler", "--json", path)
        self.assertNotEqual(no_key.rc, 0)
        self.assertIn("--key FILE or --keys_dir DIR", no_key.err)

    def test_6_a_claim_the_inputs_do_not_support_is_refused(self):
        # The refiner brings mined gold into the jeweler's stock.
        mined = P + "-mined-1"
        self.assertEqual(self.submit("refiner", {"lotCreated": {
            "lotId": mined, "material": "gold", "form": "grain", "originClass": "ORIGIN_CLASS_MINED",
            "quantity": "10000", "unit": "UNIT_MILLIGRAM", "finenessPtt": 9990}}).rc, 0)
        self.assertEqual(self.submit("refiner", {"custodyShipped": {
            "shipmentId": P + "-mined-shp", "lotId": mined, "toParticipant": P + "-jeweler"}}).rc, 0)
        self.assertEqual(self.submit("jeweler", {"custodyReceived": {
            "shipmentId": P + "-mined-shp", "lotId": mined}}).rc, 0)
        # `piece register --claim`, each refused with the claim as the page writes it.
        piece = ["piece", "register", "--as", P + "-jeweler", "--key", self.key("jeweler"),
                 "--id", P + "-BAND-2", "--description", "18k band", "--metal",
                 P + "-cast-1:3 g", "--metal", mined + ":1000 mg"]
        for claim, message in [
                ("gold:recycled:segregated:100",
                 "claim rule: 'recycled gold, segregated, 100%%' does not hold: lot '%s' is "
                 "ORIGIN_CLASS_MINED" % mined),
                ("diamond:lab-grown:identity-preserved:100",
                 "claim rule: 'lab-grown diamond, identity preserved, 100%' does not hold: the "
                 "piece has no diamond")]:
            before = self.size()
            r = self.ts(*(piece + ["--claim", claim]))
            self.assertEqual(r.rc, 1, r.describe())
            self.assertIn("touchstone: FAILED_PRECONDITION: " + message, r.err, r.describe())
            self.assertEqual(self.size(), before, "a refused record changed the log")
        r = self.ts(*piece)  # no claim: accepted
        self.assertEqual(r.rc, 0, r.describe())
        self.assertNotIn("material_claims", self.lookup("piece", P + "-BAND-2"))

    def test_7_a_record_signed_with_a_revoked_key_is_refused(self):
        key_id = self.ok("key", self.key("maker")).field("key_id")
        ship = {"custodyShipped": {"shipmentId": P + "-after-revoke", "lotId": P + "-agcu-1",
                                   "toParticipant": P + "-refiner"}}
        revoked = self.ok("participant", "revoke-key", "--as", "operator", "--key",
                          self.operator_key, "--id", P + "-maker", "--key_id", key_id,
                          "--reason", "workshop laptop stolen")
        self.assert_refused("maker", ship, "PERMISSION_DENIED",
                            "key rule: key %s of '%s-maker' was revoked at index %s" %
                            (key_id, P, revoked.field("index")))

    def test_8_the_demo_runs_again_with_another_prefix_but_not_with_the_same(self):
        before = self.size()
        again = self.run_demo("d2")
        self.assertEqual(again.rc, 0, again.describe())
        self.assertIn("%d created, 0 reused" % len(PARTIES), again.out)
        # The schemes are registered once per log: the second run signs its certificates
        # with the issuers the first run registered (their keys are in the same keys dir).
        self.assertIn("%d records appended, log size %d" % (N - 5, before + N - 5), again.out)
        self.assertIn("scheme rjc-coc is registered already: %s-rjc signs for it" % P, again.out)
        self.assertEqual(re.findall(r"^  piece (\S+)", again.out, re.M),
                         ["d2-%s" % p for p in PIECES])
        self.assertEqual(re.findall(r"^\s*(\d+)  ", again.out, re.M)[0], str(before))
        # The same prefix again: its keys are reused, and the first record is refused.
        same = self.run_demo(P)
        self.assertNotEqual(same.rc, 0, same.describe())
        self.assertIn("0 created, %d reused" % len(PARTIES), same.out)
        self.assertIn("ALREADY_EXISTS: step 1 (operator registers %s-recycler" % P, same.err)
        self.assertIn("participant '%s-recycler' is already registered" % P, same.err)
        self.assertEqual(self.size(), before + N - 5)

    def test_10_a_customer_with_only_the_report_number_finds_and_verifies_the_ring(self):
        # The number printed on the ring's grading report (read here from the log,
        # as a customer reads it from the paper) is all the customer has.
        cert = json.loads(self.ok("lookup", "certificate", P + "-report-1").out)["certificate"]
        number = cert["report_number"]
        found = self.ok("find", "report", number, "--lab", "igi")
        self.assertIn("igi report %s:" % number, found.out)
        self.assertIn("  piece %s-RING-1  (entries %d, " % (P, int(cert["issued_index"])), found.out)
        self.assertIn("checked: every entry above is in the log's tree", found.out)
        self.assertIn("verify its whole history: touchstone piece show %s-RING-1" % P, found.out)
        j = json.loads(self.ok("find", "report", number, "--lab", "igi", "--json").out)
        self.assertEqual([(m["kind"], m["id"]) for m in j["matches"]],
                         [("lot", P + "-stone-1"), ("piece", P + "-RING-1")])
        shown = self.ok("piece", "show", P + "-RING-1")
        self.assertIn("VERIFIED: piece %s-RING-1" % P, shown.out)
        # The girdle inscription finds the same ring; another lab's number nothing.
        j = json.loads(self.ok("find", "inscription", "IGI " + number, "--lab", "igi",
                               "--json").out)
        self.assertEqual(j["matches"][-1]["id"], P + "-RING-1")
        r = self.ts("find", "report", number, "--lab", "gia")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("NOT_FOUND: nothing in the log has gia grading report number", r.err)
        # A supplier by its LEI: the demo's identifiers carry its prefix (one per log).
        j = json.loads(self.ok("find", "identifier", "LEI", "5299009DEMOREFINE042-" + P,
                               "--json").out)
        self.assertEqual(j["matches"][0]["id"], P + "-refiner")

    def test_9_a_restart_keeps_the_log_and_the_state_the_demo_built(self):
        info = self.ok("log", "info").out
        checkpoint = self.ok("log", "checkpoint").out
        self.assertEqual(self.server.stop(), 0)
        self.server.start()
        self.assertEqual(self.ok("log", "info").out, info)
        self.assertEqual(self.ok("log", "checkpoint").out, checkpoint)
        self.test_4_the_recycler_cannot_re_spend_scrap_it_already_shipped_or_merged()
        self.assertEqual(self.lookup("certificate", P + "-report-2")["status_now"], "revoked")
        self.assertEqual(len(self.lookup("piece", P + "-RING-1")["material_claims"]), 2)
        self.assertEqual(self.server.stop(), 0)


def main():
    global TOUCHSTONED, TOUCHSTONE
    args, argv = parse_binaries()
    TOUCHSTONED, TOUCHSTONE = args.touchstoned, args.touchstone
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
