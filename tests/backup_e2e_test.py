#!/usr/bin/python3
"""Backups of a running touchstoned: `touchstone backup` (Admin.Backup) taken while
`touchstone demo` appends, each restored with `touchstone restore` into a new data
directory that audits clean from genesis, holds exactly the original's checkpoint at
its size, and continues appending under a server started on it. Backups go only into
the server's --backup_dir, and restores never overwrite a data directory.

Admin is served only on its Unix socket (<data_dir>/admin.sock, mode 0600): over the
gRPC port (python3-grpcio) it is UNIMPLEMENTED, whatever the caller's address; as
another user (when the test runs as root) the socket cannot be opened."""
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

import grpc

from e2e_support import Server, clean_env, parse_binaries, proto_fields

ARGS = None
BACKUP = "/touchstone.v1.Admin/Backup"
NOBODY = 65534


def admin_socket(server):
    return os.path.join(server.data_dir, "admin.sock")


def run(*args, server=None, as_nobody=False):
    """The CLI with --server and --admin naming `server`'s gRPC port and Admin socket."""
    cmd = [ARGS.touchstone] + (["--server", server.addr, "--admin",
                                "unix:" + admin_socket(server)] if server else []) + list(args)
    drop = (lambda: (os.setgroups([]), os.setgid(NOBODY), os.setuid(NOBODY))) if as_nobody else None
    return subprocess.run(cmd, capture_output=True, text=True, env=clean_env(), timeout=180,
                          preexec_fn=drop)


def grpc_backup(target):
    """Admin.Backup through python3-grpcio (no generated code): its BackupResponse fields,
    or the grpc.RpcError."""
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(BACKUP, request_serializer=None, response_deserializer=None)
        try:
            return proto_fields(call(b"", timeout=60))
        except grpc.RpcError as e:
            return e


def demo(server, data, keys, prefix):
    return subprocess.Popen(
        [ARGS.touchstone, "--server", server.addr, "demo", "--operator_key",
         os.path.join(data, "operator.pem"), "--keys_dir", keys, "--prefix", prefix],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())


def backup(server):
    """Takes a backup; returns (path, size, checkpoint note)."""
    r = run("backup", server=server)
    assert r.returncode == 0, r.stderr
    m = re.match(r"backup written: (\S+)\nsize (\d+)\ncheckpoint\n(.*)", r.stdout, re.S)
    assert m, r.stdout
    return m.group(1), int(m.group(2)), m.group(3)


class BackupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="touchstone_backup_")
        self.data = os.path.join(self.tmp, "data")
        self.backups = os.path.join(self.tmp, "backups")
        self.keys = os.path.join(self.tmp, "keys")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, data, *extra):
        workdir = tempfile.mkdtemp(dir=self.tmp)
        server = Server(ARGS.touchstoned, workdir, data, extra).start()
        self.servers.append(server)
        return server

    def test_backups_taken_under_load_restore_audit_clean_and_continue(self):
        server = self.start(self.data, "--backup_dir", self.backups)
        load = demo(server, self.data, self.keys, "b1")
        taken = []
        while load.poll() is None and len(taken) < 6:
            taken.append(backup(server))
        out, err = load.communicate(timeout=180)
        self.assertEqual(load.returncode, 0, err)
        taken.append(backup(server))
        sizes = [size for _, size, _ in taken]
        self.assertEqual(sizes, sorted(sizes))
        self.assertEqual(sizes[-1], 129)  # genesis + the demo's 128 records
        self.assertGreater(len(set(sizes)), 1, "no backup was taken while the demo appended")
        self.assertEqual(oct(os.stat(self.backups).st_mode & 0o777), "0o700")

        for i, (path, size, note) in enumerate(taken):
            self.assertEqual(os.path.dirname(path), self.backups)
            self.assertRegex(os.path.basename(path), r"^backup-\d{8}T\d{6}\.\d{3}Z-size-%d$" % size)
            self.assertEqual(oct(os.stat(os.path.join(path, "operator.pem")).st_mode & 0o777),
                             "0o600")
            # The note is the server's own checkpoint at that size, verbatim.
            self.assertEqual(run("log", "checkpoint", "--size", str(size), server=server).stdout,
                             note)
            restored = os.path.join(self.tmp, "restored-%d" % i)
            r = run("restore", path, "--data_dir", restored)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("at size %d; audit passed" % size, r.stdout)
            a = run("audit", "--data_dir", restored)
            self.assertEqual(a.returncode, 0, a.stderr)
            self.assertIn("audit passed: %d entries" % size, a.stdout)
        self.assertEqual(server.stop(), 0)

        # A server on the newest restored copy serves the same log and appends to it.
        copy = self.start(os.path.join(self.tmp, "restored-%d" % (len(taken) - 1)))
        self.assertEqual(run("log", "checkpoint", server=copy).stdout, taken[-1][2])
        again = demo(copy, os.path.join(self.tmp, "restored-%d" % (len(taken) - 1)), self.keys,
                     "b2")
        out, err = again.communicate(timeout=180)
        self.assertEqual(again.returncode, 0, err)
        self.assertIn("log size 252", out)
        self.assertEqual(copy.stop(), 0)
        a = run("audit", "--data_dir", os.path.join(self.tmp, "restored-%d" % (len(taken) - 1)))
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertIn("audit passed: 252 entries", a.stdout)

    def test_admin_is_served_only_on_its_socket_which_only_its_user_may_open(self):
        server = self.start(self.data, "--backup_dir", self.backups)
        st = os.lstat(admin_socket(server))
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(oct(st.st_mode & 0o7777), "0o600")
        # The gRPC port does not serve Admin at all, to a caller on loopback too.
        refused = grpc_backup(server.addr)
        self.assertIsInstance(refused, grpc.RpcError)
        self.assertEqual(refused.code(), grpc.StatusCode.UNIMPLEMENTED, refused.details())
        self.assertEqual(os.listdir(self.backups) if os.path.exists(self.backups) else [], [])
        # The socket does (here through python3-grpcio, above and below through the CLI).
        fields = grpc_backup("unix:" + admin_socket(server))
        self.assertNotIsInstance(fields, grpc.RpcError)
        self.assertEqual(os.path.dirname(fields[1][0].decode()), self.backups)
        self.assertEqual(fields[2][0], 1)
        # A CLI pointed at a socket that is not there says where it looked and what to do.
        r = run("--admin", "unix:" + os.path.join(self.tmp, "nope.sock"), "backup")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("UNAVAILABLE: cannot reach the Admin socket unix:%s" %
                      os.path.join(self.tmp, "nope.sock"), r.stderr)
        self.assertIn("hint: run it on the server's host as the server's user", r.stderr)
        if os.geteuid() == 0:
            # Another user reaches the socket's directory but may not open the socket: only
            # its mode stands in the way (opened up, the same call goes through).
            for d in (self.tmp, self.data):
                os.chmod(d, 0o755)
            r = run("backup", server=server, as_nobody=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("UNAVAILABLE: cannot reach the Admin socket", r.stderr)
            self.assertIn("Permission denied", r.stderr)
            os.chmod(admin_socket(server), 0o666)
            r = run("backup", server=server, as_nobody=True)
            os.chmod(admin_socket(server), 0o600)
            self.assertNotIn("cannot reach the Admin socket", r.stderr)
        else:
            print("note: not root: the other-user check needs root to switch users")
        self.assertEqual(server.stop(), 0)
        self.assertFalse(os.path.exists(admin_socket(server)), "the socket outlived the server")

    def test_no_backup_dir_means_no_backups(self):
        server = self.start(self.data)
        r = run("backup", server=server)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("FAILED_PRECONDITION: this server takes no backups: start touchstoned "
                      "with --backup_dir DIR", r.stderr)
        self.assertEqual(server.stop(), 0)

    def test_restore_refuses_to_overwrite_and_refuses_a_damaged_backup(self):
        server = self.start(self.data, "--backup_dir", self.backups)
        path, size, _ = backup(server)
        self.assertEqual(server.stop(), 0)
        r = run("restore", path, "--data_dir", self.data)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ALREADY_EXISTS: %s exists and is not empty" % self.data, r.stderr)
        r = run("restore", self.tmp, "--data_dir", os.path.join(self.tmp, "x"))
        self.assertIn("NOT_FOUND: %s is not a backup: it has no db/" % self.tmp, r.stderr)
        # A backup whose only entry (genesis) was altered fails its audit; nothing is written.
        damaged = os.path.join(self.tmp, "damaged")
        shutil.copytree(path, damaged)
        db = os.path.join(damaged, "db")
        value = subprocess.run(["ldb", "--db=" + db, "--column_family=entries", "get",
                                "0x0000000000000000", "--key_hex", "--value_hex"],
                               capture_output=True, text=True, check=True).stdout.strip()
        flipped = bytearray.fromhex(value[2:])
        flipped[60] ^= 1
        subprocess.run(["ldb", "--db=" + db, "--column_family=entries", "put",
                        "0x0000000000000000", "0x" + flipped.hex(), "--key_hex", "--value_hex"],
                       capture_output=True, text=True, check=True)
        target = os.path.join(self.tmp, "from-damaged")
        r = run("restore", damaged, "--data_dir", target)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("DATA_LOSS: the backup fails its audit; nothing restored: ", r.stderr)
        self.assertFalse(os.path.exists(target))


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
