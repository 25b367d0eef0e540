#!/usr/bin/python3
"""The replicated writer (docs/replication.md) with real processes: a 3-member etcd
cluster from Debian's etcd-server and 3 touchstoned replicas on loopback ports, a
second gRPC client (python3-grpcio) submitting under load from several threads.

- Failover: the leader is killed (SIGKILL) again and again under load, some kills
  landing between etcd's commit and the leader's own write, some during the
  takeover; afterwards every acknowledged record is on every replica with its
  bytes, the replicas' logs are byte-identical, every checkpoint a receipt
  carried is served byte-identical by every replica and states the RFC 9162 root
  of that prefix, a witness (touchstone witness) cosigns them all in order (one
  linear history), and `touchstone audit --from_server` passes on every replica.
- Fencing: a leader paused (SIGSTOP) past its lease cannot append once resumed.
- etcd's quorum: writes go on with one member down and are refused UNAVAILABLE
  with two down; nothing acknowledged is lost.
- A group written into etcd by someone else, that does not verify, stops every
  replica that reads it (exit 2, the reason logged) before it serves it."""
import base64
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import grpc

from e2e_support import (Server, clean_env, encode_fields, load_example_client, parse_binaries,
                         start_witness)
from etcd_support import EtcdCluster

ARGS = None
KILLS = int(os.environ.get("TOUCHSTONE_REPLICATION_KILLS", "20"))


def leaf(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def roots_at(leaves, sizes):
    """{size: RFC 9162 root of leaves[:size]} for each size, in one pass."""
    out, stack, wanted = {}, [], sorted(set(sizes))
    for i, h in enumerate(leaves):
        stack.append((h, 1))
        while len(stack) > 1 and stack[-1][1] == stack[-2][1]:
            (r, n), (l, _) = stack.pop(), stack.pop()
            stack.append((hashlib.sha256(b"\x01" + l + r).digest(), 2 * n))
        while wanted and wanted[0] == i + 1:
            root = stack[-1][0]
            for l, _ in reversed(stack[:-1]):
                root = hashlib.sha256(b"\x01" + l + root).digest()
            out[wanted.pop(0)] = root
    return out


class ReplicaSet:
    """3 touchstoned replicas of one origin over one etcd cluster, sharing one operator key."""

    def __init__(self, test, etcd, tmp, origin, n=3, extra=(), env=None):
        self.test, self.etcd, self.tmp, self.origin = test, etcd, tmp, origin
        self.prefix = "/touchstone/%s/" % origin
        self.key = os.path.join(tmp, origin.replace("/", "_") + "-operator.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", self.key],
                       check=True, capture_output=True)
        os.chmod(self.key, 0o600)
        self.servers = []
        for i in range(n):
            work = os.path.join(tmp, "%s-r%d" % (origin.replace("/", "_"), i))
            data = os.path.join(work, "data")
            os.makedirs(data)
            shutil.copy(self.key, os.path.join(data, "operator.pem"))
            os.chmod(os.path.join(data, "operator.pem"), 0o600)
            self.servers.append(Server(ARGS.touchstoned, work, data, extra_args=[
                "--etcd", etcd.endpoints, "--replica_id", "r%d" % i, "--origin", origin] +
                list(extra), env=env))

    def start(self):
        for s in self.servers:
            s.start()
        return self

    def kill(self):
        for s in self.servers:
            s.kill()

    def leader(self, timeout=15):
        """(index of the leading replica, its address) as etcd names it, waiting for one (and
        for etcd to answer: members just restarted may not have elected their own leader)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.etcd.get(self.prefix + "leader", check=False)
            if value:
                rid, addr = value.decode().split("\n", 1)
                return int(rid[1:]), addr
            time.sleep(0.05)
        raise AssertionError("no leader in %d s" % timeout)

    def head(self):
        value = self.etcd.get(self.prefix + "head")
        return int(value) if value else 0

    def addrs(self):
        return [s.addr for s in self.servers if s.proc.poll() is None]


class Loader:
    """Threads that submit operator-signed participant registrations to whichever replica
    takes them, retrying the same bytes until acknowledged; each acknowledgement kept."""

    def __init__(self, client, key, origin, replicas, tag, threads=6):
        self.client, self.key, self.origin = client, key, origin
        self.replicas, self.tag, self.n = replicas, tag, threads
        self.acked, self.lock, self.stop = [], threading.Lock(), threading.Event()
        self.refusals, self.stubs = [], {}
        from proto import ledger_service_pb2, ledger_service_pb2_grpc, record_pb2
        self.lpb, self.lgrpc, self.pb = ledger_service_pb2, ledger_service_pb2_grpc, record_pb2
        self.threads = [threading.Thread(target=self.run, args=(t,)) for t in range(threads)]

    def record(self, rid):
        pb, c = self.pb, self.client
        op = c.raw_public(self.key)
        reg = pb.ParticipantRegistered(participant_id=rid, legal_name="Load " + rid,
                                       roles=[pb.ROLE_REFINER],
                                       keys=[pb.PublicKey(ed25519=op)])
        r = pb.Record(record_id="register-" + rid, signer="operator", key_id=c.key_id(op),
                      event_time_micros=int(time.time() * 1e6) - 1000,
                      participant_registered=reg)
        raw = r.SerializeToString()
        return raw, self.key.sign(c.signing_message(self.origin, raw))

    def stub(self, addr):
        if addr not in self.stubs:
            self.stubs[addr] = self.lgrpc.LedgerStub(grpc.insecure_channel(addr))
        return self.stubs[addr]

    def submit_until_acked(self, raw, sig, start):
        """Submits to the replicas in turn, following a follower's redirect to the leader."""
        i, redirect = start, None
        while not self.stop.is_set():
            addrs = self.replicas()
            addr = redirect or addrs[i % len(addrs)]
            try:
                return self.stub(addr).Submit(self.lpb.SubmitRequest(record=raw, signature=sig),
                                              timeout=10)
            except grpc.RpcError as e:
                if e.code() not in (grpc.StatusCode.UNAVAILABLE,
                                    grpc.StatusCode.DEADLINE_EXCEEDED):
                    with self.lock:
                        self.refusals.append((e.code(), e.details()))
                    return None
                m = re.search(r"submit to the leader, r\d+ at (\S+)$", e.details() or "")
                redirect = m.group(1) if m and m.group(1) != addr else None
                i += 1
                if redirect is None:
                    time.sleep(0.02)
        return None

    def run(self, t):
        n = 0
        while not self.stop.is_set():
            n += 1
            raw, sig = self.record("%s-%d-%d" % (self.tag, t, n))
            receipt = self.submit_until_acked(raw, sig, n + t)
            if receipt is not None:
                with self.lock:
                    self.acked.append((raw, receipt))

    def __enter__(self):
        for th in self.threads:
            th.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for th in self.threads:
            th.join()

    def count(self):
        with self.lock:
            return len(self.acked)


class ReplicationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_replication_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.client = load_example_client(cls.tmp)
        cls.etcd = EtcdCluster(cls.tmp)
        cls.addClassCleanup(cls.etcd.kill)
        cls.etcd.start()

    def replica_set(self, origin, **kw):
        """A started ReplicaSet of `origin` on the class's etcd (kw: ReplicaSet's)."""
        rs = ReplicaSet(self, self.etcd, self.tmp, origin, **kw)
        self.addCleanup(rs.kill)
        return rs.start()

    def replica_set_with_records(self, origin, n):
        """A started replica set holding at least `n` acknowledged records; it and its key."""
        rs = self.replica_set(origin)
        key = self.client.load_key(rs.key)
        with Loader(self.client, key, rs.origin, rs.addrs, "w", threads=2) as load:
            while load.count() < n:
                time.sleep(0.02)
        return rs, key

    def refused(self, loader, addr, raw, sig):
        """Submits (raw, sig) to addr, which must refuse it UNAVAILABLE; the message."""
        with self.assertRaises(grpc.RpcError) as e:
            self.stub(addr).Submit(loader.lpb.SubmitRequest(record=raw, signature=sig),
                                   timeout=10)
        self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE, e.exception.details())
        return e.exception.details()

    def stub(self, addr):
        from proto import ledger_service_pb2_grpc
        return ledger_service_pb2_grpc.LedgerStub(grpc.insecure_channel(addr))

    def log_info(self, addr):
        from proto import ledger_service_pb2
        return self.stub(addr).GetLogInfo(ledger_service_pb2.GetLogInfoRequest(), timeout=10)

    def entries(self, addr, size):
        from proto import ledger_service_pb2
        return [e.data for e in self.stub(addr).GetEntries(
            ledger_service_pb2.GetEntriesRequest(start=0, end=size), timeout=60)]

    def checkpoint(self, addr, size):
        from proto import ledger_service_pb2
        return self.stub(addr).GetCheckpoint(
            ledger_service_pb2.GetCheckpointRequest(size=size), timeout=10).checkpoint

    def converge(self, rs, timeout=30):
        """Waits until every replica holds etcd's head; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            head = rs.head()
            sizes = [self.log_info(a).size for a in rs.addrs()]
            if all(s == head for s in sizes):
                return head
            if time.monotonic() > deadline:
                raise AssertionError("replicas at %s, etcd's head at %d" % (sizes, head))
            time.sleep(0.1)

    def check_one_history(self, rs, acked):
        """Every acknowledged record on every replica, one byte-identical log, checkpoints
        identical and correct, a witness cosigning them in order, and the audit."""
        size = self.converge(rs)
        logs = [self.entries(a, size) for a in rs.addrs()]
        self.assertEqual(len(logs[0]), size)
        for other in logs[1:]:
            self.assertEqual(other, logs[0])  # byte-identical, dense
        leaves = [leaf(e) for e in logs[0]]
        for i, e in enumerate(logs[0]):
            index, _, _, _ = self.client.decode_entry(e)  # ledger/log/entry_format.h
            self.assertEqual(index, i)
            if i:
                self.assertEqual(e[20:52], leaves[i - 1], "entry %d's link" % i)
        for raw, receipt in acked:
            self.assertEqual(leaves[receipt.index], receipt.leaf_hash)
            self.assertIn(raw, logs[0][receipt.index])
        sizes = sorted({r.tree_size for _, r in acked})
        roots = roots_at(leaves, sizes)
        by_size = {r.tree_size: r.checkpoint for _, r in acked}
        vkey = self.log_info(rs.addrs()[0]).verifier_key
        for s in sizes:
            notes = {self.checkpoint(a, s) for a in rs.addrs()}
            self.assertEqual(notes, {by_size[s]}, "checkpoint at %d" % s)
            self.assertIn(base64.b64encode(roots[s]).decode(), by_size[s])
        # A witness sees one linear history: each checkpoint, from a replica in turn, with a
        # consistency proof from the previous one served by another replica.
        from proto import ledger_service_pb2
        w = start_witness(ARGS.touchstone, self.tmp, "witness.example/%s" % rs.origin, vkey)
        self.addCleanup(w.kill)
        old, addrs = 0, rs.addrs()
        for n, s in enumerate(sizes[-40:]):
            proof = b""
            if old:
                p = self.stub(addrs[(n + 1) % len(addrs)]).GetConsistencyProof(
                    ledger_service_pb2.GetConsistencyProofRequest(old_size=old, new_size=s),
                    timeout=10)
                proof = b"".join(base64.b64encode(h) + b"\n" for h in p.hashes)
            body = "old %d\n%s\n%s" % (old, proof.decode(), self.checkpoint(addrs[n % len(addrs)],
                                                                              s))
            status, _, answer = w.add_checkpoint(body)
            self.assertEqual(status, 200, "witness at %d -> %d: %s" % (old, s, answer))
            old = s
        for a in rs.addrs():
            r = subprocess.run([ARGS.touchstone, "--server", a, "audit", "--from_server",
                                "--vkey", vkey], capture_output=True, text=True,
                               env=clean_env(), timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return size

    def test_killing_the_leader_under_load_loses_no_acknowledged_record(self):
        # Each commit sleeps 20 ms between etcd's commit and the replica's own write, so a
        # kill under load often lands there (counted below from the replicas' own logs).
        rs = ReplicaSet(self, self.etcd, self.tmp, "kills.example/log",
                        env={"TOUCHSTONE_TEST_COMMIT_DELAY_MS": "20"})
        self.addCleanup(rs.kill)
        rs.start()
        in_window = during_takeover = 0
        with Loader(self.client, self.client.load_key(rs.key), rs.origin, rs.addrs,
                    "kill") as load:
            for k in range(KILLS):
                before = load.count()
                deadline = time.monotonic() + 30
                while load.count() < before + 30:
                    self.assertLess(time.monotonic(), deadline, "no progress after kill %d" % k)
                    time.sleep(0.02)
                victim, _ = rs.leader()
                rs.servers[victim].proc.kill()
                rs.servers[victim].proc.wait()
                head_at_kill = rs.head()
                victims = [victim]
                if k % 5 == 4:
                    # During the takeover: the next leader dies as soon as etcd names it.
                    deadline = time.monotonic() + 15
                    while True:
                        nxt, _ = rs.leader()
                        if nxt != victim:
                            break
                        self.assertLess(time.monotonic(), deadline)
                        time.sleep(0.01)
                    rs.servers[nxt].proc.kill()
                    rs.servers[nxt].proc.wait()
                    victims.append(nxt)
                    during_takeover += 1
                for v in victims:
                    s = rs.servers[v]
                    s.start()
                    held = re.search(r'holds (\d+) entries; following', s.log())
                    self.assertIsNotNone(held, s.log())
                    if v == victim and int(held.group(1)) < head_at_kill:
                        in_window += 1
        acked = load.acked
        self.assertEqual(load.refusals, [])
        self.assertGreater(len(acked), 30 * KILLS)
        size = self.check_one_history(rs, acked)
        print("kills: %d (%d between etcd's commit and the local write, %d during a takeover); "
              "acknowledged: %d; log size %d" % (KILLS, in_window, during_takeover, len(acked),
                                                 size))
        self.assertGreater(in_window, 0)

    def test_a_paused_leader_cannot_append_after_it_wakes(self):
        rs, key = self.replica_set_with_records("pause.example/log", 20)
        old, old_addr = rs.leader()
        os.kill(rs.servers[old].proc.pid, signal.SIGSTOP)
        try:
            # Another replica leads once the lease (3 s) expires.
            deadline = time.monotonic() + 15
            while rs.leader()[0] == old:
                self.assertLess(time.monotonic(), deadline, "nobody took over")
                time.sleep(0.05)
            new, new_addr = rs.leader()
            loader = Loader(self.client, key, rs.origin, lambda: [new_addr], "x", threads=1)
            raw, sig = loader.record("after-pause")
            receipt = self.stub(new_addr).Submit(loader.lpb.SubmitRequest(record=raw,
                                                                          signature=sig),
                                                 timeout=10)
            # A submission already waiting at the paused leader when it wakes.
            stale_raw, stale_sig = loader.record("sent-to-the-paused-leader")
            future = self.stub(old_addr).Submit.future(
                loader.lpb.SubmitRequest(record=stale_raw, signature=stale_sig), timeout=20)
            time.sleep(0.3)
        finally:
            os.kill(rs.servers[old].proc.pid, signal.SIGCONT)
        with self.assertRaises(grpc.RpcError) as refused:
            future.result()
        # Refused either by etcd (its term's leader key is gone: fencing) or, if its lease
        # renewal noticed first, because it no longer leads; appended nowhere either way.
        self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAVAILABLE)
        self.assertRegex(refused.exception.details(),
                         "nothing was acknowledged|does not lead the replica set")
        # And after: it redirects to the leader.
        self.assertIn("submit to the leader, r%d at %s" % (new, new_addr),
                      self.refused(loader, old_addr, stale_raw, stale_sig))
        self.assertIn("leadership_lost", rs.servers[old].log())
        size = self.converge(rs)
        log = self.entries(new_addr, size)
        self.assertTrue(any(raw in e for e in log))
        self.assertFalse(any(stale_raw in e for e in log))
        self.assertEqual(self.entries(old_addr, size), log)
        self.assertLess(receipt.index, size)

    def test_a_leader_whose_term_ended_in_etcd_cannot_append(self):
        # Fencing, deterministically: the leader's term ends in etcd (its key deleted, as when
        # its lease expires) while it still renews its lease and believes it leads. Its next
        # write is a transaction on that term, which etcd refuses.
        rs = self.replica_set("fence.example/log")
        key = self.client.load_key(rs.key)
        old, old_addr = rs.leader()
        self.etcd.ctl("del", rs.prefix + "leader")
        loader = Loader(self.client, key, rs.origin, rs.addrs, "f", threads=1)
        raw, sig = loader.record("after-the-term")
        self.assertIn("(r%d) no longer leads the replica set (etcd refused its commit group"
                      % old, self.refused(loader, old_addr, raw, sig))
        self.assertIn("leadership_lost", rs.servers[old].log())
        # A replica leads again (another, or the same in a new term) and takes the record.
        receipt = loader.submit_until_acked(raw, sig, 0)
        self.assertIsNotNone(receipt)
        size = self.converge(rs)
        logs = [self.entries(a, size) for a in rs.addrs()]
        self.assertTrue(all(l == logs[0] for l in logs))
        self.assertEqual(sum(raw in e for e in logs[0]), 1)

    def test_etcd_keeps_a_bounded_window_of_the_log(self):
        rs = self.replica_set("window.example/log", extra=["--etcd_keep_entries", "40"])
        key = self.client.load_key(rs.key)
        with Loader(self.client, key, rs.origin, rs.addrs, "w", threads=4) as load:
            while load.count() < 200:
                time.sleep(0.02)
        acked = load.acked
        head = self.converge(rs)
        # Every replica reports what it applied, under its own lease.
        deadline = time.monotonic() + 15
        while True:
            out = self.etcd.ctl("get", rs.prefix + "applied/", "--prefix").stdout.decode()
            applied = dict(zip(out.splitlines()[0::2], out.splitlines()[1::2]))
            firsts = [int(k.rsplit("/", 1)[1]) for k in self.etcd.ctl(
                "get", rs.prefix + "groups/", "--prefix", "--keys-only").stdout.decode().split()]
            if (sorted(applied.values()) == [str(head)] * 3 and firsts and
                    min(firsts) >= head - 40 - 32):
                break
            self.assertLess(time.monotonic(), deadline, "applied %s, groups from %s (head %d)"
                            % (applied, firsts[:3], head))
            time.sleep(0.2)
        self.assertEqual(sorted(k.rsplit("/", 1)[1] for k in applied), ["r0", "r1", "r2"])
        # The older groups are gone from etcd, and from its history (compacted)...
        self.assertGreater(min(firsts), 100)
        old = self.etcd.ctl("get", rs.prefix + "groups/%020d" % 0, "--rev", "2", check=False)
        self.assertNotEqual(old.returncode, 0)
        self.assertIn(b"compacted", old.stderr)
        # ...and every acknowledged record is still on every replica.
        logs = [self.entries(a, head) for a in rs.addrs()]
        self.assertTrue(all(l == logs[0] for l in logs))
        for raw, receipt in acked:
            self.assertIn(raw, logs[0][receipt.index])
        # A replica that has every entry restarts and follows on.
        s = rs.servers[(rs.leader()[0] + 1) % 3]
        self.assertEqual(s.stop(), 0, s.log())
        s.start()
        self.assertIn("holds %d entries; following" % head, s.log())
        # A new, empty replica finds the gap: it says so, and never serves a partial log.
        work = os.path.join(self.tmp, "window-new")
        data = os.path.join(work, "data")
        os.makedirs(data)
        shutil.copy(rs.key, os.path.join(data, "operator.pem"))
        port_file = os.path.join(work, "port")
        with open(os.path.join(work, "log"), "wb") as log:
            new = subprocess.Popen([ARGS.touchstoned, "--data_dir", data, "--listen",
                                    "127.0.0.1:0", "--port_file", port_file, "--etcd",
                                    self.etcd.endpoints, "--replica_id", "r9", "--origin",
                                    rs.origin], stdout=log, stderr=log, env=clean_env())
        self.addCleanup(lambda: (new.kill(), new.wait()))
        deadline = time.monotonic() + 20
        while True:
            with open(os.path.join(work, "log")) as f:
                text = f.read()
            if "replica_behind" in text:
                break
            self.assertIsNone(new.poll(), text)
            self.assertLess(time.monotonic(), deadline, text)
            time.sleep(0.1)
        self.assertRegex(text, r"etcd no longer holds the groups from entry 0 to \d+: this "
                               r"replica must catch up from another replica")
        self.assertFalse(os.path.exists(port_file))
        # SIGTERM stops it while it waits.
        new.send_signal(signal.SIGTERM)
        self.assertEqual(new.wait(timeout=10), 1)

    def test_a_replica_ahead_of_a_bootstrapped_head_stops(self):
        # r0 falls behind, the others go on; etcd loses its data; r0 starts first and sets
        # the head to its size. r1 holds entries the new set does not: it must stop, not
        # serve them as this log.
        rs, key = self.replica_set_with_records("ahead.example/log", 10)
        behind = rs.servers[0]
        self.assertEqual(behind.stop(), 0, behind.log())
        with Loader(self.client, key, rs.origin, rs.addrs, "more", threads=2) as load:
            while load.count() < 10:
                time.sleep(0.02)
        for s in rs.servers[1:]:
            self.assertEqual(s.stop(), 0, s.log())
        self.etcd.ctl("del", rs.prefix, "--prefix")
        behind.start()
        self.assertEqual(rs.leader()[0], 0)  # the only one running
        deadline = time.monotonic() + 10
        while "etcd_bootstrapped" not in behind.log():
            self.assertLess(time.monotonic(), deadline, behind.log())
            time.sleep(0.05)
        ahead = rs.servers[1]
        with self.assertRaises(AssertionError) as e:
            ahead.start()
        self.assertIn("exited 2", str(e.exception))
        self.assertIn("more than the replica set's log (etcd's head is", str(e.exception))

    def test_a_replica_set_whose_etcd_lost_its_data_starts_again(self):
        rs, key = self.replica_set_with_records("lost.example/log", 30)
        head = self.converge(rs)
        before = self.entries(rs.addrs()[0], head)
        for s in rs.servers:
            self.assertEqual(s.stop(), 0, s.log())
        self.etcd.ctl("del", rs.prefix, "--prefix")  # etcd's data for this log is gone
        rs.start()
        leader, _ = rs.leader()
        deadline = time.monotonic() + 10
        while "etcd_bootstrapped" not in rs.servers[leader].log():
            self.assertLess(time.monotonic(), deadline, rs.servers[leader].log())
            time.sleep(0.05)
        with Loader(self.client, key, rs.origin, rs.addrs, "again", threads=2) as load:
            while load.count() < 10:
                time.sleep(0.02)
        size = self.converge(rs)
        logs = [self.entries(a, size) for a in rs.addrs()]
        self.assertTrue(all(l == logs[0] for l in logs))
        self.assertEqual(logs[0][:head], before)
        for raw, receipt in load.acked:
            self.assertIn(raw, logs[0][receipt.index])

    def test_a_restarted_follower_catches_up_a_backlog_of_large_groups(self):
        # Groups near their byte bound (512 KiB of records), more than a follower reads from
        # etcd at once: what it reads in one response is over gRPC's default 4 MiB.
        rs = self.replica_set("backlog.example/log")
        leader, leader_addr = rs.leader()
        follower = rs.servers[(leader + 1) % 3]
        self.assertEqual(follower.stop(), 0, follower.log())
        loader = Loader(self.client, self.client.load_key(rs.key), rs.origin, rs.addrs, "b")
        pb, c = loader.pb, self.client
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        refiner = Ed25519PrivateKey.generate()
        raw, sig = loader.record("big-refiner")
        r = pb.Record()
        r.ParseFromString(raw)
        r.participant_registered.keys[0].ed25519 = c.raw_public(refiner)
        raw = r.SerializeToString()
        self.stub(leader_addr).Submit(loader.lpb.SubmitRequest(
            record=raw, signature=loader.key.sign(c.signing_message(rs.origin, raw))), timeout=10)
        for batch in range(2):
            reqs = []
            for i in range(1000):
                lot = pb.LotCreated(lot_id="big-%d-%d" % (batch, i), material="gold", form="grain",
                                    origin_class=pb.ORIGIN_CLASS_MINED, quantity=1000,
                                    unit=pb.UNIT_MILLIGRAM, fineness_ptt=9999,
                                    facility="F" * 4000, note="N" * 4000)
                rec = pb.Record(record_id="big-%d-%d" % (batch, i), signer="big-refiner",
                                key_id=c.key_id(c.raw_public(refiner)),
                                event_time_micros=int(time.time() * 1e6) - 1000, lot_created=lot)
                raw = rec.SerializeToString()
                reqs.append(loader.lpb.SubmitRequest(
                    record=raw, signature=refiner.sign(c.signing_message(rs.origin, raw))))
            out = self.stub(leader_addr).SubmitBatch(
                loader.lpb.SubmitBatchRequest(records=reqs), timeout=120)
            self.assertEqual({(r.code, r.message) for r in out.results if r.code}, set())
        head = rs.head()
        groups = self.etcd.ctl("get", rs.prefix + "groups/", "--prefix", "--keys-only").stdout
        self.assertGreater(len(groups.split()), 16)
        follower.start()  # serves once caught up
        self.assertEqual(self.converge(rs, timeout=60), head)
        logs = [self.entries(a, head) for a in rs.addrs()]
        self.assertTrue(all(l == logs[0] for l in logs))

    def test_writes_need_a_majority_of_etcd(self):
        etcd = EtcdCluster(os.path.join(self.tmp, "quorum"))
        os.makedirs(etcd.tmp)
        self.addCleanup(etcd.kill)
        etcd.start()
        rs = ReplicaSet(self, etcd, self.tmp, "quorum.example/log")
        self.addCleanup(rs.kill)
        rs.start()
        key = self.client.load_key(rs.key)
        loader = Loader(self.client, key, rs.origin, rs.addrs, "q", threads=1)
        acked = []

        def submit(rid, timeout=20):
            raw, sig = loader.record(rid)
            deadline = time.monotonic() + timeout
            while True:
                _, addr = rs.leader()
                try:
                    r = self.stub(addr).Submit(loader.lpb.SubmitRequest(record=raw,
                                                                        signature=sig),
                                               timeout=5)
                    acked.append((raw, r))
                    return r
                except grpc.RpcError as e:
                    if time.monotonic() > deadline:
                        return e
                    time.sleep(0.1)

        self.assertNotIsInstance(submit("all-up"), grpc.RpcError)
        etcd.stop_member(2)
        for i in range(5):
            self.assertNotIsInstance(submit("one-down-%d" % i), grpc.RpcError)
        etcd.stop_member(1)
        # No quorum: refused, UNAVAILABLE, whichever replica is asked.
        raw, sig = loader.record("two-down")
        for addr in rs.addrs():
            with self.assertRaises(grpc.RpcError) as e:
                self.stub(addr).Submit(loader.lpb.SubmitRequest(record=raw, signature=sig),
                                       timeout=15)
            self.assertEqual(e.exception.code(), grpc.StatusCode.UNAVAILABLE,
                             e.exception.details())
        etcd.start_member(1)
        etcd.start_member(2)
        self.assertNotIsInstance(submit("back", timeout=60), grpc.RpcError)
        size = self.converge(rs, timeout=60)
        log = self.entries(rs.addrs()[0], size)
        for raw, r in acked:
            self.assertIn(raw, log[r.index])
        # The refused record was never acknowledged; if its group reached etcd before the
        # quorum went, it is in the log once, like any retried submission.
        self.assertLessEqual(sum(raw in e for e in log), 1)

    def test_a_group_that_does_not_verify_stops_every_replica(self):
        rs, key = self.replica_set_with_records("tamper.example/log", 10)
        head = self.converge(rs)
        last = self.entries(rs.addrs()[0], head)[-1]
        # The next group, forged: the last entry again with its record altered (one byte)
        # and chained and numbered as entry `head`, under the latest checkpoint.
        record_len = int.from_bytes(last[52:56], "big")
        record = bytearray(last[56:56 + record_len])
        record[-1] ^= 1
        forged = (b"TSE1" + head.to_bytes(8, "big") + last[12:20] + leaf(last) +
                  len(record).to_bytes(4, "big") + bytes(record) + last[56 + record_len:])
        group = encode_fields([(1, 0, head), (2, 2, forged),
                               (4, 2, self.checkpoint(rs.addrs()[0], head).encode())])
        leader, leader_addr = rs.leader()
        self.etcd.ctl("put", rs.prefix + "groups/%020d" % head, stdin=group)
        self.etcd.ctl("put", rs.prefix + "head", str(head + 1))
        # The followers read it at once. The leader finds out at its next write, which etcd
        # refuses (the head moved): nothing acknowledged, and it reads what etcd holds.
        loader = Loader(self.client, key, rs.origin, rs.addrs, "t", threads=1)
        raw, sig = loader.record("after-the-forgery")
        self.assertIn("nothing was acknowledged", self.refused(loader, leader_addr, raw, sig))
        for s in rs.servers:
            try:
                code = s.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                raise AssertionError("a replica kept running:\n" + s.log())
            self.assertEqual(code, 2, s.log())
            self.assertIn("replica_stopped", s.log())
            self.assertIn("replicated group at entry %d does not verify" % head, s.log())
        # Started again, a replica refuses it again, before it serves anything.
        s = rs.servers[0]
        with self.assertRaises(AssertionError) as e:
            s.start()
        self.assertIn("does not verify", str(e.exception))


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv)
