#!/usr/bin/python3
"""GS1 EPCIS 2.0 export end to end (`touchstone epcis export`), on a log seeded by `touchstone
demo`, checked with python3-jsonschema against GS1's EPCIS 2.0 JSON schema in
../shared/testdata/epcis (draft-07, with format checking: python3-rfc3987):

- every demo piece's export (from its verified bundle) validates, and says what the log says:
  each event's touchstone:entry names an entry whose leaf hash a second client (python3-grpcio,
  GetEntries) computes the same; the ring is made (TransformationEvent, its metal in grams of
  MGM, out to the ring) and set with its graded stone (AggregationEvent); shipments have their
  source and destination owning parties; lots cite their certificates in certificationInfo;
- the whole log's export (a checked Watch stream) and one participant's validate; the
  participant's holds only entries it signed or that name it;
- the validator is not vacuous: GS1's own examples validate, and a document with a wrong unit,
  a missing time zone or an event ID that is not a URI does not;
- a bundle that does not verify (a key that is not the log's) is not exported (exit 2);
- import (`touchstone epcis import`): every demo piece's export, imported together into a second,
  fresh log (`demo --participants_only`: participants, schemes and their certificates, which
  EPCIS has no event for), gives each of the nine pieces the same claims there (asserted,
  derived, material claims, composition, the heirloom claim), the same warnings (PENDANT-1's
  revoked grading report) and the same events (kind, signer, time), MB-1's mass-balance
  account, booking and allocation and BRACELET-1's owners included. What an owner key signed
  (BRACELET-1's owners' records, the heirloom intake) is not imported until the owner signs
  again for the new log: without --owner_keys_dir it is refused with that reason and
  everything else goes in; with the owners' keys the rest follows, each record only if the
  owner's signature in the document covers it (a forged transfer is not signed); importing
  again appends nothing; GS1's own examples are refused event by event, appending nothing; a
  record naming a signer whose key the importer lacks is not signed."""
import copy
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import grpc
import jsonschema

from e2e_support import Server, clean_env, load_example_client, parse_binaries, run_demo

ARGS = None
P = "e"
SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..",
                      "shared", "testdata", "epcis")


class EpcisE2ETest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_epcis_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        cls.keys = os.path.join(cls.tmp, "keys")
        # The second log, for imports: set up first, so that its certificates are in force
        # from before the first log's records (which keep their event times).
        second = os.path.join(cls.tmp, "second")
        os.mkdir(second)
        cls.second_data = os.path.join(second, "data")
        cls.second = Server(ARGS.touchstoned, second, cls.second_data,
                            extra_args=["--origin", "second.example/log"]).start()
        cls.addClassCleanup(cls.second.kill)
        run_demo(ARGS.touchstone, cls.second.addr, cls.second_data, cls.keys, P,
                 extra=["--participants_only"])
        cls.server = Server(ARGS.touchstoned, cls.tmp, cls.data).start()
        cls.addClassCleanup(cls.server.kill)
        run_demo(ARGS.touchstone, cls.server.addr, cls.data, cls.keys, P, timeout=240)
        with open(os.path.join(SHARED, "EPCIS-JSON-Schema.json")) as f:
            schema = json.load(f)
        cls.validator = jsonschema.Draft7Validator(
            schema, format_checker=jsonschema.draft7_format_checker)
        assert "uri" in jsonschema.draft7_format_checker.checkers, "python3-rfc3987 is missing"

    def ts(self, *args):
        return subprocess.run([ARGS.touchstone, "--server", self.server.addr] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=120)

    def export(self, *what):
        path = tempfile.mktemp(prefix="-".join(what) + "-", suffix=".json", dir=self.tmp)
        r = self.ts("epcis", "export", *what, "-o", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        with open(path) as f:
            return json.load(f)

    def errors(self, doc):
        return ["%s: %s" % ("/".join(map(str, e.path)), e.message[:200])
                for e in self.validator.iter_errors(doc)]

    def entries(self):
        """Leaf hashes by index, read by a second client (python3-grpcio)."""
        if not hasattr(type(self), "_leaves"):
            type(self)._client = load_example_client(self.tmp)
            from proto import ledger_service_pb2, ledger_service_pb2_grpc
            with grpc.insecure_channel(self.server.addr) as channel:
                got = ledger_service_pb2_grpc.LedgerStub(channel).GetEntries(
                    ledger_service_pb2.GetEntriesRequest(start=0), timeout=60)
                type(self)._leaves = {e.index: hashlib.sha256(b"\x00" + e.data).hexdigest()
                                      for e in got}
        return type(self)._leaves

    def pieces(self):
        r = self.ts("watch", "--type", "piece_registered", "--until",
                    str(max(self.entries()) + 1))
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(l)["record"]["piece_registered"]["piece_id"]
                for l in r.stdout.splitlines() if '"index"' in l]

    def check_entries(self, doc):
        leaves = self.entries()
        for e in doc["epcisBody"]["eventList"]:
            entry = e["touchstone:entry"]
            self.assertEqual(entry["touchstone:leafHash"], leaves[entry["touchstone:index"]],
                             e["eventID"])

    def test_every_demo_piece_exports_and_validates(self):
        pieces = self.pieces()
        self.assertGreaterEqual(len(pieces), 9, pieces)
        for piece in pieces:
            doc = self.export("piece", piece)
            self.assertEqual(self.errors(doc), [], piece)
            self.check_entries(doc)
            made = [e for e in doc["epcisBody"]["eventList"]
                    if e.get("ilmd", {}).get("touchstone:pieceId") == piece]
            self.assertEqual(len(made), 1, piece)

    def test_the_ring_says_what_the_log_says(self):
        doc = self.export("piece", P + "-RING-1")
        events = doc["epcisBody"]["eventList"]
        base = "https://%s/" % self.origin()
        ring = base + "piece/" + P + "-RING-1"
        made = [e for e in events if e["type"] == "TransformationEvent"
                and e.get("outputEPCList") == [ring]]
        self.assertEqual(len(made), 1)
        self.assertEqual([q["uom"] for q in made[0]["inputQuantityList"]], ["MGM"])
        self.assertEqual(made[0]["bizStep"], "commissioning")
        setting = [e for e in events if e["type"] == "AggregationEvent" and e["parentID"] == ring]
        self.assertEqual(len(setting), 1)
        self.assertEqual(setting[0]["action"], "ADD")
        self.assertEqual(setting[0]["childEPCs"], [base + "lot/" + P + "-stone-1"])
        self.assertEqual(made[0]["touchstone:entry"]["touchstone:index"],
                         setting[0]["touchstone:entry"]["touchstone:index"], "one record, two events")
        self.assertTrue(setting[0]["eventID"].endswith("#2"))
        ships = [e for e in events if e.get("bizStep") == "shipping"]
        self.assertTrue(ships)
        for e in ships:
            self.assertEqual(e["action"], "OBSERVE")
            self.assertEqual(e["disposition"], "in_transit")
            self.assertEqual(e["sourceList"][0]["type"], "possessing_party")
            self.assertTrue(e["destinationList"][0]["destination"].startswith(base + "participant/"))
        certified = [e for e in events if e.get("certificationInfo")]
        self.assertTrue(any(c.endswith("/certificate/" + P + "-cert-refiner")
                            for e in certified for c in e["certificationInfo"]))

    def test_the_whole_log_and_a_participant_export_and_validate(self):
        whole = self.export("range")
        self.assertEqual(self.errors(whole), [])
        self.check_entries(whole)
        indices = {e["touchstone:entry"]["touchstone:index"]
                   for e in whole["epcisBody"]["eventList"]}
        self.assertGreater(len(indices), 50)
        part = self.export("participant", P + "-jeweler")
        self.assertEqual(self.errors(part), [])
        self.check_entries(part)
        party = "https://%s/participant/%s-jeweler" % (self.origin(), P)
        for e in part["epcisBody"]["eventList"]:
            text = json.dumps(e)
            self.assertTrue(e["touchstone:entry"]["touchstone:signer"] == party or party in text
                            or "/piece/" in text, e["eventID"])
        self.assertLess(len(part["epcisBody"]["eventList"]), len(whole["epcisBody"]["eventList"]))

    def test_the_validator_catches_what_is_wrong(self):
        for path in sorted(glob.glob(os.path.join(SHARED, "Example_*.jsonld"))):
            with open(path) as f:
                self.assertEqual(self.errors(json.load(f)), [], path)
        doc = self.export("piece", P + "-BAND-1")
        for break_it in [lambda e: e.update(eventID="not a uri"),
                         lambda e: e.pop("eventTimeZoneOffset"),
                         lambda e: e.get("quantityList", e.get("inputQuantityList"))[0].update(
                             uom="grams")]:
            bad = copy.deepcopy(doc)
            break_it(bad["epcisBody"]["eventList"][0])
            self.assertNotEqual(self.errors(bad), [])

    def test_an_unverified_bundle_is_not_exported(self):
        other = os.path.join(self.tmp, "other.pem")
        self.assertEqual(self.ts("keygen", "--out", other).returncode, 0)
        vkey = json.loads(self.ts("key", other, "--name", self.origin(), "--json").stdout)[
            "verifier_key"]
        out = os.path.join(self.tmp, "never.json")
        r = self.ts("epcis", "export", "piece", P + "-RING-1", "--vkey", vkey, "-o", out)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("NOT VERIFIED", r.stderr)
        self.assertFalse(os.path.exists(out))

    def import_(self, *args, owners=False):
        """Imports into the second log as the jeweler, signing for every demo participant and,
        with owners, for the demo's owner keys too."""
        others = sorted(os.path.basename(k)[:-4] for k in glob.glob(
            os.path.join(self.keys, P + "-*.pem")) if not k.endswith("-jeweler.pem"))
        owner_keys = ["--owner_keys_dir", os.path.join(self.keys, "owner-keys")] if owners else []
        return subprocess.run([ARGS.touchstone, "--server", self.second.addr, "epcis", "import",
                               "--as", P + "-jeweler", "--keys_dir", self.keys,
                               "--sign-for", ",".join(others)] + owner_keys + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=300)

    def show(self, addr, piece):
        r = subprocess.run([ARGS.touchstone, "--server", addr, "piece", "show", piece, "--json"],
                           capture_output=True, text=True, env=clean_env(), timeout=120)
        return r.returncode, (json.loads(r.stdout) if r.stdout.strip() else {}), r.stderr

    def second_size(self):
        r = subprocess.run([ARGS.touchstone, "--server", self.second.addr, "log", "info",
                            "--json"], capture_output=True, text=True, env=clean_env(), timeout=60)
        return json.loads(r.stdout)["size"]

    def records(self, addr, start):
        """The records of the log at addr from index start on, by record id, read by a second
        client (python3-grpcio) and decoded with the example client's entry decoder."""
        self.entries()  # loads the example client and its stubs
        from proto import ledger_service_pb2, ledger_service_pb2_grpc, record_pb2
        out = {}
        with grpc.insecure_channel(addr) as channel:
            for e in ledger_service_pb2_grpc.LedgerStub(channel).GetEntries(
                    ledger_service_pb2.GetEntriesRequest(start=start), timeout=60):
                _, _, data, _ = type(self)._client.decode_entry(e.data)
                r = record_pb2.Record()
                r.ParseFromString(data)
                out[r.record_id] = (e.index, r)
        return out

    # Kinds of entry an EPCIS document carries (the rest is set up apart in the second log).
    CARRIED = {"lot_created", "transformation", "custody_shipped", "custody_received",
               "piece_registered", "piece_lifecycle", "stone_replaced", "error_declared",
               "credit_account_opened", "credit_booked", "credit_allocated",
               "heirloom_received", "ownership_accepted", "ownership_transferred",
               "owner_report", "owner_key_replaced"}

    def carried(self, report):
        n = lambda text: re.sub(r"entry \d+", "entry N", text)  # each log's own numbers
        return [(t["kind"], t["signer"], t["event_time_micros"], n(t["description"]),
                 [n(d) for d in t["declared_wrong"]]) for t in report["timeline"]
                if t["kind"] in self.CARRIED or (t["kind"].startswith("certificate_")
                                                 and "grading" in t["description"])]

    @staticmethod
    def warnings(report):
        """A report's warnings, with the entry numbers (each log's own) taken out."""
        return [re.sub(r"entry \d+", "entry N", w) for w in report["warnings"]]

    def test_every_demo_piece_reimports_into_a_fresh_log_with_the_same_claims(self):
        pieces = self.pieces()
        files = []
        for piece in pieces:
            path = os.path.join(self.tmp, "import-%s.json" % piece)
            if not os.path.exists(path):
                r = self.ts("epcis", "export", "piece", piece, "-o", path)
                self.assertEqual(r.returncode, 0, r.stderr)
            files.append(path)
        before = self.second_size()
        # Without the owners' keys: what an owner key signed is refused, and what follows it.
        first = self.import_(*files)
        self.assertEqual(first.returncode, 1, first.stdout + first.stderr)
        refused = [l for l in first.stderr.splitlines() if ": event " in l]
        self.assertTrue(refused, first.stderr)
        for line in refused:
            self.assertTrue("HEIRLOOM-RING-1.json" in line or "BRACELET-1.json" in line, line)
            self.assertTrue("the owner must sign again on this log" in line
                            or "the ownership record it follows was not imported" in line
                            or "no lot '%s-heirloom" % P in line
                            or "no piece '%s-HEIRLOOM-RING-1'" % P in line, line)
        self.assertTrue(any("the owner must sign again on this log" in l for l in refused))
        partial = int(first.stdout.split(" records: ")[1].split(" appended")[0])
        self.assertGreater(partial, 80, first.stdout)
        self.assertEqual(self.second_size(), before + partial)
        # With them: the owners sign again, for this log, and the rest goes in.
        second = self.import_(*files, owners=True)
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        self.assertIn(" %d in the log already, 0 refused, 0 not checked; 0 events not imported"
                      % partial, second.stdout)
        self.assertRegex(second.stdout, r"owner key [0-9a-f]{16} x\d")
        appended = self.second_size() - before
        self.assertGreater(appended, partial, second.stdout)
        # Every record appended is, field for field, the first log's record of that id (the
        # same signer and key: both logs' participants have the keys in self.keys); only the
        # indices it names (a declaration's, an owner's record's previous one) and the owner's
        # signature (it names its log) are the second log's, and they name the same records.
        ours, theirs = self.records(self.second.addr, before), self.records(self.server.addr, 0)
        self.assertEqual(len(ours), appended)
        mine = {i: r.record_id for i, r in ours.values()}
        orig = {i: r.record_id for i, r in theirs.values()}
        owners = 0
        for rid, (index, got) in ours.items():
            self.assertIn(rid, theirs)
            want = theirs[rid][1]
            self.assertEqual(got.signer, want.signer, rid)
            if got.HasField("error_declared"):
                self.assertEqual(mine[got.error_declared.wrong_index],
                                 orig[want.error_declared.wrong_index], rid)
                self.assertEqual(mine[got.error_declared.replacement_index],
                                 orig[want.error_declared.replacement_index], rid)
                for r in (got, want):
                    r.error_declared.ClearField("wrong_index")
                    r.error_declared.ClearField("replacement_index")
            body = got.WhichOneof("body")
            if body in ("ownership_accepted", "ownership_transferred"):
                self.assertEqual(mine[getattr(got, body).prev_index],
                                 orig[getattr(want, body).prev_index], rid)
                for r in (got, want):
                    getattr(r, body).ClearField("prev_index")
            self.assertEqual(got.HasField("owner_signature"), want.HasField("owner_signature"))
            if want.HasField("owner_signature"):
                owners += 1
                self.assertEqual(got.owner_signature.key_id, want.owner_signature.key_id, rid)
                self.assertNotEqual(got.owner_signature.signature, want.owner_signature.signature)
                for r in (got, want):
                    r.ClearField("owner_signature")
            self.assertEqual(got, want, rid)
        # BRACELET-1's two acceptances and its transfer, and the intake: each named as the
        # owner signs it.
        self.assertGreaterEqual(owners, 4, owners)
        said = [l for l in second.stderr.splitlines() if " again, for this log" in l]
        self.assertEqual(len(said), owners, second.stderr)
        self.assertEqual(sum("signs its ownership_transferred again" in l for l in said), 1, said)
        self.assertEqual(sum("signs its heirloom_received again" in l for l in said), 1, said)
        self.assertEqual(len(pieces), 9, pieces)
        for piece in pieces:
            rc_a, a, err_a = self.show(self.server.addr, piece)
            rc_b, b, err_b = self.show(self.second.addr, piece)
            self.assertEqual((rc_a, rc_b), (0, 0), piece + err_a + err_b)
            self.assertTrue(a["verdict"] and b["verdict"], piece)
            for key in ["description", "jeweler", "stones", "asserted_claims", "claims",
                        "material_claims", "composition", "heirloom"]:
                self.assertEqual(a.get(key), b.get(key), "%s: %s" % (piece, key))
            # The owner and the intakes, but for the indices (each log's own).
            for key, index in (("owner", "since_index"), ("intakes", "index")):
                x, y = copy.deepcopy(a[key]), copy.deepcopy(b[key])
                for v in ([x, y] if key == "owner" else x + y):
                    if v:
                        v.pop(index)
                self.assertEqual(x, y, "%s: %s" % (piece, key))
            # The same events; in another order where the owners signed in the second pass.
            self.assertEqual(sorted(self.carried(a)), sorted(self.carried(b)), piece)
            self.assertEqual(self.warnings(a), self.warnings(b), piece)
            self.assertTrue(a["claims"] or a["material_claims"] or a.get("heirloom"), piece)
            self.assertEqual(b["checkpoint"]["origin"], "second.example/log")
        # What this story needs travelled: MB-1's account and credits, PENDANT-1's revocation,
        # the heirloom ring's intake and claim, and BRACELET-1's owners.
        by_piece = {p: self.show(self.second.addr, p)[1] for p in pieces}
        mb = self.carried(by_piece[P + "-MB-1"])
        self.assertEqual([k for k, *_ in mb if k.startswith("credit_")],
                         ["credit_account_opened", "credit_booked", "credit_allocated"], mb)
        self.assertTrue(any("revoked" in w for w in by_piece[P + "-PENDANT-1"]["warnings"]),
                        by_piece[P + "-PENDANT-1"]["warnings"])
        ring = self.carried(by_piece[P + "-HEIRLOOM-RING-1"])
        self.assertIn("heirloom_received", [k for k, *_ in ring], ring)
        bracelet = self.carried(by_piece[P + "-BRACELET-1"])
        self.assertEqual([k for k, *_ in bracelet if k.startswith("ownership_")],
                         ["ownership_accepted", "ownership_transferred", "ownership_accepted"],
                         bracelet)
        # Again: everything is a retry; nothing is appended.
        size = self.second_size()
        again = self.import_(*files, owners=True)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn(" 0 appended, %d in the log already" % appended, again.stdout)
        self.assertEqual(self.second_size(), size)

    def test_gs1_examples_are_refused_event_by_event(self):
        size = self.second_size()
        examples = sorted(glob.glob(os.path.join(SHARED, "Example_*.jsonld")))
        r = self.import_(*examples)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = [l for l in r.stderr.splitlines() if ": event " in l]
        self.assertEqual(len(lines), 4, r.stderr)  # 2 + 1 + 1 events
        for line in lines:
            self.assertIn("(ni:///sha-256;", line)
            self.assertIn("not imported: ", line)
        self.assertIn("0 records: 0 appended", r.stdout)
        self.assertEqual(self.second_size(), size)

    def test_a_record_whose_signer_the_importer_cannot_sign_for_is_not_signed(self):
        path = os.path.join(self.tmp, "import-%s-RING-1.json" % P)
        if not os.path.exists(path):
            self.assertEqual(self.ts("epcis", "export", "piece", P + "-RING-1", "-o",
                                     path).returncode, 0)
        size = self.second_size()
        # --keys_dir holds every demo participant's key, but without --sign-for the jeweler's
        # import signs only the jeweler's records: the document does not choose the key.
        r = subprocess.run([ARGS.touchstone, "--server", self.second.addr, "epcis", "import",
                            "--as", P + "-jeweler", "--keys_dir", self.keys, "--dry-run", path],
                           capture_output=True, text=True, env=clean_env(), timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("not signed: the document says %s-refiner signs it; this import signs as "
                      "%s-jeweler" % (P, P), r.stderr)
        self.assertIn("nothing was appended", r.stdout)
        self.assertIn("signed as %s-jeweler x" % P, r.stdout)
        self.assertNotIn("%s-refiner x" % P, r.stdout)
        self.assertEqual(self.second_size(), size)
        # Signing for a participant whose key is not there is refused too.
        r = subprocess.run([ARGS.touchstone, "--server", self.second.addr, "epcis", "import",
                            "--as", P + "-jeweler", "--keys_dir", self.tmp, "--key",
                            os.path.join(self.keys, P + "-jeweler.pem"),
                            "--sign-for", P + "-refiner", "--dry-run", path],
                           capture_output=True, text=True, env=clean_env(), timeout=120)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("no key for %s-refiner" % P, r.stderr)

    def test_an_owner_signs_again_only_what_it_signed(self):
        """A document that hands BRACELET-1 to another key in the owner's name: the importer
        holds the owner's key, but the owner's signature in the document does not cover the
        altered transfer, so the owner key does not sign it (a forgery a hostile document could
        otherwise slip past a user who hands over the owner's keys)."""
        doc = self.export("piece", P + "-BRACELET-1")
        events = doc["epcisBody"]["eventList"]
        sale = next(e for e in events if e.get("touchstone:buyerOwnerKey"))
        transfer = next(e for e in events if e.get("touchstone:owner", {}).get(
            "touchstone:kind") == "transferred")
        self.assertNotEqual(transfer["touchstone:owner"]["touchstone:newOwnerKey"],
                            sale["touchstone:buyerOwnerKey"])
        transfer["touchstone:owner"]["touchstone:newOwnerKey"] = sale["touchstone:buyerOwnerKey"]
        forged = os.path.join(self.tmp, "forged-bracelet.json")
        with open(forged, "w") as f:
            json.dump(doc, f)
        size = self.second_size()
        r = self.import_(forged, "--dry-run", owners=True)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        lines = [l for l in r.stderr.splitlines() if transfer["eventID"] + ")" in l]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn("not signed: the document does not show that owner key", lines[0])
        self.assertIn("signature does not verify", lines[0])
        self.assertNotIn("signs its ownership_transferred again", r.stderr)
        self.assertEqual(self.second_size(), size)

    def origin(self):
        r = self.ts("log", "info", "--json")
        return json.loads(r.stdout)["origin"]


if __name__ == "__main__":
    ARGS, rest = parse_binaries()
    unittest.main(argv=rest, verbosity=2)
