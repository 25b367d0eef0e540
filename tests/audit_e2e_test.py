#!/usr/bin/python3
"""The audit finds tampering that bypasses the server: one byte changed with
rocksdb-tools' `ldb` in a stored entry, a tree hash, the derived state and a
checkpoint of a closed database. Each is reported precisely by `touchstone
audit`, and the server refuses to extend a log whose tail was altered."""
import os
import shutil
import subprocess
import tempfile
import unittest

from e2e_support import Server, clean_env, ldb, parse_binaries, run_demo

ARGS = None
P = "a1"


def flip_stored_byte(db, cf, key, offset, key_hex=False):
    """Changes one byte of the value stored at key, straight in RocksDB."""
    kargs = ["--key_hex"] if key_hex else []
    value = bytearray.fromhex(ldb(db, cf, "get", key, "--value_hex", *kargs)[2:])
    value[offset] ^= 0x01
    ldb(db, cf, "put", key, "0x" + value.hex().upper(), "--value_hex", *kargs)


class AuditTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_audit_")
        cls.data = os.path.join(cls.tmp, "data")
        server = Server(ARGS.touchstoned, cls.tmp, cls.data).start()
        try:
            run_demo(ARGS.touchstone, server.addr, cls.data, os.path.join(cls.tmp, "keys"), P)
        finally:
            assert server.stop() == 0

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def copy(self, name):
        path = os.path.join(self.tmp, name)
        shutil.copytree(self.data, path)
        return path

    def audit(self, data):
        return subprocess.run([ARGS.touchstone, "audit", "--data_dir", data],
                              capture_output=True, text=True, env=clean_env(), timeout=120)

    def assert_audit_fails(self, data, message):
        r = self.audit(data)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("AUDIT FAILED: " + message, r.stderr)

    def test_an_untouched_log_audits_clean(self):
        r = self.audit(self.data)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("audit passed: 129 entries", r.stdout)
        self.assertIn("129 checkpoints match", r.stdout)

    def test_a_log_streamed_from_the_server_audits_against_its_checkpoint(self):
        server = Server(ARGS.touchstoned, self.tmp, self.copy("served")).start()
        try:
            def cli(*args):
                return subprocess.run([ARGS.touchstone, "--server", server.addr] + list(args),
                                      capture_output=True, text=True, env=clean_env(),
                                      timeout=120)
            info = cli("log", "info").stdout
            vkey = [l.split(" ", 1)[1] for l in info.splitlines()
                    if l.startswith("verifier_key ")][0]
            r = cli("audit", "--from_server", "--vkey", vkey)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("audit passed: 129 entries streamed from", r.stdout)
            self.assertIn("root of the checkpoint at size 129", r.stdout)
            other = cli("audit", "--from_server", "--vkey",
                        "touchstone.local/ledger+00000000+AQ" + "A" * 42 + "=")
            self.assertNotEqual(other.returncode, 0)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_one_changed_byte_in_an_entry_is_found(self):
        data = self.copy("entry")
        flip_stored_byte(os.path.join(data, "db"), "entries", "0x0000000000000014", 80,
                         key_hex=True)
        self.assert_audit_fails(data, "entry 20: ")

    def test_one_changed_byte_in_a_tree_hash_is_found(self):
        data = self.copy("tree")
        flip_stored_byte(os.path.join(data, "db"), "tree", "0x010000000000000003", 7,
                         key_hex=True)
        self.assert_audit_fails(data, "tree node level 1 index 3 (entry 7) differs")

    def test_one_changed_byte_in_the_derived_state_is_found(self):
        data = self.copy("state")
        flip_stored_byte(os.path.join(data, "db"), "state", "lot/%s-grain-1" % P, 3)
        self.assert_audit_fails(data, "stored state 'lot/%s-grain-1' differs" % P)

    def test_one_changed_byte_in_a_checkpoint_is_found(self):
        data = self.copy("checkpoint")
        # Byte 26 is inside the base64 root of the size-10 checkpoint.
        flip_stored_byte(os.path.join(data, "db"), "checkpoints", "0x000000000000000A", 26,
                         key_hex=True)
        self.assert_audit_fails(data, "checkpoint at size 10: ")

    def test_the_server_refuses_to_extend_a_log_whose_tail_was_altered(self):
        data = self.copy("tail")
        flip_stored_byte(os.path.join(data, "db"), "entries", "0x0000000000000030", 100,
                         key_hex=True)
        r = subprocess.run([ARGS.touchstoned, "--data_dir", data, "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, env=clean_env(), timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("refusing to extend a damaged log: entry 48 does not match its leaf hash",
                      r.stderr)

    def refused_start(self, data):
        r = subprocess.run([ARGS.touchstoned, "--data_dir", data, "--listen", "127.0.0.1:0"],
                           capture_output=True, text=True, env=clean_env(), timeout=60)
        self.assertEqual(r.returncode, 1, r.stderr)
        return r.stderr

    def test_the_server_names_a_missing_entry_in_its_tail(self):
        data = self.copy("missing")
        ldb(os.path.join(data, "db"), "entries", "delete", "0x000000000000002D", "--key_hex")
        self.assertIn("DATA_LOSS: refusing to extend a damaged log: entry 45 is missing",
                      self.refused_start(data))

    def test_a_block_failing_its_checksum_is_refused_not_skipped(self):
        data = self.copy("checksum")
        db = os.path.join(data, "db")
        ldb(db, "entries", "compact")  # the entries now live in a table file with checksums
        tables = [f for f in os.listdir(db) if f.endswith(".sst") and "column family name: entries"
                  in subprocess.run(["sst_dump", "--file=" + os.path.join(db, f),
                                     "--show_properties"], capture_output=True, text=True,
                                    timeout=60).stdout]
        self.assertEqual(len(tables), 1, os.listdir(db))
        with open(os.path.join(db, tables[0]), "r+b") as f:
            f.seek(100)  # inside the first data block: entries 0 to a few
            byte = f.read(1)
            f.seek(100)
            f.write(bytes([byte[0] ^ 0x01]))
        err = self.refused_start(data)
        self.assertIn("DATA_LOSS: refusing to extend a damaged log: entry 0 (or one of the 255 "
                      "after it) cannot be read: ", err)
        self.assertIn("Corruption: block checksum mismatch", err)
        r = self.audit(data)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Corruption: block checksum mismatch", r.stderr)


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
