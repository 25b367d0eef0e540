#!/usr/bin/python3
"""The server never serves a proof that fails verification. One interior tree
node (level 1, index 12: the hash of leaves 24 and 25) of a stopped demo log is
altered with rocksdb-tools' `ldb`; touchstoned starts on it (its start-up check
re-hashes entries against leaf hashes only), and then every proof it could hand
out is asked for: GetInclusionProof of every entry (by index and by leaf hash),
GetConsistencyProof from every size, GetPieceBundle and HTTP /p/ID/bundle of
every piece, the receipt of a retried and of a new record. Each answer is
either checked here, independently of the server's code (RFC 9162 in Python),
or refused with DATA_LOSS naming the node; the refusals are counted at
/metrics and logged as data_loss errors; and the background scrub reports the
node by itself."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import grpc

from cli_e2e_test import (leaf_hash, parse_checkpoint_text, parse_entry, parse_note,
                          parse_tlog_proof, verify_consistency, verify_inclusion)
from e2e_support import (Server, clean_env, encode_fields, ldb, parse_binaries, proto_fields,
                          run_demo)

ARGS = None
P = "sp"
SIZE = 50  # the demo's entries
NODE = "tree node level 1 index 12 (entries 24 to 25)"
NODE_KEY = "0x01000000000000000C"
PIECES = [P + "-RING-1", P + "-PENDANT-1"]  # the demo's: their graphs hold entries 0 to 31
NEW_PIECE = P + "-SMITH-1"  # made after the damage, of records far from it
DATA_LOSS_PROOF = (NODE + " is not the hash of its children (level 0 indices 24 and 25) "
                   "(column family \"tree\", key " + NODE_KEY + ")")


def checkpoint_root(note):
    text, _ = parse_note(note)
    _, size, root = parse_checkpoint_text(text)
    return size, root


def wait_for_file(path, proc_log):
    deadline = time.monotonic() + 20
    while not os.path.exists(path):
        assert time.monotonic() < deadline, "no %s:\n%s" % (path, proc_log())
        time.sleep(0.05)
    with open(path) as f:
        return int(f.read())


class ServedProofsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_served_proofs_")
        cls.data = os.path.join(cls.tmp, "data")
        server = Server(ARGS.touchstoned, cls.tmp, cls.data).start()
        try:
            run_demo(ARGS.touchstone, server.addr, cls.data, os.path.join(cls.tmp, "keys"), P)
            # Which entries each piece's bundle holds, while the log is sound.
            with grpc.insecure_channel(server.addr) as channel:
                for piece in PIECES:
                    bundle = proto_fields(cls.call(channel, "Provenance/GetPieceBundle",
                                                   [(1, 2, piece.encode())]))
                    graph = {proto_fields(e).get(1, [0])[0] for e in bundle[4]}
                    assert {26, 27} <= graph, (piece, graph)
        finally:
            assert server.stop() == 0
        # One byte of the stored hash of node (level 1, index 12) changes.
        db = os.path.join(cls.data, "db")
        value = bytearray.fromhex(ldb(db, "tree", "get", NODE_KEY, "--key_hex", "--value_hex")[2:])
        value[7] ^= 0x01
        ldb(db, "tree", "put", NODE_KEY, "0x" + value.hex().upper(), "--key_hex", "--value_hex")

        http_port_file = os.path.join(cls.tmp, "http_port")
        cls.server = Server(ARGS.touchstoned, cls.tmp, cls.data,
                            ["--http_listen", "127.0.0.1:0", "--http_port_file", http_port_file,
                             "--scrub_entries_per_second", "100000"]).start()
        cls.base = "http://127.0.0.1:%d" % wait_for_file(http_port_file, cls.server.log)
        cls.channel = grpc.insecure_channel(cls.server.addr)
        cls.add_new_piece()

    @classmethod
    def cli(cls, *args):
        r = subprocess.run([ARGS.touchstone, "--server", cls.server.addr] + list(args),
                           capture_output=True, text=True, env=clean_env(), timeout=60,
                           cwd=cls.tmp)
        assert r.returncode == 0, "touchstone %s: %s" % (args, r.stderr)
        return r.stdout

    @classmethod
    def add_new_piece(cls):
        """A participant both refiner and jeweler makes a lot and a piece of it
        (the three entries after the demo's, kept in cls.new_piece_entries): each
        receipt is checked by the CLI."""
        key = os.path.join(cls.tmp, "smith.pem")
        subprocess.run([ARGS.touchstone, "keygen", "-o", key], check=True, capture_output=True,
                       env=clean_env(), timeout=60)
        cls.cli("participant", "register", "--as", "operator", "--key",
                os.path.join(cls.data, "operator.pem"), "--id", P + "-smith", "--name",
                "Smith & Daughters", "--role", "refiner", "--role", "jeweler", "--pubkey", key)
        records = {
            "lot.json": '{"lotCreated": {"lotId": "%s-grain", "material": "gold", "form": '
                        '"grain", "originClass": "ORIGIN_CLASS_MINED", '
                        '"quantity": "5000", "unit": "UNIT_MILLIGRAM", "finenessPtt": 7500}}' % P,
            "piece.json": '{"pieceRegistered": {"pieceId": "%s", "description": "18k band", '
                          '"metalInputs": [{"lotId": "%s-grain", "quantity": "4000"}]}}' %
                          (NEW_PIECE, P),
        }
        for name, body in records.items():
            path = os.path.join(cls.tmp, name)
            with open(path, "w") as f:
                f.write(body)
            out = cls.cli("submit", "--as", P + "-smith", "--key", key, "--json", path)
            assert "receipt verified" in out, out
        size = int(json.loads(cls.cli("log", "info", "--json"))["size"])
        cls.new_piece_entries = [size - 3, size - 2, size - 1]

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        rc = cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "touchstoned exited %d on SIGTERM" % rc

    @staticmethod
    def call(channel, method, fields):
        """A raw unary call; `fields` as e2e_support.encode_fields takes them."""
        service = "Provenance" if method.startswith("Provenance/") else "Ledger"
        name = method.split("/")[-1]
        stub = channel.unary_unary("/touchstone.v1.%s/%s" % (service, name),
                                   request_serializer=None, response_deserializer=None)
        return stub(encode_fields(fields), timeout=30)

    def rpc(self, method, fields):
        """(reply fields or None, grpc.RpcError or None)."""
        try:
            return proto_fields(self.call(self.channel, method, fields)), None
        except grpc.RpcError as e:
            return None, e

    def metrics(self):
        with urllib.request.urlopen(self.base + "/metrics", timeout=10) as r:
            text = r.read().decode()
        return {m.group(1): float(m.group(2))
                for m in re.finditer(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$", text, re.M)}

    def failures(self, kind):
        return self.metrics()['touchstone_proof_verify_failures_total{kind="%s"}' % kind]

    def entry(self, index):
        reply, err = self.rpc("GetEntry", [(1, 0, index)])
        self.assertIsNone(err)
        return reply[2][0]

    def assert_refused(self, err, what):
        self.assertIsNotNone(err, what + " was served")
        self.assertEqual(err.code(), grpc.StatusCode.DATA_LOSS, err.details())
        self.assertIn(DATA_LOSS_PROOF, err.details())

    def data_loss_log_lines(self):
        lines = []
        for line in self.server.log().splitlines():
            if line.startswith("{") and '"data_loss"' in line:
                lines.append(json.loads(line))
        return lines

    def test_every_inclusion_proof_served_verifies_and_only_those_over_the_node_are_refused(self):
        before = self.failures("inclusion")
        reply, _ = self.rpc("GetCheckpoint", [])
        size_now = reply[2][0]
        self.assertGreater(size_now, SIZE)
        refused = []
        for index in range(size_now):
            reply, err = self.rpc("GetInclusionProof", [(1, 0, index)])
            if err is not None:
                self.assert_refused(err, "the proof of entry %d" % index)
                self.assertIn("inclusion proof of entry %d at tree size" % index, err.details())
                refused.append(index)
                continue
            size, root = checkpoint_root(reply[4][0])
            self.assertEqual(reply[2][0], size)
            self.assertTrue(verify_inclusion(index, size, leaf_hash(self.entry(index)),
                                             reply.get(3, []), root),
                            "a proof of entry %d that does not verify was served" % index)
        # Node (1, 12) is the sibling on the paths of leaves 26 and 27.
        self.assertEqual(refused, [26, 27])
        # By leaf hash: the same.
        _, err = self.rpc("GetInclusionProof", [(2, 2, leaf_hash(self.entry(26)))])
        self.assert_refused(err, "the proof of entry 26 by leaf hash")
        self.assertEqual(self.failures("inclusion") - before, 3)
        logged = [l for l in self.data_loss_log_lines() if l.get("source") == "inclusion_proof"]
        self.assertGreaterEqual(len(logged), 3)
        self.assertEqual(logged[0]["level"], "error")
        self.assertEqual(logged[0]["key"], NODE_KEY)
        self.assertEqual(logged[0]["column_family"], "tree")
        self.assertIn(NODE, logged[0]["msg"])

    def test_every_consistency_proof_served_verifies_and_those_over_the_node_are_refused(self):
        before = self.failures("consistency")
        roots = {}
        for size in range(1, SIZE + 1):
            reply, err = self.rpc("GetCheckpoint", [(1, 0, size)])
            self.assertIsNone(err)
            roots[size] = checkpoint_root(reply[1][0])[1]
        refused = []
        for old in range(1, SIZE):
            reply, err = self.rpc("GetConsistencyProof", [(1, 0, old), (2, 0, SIZE)])
            if err is not None:
                self.assert_refused(err, "the consistency proof from %d" % old)
                refused.append(old)
                continue
            new_size, new_root = checkpoint_root(reply[4][0])
            self.assertEqual(new_root, roots[SIZE])
            self.assertTrue(verify_consistency(old, new_size, roots[old], new_root,
                                               reply.get(3, [])),
                            "a consistency proof from %d that does not verify was served" % old)
        self.assertIn(26, refused)  # the old tree's last part is node (1, 12) itself
        self.assertLess(len(refused), SIZE - 1)
        self.assertEqual(self.failures("consistency") - before, len(refused))

    def check_bundle(self, piece, bundle):
        """Checks every proof of a bundle; returns its entries' indices."""
        fields = proto_fields(bundle)
        note = fields[3][0]
        size, root = checkpoint_root(note)
        indices = []
        for e in fields[4]:
            entry = proto_fields(e)
            index, hashes, proof_note = parse_tlog_proof(entry[3][0])
            self.assertEqual(proof_note, note)
            self.assertEqual(index, entry.get(1, [0])[0])
            self.assertTrue(verify_inclusion(index, size, leaf_hash(entry[2][0]), hashes, root),
                            "%s's bundle holds a proof of entry %d that does not verify" %
                            (piece, index))
            indices.append(index)
        return indices

    def http_bundle(self, piece):
        try:
            with urllib.request.urlopen("%s/p/%s/bundle" % (self.base, piece), timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_bundles_over_the_node_are_refused_and_the_others_verify(self):
        before = self.failures("inclusion")
        for piece in PIECES:  # entries 26 and 27 are in their graphs
            _, err = self.rpc("Provenance/GetPieceBundle", [(1, 2, piece.encode())])
            self.assert_refused(err, piece + "'s bundle")
            http_status, http_body = self.http_bundle(piece)
            self.assertEqual(http_status, 500)
            self.assertIn(b"DATA_LOSS", http_body)
            self.assertIn(DATA_LOSS_PROOF.encode(), http_body)
        self.assertEqual(self.failures("inclusion") - before, 2 * len(PIECES))
        # A piece whose records are far from the node is served, and every proof verifies.
        grpc_bundle = self.call(self.channel, "Provenance/GetPieceBundle",
                                [(1, 2, NEW_PIECE.encode())])
        http_status, http_body = self.http_bundle(NEW_PIECE)
        self.assertEqual(http_status, 200)
        for bundle in (grpc_bundle, http_body):  # the genesis and the new piece's three records
            self.assertEqual(self.check_bundle(NEW_PIECE, bundle), [0] + self.new_piece_entries)
        self.assertEqual(self.failures("inclusion") - before, 2 * len(PIECES))

    def test_a_retry_of_entry_26_is_refused_and_a_new_record_gets_a_verified_receipt(self):
        before = self.failures("inclusion")
        e = parse_entry(self.entry(26))
        _, err = self.rpc("Submit", [(1, 2, e["record"]), (2, 2, e["signature"])])
        self.assert_refused(err, "the receipt of the retried entry 26")
        self.assertEqual(self.failures("inclusion") - before, 1)
        # A new record appends and its receipt is checked by the CLI against its checkpoint.
        key = os.path.join(self.tmp, "new.pem")
        self.assertEqual(subprocess.run([ARGS.touchstone, "keygen", "-o", key],
                                        capture_output=True, env=clean_env(),
                                        timeout=60).returncode, 0)
        r = subprocess.run([ARGS.touchstone, "--server", self.server.addr, "participant",
                            "register", "--as", "operator", "--key",
                            os.path.join(self.data, "operator.pem"), "--id", "sp-new",
                            "--name", "New Refining", "--role", "refiner", "--pubkey", key],
                           capture_output=True, text=True, env=clean_env(), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("receipt verified: included under a checkpoint", r.stdout)

    def test_the_scrub_reports_the_node_once_counted_and_logged(self):
        deadline = time.monotonic() + 30
        while self.metrics()["touchstone_scrub_passes_total"] < 2:
            self.assertLess(time.monotonic(), deadline, "the scrub finished no pass in 30 s")
            time.sleep(0.1)
        m = self.metrics()
        self.assertEqual(m["touchstone_scrub_damage_total"], 1)
        self.assertGreater(m["touchstone_scrub_last_full_pass_timestamp_seconds"], 0)
        self.assertGreaterEqual(m["touchstone_scrub_entries_total"], 2 * SIZE)
        scrub = [l for l in self.data_loss_log_lines() if l.get("source") == "scrub"]
        self.assertEqual(len(scrub), 1, scrub)
        self.assertEqual(scrub[0]["level"], "error")
        self.assertEqual(scrub[0]["key"], NODE_KEY)
        self.assertEqual(scrub[0]["entry_index"], 24)
        self.assertIn(NODE + " is not the hash of the entries under it", scrub[0]["msg"])


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
