#!/usr/bin/env python3
"""End-to-end: a sealed supplier's volumes and customers are read by nobody else.

A real touchstoned (gRPC and HTTP on port 0) and the touchstone CLI: the operator
registers a refiner, a competing refiner, a jeweler and an auditor. The refiner
creates a sealed lot with a distinctive quantity, facility and note and ships it,
sealed, to the jeweler with an invoice; the jeweler receives it and registers a
sealed piece from it. Then:
- the whole log streamed (Ledger.GetEntries), the lot, the piece and the piece's
  bundle over gRPC (Provenance.GetLot, GetPiece, GetPieceBundle), the bundle over
  HTTP (binary and JSON), `touchstone lookup` and the tiles export hold none of the
  values (the bytes are searched for their varint and decimal forms, the strings,
  and the invoice hash raw, hex and base64), while each holds the lot's id (so the
  search is not vacuous); the shipment's entry does not name its receiver;
- the competitor's `touchstone opening get` and HTTP POST /v1/openings are refused
  (PERMISSION_DENIED, 403) with one message, sealed record or not; a request signed
  with a key that is not the reader's, or stale, is refused the same way; the
  refiner reads its lot and shipment, the jeweler the shipment that names it (and
  not the lot's creation, which names no counterparty), the auditor all of them;
- a sealed submission with a mismatched opening, a sealed record without its
  opening and an opening on an unsealed record are refused INVALID_ARGUMENT and the
  log does not grow, and the same record with its right opening is appended (so the
  hand-made submissions are well formed);
- the refiner's read log lists every attempt on its records, allowed and refused.

Usage: confidential_e2e_test.py --touchstoned PATH --touchstone PATH [unittest args]
Debian's python3-grpcio and python3-cryptography.
"""

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

import grpc
from cryptography.hazmat.primitives import serialization

from e2e_support import (Result, Server, clean_env, encode_fields, encode_varint,
                         parse_binaries, proto_fields, read_port_file, record_signing_message)

TOUCHSTONED = None
TOUCHSTONE = None

REFINER, RIVAL, JEWELER, AUDITOR = "alpen-refining", "rival-refining", "marlowe-jewels", "ledger-audit"
LOT, SHIPMENT, PIECE = "bar-sealed-1", "shipment-sealed-1", "RING-SEALED-1"
# A second piece whose jeweler opens its inputs to its customers: 1.234 g of LOT.
BAND, BAND_MG = "BAND-DISCLOSED-1", 1234
# The values the log must not show. 987 654.321 g is 987654321 mg; the piece takes
# 864 209.753 g = 864209753 mg.
LOT_MG, PIECE_MG = 987654321, 864209753
FACILITY = "Hall Quetzalcoatl 4711, Mendrisio"
NOTE = "order Zanzibar-77 for the Vantablack account"
INVOICE = b"INVOICE 2026-0042: 987 kg fine gold to Marlowe & Daughters, EUR 61,234,567.00\n"
INVOICE_SHA = hashlib.sha256(INVOICE).digest()
DENIED = "not allowed to read this opening"


def secrets():
    """Every form in which a committed value could leak: [(what, bytes)]."""
    out = []
    for n in (LOT_MG, PIECE_MG):
        out += [("varint %d" % n, encode_varint(n)), ("decimal %d" % n, str(n).encode()),
                ("grams %d" % n, ("%d.%03d" % (n // 1000, n % 1000)).encode())]
    out += [("facility", FACILITY.encode()), ("note", NOTE.encode()),
            ("invoice sha256", INVOICE_SHA), ("invoice sha256 hex", INVOICE_SHA.hex().encode()),
            ("invoice sha256 base64", base64.b64encode(INVOICE_SHA)),
            ("invoice sha256 base64url", base64.urlsafe_b64encode(INVOICE_SHA).rstrip(b"="))]
    return out


class ConfidentialTest(unittest.TestCase):
    """One server; the tests run in name order and build on each other."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_confidential_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data_dir = os.path.join(cls.tmp, "data")
        http_port_file = os.path.join(cls.tmp, "http_port")
        cls.server = Server(TOUCHSTONED, cls.tmp, cls.data_dir,
                            ["--http_listen", "127.0.0.1:0", "--http_port_file", http_port_file])
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.http = "http://127.0.0.1:%d" % read_port_file(http_port_file, cls.server)
        cls.channel = grpc.insecure_channel(cls.server.addr)
        cls.addClassCleanup(cls.channel.close)
        cls.state_dir = os.path.join(cls.tmp, "trusted")
        operator = os.path.join(cls.data_dir, "operator.pem")
        for who, role, name in ((REFINER, "refiner", "Alpenrand Refining SA"),
                                (RIVAL, "refiner", "Rival Refining Ltd"),
                                (JEWELER, "jeweler", "Marlowe & Daughters Jewellers Ltd"),
                                (AUDITOR, "auditor", "Ledger Audit LLP")):
            cls.check(cls.ts("keygen", "-o", cls.key(who)))
            cls.check(cls.ts("participant", "register", "--as", "operator", "--key", operator,
                             "--id", who, "--name", name, "--role", role, "--pubkey",
                             cls.key(who)))
        cls.origin = proto_fields(cls.raw_unary("/touchstone.v1.Ledger/GetLogInfo", b""))[1][0]
        cls.indices = {}

    # -- helpers -------------------------------------------------------------------

    @classmethod
    def key(cls, who):
        return os.path.join(cls.tmp, who + ".pem")

    @classmethod
    def ts(cls, *args):
        cmd = [TOUCHSTONE, "--server", cls.server.addr] + list(args)
        return Result(list(args), subprocess.run(cmd, capture_output=True, cwd=cls.tmp,
                                                 env=clean_env(), timeout=60))

    @staticmethod
    def check(r):
        if r.rc != 0:
            raise AssertionError(r.describe())
        return r

    def ok(self, *args):
        r = self.ts(*args)
        self.assertEqual(r.rc, 0, r.describe())
        return r

    def signer(self, who):
        return ["--as", who, "--key", self.key(who), "--state_dir", self.state_dir]

    @classmethod
    def raw_unary(cls, method, request):
        call = cls.channel.unary_unary(method, request_serializer=None,
                                       response_deserializer=None)
        return call(request, timeout=10)

    def size(self):
        return proto_fields(self.raw_unary("/touchstone.v1.Ledger/GetLogInfo", b""))[3][0]

    def lookup(self, method, ident):
        return self.raw_unary("/touchstone.v1.Provenance/" + method,
                              encode_fields([(1, 2, ident.encode())]))

    def http_get(self, path):
        with urllib.request.urlopen(self.http + path, timeout=10) as r:
            return r.read()

    def assert_holds_none(self, what, data, must_hold=LOT):
        """`data` (bytes) holds none of the committed values, and does hold `must_hold`
        (so the search looks where the records are)."""
        if must_hold is not None:
            self.assertIn(must_hold.encode(), data, "%s: does not even hold %s" % (what, must_hold))
        for name, value in secrets():
            self.assertNotIn(value, data, "%s holds the %s" % (what, name))

    def index_of(self, r):
        for line in r.out.splitlines():
            if line.startswith("index "):
                return int(line.split()[1])
        raise AssertionError("no index line:\n" + r.describe())

    # -- signed read requests (docs/confidential.md) ---------------------------------

    def private_key(self, who):
        with open(self.key(who), "rb") as f:
            return serialization.load_pem_private_key(f.read(), password=None)

    def key_id(self, who):
        raw = self.private_key(who).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).digest()[:8].hex()

    def read_request(self, reader, index, signed_by=None, micros=None):
        """The JSON body of POST /v1/openings: `reader` asks for the opening at `index`,
        signed by `signed_by`'s key (default the reader's), at `micros` (default now)."""
        micros = int(time.time() * 1e6) if micros is None else micros
        key_id = self.key_id(reader)
        message = "touchstone-read/v1\n%s\n%s\n%s\nopening %d\n%d\n" % (
            self.origin.decode(), reader, key_id, index, micros)
        signature = self.private_key(signed_by or reader).sign(message.encode())
        return {"index": index, "reader": reader, "key_id": key_id, "micros": micros,
                "signature": base64.b64encode(signature).decode()}

    def post_opening(self, body):
        req = urllib.request.Request(self.http + "/v1/openings", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"},
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def opening_get(self, who, index):
        return self.ts("opening", "get", str(index), "--as", who, "--key", self.key(who))

    def assert_denied(self, who, index):
        r = self.opening_get(who, index)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("touchstone: PERMISSION_DENIED: " + DENIED, r.err, r.describe())
        self.assert_holds_none("the refusal", (r.out + r.err).encode(), must_hold=None)
        status, body = self.post_opening(self.read_request(who, index))
        self.assertEqual(status, 403, body)
        self.assertIn(DENIED.encode(), body)
        self.assert_holds_none("the HTTP refusal", body, must_hold=None)

    # -- the story -----------------------------------------------------------------

    def test_1_the_refiner_seals_its_lot_and_its_shipment(self):
        r = self.ok("lot", "create", *self.signer(REFINER), "--id", LOT, "--material", "gold",
                    "--form", "bar", "--origin", "mined", "--quantity", "987654.321 g",
                    "--fineness", "999.9", "--facility", FACILITY, "--note", NOTE, "--seal")
        self.assertIn("sealed true", r.out)
        self.indices["lot"] = self.index_of(r)
        invoice = os.path.join(self.tmp, "invoice.txt")
        with open(invoice, "wb") as f:
            f.write(INVOICE)
        r = self.ok("lot", "ship", *self.signer(REFINER), "--shipment", SHIPMENT, "--lot", LOT,
                    "--to", JEWELER, "--invoice", invoice, "--seal")
        self.assertIn("sealed true", r.out)
        self.indices["ship"] = self.index_of(r)
        # The receipt is public: its signer shows who received the lot (docs/confidential.md).
        self.indices["receive"] = self.index_of(self.ok(
            "lot", "receive", *self.signer(JEWELER), "--shipment", SHIPMENT, "--lot", LOT))
        r = self.ok("piece", "register", *self.signer(JEWELER), "--id", PIECE, "--description",
                    "fine gold ring", "--hallmark", "999.9", "--metal",
                    "%s:864209.753 g" % LOT, "--seal")
        self.indices["piece"] = self.index_of(r)
        # --seal on a record with no committed fields is refused before anything is sent.
        before = self.size()
        path = os.path.join(self.tmp, "key-revoked.json")
        with open(path, "w") as f:
            json.dump({"keyRevoked": {"participantId": RIVAL, "keyId": self.key_id(RIVAL)}}, f)
        r = self.ts("submit", *self.signer(RIVAL), "--json", path, "--seal")
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("INVALID_ARGUMENT", r.err)
        self.assertIn("no committed fields", r.err)
        self.assertEqual(self.size(), before)

    def test_2_the_whole_log_streamed_holds_none_of_the_values(self):
        call = self.channel.unary_stream("/touchstone.v1.Ledger/GetEntries",
                                         request_serializer=None, response_deserializer=None)
        replies = list(call(b"", timeout=30))
        self.assertEqual(len(replies), self.size())
        self.assert_holds_none("the streamed log", b"".join(replies))
        ship = proto_fields(replies[self.indices["ship"]])[2][0]
        self.assertIn(SHIPMENT.encode(), ship)
        self.assertNotIn(JEWELER.encode(), ship, "the shipment's entry names its receiver")
        # The CLI's decoded entry says the same.
        out = self.ok("log", "entry", str(self.indices["lot"]), "--json").out.encode()
        self.assert_holds_none("log entry --json", out)

    def test_3_the_public_reads_hold_none_of_the_values(self):
        self.assert_holds_none("GetLot", self.lookup("GetLot", LOT))
        self.assert_holds_none("GetPiece", self.lookup("GetPiece", PIECE), must_hold=PIECE)
        self.assert_holds_none("GetPieceBundle", self.lookup("GetPieceBundle", PIECE))
        self.assert_holds_none("the HTTP bundle", self.http_get("/p/%s/bundle" % PIECE))
        # The JSON carries the entries (and any opening) base64-encoded: search the bytes.
        text = self.http_get("/p/%s/bundle.json" % PIECE)
        bundle = json.loads(text)
        decoded = [base64.b64decode(e["entry"]) for e in bundle["entries"]]
        decoded += [base64.b64decode(o["fields"]) for o in bundle.get("openings", [])]
        self.assert_holds_none("the HTTP bundle JSON", text + b"".join(decoded))
        for kind, ident in (("lot", LOT), ("piece", PIECE)):
            out = self.ok("lookup", kind, ident).out.encode()
            self.assert_holds_none("lookup " + kind, out, must_hold=ident)
        # The CLI says the lot's quantities are committed, not that they are zero.
        out = self.ok("lot", "show", LOT).out.encode()
        self.assert_holds_none("lot show", out)
        self.assertIn(b"quantities      committed", out)
        # A command that would build its record from the redacted state refuses instead.
        before = self.size()
        r = self.ts("piece", "register", *self.signer(JEWELER), "--id", "RING-FROM-ZEROS",
                    "--description", "ring", "--hallmark", "999.9", "--parcel", LOT)
        self.assertEqual(r.rc, 1, r.describe())
        self.assertIn("FAILED_PRECONDITION: --parcel '%s' is sealed: its stones left are "
                      "committed and not read back here" % LOT, r.err)
        self.assertEqual(self.size(), before)

    def test_4_a_competitor_reads_no_opening(self):
        for what in ("lot", "ship", "piece"):
            self.assert_denied(RIVAL, self.indices[what])
        # The same answer for a record that is not sealed, and for one that does not exist
        # below the log's size: a refusal tells nothing.
        self.assert_denied(RIVAL, self.indices["receive"])
        # The jeweler is no counterparty of the lot's creation.
        self.assert_denied(JEWELER, self.indices["lot"])
        # A request signed with another participant's key, or an old one, is refused too.
        for body in (self.read_request(AUDITOR, self.indices["lot"], signed_by=RIVAL),
                     self.read_request(AUDITOR, self.indices["lot"],
                                       micros=int((time.time() - 3600) * 1e6))):
            status, reply = self.post_opening(body)
            self.assertEqual(status, 403, reply)
            self.assertIn(DENIED.encode(), reply)

    def test_5_the_signer_the_receiver_and_the_auditor_read_them(self):
        lot, ship = self.indices["lot"], self.indices["ship"]
        for who, index, values in ((REFINER, lot, [str(LOT_MG), FACILITY, NOTE]),
                                   (REFINER, ship, [JEWELER]),
                                   (JEWELER, ship, [JEWELER]),
                                   (AUDITOR, lot, [str(LOT_MG), FACILITY, NOTE]),
                                   (AUDITOR, ship, [JEWELER]),
                                   (AUDITOR, self.indices["piece"], [str(PIECE_MG)])):
            r = self.ok(*["opening", "get", str(index), "--as", who, "--key", self.key(who)])
            for v in values:
                self.assertIn(v, r.out, r.describe())
        r = self.ok("opening", "get", str(ship), "--as", JEWELER, "--key", self.key(JEWELER))
        self.assertIn(base64.b64encode(INVOICE_SHA).decode(), r.out, r.describe())
        status, body = self.post_opening(self.read_request(AUDITOR, lot))
        self.assertEqual(status, 200, body)
        self.assertIn(str(LOT_MG).encode(), body)
        self.assertIn(FACILITY.encode(), body)

    def sealed_lot_request(self, lot_id, quantity, opened_quantity, sealed=True,
                           with_opening=True):
        """A SubmitRequest made by hand: the refiner's LotCreated for `lot_id`, sealed
        over `quantity` but opened with `opened_quantity`."""
        public_lot = [(1, 2, lot_id.encode()), (2, 2, b"gold"), (3, 2, b"grain"),
                      (4, 0, 1),  # ORIGIN_CLASS_MINED
                      (6, 0, 1),  # UNIT_MILLIGRAM
                      (11, 0, 9999)]
        committed = lambda q: encode_fields([(20, 2, encode_fields(
            [(5, 0, q), (8, 2, FACILITY.encode())]))])
        salt = os.urandom(32)
        commitment = hashlib.sha256(b"touchstone-opening/v1\n" + salt +
                                    committed(quantity)).digest()
        fields = [(1, 2, ("rec-%s" % lot_id).encode()), (2, 2, REFINER.encode()),
                  (3, 2, self.key_id(REFINER).encode()), (4, 0, int(time.time() * 1e6))]
        if sealed:
            fields += [(20, 2, encode_fields(public_lot)),
                       (99, 2, encode_fields([(1, 2, commitment)]))]
        else:
            fields += [(20, 2, encode_fields(public_lot[:4] + [(5, 0, quantity)] +
                                             public_lot[4:]))]
        record = encode_fields(fields)
        signature = self.private_key(REFINER).sign(record_signing_message(self.origin.decode(),
                                                                          record))
        request = [(1, 2, record), (2, 2, signature)]
        if with_opening:
            request.append((3, 2, encode_fields([(1, 2, salt),
                                                 (2, 2, committed(opened_quantity))])))
        return encode_fields(request)

    def assert_refused(self, request, message):
        before = self.size()
        with self.assertRaises(grpc.RpcError) as err:
            self.raw_unary("/touchstone.v1.Ledger/Submit", request)
        self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT,
                         err.exception.details())
        self.assertIn(message, err.exception.details())
        self.assertEqual(self.size(), before, "a refused submission changed the log")

    def test_6_a_mismatched_opening_is_refused_and_nothing_is_appended(self):
        self.assert_refused(self.sealed_lot_request("bar-hand-1", 5000, 5001),
                            "does not match the record's commitment")
        self.assert_refused(self.sealed_lot_request("bar-hand-1", 5000, 5000,
                                                    with_opening=False),
                            "its opening must come with it")
        self.assert_refused(self.sealed_lot_request("bar-hand-1", 5000, 5000, sealed=False),
                            "not sealed")
        # The same record with its own opening: appended.
        before = self.size()
        receipt = proto_fields(self.raw_unary("/touchstone.v1.Ledger/Submit",
                                              self.sealed_lot_request("bar-hand-1", 5000, 5000)))
        self.assertEqual(receipt[1][0], before)  # Receipt.index
        self.assertEqual(self.size(), before + 1)

    def reads(self, who):
        """The read log of `who`'s records (`touchstone opening reads`), as
        [(index, reader, allowed)]."""
        r = self.ok("opening", "reads", "--as", who, "--key", self.key(who))
        return [(int(x["index"]), x["reader"], bool(x.get("allowed", False)))
                for x in json.loads(r.out).get("reads", [])]

    def test_7_the_read_log_lists_every_attempt(self):
        lot, ship, piece = self.indices["lot"], self.indices["ship"], self.indices["piece"]
        refiner = self.reads(REFINER)
        count = lambda log, *row: log.count(tuple(row))
        # test_4: the rival on the lot and the shipment, once over gRPC and once over HTTP
        # each; the jeweler on the lot likewise; the auditor named by the rival's signature
        # and by a stale request.
        self.assertEqual(count(refiner, lot, RIVAL, False), 2, refiner)
        self.assertEqual(count(refiner, ship, RIVAL, False), 2, refiner)
        self.assertEqual(count(refiner, lot, JEWELER, False), 2, refiner)
        self.assertEqual(count(refiner, lot, AUDITOR, False), 2, refiner)
        # test_5: the allowed reads.
        self.assertEqual(count(refiner, lot, REFINER, True), 1, refiner)
        self.assertEqual(count(refiner, ship, REFINER, True), 1, refiner)
        self.assertEqual(count(refiner, ship, JEWELER, True), 2, refiner)
        self.assertEqual(count(refiner, lot, AUDITOR, True), 2, refiner)
        self.assertEqual(count(refiner, ship, AUDITOR, True), 1, refiner)
        self.assertEqual(len(refiner), 15, refiner)
        # The piece is the jeweler's record: its reads are the jeweler's to see. The
        # unsealed receipt's reads are not logged (there is nothing to open).
        jeweler = self.reads(JEWELER)
        self.assertEqual(count(jeweler, piece, RIVAL, False), 2, jeweler)
        self.assertEqual(count(jeweler, piece, AUDITOR, True), 1, jeweler)
        self.assertEqual(len(jeweler), 3, jeweler)
        self.assertNotIn(self.indices["receive"], [i for i, _, _ in refiner + jeweler])
        # A competitor sees no one's reads but its own records' (it has none).
        self.assertEqual(self.reads(RIVAL), [])

    def test_9_the_tiles_export_holds_none_of_the_values(self):
        self.assertEqual(self.server.stop(), 0)
        out = os.path.join(self.tmp, "tiles")
        self.ok("export", out, "--data_dir", self.data_dir)
        data = bytearray()
        for root, _, files in os.walk(out):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data += f.read()
        self.assert_holds_none("the tiles export", bytes(data))

    def test_8_a_piece_that_discloses_its_inputs_opens_them_and_nothing_upstream(self):
        r = self.ok("piece", "register", *self.signer(JEWELER), "--id", BAND, "--description",
                    "fine gold band", "--hallmark", "999.9", "--metal", "%s:1.234 g" % LOT,
                    "--seal", "--disclose-inputs")
        index = self.index_of(r)
        text = self.http_get("/p/%s/bundle.json" % BAND)
        bundle = json.loads(text)
        # The band's registration, and nothing else, travels opened.
        self.assertEqual([o["index"] for o in bundle["openings"]], [index])
        opened = base64.b64decode(bundle["openings"][0]["fields"])
        self.assertIn(encode_varint(BAND_MG), opened)
        decoded = [base64.b64decode(e["entry"]) for e in bundle["entries"]] + [opened]
        self.assertIn(self.indices["lot"], [e["index"] for e in bundle["entries"]])
        self.assert_holds_none("the disclosing piece's bundle", text + b"".join(decoded))
        # The customer's verifier checks the opening and reports the upstream lot as sealed.
        path = os.path.join(self.tmp, "band.tsbundle")
        self.ok("piece", "bundle", BAND, "-o", path)
        vkey = json.loads(self.ok("log", "info", "--json").out)["verifier_key"]
        report = json.loads(self.ok("piece", "verify", path, "--vkey", vkey, "--json").out)
        self.assertEqual(report["opened"], [index])
        self.assertIn(self.indices["lot"], report["sealed"])
        self.assertNotIn(index, report["sealed"])


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    TOUCHSTONED, TOUCHSTONE = ARGS.touchstoned, ARGS.touchstone
    unittest.main(argv=argv, verbosity=2)
