#!/usr/bin/python3
"""Subscriptions end to end (Provenance.Watch, `touchstone watch`), against a real touchstoned
whose call limit is 3 s, so that every stream is cut and resumed many times:

- `touchstone watch --out F` follows the log while `touchstone demo` writes it; three times,
  while another demo writes, the watcher is killed (SIGKILL) and restarted; then the server is
  killed (SIGKILL) and restarted on the same port under the running watcher, and another demo
  writes more. F ends with every entry
  of the log exactly once, in order, each line's leaf hash that of the entry a second client
  (python3-grpcio) reads with GetEntries; a round a crash cut short is dropped on restart;
- a jeweler's watch (--participant, --type certificate_status_changed) receives the revocation of
  the refiner's certificate with exactly the affected pieces derived by hand from the demo's
  story; the grower's watch, whose pieces the certificate does not reach, does not;
- the second client runs its own Watch with python3-grpcio and checks each entry's inclusion proof
  against the signed checkpoint with the Python example's own RFC 9162 code;
- bad requests get their status: an unknown record type (INVALID_ARGUMENT), a start beyond the
  log (OUT_OF_RANGE), a cosigned watch on a server without witnesses (FAILED_PRECONDITION), a
  stream beyond --max_watches (RESOURCE_EXHAUSTED); an open stream does not hold up the server's
  shutdown (it ends UNAVAILABLE, the server exits within 5 s)."""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import grpc

from e2e_support import (Server, clean_env, load_example_client, parse_binaries,
                          revoke_certificate, run_demo)

ARGS = None
P = "w"  # the first demo's id prefix


def read_lines(path):
    """The JSON lines of a watch file (whole lines only)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        data = f.read()
    return [json.loads(line) for line in data.split("\n")[:-1]]


def position(path):
    """next_index of the watch file's last checkpoint line (0 if none)."""
    checkpoints = [l for l in read_lines(path) if "next_index" in l]
    return int(checkpoints[-1]["next_index"]) if checkpoints else 0


class WatchE2ETest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_watch_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        cls.keys = os.path.join(cls.tmp, "keys")
        cls.server = Server(ARGS.touchstoned, cls.tmp, cls.data,
                            ["--max_call_seconds", "3"]).start()
        cls.addClassCleanup(lambda: cls.server.kill())
        cls.watchers = []
        cls.addClassCleanup(lambda: [w.kill() for w in cls.watchers if w.poll() is None])

    def ts(self, *args, timeout=120):
        return subprocess.run([ARGS.touchstone, "--server", self.server.addr] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=timeout)

    def ok(self, *args):
        r = self.ts(*args)
        self.assertEqual(r.returncode, 0, "touchstone %s: %s%s" % (" ".join(args), r.stdout,
                                                                  r.stderr))
        return r.stdout

    def info(self):
        return json.loads(self.ok("log", "info", "--json"))

    def watch(self, out, *flags):
        """Starts `touchstone watch --out OUT` with the log's key; its stderr goes to OUT.err."""
        err = open(out + ".err", "ab")
        p = subprocess.Popen([ARGS.touchstone, "--server", self.server.addr, "watch", "--out", out,
                              "--vkey", self.vkey] + list(flags),
                             stdout=subprocess.DEVNULL, stderr=err, env=clean_env())
        err.close()
        self.watchers.append(p)
        return p

    def wait_for(self, what, predicate, timeout=90):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                self.fail("timed out waiting for " + what)
            time.sleep(0.05)

    def restart_server(self):
        """SIGKILL, then the same data dir on the same port."""
        addr = self.server.addr
        self.server.kill()
        self.server = Server(ARGS.touchstoned, self.tmp, self.data,
                             argv=["--listen", addr, "--data_dir", self.data,
                                   "--max_call_seconds", "3"]).start()
        self.assertEqual(self.server.addr, addr)
        type(self).server = self.server

    def test_1_every_entry_exactly_once_through_client_and_server_kills(self):
        # The log's key, independently of any watch: from the operator key file.
        key = self.ok("key", os.path.join(self.data, "operator.pem"), "--name",
                      self.info()["origin"], "--json")
        self.vkey = type(self).vkey = json.loads(key)["verifier_key"]
        out = os.path.join(self.tmp, "all.jsonl")
        watcher = self.watch(out)
        run_demo(ARGS.touchstone, self.server.addr, self.data, self.keys, P, 240)
        # Three more demos, each written while the watcher is killed (SIGKILL) and restarted.
        for i, prefix in enumerate(["a1", "a2", "a3"]):
            before = position(out)
            demo = threading.Thread(target=run_demo, args=(ARGS.touchstone, self.server.addr,
                                                           self.data, self.keys, prefix, 240))
            demo.start()
            self.wait_for("the watcher to keep a round of the demo's entries",
                          lambda: position(out) > before)
            watcher.send_signal(signal.SIGKILL)
            watcher.wait()
            if i == 0:
                # A round cut short by a crash: half a line after the last checkpoint line.
                with open(out, "a") as f:
                    f.write('{"index": "99999", "leaf_ha')
            watcher = self.watch(out)
            demo.join()
        # The server dies under the running watcher and comes back; more is written.
        self.restart_server()
        run_demo(ARGS.touchstone, self.server.addr, self.data, self.keys, "w2", timeout=240)
        size = int(self.info()["size"])
        self.wait_for("the watcher to reach size %d" % size, lambda: position(out) == size)
        watcher.send_signal(signal.SIGKILL)
        watcher.wait()

        lines = read_lines(out)
        indices = [int(l["index"]) for l in lines if "index" in l]
        self.assertEqual(indices, list(range(size)), "every entry once, in order")
        with open(out + ".err") as f:
            err = f.read()
        self.assertIn("dropping", err, "the cut-short round is dropped on restart")
        self.assertIn("resuming from index", err, "streams ended and were resumed")
        # A second client reads the log itself and compares.
        client = load_example_client(self.tmp)
        from proto import ledger_service_pb2, ledger_service_pb2_grpc
        with grpc.insecure_channel(self.server.addr) as channel:
            entries = list(ledger_service_pb2_grpc.LedgerStub(channel).GetEntries(
                ledger_service_pb2.GetEntriesRequest(start=0, end=size), timeout=60))
        by_index = {int(l["index"]): l for l in lines if "index" in l}
        for e in entries:
            self.assertEqual(by_index[e.index]["leaf_hash"], client.leaf_hash(e.data).hex())
            self.assertEqual(by_index[e.index]["leaf_hash"],
                             hashlib.sha256(b"\x00" + e.data).hexdigest())
        types = {l["type"] for l in lines if "index" in l}
        self.assertTrue({"genesis", "lot_created", "piece_registered"} <= types, types)

    def test_2_a_jewelers_watch_gets_the_recall_of_what_its_pieces_relied_on(self):
        start = str(self.info()["size"])
        jeweler = os.path.join(self.tmp, "jeweler.jsonl")
        grower = os.path.join(self.tmp, "grower.jsonl")
        jw = self.watch(jeweler, "--from", start, "--participant", P + "-jeweler", "--type",
                        "certificate_status_changed")
        gw = self.watch(grower, "--from", start, "--participant", P + "-grower", "--type",
                        "certificate_status_changed")
        revoke_certificate(ARGS.touchstone, self.server.addr, self.keys, self.tmp, P + "-rjc",
                           P + "-cert-refiner", "refinery audit failed", 1.0)
        size = int(self.info()["size"])
        self.wait_for("both watchers past the revocation",
                      lambda: position(jeweler) == size and position(grower) == size)
        # One file, one watch: a second is refused while the first holds it; and a file is
        # resumed only with the filter it was written with.
        r = self.ts("watch", "--out", jeweler, "--vkey", self.vkey, "--participant",
                    P + "-jeweler", "--type", "certificate_status_changed", "--until", "1")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("is locked", r.stderr)
        jw.kill()
        gw.kill()
        jw.wait()
        gw.wait()
        r = self.ts("watch", "--out", jeweler, "--vkey", self.vkey, "--participant",
                    P + "-grower", "--until", str(size))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("was written with another filter", r.stderr)
        got = [l for l in read_lines(jeweler) if "index" in l]
        self.assertEqual(len(got), 1, got)
        self.assertEqual(got[0]["index"], str(size - 1))
        self.assertEqual(got[0]["record"]["certificate_status_changed"]["certificate_id"],
                         P + "-cert-refiner")
        # By hand, from the demo's story (as in search_e2e): every gold piece.
        gold = ["RING-1", "PENDANT-1", "BAND-1", "PAVE-1", "NATURAL-1", "GOLD18-1", "MB-1",
                "BRACELET-1", "HEIRLOOM-RING-1"]
        self.assertEqual(sorted(got[0]["affected_pieces_unchecked"]),
                         sorted(P + "-" + p for p in gold))
        self.assertEqual([l for l in read_lines(grower) if "index" in l], [],
                         "the grower made none of the affected pieces")

    def test_3_a_second_client_follows_and_checks_the_stream(self):
        client = load_example_client(self.tmp)
        from proto import provenance_service_pb2_grpc, record_pb2, watch_pb2
        size = int(self.info()["size"])
        entries, checkpoints = [], []
        with grpc.insecure_channel(self.server.addr) as channel:
            stub = provenance_service_pb2_grpc.ProvenanceStub(channel)
            req = watch_pb2.WatchRequest(
                from_index=0, filter=watch_pb2.WatchFilter(record_types=["piece_registered"]))
            for event in stub.Watch(req, timeout=30):
                if event.HasField("entry"):
                    entries.append(event.entry)
                    continue
                checkpoints.append(event.checkpoint)
                if event.checkpoint.next_index >= size:
                    break
            for bad, code in [
                    (watch_pb2.WatchRequest(filter=watch_pb2.WatchFilter(record_types=["lot"])),
                     grpc.StatusCode.INVALID_ARGUMENT),
                    (watch_pb2.WatchRequest(from_index=size + 1), grpc.StatusCode.OUT_OF_RANGE),
                    (watch_pb2.WatchRequest(cosigned=True), grpc.StatusCode.FAILED_PRECONDITION)]:
                with self.assertRaises(grpc.RpcError) as refused:
                    list(stub.Watch(bad, timeout=30))
                self.assertEqual(refused.exception.code(), code, refused.exception.details())
        pieces = []
        proofs = {p.index: list(p.hashes) for c in checkpoints for p in c.proofs}
        sizes = {}
        for c in checkpoints:
            _, cp_size, root = client.verify_checkpoint(c.checkpoint, self.vkey)
            for p in c.proofs:
                sizes[p.index] = (cp_size, root)
        for e in entries:
            cp_size, root = sizes[e.index]
            self.assertEqual(client.root_from_inclusion_proof(
                e.index, cp_size, client.leaf_hash(e.data), proofs[e.index]), root)
            index, _, record_bytes, _ = client.decode_entry(e.data)
            self.assertEqual(index, e.index)
            pieces.append(record_pb2.Record.FromString(record_bytes).piece_registered.piece_id)
        self.assertIn(P + "-RING-1", pieces)
        self.assertIn("w2-RING-1", pieces)
        self.assertEqual(len(pieces), len(set(pieces)))


    def test_4_streams_are_capped_and_end_promptly_when_the_server_stops(self):
        load_example_client(self.tmp)
        from proto import provenance_service_pb2_grpc, watch_pb2
        tmp = tempfile.mkdtemp(dir=self.tmp)
        server = Server(ARGS.touchstoned, tmp, os.path.join(tmp, "data"),
                        ["--max_watches", "1"]).start()
        try:
            with grpc.insecure_channel(server.addr) as channel:
                stub = provenance_service_pb2_grpc.ProvenanceStub(channel)
                first = stub.Watch(watch_pb2.WatchRequest(), timeout=60)
                self.assertEqual(next(first).entry.index, 0, "the stream is open: genesis first")
                with self.assertRaises(grpc.RpcError) as refused:
                    next(stub.Watch(watch_pb2.WatchRequest(), timeout=60))
                self.assertEqual(refused.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
                self.assertIn("--max_watches", refused.exception.details())
                started = time.monotonic()
                self.assertEqual(server.stop(), 0)
                self.assertLess(time.monotonic() - started, 5,
                                "an open Watch does not hold up shutdown")
                with self.assertRaises(grpc.RpcError) as ended:
                    list(first)
                self.assertEqual(ended.exception.code(), grpc.StatusCode.UNAVAILABLE)
        finally:
            server.kill()

if __name__ == "__main__":
    ARGS, rest = parse_binaries()
    unittest.main(argv=rest, verbosity=2)
