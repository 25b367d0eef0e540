#!/usr/bin/env python3
"""End-to-end: the trade's pieces and refusals through the real server and the CLI.

`touchstone demo --prefix t1` seeds a real touchstoned under the trade rules (rules
version 2); then:
- the new pieces (PAVE-1, GOLD18-1, MB-1, NATURAL-1) verify with `touchstone piece
  show`, which prints their material claims as the spec states them, and the ledger's
  own state holds the same claims;
- `lot show` and `account show` print quantities in the trade's units;
- the trade commands (`lot transform` with a parcel draw, `account allocate`,
  `lot create` of natural rough) and `submit --json` meet the refusals the issue
  names: a second draw past a parcel's count, over-allocated mass-balance credit,
  a certificate under rjc-coc signed by someone other than its registered issuer, and
  natural diamonds without the Kimberley Process; each exits 1 with the rule's
  message, and the log does not grow.

Usage: trade_e2e_test.py --touchstoned PATH --touchstone PATH [unittest args]
Python 3 standard library only.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from e2e_support import Result, Server, clean_env, parse_binaries, run_demo

TOUCHSTONED = None
TOUCHSTONE = None
P = "t1"
RECYCLED_GOLD = "recycled gold, segregated, 100% (scs-recycled)"
# What `piece show` must print for each new piece (MaterialClaimText, material_trace.h).
CLAIMS = {
    "PAVE-1": ["lab-grown diamond, identity preserved, 100%", RECYCLED_GOLD],
    "GOLD18-1": [RECYCLED_GOLD],
    "MB-1": ["gold 62% recycled, mass balance"],
    "NATURAL-1": ["natural diamond, identity preserved, 100% (kp-bw)", RECYCLED_GOLD],
}


class TradeTest(unittest.TestCase):
    """One server seeded once by the demo; tests run in name order."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_trade_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data_dir = os.path.join(cls.tmp, "data")
        cls.keys_dir = os.path.join(cls.tmp, "keys")
        cls.server = Server(TOUCHSTONED, cls.tmp, cls.data_dir)
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.demo = run_demo(TOUCHSTONE, cls.server.addr, cls.data_dir, cls.keys_dir, P)

    @classmethod
    def ts(cls, *args):
        cmd = [TOUCHSTONE, "--server", cls.server.addr] + list(args)
        return Result(list(args), subprocess.run(cmd, capture_output=True, cwd=cls.tmp,
                                                 env=clean_env(), timeout=60))

    def ok(self, *args):
        r = self.ts(*args)
        self.assertEqual(r.rc, 0, r.describe())
        return r

    def signer(self, who):
        return ["--as", "%s-%s" % (P, who), "--keys_dir", self.keys_dir]

    def size(self):
        for line in self.ok("log", "info").out.splitlines():
            if line.startswith("size "):
                return int(line.split()[1])
        raise AssertionError("no size line")

    def lookup(self, kind, ident):
        return json.loads(self.ok("lookup", kind, ident).out)

    def refused(self, args, code, message):
        """`touchstone ARGS` exits 1 printing `touchstone: CODE: ...MESSAGE...`, and the
        log does not grow."""
        before = self.size()
        r = self.ts(*args)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("touchstone: %s: " % code, r.err, r.describe())
        self.assertIn(message, r.err, r.describe())
        self.assertEqual(self.size(), before, "a refused record changed the log")
        return r

    def submit(self, who, record):
        path = os.path.join(self.tmp, "record.%d.json" % time.monotonic_ns())
        with open(path, "w") as f:
            json.dump(record, f)
        return ["submit"] + self.signer(who) + ["--json", path]

    # -- the new pieces ----------------------------------------------------------

    def test_1_the_demo_tells_the_trade_story(self):
        pieces = [line.split()[1] for line in self.demo.stdout.splitlines()
                  if line.startswith("  piece ")]
        self.assertEqual(pieces, [P + "-" + p for p in (
            "RING-1", "PENDANT-1", "BAND-1", "PAVE-1", "GOLD18-1", "MB-1", "NATURAL-1",
            "BRACELET-1", "HEIRLOOM-RING-1")])
        out = self.demo.stdout
        self.assertIn("registers scheme rjc-coc (chain-of-custody): only %s-rjc signs" % P, out)
        self.assertIn("SPLIT %s-melee-1 0.240 ct (24 stones; 76 stones, 0.760 ct left)" % P, out)
        self.assertIn("the invoice carries the System of Warranties statement", out)
        self.assertIn("(62%% of its fine weight) to %s-grain-mb" % P, out)

    def test_2_each_new_piece_verifies_with_its_claims_as_stated(self):
        for piece, claims in CLAIMS.items():
            r = self.ok("piece", "show", "%s-%s" % (P, piece))
            self.assertIn("VERIFIED", r.out, r.describe())
            for claim in claims:
                self.assertIn(claim, r.out, r.describe())
        self.assertIn("(rjc-coc)", self.ok("piece", "show", P + "-MB-1").out)

    def test_3_the_ledger_holds_the_claims_it_checked(self):
        mb = self.lookup("piece", P + "-MB-1")["material_claims"]
        self.assertEqual(mb, [{"material": "gold", "attribute": "ATTRIBUTE_RECYCLED",
                               "model": "CUSTODY_MODEL_MASS_BALANCE", "share_bp": 6200,
                               "account_id": P + "-mb-account", "scheme": "rjc-coc"}])
        pave = self.lookup("piece", P + "-PAVE-1")
        self.assertEqual(pave["parcel_stones"], [{"lot_id": P + "-melee-24", "stones": "24"}])
        grain = self.lookup("lot", P + "-grain-mb")
        self.assertEqual(grain["mb_share_bp"], 6200)
        self.assertEqual(grain["mb_accounts"], [P + "-mb-account"])
        alloy = {a["material"]: a for a in self.lookup("lot", P + "-18k-2")["alloy"]}
        self.assertEqual(sorted(alloy), ["copper", "silver"])
        self.assertEqual({a["origin_class"] for a in alloy.values()}, {"ORIGIN_CLASS_MINED"})

    def test_4_lot_and_account_show_the_trades_units(self):
        grain = self.ok("lot", "show", P + "-grain-1").out
        self.assertIn("162.500 g (5.224 ozt, 104.490 dwt)", grain)
        self.assertIn("999.9 (24k)", grain)
        melee = self.ok("lot", "show", P + "-melee-1").out
        self.assertIn("1.000 ct", melee)
        self.assertIn("76 of 100 stones left", melee)
        account = self.ok("account", "show", P + "-mb-account").out
        self.assertIn("records         2", account)
        # 1 125 000 000 booked - 334 766 520 allocated = 790 233 480 fine units = 79.023 g.
        self.assertIn("balance         79.023 g (2.541 ozt, 50.813 dwt) fine", account)

    # -- the refusals the issue names, through the CLI ---------------------------

    def test_5_a_second_draw_past_a_parcels_count_is_refused(self):
        # The demo's SPLIT drew 24 of the parcel's 100 stones; a second draw of 80 goes past
        # the 76 left. The CLI reads the parcel's state and will not state a remainder below
        # zero...
        self.refused(["lot", "transform", *self.signer("cutter"), "--id", P + "-draw-more",
                      "--process", "split", "--material", "diamond", "--in",
                      P + "-melee-1:0.700 ct:80", "--out", P + "-melee-x:melee:0.700 ct:1000:80",
                      "--location", "Scheldt, Antwerp"],
                     "INVALID_ARGUMENT", "parcel '%s-melee-1' holds 76 stones, 0.760 ct; the "
                     "draw takes 80 stones, 0.700 ct" % P)
        # ...and the ledger refuses the draw signed as it stands.
        self.refused(self.submit("cutter", {"transformation": {
            "transformationId": P + "-draw-more", "process": "PROCESS_SPLIT",
            "material": "diamond", "location": "Scheldt, Antwerp",
            "inputs": [{"lotId": P + "-melee-1", "quantity": "700", "stones": "80",
                        "stonesLeft": "0", "quantityLeft": "60"}],
            "outputs": [{"lotId": P + "-melee-x", "form": "melee", "quantity": "700",
                         "finenessPtt": 10000, "stones": "80"}]}}),
            "FAILED_PRECONDITION", "parcel rule: parcel '%s-melee-1' holds 76 stones" % P)
        # The 76 stones left can still be drawn, and then the parcel is empty.
        self.ok("lot", "transform", *self.signer("cutter"), "--id", P + "-draw-all",
                "--process", "split", "--material", "diamond", "--in",
                P + "-melee-1:0.760 ct:76", "--out", P + "-melee-76:melee:0.760 ct:1000:76",
                "--location", "Scheldt, Antwerp")
        self.assertIn("0 of 100 stones left", self.ok("lot", "show", P + "-melee-1").out)

    def test_6_over_allocated_mass_balance_credit_is_refused(self):
        # The refiner makes a new lot at its site; the account holds 790 233 480 fine units,
        # the lot 999 900 000.
        self.ok("lot", "create", *self.signer("refiner"), "--id", P + "-mined-mb",
                "--material", "gold", "--form", "grain", "--origin", "mined",
                "--quantity", "100 g", "--fineness", "999.9", "--facility",
                "Alpenrand, Mendrisio")
        self.refused(["account", "allocate", *self.signer("refiner"), "--account",
                      P + "-mb-account", "--lot", P + "-mined-mb", "--share", "100"],
                     "FAILED_PRECONDITION", "would overdraw it")
        account = self.lookup("account", P + "-mb-account")
        fine = 100000 * 9999
        self.refused(self.submit("refiner", {"creditAllocated": {
            "accountId": P + "-mb-account", "lotId": P + "-mined-mb", "fine": str(fine),
            "seq": str(int(account["seq"]) + 1),
            "balanceAfter": str(int(account["balance"]) - fine)}}),
            "FAILED_PRECONDITION", "mass balance rule")
        # Within the balance, the same command is accepted.
        self.ok("account", "allocate", *self.signer("refiner"), "--account",
                P + "-mb-account", "--lot", P + "-mined-mb", "--share", "5")
        self.assertEqual(self.lookup("lot", P + "-mined-mb")["mb_share_bp"], 500)

    def test_7_a_certificate_under_rjc_coc_not_signed_by_its_issuer_is_refused(self):
        self.refused(self.submit("scs", {"certificateIssued": {
            "certificateId": P + "-fake-rjc", "scheme": "rjc-coc",
            "subjectParticipant": P + "-refiner", "scope": "refining",
            "validFromMicros": str(int(time.time() * 1e6) - 60_000_000)}}),
            "PERMISSION_DENIED",
            "scheme rule: certificate under scheme 'rjc-coc' is signed by '%s-scs'; the log "
            "pins '%s-rjc' as its issuer" % (P, P))

    def test_8_natural_diamonds_without_the_kimberley_process_are_refused(self):
        # Rough without a KP certificate does not enter...
        self.refused(["lot", "create", *self.signer("miner"), "--id", P + "-rough-nokp",
                      "--material", "diamond", "--form", "rough", "--origin", "mined",
                      "--quantity", "1.500 ct", "--facility", "Tsodilo, Orapa"],
                     "FAILED_PRECONDITION", "kimberley process rule: natural diamond lot "
                     "'%s-rough-nokp' must cite a Kimberley Process certificate" % P)
        # With a KP certificate from the registered KP authority it enters...
        self.ok(*self.submit("kp-bw", {"certificateIssued": {
            "certificateId": P + "-kp-9", "scheme": "kp-bw", "subjectParticipant": P + "-miner",
            "scope": "export of rough diamonds",
            "validFromMicros": str(int(time.time() * 1e6) - 60_000_000),
            "kimberleyProcess": {"certificateNumber": "BW-9", "countryOfOrigin": "BW",
                                 "caratsThousandths": "1500", "parcels": 1}}}))
        self.ok("lot", "create", *self.signer("miner"), "--id", P + "-rough-kp",
                "--material", "diamond", "--form", "rough", "--origin", "mined",
                "--quantity", "1.500 ct", "--facility", "Tsodilo, Orapa", "--cert", P + "-kp-9")
        # ...a shipment of it without the System of Warranties statement is refused...
        self.refused(self.submit("miner", {"custodyShipped": {
            "shipmentId": P + "-nosow", "lotId": P + "-rough-kp",
            "toParticipant": P + "-cutter"}}),
            "FAILED_PRECONDITION", "warranty rule: lot '%s-rough-kp' is natural diamond" % P)
        # ...and `lot ship` adds the statement, word for word, and is accepted.
        r = self.ok("lot", "ship", *self.signer("miner"), "--shipment", P + "-sow",
                    "--lot", P + "-rough-kp", "--to", P + "-cutter")
        self.assertIn("System of Warranties statement is added", r.err)
        self.assertEqual(self.lookup("lot", P + "-rough-kp")["in_transit_to"], P + "-cutter")

    def test_9_flags_in_the_trades_units_are_checked_before_anything_is_sent(self):
        self.refused(["lot", "create", *self.signer("refiner"), "--id", P + "-bad",
                      "--material", "gold", "--form", "grain", "--origin", "mined",
                      "--quantity", "100 g", "--fineness", "99.99", "--facility", "x"],
                     "INVALID_ARGUMENT", "--fineness '99.99': expected fineness in parts per "
                     "thousand with at most one decimal")
        self.refused(["piece", "register", *self.signer("jeweler"), "--id", P + "-bad",
                      "--description", "x", "--claim", "gold:recycled:segregated"],
                     "INVALID_ARGUMENT", "--claim 'gold:recycled:segregated': expected "
                     "MATERIAL:ATTRIBUTE:MODEL:PERCENT[:SCHEME]")


def main():
    global TOUCHSTONED, TOUCHSTONE
    args, argv = parse_binaries()
    TOUCHSTONED, TOUCHSTONE = args.touchstoned, args.touchstone
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
