#!/usr/bin/env python3
"""End-to-end: owners who hold their own keys, and heirlooms, through the real server and
the CLI (docs/owners.md, docs/heirlooms.md).

`touchstone demo --prefix o1` seeds a real touchstoned (its heirloom story too); then,
with the demo's jeweler and the CLI's owner keys (`owner key new`):
- a piece is sold to an owner key (`piece sold --buyer-key`), accepted, transferred to a
  second key; the old key's transfer is refused;
- the new owner names a recovery agent; a theft is reported and a transfer refused while
  it stands; the recovery; the recovery agent replaces the key;
- `owner prove` / `owner check-proof`: the current owner's proof holds, a former owner's
  and one that answers another challenge are refused;
- the owner's piece is taken in as an heirloom (co-signed by the owner key), refined,
  alloyed, cast and registered with `--heirloom-claim auto`, sold to the key, and `piece
  show` prints the claim;
- the demo's BRACELET-1 and HEIRLOOM-RING-1 are on the log as the story tells, and no
  record on the log holds a local owner-key label.
Every refusal exits 1 with the rule's message and the log does not grow.

Usage: owner_cli_e2e_test.py --touchstoned PATH --touchstone PATH [unittest args]
Python 3 standard library only.
"""

import base64
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

from e2e_support import Result, Server, clean_env, parse_binaries, run_demo

TOUCHSTONED = None
TOUCHSTONE = None
P = "o1"
PIECE = "OC-RING-1"
LABELS = ("grandmother", "granddaughter", "alice", "bob", "carol", "dave")


class OwnerTest(unittest.TestCase):
    """One server seeded once by the demo; tests run in name order, each building on the
    one before (the piece's ownership chain)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_owner_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data_dir = os.path.join(cls.tmp, "data")
        cls.keys_dir = os.path.join(cls.tmp, "keys")
        cls.owner_dir = os.path.join(cls.tmp, "owner-keys")
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

    def jeweler(self):
        return ["--as", P + "-jeweler", "--keys_dir", self.keys_dir]

    def owners(self):
        return ["--owner_keys_dir", self.owner_dir]

    def key(self, name):
        return self.ok("owner", "key", "show", name, *self.owners()).out.strip()

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
        self.assertIn("touchstone: %s" % (code + ": " if code else ""), r.err, r.describe())
        self.assertIn(message, r.err, r.describe())
        self.assertEqual(self.size(), before, "a refused record changed the log")
        return r

    def owner_id(self, piece):
        for line in self.ok("owner", "show", piece).out.splitlines():
            if line.strip().startswith("owner ") and "owner key " in line:
                return line.split("owner key ")[1].split()[0]
        return None

    @staticmethod
    def key_id(key_string):
        """The id of an Ed25519 owner-key string: hex of SHA-256(raw key)[:8]."""
        import hashlib
        raw = base64.urlsafe_b64decode(key_string + "=" * (-len(key_string) % 4))
        # OwnerKey{ed25519 = 1}: 0x0a 0x20 || 32 bytes.
        assert raw[:2] == b"\x0a\x20" and len(raw) == 34, raw
        return hashlib.sha256(raw[2:]).hexdigest()[:16]

    # -- keys ----------------------------------------------------------------------

    def test_1_owner_keys_are_made_kept_private_and_shown(self):
        for name in ("alice", "bob", "carol", "dave"):
            r = self.ok("owner", "key", "new", name, *self.owners())
            s = self.key(name)
            self.assertIn(s, r.out)
            self.assertIn("owner key " + self.key_id(s), r.out)
            mode = stat.S_IMODE(os.stat(os.path.join(self.owner_dir, name + ".pem")).st_mode)
            self.assertEqual(mode, 0o600)
        before = open(os.path.join(self.owner_dir, "alice.pem")).read()
        r = self.ts("owner", "key", "new", "alice", *self.owners())
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("ALREADY_EXISTS", r.err)
        self.assertEqual(open(os.path.join(self.owner_dir, "alice.pem")).read(), before)
        self.assertNotEqual(self.key("alice"), self.key("bob"))

    # -- sale, acceptance, transfer ------------------------------------------------------

    def test_2_a_sale_names_the_buyers_key_and_the_owner_accepts(self):
        self.ok("piece", "register", *self.jeweler(), "--id", PIECE, "--description",
                "18k band, 3 mm", "--hallmark", "750", "--metal", P + "-cast-1:3 g")
        self.refused(["piece", "sold", PIECE, *self.jeweler(), "--buyer-key", "not-a-key"],
                     "INVALID_ARGUMENT", "is not an owner-key string")
        self.ok("piece", "sold", PIECE, *self.jeweler(), "--buyer-key", self.key("alice"))
        alice = self.key_id(self.key("alice"))
        self.assertEqual(self.owner_id(PIECE), alice)
        self.assertIn("not yet", self.ok("owner", "show", PIECE).out)
        # The jeweler records only repairs now.
        self.refused(["piece", "sold", PIECE, *self.jeweler(), "--buyer-key", self.key("bob")],
                     "FAILED_PRECONDITION", "belongs to owner key " + alice)
        # Someone else's key cannot take ownership.
        self.refused(["owner", "accept", PIECE, "--key", "bob", *self.owners()],
                     "PERMISSION_DENIED", "owner")
        self.ok("owner", "accept", PIECE, "--key", "alice", *self.owners())
        self.assertIn("accepted    yes", self.ok("owner", "show", PIECE).out)

    def test_3_the_owner_transfers_and_the_old_key_can_do_nothing(self):
        self.ok("owner", "transfer", PIECE, "--key", "alice", "--to", self.key("bob"),
                *self.owners())
        self.assertEqual(self.owner_id(PIECE), self.key_id(self.key("bob")))
        self.refused(["owner", "transfer", PIECE, "--key", "alice", "--to", self.key("carol"),
                      *self.owners()], "PERMISSION_DENIED", "owner")
        self.ok("owner", "accept", PIECE, "--key", "bob", "--recovery-agent", P + "-jeweler",
                *self.owners())
        out = self.ok("owner", "show", PIECE).out
        self.assertIn("recovery agent %s-jeweler" % P, out)

    def test_4_a_stolen_piece_cannot_be_transferred_until_recovered(self):
        self.ok("owner", "report", PIECE, "stolen", "--key", "bob", "--note",
                "taken from a hotel room safe", *self.owners())
        self.assertIn("reported stolen", self.ok("owner", "show", PIECE).out)
        self.refused(["owner", "transfer", PIECE, "--key", "bob", "--to", self.key("carol"),
                      *self.owners()],
                     "FAILED_PRECONDITION", "is reported stolen: it cannot be transferred")
        self.refused(["owner", "report", PIECE, "stolen", "--key", "bob", *self.owners()],
                     "FAILED_PRECONDITION", "owner")
        self.ok("owner", "report", PIECE, "recovered", "--key", "bob", *self.owners())
        self.assertIn("no loss or theft reported", self.ok("owner", "show", PIECE).out)

    def test_5_the_recovery_agent_replaces_a_lost_key(self):
        # Not a participant the owner named: refused.
        self.refused(["owner", "replace-key", PIECE, "--new", self.key("dave"), "--as",
                      P + "-maker", "--keys_dir", self.keys_dir, *self.owners()],
                     "PERMISSION_DENIED", "")
        self.ok("owner", "replace-key", PIECE, "--new", self.key("dave"), "--reason",
                "the owner's phone was lost", *self.jeweler(), *self.owners())
        self.assertEqual(self.owner_id(PIECE), self.key_id(self.key("dave")))
        self.assertIn("recovery agent %s-jeweler" % P, self.ok("owner", "show", PIECE).out)

    def test_6_only_the_current_owner_proves_ownership(self):
        nonce = "challenge-%d-abcdefgh" % time.monotonic_ns()
        proof = self.ok("owner", "prove", PIECE, "--key", "dave", "--nonce", nonce,
                        *self.owners()).out.strip()
        r = self.ok("owner", "check-proof", PIECE, proof, "--nonce", nonce)
        self.assertIn("OWNER: the proof is signed by owner key " +
                      self.key_id(self.key("dave")), r.out)
        old = self.ok("owner", "prove", PIECE, "--key", "bob", "--nonce", nonce,
                      *self.owners()).out.strip()
        r = self.ts("owner", "check-proof", PIECE, old, "--nonce", nonce)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("PERMISSION_DENIED: NOT the owner", r.err)
        r = self.ts("owner", "check-proof", PIECE, proof, "--nonce", nonce + "x")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("not yours", r.err)

    # -- the heirloom ---------------------------------------------------------------

    def test_7_the_owners_piece_becomes_an_heirloom_ring_with_its_claim(self):
        photo = os.path.join(self.tmp, "front.jpg")
        with open(photo, "wb") as f:
            f.write(b"\xff\xd8 a photo that stays with the jeweler")
        dave = self.key_id(self.key("dave"))
        # The owner key must co-sign: another key's intake of this piece is refused.
        self.refused(["heirloom", "intake", *self.jeweler(), *self.owners(), "--intake",
                      "OC-IN-0", "--lot", "OC-H-0", "--description", "18k band, 3 mm",
                      "--gross-mg", "2990", "--metal-mg", "2990", "--fineness-ptt", "7500",
                      "--assay", "fire", "--owner-key", "bob", "--repurposes", PIECE,
                      "--stones", "auto"], "", "")
        self.ok("heirloom", "intake", *self.jeweler(), *self.owners(), "--intake", "OC-IN-1",
                "--lot", "OC-H-1", "--description", "18k band, 3 mm, worn", "--photo", photo,
                "--gross-mg", "2990", "--metal-mg", "2990", "--fineness-ptt", "7500",
                "--assay", "fire", "--owner-key", "dave", "--repurposes", PIECE,
                "--stones", "auto")
        lot = self.lookup("lot", "OC-H-1")
        self.assertEqual(int(lot["heirloom_fine"]), 2990 * 7500)
        self.assertEqual(lot["heirloom_owner"], dave)
        self.assertIn("repurposed", self.ok("owner", "show", PIECE).out)
        # 22 425 000 in; 2240 x 9999 = 22 397 760 out; loss 27 240.
        self.ok("lot", "transform", *self.jeweler(), "--id", "OC-TX-1", "--process", "refine",
                "--material", "gold", "--in", "OC-H-1:2990 mg", "--out",
                "OC-F-1:grain:2240 mg:999.9", "--loss", "27240", "--heirloom-fine", "auto",
                "--location", "workshop")
        self.assertEqual(int(self.lookup("lot", "OC-F-1")["heirloom_fine"]), 22397760)
        # 18k with silver and copper: 2986 x 7500 = 22 395 000; loss 2760.
        self.ok("lot", "transform", *self.jeweler(), "--id", "OC-TX-2", "--process", "alloy",
                "--material", "gold", "--in", "OC-F-1:2240 mg", "--in", P + "-silver-1:373 mg",
                "--in", P + "-copper-1:373 mg", "--out", "OC-A-1:grain:2986 mg:750",
                "--loss", "2760", "--heirloom-fine", "auto", "--location", "workshop")
        # Cast: 2980 x 7500 = 22 350 000; loss 45 000.
        self.ok("lot", "transform", *self.jeweler(), "--id", "OC-TX-3", "--process", "cast",
                "--material", "gold", "--in", "OC-A-1:2986 mg", "--out",
                "OC-C-1:casting:2980 mg:750", "--loss", "45000", "--heirloom-fine", "auto",
                "--location", "workshop")
        r = self.ok("piece", "register", *self.jeweler(), "--id", "OC-HEIR-1", "--description",
                    "18k ring made from the owner's own band", "--hallmark", "750",
                    "--metal", "OC-C-1:2980 mg", "--heirloom-claim", "auto")
        claim = "made from the owner's gold: 2.235 g of its 2.235 g fine gold"
        self.assertIn(claim, r.err)
        ring = self.lookup("piece", "OC-HEIR-1")
        self.assertEqual(int(ring["heirloom"]["owner_fine"]), 22350000)
        self.assertEqual(ring["heirloom"]["intake_ids"], ["OC-IN-1"])
        self.ok("piece", "sold", "OC-HEIR-1", *self.jeweler(), "--buyer-key", self.key("dave"))
        self.assertEqual(self.owner_id("OC-HEIR-1"), dave)
        r = self.ok("piece", "show", "OC-HEIR-1")
        self.assertIn("VERIFIED", r.out, r.describe())
        self.assertIn(claim + " (the owner: key %s, the piece's current owner)" % dave, r.out,
                      r.describe())
        # Given away, the piece's page says whose gold it was, and that it is not the owner's now.
        self.ok("owner", "transfer", "OC-HEIR-1", "--key", "dave", "--to", self.key("carol"),
                *self.owners())
        r = self.ok("piece", "show", "OC-HEIR-1")
        self.assertIn(claim + " (the owner: key %s; the piece now belongs to owner key %s)"
                      % (dave, self.key_id(self.key("carol"))), r.out, r.describe())

    # -- the demo's heirloom, and no names ---------------------------------------------------

    def test_8_the_demo_tells_the_heirloom_story(self):
        out = self.demo.stdout
        pieces = [line.split()[1] for line in out.splitlines() if line.startswith("  piece ")]
        self.assertIn(P + "-BRACELET-1", pieces)
        self.assertIn(P + "-HEIRLOOM-RING-1", pieces)
        self.assertIn("passes %s-BRACELET-1 on to owner key " % P, out)
        self.assertIn("the owner's gold: 4.570 g fine", out)
        claim = "made from the owner's gold: 4.537 g of its 4.537 g fine gold"
        self.assertIn(claim, out)
        bracelet = self.lookup("piece", P + "-BRACELET-1")
        self.assertEqual(bracelet["repurposed_intake"], P + "-intake-1")
        ring = self.lookup("piece", P + "-HEIRLOOM-RING-1")
        self.assertEqual(int(ring["heirloom"]["owner_fine"]), 45375000)
        self.assertEqual(int(ring["heirloom"]["material_fine"]), 45375000)
        self.assertEqual(ring["owner"], bracelet["owner"])
        r = self.ok("piece", "show", P + "-HEIRLOOM-RING-1")
        self.assertIn("VERIFIED", r.out, r.describe())
        self.assertIn(claim, r.out, r.describe())

    def test_9_no_record_on_the_log_holds_a_local_label(self):
        size = self.size()
        for index in range(size):
            entry = subprocess.run([TOUCHSTONE, "--server", self.server.addr, "log", "entry",
                                    str(index), "--raw"], capture_output=True, env=clean_env(),
                                   timeout=60)
            self.assertEqual(entry.returncode, 0, entry.stderr)
            for label in LABELS:
                self.assertNotIn(label.encode(), entry.stdout.lower(),
                                 "entry %d holds the local label %r" % (index, label))
        # The demo's owner keys are on this machine under those labels.
        names = os.listdir(os.path.join(self.keys_dir, "owner-keys"))
        self.assertEqual(sorted(names), [P + "-granddaughter.pem", P + "-grandmother.pem"])


def main():
    global TOUCHSTONED, TOUCHSTONE
    args, argv = parse_binaries()
    TOUCHSTONED, TOUCHSTONE = args.touchstoned, args.touchstone
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
