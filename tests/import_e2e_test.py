#!/usr/bin/python3
"""Bulk import from CSV (`touchstone import`, docs/import.md) against a real touchstoned:

- a file with bad rows: every bad row is named by the line it starts on (a quoted note spanning
  two lines counts as two), with a layout error refused before anything is sent, and a dry run
  appends nothing;
- the dry run is the server's own rules over the file's rows in order: a second shipment of a
  lot the first row put in transit is refused, a receipt of a shipment the file does not make is
  NOT_FOUND, and what the dry run accepts the real import appends;
- a semicolon-separated file with a byte order mark (what European spreadsheets save) imports;
  lots, shipments, receipts and pieces import as the one-record commands would make them;
- --rows lots (100,000 in the Release suite) imported while the client is killed with SIGKILL
  and then the server too, and resumed each time: in the end every row is in the log exactly
  once (a second client, python3-grpcio, reads every entry), every acknowledged row survived,
  and the resumed runs say how many rows were already in the log. The time is printed."""
import argparse
import csv
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

from e2e_support import Server, clean_env, load_example_client, parse_binaries

ARGS = None


class ImportE2ETest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_import_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        cls.state = os.path.join(cls.tmp, "state")
        cls.server = Server(ARGS.touchstoned, cls.tmp, cls.data).start()
        cls.addClassCleanup(lambda: cls.server.kill())
        cls.client = load_example_client(cls.tmp)
        from proto import ledger_service_pb2, ledger_service_pb2_grpc, record_pb2
        cls.pb, cls.grpc_pb, cls.record_pb = ledger_service_pb2, ledger_service_pb2_grpc, record_pb2
        cls.operator_key = os.path.join(cls.data, "operator.pem")
        for who, role in (("refiner-1", "refiner"), ("refiner-2", "refiner"),
                          ("jeweler-1", "jeweler")):
            key = cls.path(who + ".pem")
            cls.ts_ok("keygen", "-o", key, "--name", who)
            cls.ts_ok("participant", "register", "--as", "operator", "--key", cls.operator_key,
                      "--id", who, "--name", "Participant " + who, "--role", role,
                      "--pubkey", key)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.tmp, name)

    @classmethod
    def ts(cls, *args, timeout=600):
        return subprocess.run([ARGS.touchstone, "--server", cls.server.addr] + list(args) +
                              (["--state_dir", cls.state] if args and args[0] == "import" else []),
                              capture_output=True, text=True, env=clean_env(), timeout=timeout,
                              cwd=cls.tmp)

    @classmethod
    def ts_ok(cls, *args):
        r = cls.ts(*args)
        assert r.returncode == 0, "touchstone %s: %s%s" % (" ".join(args), r.stdout, r.stderr)
        return r

    @classmethod
    def write(cls, name, text, encoding="utf-8"):
        with open(cls.path(name), "w", encoding=encoding, newline="") as f:
            f.write(text)
        return cls.path(name)

    def import_(self, name, kind, who, *extra):
        return self.ts("import", self.path(name), "--type", kind, "--as", who,
                       "--key", self.path(who + ".pem"), *extra)

    def size(self):
        with grpc.insecure_channel(self.server.addr) as channel:
            return self.grpc_pb.LedgerStub(channel).GetLogInfo(
                self.pb.GetLogInfoRequest(), timeout=30).size

    def records(self):
        """(signer, record id) -> how many entries hold it, for every entry of the log."""
        with grpc.insecure_channel(self.server.addr) as channel:
            entries = self.grpc_pb.LedgerStub(channel).GetEntries(
                self.pb.GetEntriesRequest(start=0), timeout=300)
            counts = {}
            for e in entries:
                _, _, record, _ = self.client.decode_entry(e.data)
                r = self.record_pb.Record.FromString(record)
                counts[(r.signer, r.record_id)] = counts.get((r.signer, r.record_id), 0) + 1
            return counts

    def test_bad_rows_are_named_by_their_line_and_a_dry_run_appends_nothing(self):
        self.write("bad.csv",
                   "id,material,form,origin,quantity,fineness,facility,note\n"
                   "bad-1,gold,grain,mined,100 g,999.9,Pforzheim,fine\n"
                   "bad-2,gold,grain,mined,lots,999.9,Pforzheim,\n"
                   '"bad-3",gold,grain,mined,5 g,999.9,Pforzheim,"a note,\n'
                   'on two lines"\n'
                   "bad-4,gold,grain,from-the-moon,5 g,999.9,Pforzheim,\n"
                   "\n"
                   "bad-1,gold,bar,mined,5 g,999.9,Pforzheim,\n"
                   "bad-6,gold,grain,mined,5 g,999.9,,\n")
        before = self.size()
        r = self.import_("bad.csv", "lots", "refiner-1", "--dry-run")
        self.assertEqual(r.returncode, 1, (r.stdout + r.stderr)[-3000:])
        err = r.stderr
        self.assertIn("bad.csv:3: INVALID_ARGUMENT: column quantity 'lots'", err)
        # Line 4's row spans lines 4 and 5; the next row is line 6.
        self.assertIn("bad.csv:6: INVALID_ARGUMENT: column origin 'from-the-moon'", err)
        self.assertIn("bad.csv:8: INVALID_ARGUMENT: 'bad-1' is the subject of line 2 already", err)
        self.assertIn("bad.csv:9: INVALID_ARGUMENT: column facility is empty", err)
        self.assertNotIn("bad.csv:2:", err)
        self.assertNotIn("bad.csv:4:", err)
        self.assertIn("dry run: 2 rows would be appended, 0 are in the log already, 4 refused; "
                      "nothing was appended", r.stdout)
        self.assertEqual(self.size(), before)
        # A layout error is the file's, before any row: nothing is sent.
        self.write("layout.csv", "id,material,form,origin,quantity,colour,facility\n"
                                 "x,gold,grain,mined,1 g,yellow,here\n")
        r = self.import_("layout.csv", "lots", "refiner-1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("layout.csv:1: column 'colour' is not one of the lots layout", r.stderr)
        r = self.ts("import", self.path("layout.csv"), "--as", "refiner-1",
                    "--key", self.path("refiner-1.pem"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("layout.csv:1: the header fits no layout", r.stderr)
        self.write("missing.csv", "id,material,form,origin,facility\nx,gold,grain,mined,here\n")
        r = self.import_("missing.csv", "lots", "refiner-1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("the lots layout needs a column 'quantity'", r.stderr)
        self.write("quote.csv", 'id,material,form,origin,quantity,facility\n"x,gold\n')
        r = self.import_("quote.csv", "lots", "refiner-1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("quote.csv:2:", r.stderr)
        self.assertEqual(self.size(), before)
        self.assertFalse(os.path.exists(self.path("layout.csv.import")))

    def test_the_dry_run_applies_the_rules_over_the_files_rows_in_order(self):
        self.write("dlots.csv", "id,material,form,origin,quantity,fineness,facility\n"
                                "d-1,gold,grain,mined,10 g,999.9,Pforzheim\n"
                                "d-2,gold,grain,mined,10 g,999.9,Pforzheim\n")
        r = self.import_("dlots.csv", "lots", "refiner-2")
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr)[-3000:])
        self.write("dship.csv", "shipment,lot,to\n"
                                "ds-1,d-1,jeweler-1\n"
                                "ds-2,d-1,jeweler-1\n"
                                "ds-3,d-2,jeweler-1\n"
                                "ds-4,d-404,jeweler-1\n")
        before = self.size()
        r = self.import_("dship.csv", "shipments", "refiner-2", "--dry-run")
        self.assertEqual(r.returncode, 1, (r.stdout + r.stderr)[-3000:])
        # Row 3 ships the lot row 2 already put in transit: the rules see the file's earlier rows.
        self.assertIn("dship.csv:3: FAILED_PRECONDITION:", r.stderr)
        self.assertIn("dship.csv:5: NOT_FOUND:", r.stderr)
        self.assertIn("dry run: 2 rows would be appended, 0 are in the log already, 2 refused",
                      r.stdout)
        self.assertEqual(self.size(), before)
        # What the dry run accepted, the import appends; what it refused, the import refuses.
        r = self.import_("dship.csv", "shipments", "refiner-2")
        self.assertEqual(r.returncode, 1, (r.stdout + r.stderr)[-3000:])
        self.assertIn("dship.csv:3: FAILED_PRECONDITION:", r.stderr)
        self.assertIn("dship.csv:5: NOT_FOUND:", r.stderr)
        self.assertIn("2 rows appended, 0 in the log already, 2 refused", r.stdout)
        self.assertEqual(self.size(), before + 2)
        # Now a dry run of the same file finds its two rows in the log.
        r = self.import_("dship.csv", "shipments", "refiner-2", "--dry-run")
        self.assertIn("dry run: 0 rows would be appended, 2 are in the log already", r.stdout)

    def test_lots_shipments_receipts_and_pieces_from_a_semicolon_file_with_a_bom(self):
        self.write("p-lots.csv", "\ufeffid;material;form;origin;quantity;fineness;facility;cert\n"
                                 "p-gold;gold;casting grain;mined;100.5 g;750;Pforzheim;\n",
                   encoding="utf-8")
        r = self.import_("p-lots.csv", "lots", "refiner-1", "--delimiter", ";")
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr)[-3000:])
        self.assertIn("1 rows appended", r.stdout)
        self.assertIn("receipts verified", r.stdout)
        lot = self.ts_ok("lot", "show", "p-gold").stdout
        self.assertIn("100.500 g", lot)
        # Event times from the file: the shipment, its receipt and the piece a second apart.
        t0 = int(time.time()) + 1

        def at(seconds):
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0 + seconds))
        self.write("p-ship.csv", "shipment,lot,to,event-time\np-s1,p-gold,jeweler-1,%s\n" % at(0))
        r = self.import_("p-ship.csv", "shipments", "refiner-1")
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr)[-3000:])
        self.write("p-recv.csv", "shipment,lot,event-time\np-s1,p-gold,%s\n" % at(1))
        # Without --type, the one layout the header fits: receipts (no `to` column).
        r = self.ts("import", self.path("p-recv.csv"), "--as", "jeweler-1",
                    "--key", self.path("jeweler-1.pem"))
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr)[-3000:])
        self.write("p-pieces.csv",
                   "id,description,hallmark,metal,gtin,serial,event-time\n"
                   '"P-RING-1","18k gold band, 3 mm",750,p-gold:3.850 g,4006381333931,RING1,%s\n'
                   % at(2))
        r = self.import_("p-pieces.csv", "pieces", "jeweler-1", "--dry-run")
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr)[-3000:])
        r = self.import_("p-pieces.csv", "pieces", "jeweler-1")
        self.assertEqual(r.returncode, 0, (r.stdout + r.stderr)[-3000:])
        show = self.ts_ok("lookup", "piece", "P-RING-1").stdout
        self.assertIn('"quantity": "3850"', show)
        self.assertIn("04006381333931", show)
        # The shipment's event time is the file's, not the import's.
        counts = self.records()
        self.assertEqual(sum(1 for (s, rid) in counts if rid.startswith("import-")
                             and s in ("refiner-1", "jeweler-1")
                             and rid.split("-")[1] in ("shipments", "receipts", "pieces")), 3)

    def test_rows_imported_with_the_client_and_the_server_killed_end_in_the_log_once(self):
        rows = ARGS.rows
        name = "big.csv"
        with open(self.path(name), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "material", "form", "origin", "quantity", "fineness", "facility",
                        "note"])
            for i in range(rows):
                w.writerow(["big-%06d" % i, "gold", "grain", "mined",
                            "%d.%03d g" % (1 + i % 500, i % 1000), "999.9", "Pforzheim, DE",
                            "ERP batch %d" % (i // 1000)])
        before = self.size()
        def command():  # the server's address changes when it restarts
            return [ARGS.touchstone, "--server", self.server.addr, "import", self.path(name),
                    "--type", "lots", "--as", "refiner-1", "--key", self.path("refiner-1.pem"),
                    "--state_dir", self.state]
        started = time.monotonic()

        def run_until(grown, kill):
            """Runs the import until the log has grown by `grown` rows, then kill()s."""
            proc = subprocess.Popen(command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=clean_env(), cwd=self.tmp)
            deadline = time.monotonic() + 600
            while self.size() - before < grown:
                if proc.poll() is not None:
                    out, err = proc.communicate()
                    self.fail("the import ended before it was killed: %s %s" %
                              (out.decode()[-2000:], err.decode()[-2000:]))
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            kill(proc)
            out, err = proc.communicate(timeout=60)
            return proc.returncode, out.decode(), err.decode()

        # 1. The client is killed mid-import.
        code, _, _ = run_until(rows // 5, lambda p: p.send_signal(signal.SIGKILL))
        self.assertEqual(code, -signal.SIGKILL)
        after_client_kill = self.size() - before
        # 2. Resumed, and then the server is killed under it: the client reports it and exits.
        code, _, err = run_until(after_client_kill + rows // 5,
                                 lambda p: self.server.proc.send_signal(signal.SIGKILL))
        self.server.proc.wait()
        self.assertEqual(code, 1, err)
        self.assertIn("run the same import again to resume", err)
        self.server.start()
        survived = self.size() - before
        self.assertGreaterEqual(survived, after_client_kill + rows // 5)
        # 3. Resumed to the end.
        r = subprocess.run(command(), capture_output=True, text=True, env=clean_env(), cwd=self.tmp,
                           timeout=1200)
        elapsed = time.monotonic() - started
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr[-3000:])
        self.assertIn("rows without an event-time keep", r.stderr)
        appended = rows - survived
        self.assertIn("%d rows appended, %d in the log already, 0 refused" % (appended, survived),
                      r.stdout)
        self.assertEqual(self.size() - before, rows)
        # A second client reads every entry: each row's record (its id derived from the row's
        # lot id as docs/import.md says) is in the log exactly once.
        counts = self.records()
        for i in range(rows):
            rid = "import-lots-" + hashlib.sha256(b"big-%06d" % i).hexdigest()[:32]
            self.assertEqual(counts.get(("refiner-1", rid)), 1, "row %d (line %d)" % (i, i + 2))
        self.assertEqual(max(counts.values()), 1, "a record id is in the log twice")
        # Each row's lot is in the log once, with the row's quantity.
        self.assertEqual(self.ts_ok("lot", "show", "big-%06d" % (rows - 1)).returncode, 0)
        print("\nimport of %d rows, killed twice (client at %d, server at %d) and resumed: "
              "%.1f s in all" % (rows, after_client_kill, survived, elapsed), file=sys.stderr)


if __name__ == "__main__":
    ARGS, rest = parse_binaries()
    extra = argparse.ArgumentParser()
    extra.add_argument("--rows", type=int, default=100000)
    more, rest_args = extra.parse_known_args(rest[1:])
    ARGS.rows = more.rows
    unittest.main(argv=[rest[0]] + rest_args)
