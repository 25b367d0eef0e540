#!/usr/bin/python3
"""Search by what people hold, end to end, on a log seeded by `touchstone demo`:

- a piece registered with a GTIN and serial is found by them (`touchstone find gtin`), by the
  GS1 Digital Link URI its QR code carries (`find link`), and that URI, asked of touchstoned's
  HTTP port, resolves (303) to the piece's page; the same pair on another piece is refused and
  changes nothing; a GTIN with a wrong check digit is refused before anything is sent;
- `find` checks each answer against the log's key: with a key that is not the log's it says
  NOT VERIFIED and exits 2;
- a second client (python3-grpcio, with the Python example's own RFC 9162 and signed-note code)
  gets the same matches for the demo ring's report number and checks every evidence entry: its
  inclusion proof against the signed checkpoint, and that the entries name the ring and stone;
- `touchstone impact certificate` (and `impact participant`) lists exactly the pieces derived
  by hand from the demo's
  story (the grower's certificate: the four pieces with its stones; the refiner's: every gold
  piece, not a piece of mined silver); as of an earlier checkpoint, only the pieces made by
  then; after the refiner's certificate is revoked, each affected piece whose story rests on it
  (all but the heirloom ring, whose story starts at the owner's bracelet) warns on verification
  that a certificate it relied on is revoked now."""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from e2e_support import (Server, clean_env, load_example_client, parse_binaries, read_port_file,
                          revoke_certificate, run_demo)

ARGS = None
P = "f"  # the demo's id prefix
GTIN13 = "4006381333931"
GTIN14 = "0" + GTIN13


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def get(url, follow=True):
    """(status, headers, body) of a GET."""
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def stranger_vkey(name):
    """A note verifier key with the log's name and a key that is not the log's (C2SP signed-note)."""
    pub = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x01" + pub).digest()[:4].hex()
    return "%s+%s+%s" % (name, key_id, base64.b64encode(b"\x01" + pub).decode())


class SearchE2ETest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_search_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        cls.keys = os.path.join(cls.tmp, "keys")
        port_file = os.path.join(cls.tmp, "http_port")
        cls.server = Server(ARGS.touchstoned, cls.tmp, cls.data,
                            ["--http_listen", "127.0.0.1:0", "--http_port_file", port_file]).start()
        cls.addClassCleanup(cls.server.kill)
        cls.base = "http://127.0.0.1:%d" % read_port_file(port_file, cls.server)
        run_demo(ARGS.touchstone, cls.server.addr, cls.data, cls.keys, P, timeout=240)

    def ts(self, *args):
        return subprocess.run([ARGS.touchstone, "--server", self.server.addr] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=60,
                              cwd=self.tmp)

    def ok(self, *args):
        r = self.ts(*args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def info(self):
        return json.loads(self.ok("log", "info", "--json"))

    def size(self):
        return int(self.info()["size"])

    def register(self, piece, serial, gtin=GTIN13):
        return self.ts("piece", "register", "--as", P + "-jeweler", "--key",
                       os.path.join(self.keys, "%s-jeweler.pem" % P), "--id", piece,
                       "--description", "silver charm", "--metal", "%s-silver-1:1 g" % P,
                       "--gtin", gtin, "--serial", serial)

    def test_a_piece_with_a_gtin_is_found_and_its_digital_link_resolves_to_its_page(self):
        piece = P + "-CHARM-1"
        r = self.register(piece, "CHARM/1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        found = self.ok("find", "gtin", GTIN13, "CHARM/1")
        self.assertIn("  piece %s  (entries " % piece, found)
        self.assertIn("checked: every entry above is in the log's tree", found)
        link = "%s/01/%s/21/CHARM%%2F1" % (self.base, GTIN14)
        self.assertIn("  piece %s  (entries " % piece, self.ok("find", "link", link))

        # The QR code the page serves carries that URI, and the URI leads to the page.
        status, _, svg = get("%s/p/%s/qr.svg" % (self.base, piece))
        self.assertEqual(status, 200)
        self.assertIn("QR code: %s" % link, svg)
        status, headers, _ = get(link, follow=False)
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], "/p/" + piece)
        status, _, page = get(link)
        self.assertEqual(status, 200)
        self.assertIn(piece, page)
        status, _, body = get("%s/01/%s/21/NOSUCH" % (self.base, GTIN14), follow=False)
        self.assertEqual(status, 404)
        self.assertIn("nothing in the log has GTIN %s serial 'NOSUCH'" % GTIN14, body)

        # One GTIN and serial, one piece; refused records change nothing.
        before = self.size()
        r = self.register(P + "-CHARM-2", "CHARM/1")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("FAILED_PRECONDITION: gtin rule: GTIN %s serial 'CHARM/1' already names "
                      "piece '%s'" % (GTIN14, piece), r.stderr)
        r = self.register(P + "-CHARM-3", "CHARM/3", gtin="4006381333932")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("INVALID_ARGUMENT: GTIN '4006381333932' has check digit 2; its digits give 1",
                      r.stderr)
        self.assertEqual(self.size(), before)

    def test_find_refuses_an_answer_under_a_key_that_is_not_the_logs(self):
        name = self.info()["origin"]
        r = self.ts("find", "identifier", "LEI", "5299009DEMOREFINE042-" + P, "--vkey",
                    stranger_vkey(name))
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("NOT VERIFIED", r.stderr)
        self.assertNotIn("checked:", r.stdout)

    def test_a_second_client_gets_and_checks_the_same_answer(self):
        client = load_example_client(self.tmp)
        import grpc
        from proto import provenance_service_pb2_grpc, record_pb2, search_pb2

        number = json.loads(self.ok("lookup", "certificate", P + "-report-1"))[
            "certificate"]["report_number"]
        query = search_pb2.SearchQuery(grading_report=search_pb2.StoneQuery(lab="igi",
                                                                            value=number))
        with grpc.insecure_channel(self.server.addr) as channel:
            answer = provenance_service_pb2_grpc.ProvenanceStub(channel).Search(query,
                                                                                timeout=30)
            with self.assertRaises(grpc.RpcError) as refused:
                provenance_service_pb2_grpc.ProvenanceStub(channel).Search(
                    search_pb2.SearchQuery(grading_report=search_pb2.StoneQuery(value=number)),
                    timeout=30)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        cli = json.loads(self.ok("find", "report", number, "--lab", "igi", "--json"))
        self.assertEqual([(m.kind, m.id, list(e.index for e in m.evidence))
                          for m in answer.matches],
                         [(m["kind"], m["id"], [int(i) for i in m["entries"]])
                          for m in cli["matches"]])
        _, size, root = client.verify_checkpoint(answer.checkpoint, self.info()["verifier_key"])
        records = []
        for e in answer.matches[-1].evidence:
            self.assertEqual(client.root_from_inclusion_proof(
                e.index, size, client.leaf_hash(e.entry), list(e.inclusion_proof)), root)
            index, _, record_bytes, _ = client.decode_entry(e.entry)
            self.assertEqual(index, e.index)
            records.append(record_pb2.Record.FromString(record_bytes))
        cert, piece = records
        self.assertEqual(cert.certificate_issued.grading_report.report_number, number)
        self.assertEqual(cert.certificate_issued.subject_lot, P + "-stone-1")
        self.assertEqual(piece.piece_registered.piece_id, P + "-RING-1")
        self.assertIn(P + "-stone-1", piece.piece_registered.stone_lot_ids)

    def impact_pieces(self, cert, *flags, root="certificate"):
        out = json.loads(self.ok("impact", root, cert, "--json", *flags))
        return out, {i["id"]: i for i in out["items"] if i["kind"] == "piece"}

    def test_z_a_recall_lists_exactly_the_pieces_made_from_what_relied_on_it(self):
        r = self.ts("piece", "register", "--as", P + "-jeweler", "--key",
                    os.path.join(self.keys, "%s-jeweler.pem" % P), "--id", P + "-SILVER-1",
                    "--description", "silver charm", "--metal", "%s-silver-1:1 g" % P)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # By hand, from the demo's story: the grower's certificate backs rough-1 (stones 1 to 3:
        # the ring, and the pendant's first and second stones), rough-2 (the pavé's stone and
        # melee) and rough-3 (the heirloom ring's stone).
        _, grower = self.impact_pieces(P + "-cert-grower")
        self.assertEqual(sorted(grower), sorted(P + "-" + p for p in [
            "RING-1", "PENDANT-1", "PAVE-1", "HEIRLOOM-RING-1"]))
        self.assertEqual({i["participant"] for i in grower.values()}, {P + "-jeweler"})
        # The refiner's certificate backs its refining, its split, its master alloy and its
        # mass-balance account: every gold piece, down to the bracelet repurposed into the
        # heirloom ring; not the silver charm, whose metal the miner made.
        gold = ["RING-1", "PENDANT-1", "BAND-1", "PAVE-1", "NATURAL-1", "GOLD18-1", "MB-1",
                "BRACELET-1", "HEIRLOOM-RING-1"]
        out, refiner = self.impact_pieces(P + "-cert-refiner")
        self.assertEqual(sorted(refiner), sorted(P + "-" + p for p in gold))
        heirloom = refiner[P + "-HEIRLOOM-RING-1"]["path"]
        bracelet = refiner[P + "-BRACELET-1"]["path"]
        self.assertEqual(heirloom[:len(bracelet)], bracelet, "through the bracelet it was made of")
        # A participant, by hand from the demo: the miner dug the silver and copper the maker
        # alloyed into the 18k (GOLD18-1) and the 14k (BRACELET-1, then the heirloom ring made
        # of it), whose rest the jeweler made into CHARM-1 and SILVER-1; the doré refined into
        # the mass-balance grain (MB-1); the natural rough (NATURAL-1). Not the pieces of the
        # recycled grain alone (RING-1, PENDANT-1, BAND-1, PAVE-1).
        _, miner = self.impact_pieces(P + "-miner", root="participant")
        self.assertEqual(sorted(miner), sorted(P + "-" + p for p in [
            "GOLD18-1", "BRACELET-1", "HEIRLOOM-RING-1", "CHARM-1", "SILVER-1", "MB-1",
            "NATURAL-1"]))
        ring_made = int(refiner[P + "-RING-1"]["path"][-1])
        _, early = self.impact_pieces(P + "-cert-refiner", "--at", str(ring_made + 1))
        self.assertIn(P + "-RING-1", early)
        self.assertNotIn(P + "-MB-1", early, "made after that checkpoint")

        revoke_certificate(ARGS.touchstone, self.server.addr, self.keys, self.tmp, P + "-rjc",
                           P + "-cert-refiner", "refinery audit failed", 1.5)
        time.sleep(1.6)
        _, after = self.impact_pieces(P + "-cert-refiner")
        self.assertEqual(sorted(after), sorted(refiner), "a revocation changes what it reaches not")
        # Each affected piece's own story warns, but the heirloom ring's: its story starts at the
        # owner's bracelet (which claimed nothing), so no claim of it rests on the certificate;
        # the recall still lists it, for the jeweler to know.
        for piece in sorted(set(refiner) - {P + "-HEIRLOOM-RING-1"}):
            shown = self.ok("piece", "show", piece)
            self.assertRegex(shown, r"! certificate %s-cert-refiner, relied on by entr[a-z]+ [0-9, ]+ "
                             r"while it was valid, is revoked now \(entry \d+: refinery audit "
                             r"failed\)" % P, piece)
        self.assertNotIn("cert-refiner", self.ok("piece", "show", P + "-HEIRLOOM-RING-1"))
        self.assertNotIn("cert-refiner", self.ok("piece", "show", P + "-SILVER-1"))


if __name__ == "__main__":
    ARGS, rest = parse_binaries()
    unittest.main(argv=rest, verbosity=2)
