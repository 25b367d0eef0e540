#!/usr/bin/python3
"""touchstoned's customer HTTP port against what it must refuse, and what it must keep:

- a 300 MB request body, declared (Content-Length) or chunked, is answered 413 and its
  connection closed before the body is read: the server's resident memory (VmRSS) stays
  flat, and it goes on serving;
- the connections it holds at once stay within --http_max_connections, however many a
  client opens;
- a piece's bundle is built once per checkpoint: asked again, the same bytes come from the
  cache (touchstone_http_bundle_cache_hits_total), and after the log grows it is built anew;
  the cache keeps within --http_bundle_cache_bytes, dropping the least recently used;
- a bundle bigger than --http_max_bundle_bytes is refused (429) with a message saying so.

The log is seeded once by `touchstone demo`; each test starts its own server on it."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from e2e_support import (Server, clean_env, parse_binaries, proto_fields, read_port_file,
                         run_demo, scrape_metrics)

ARGS = None
P = "h"  # the demo's id prefix
RING = "/p/%s-RING-1/bundle" % P
BAND = "/p/%s-BAND-1/bundle" % P
MB = 1 << 20


def get(url):
    """(status, body) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def proc_status(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


def open_sockets(pid):
    """How many sockets the process has open."""
    fd_dir = "/proc/%d/fd" % pid
    count = 0
    for fd in os.listdir(fd_dir):
        try:
            count += os.readlink(os.path.join(fd_dir, fd)).startswith("socket:")
        except FileNotFoundError:
            pass  # closed meanwhile
    return count


class HttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_http_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        server = Server(ARGS.touchstoned, cls.tmp, cls.data).start()
        cls.addClassCleanup(server.kill)
        run_demo(ARGS.touchstone, server.addr, cls.data, os.path.join(cls.tmp, "keys"), P,
                 timeout=240)
        assert server.stop() == 0

    def start(self, *flags):
        """A server on the demo's log with the pages on a port of their own and `flags`;
        returns it and the pages' base URL."""
        port_file = os.path.join(self.tmp, "http_port")
        if os.path.exists(port_file):
            os.remove(port_file)
        server = Server(ARGS.touchstoned, self.tmp, self.data,
                        ["--http_listen", "127.0.0.1:0", "--http_port_file", port_file] +
                        list(flags)).start()
        self.addCleanup(server.kill)
        return server, "http://127.0.0.1:%d" % read_port_file(port_file, server)

    def cli(self, server, *args):
        r = subprocess.run([ARGS.touchstone, "--server", server.addr] + list(args),
                           capture_output=True, text=True, env=clean_env(), timeout=60,
                           cwd=self.tmp)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_a_large_body_is_refused_before_it_is_read_and_memory_stays_flat(self):
        server, base = self.start()
        port = int(base.rsplit(":", 1)[1])
        total = 300 * MB
        chunk = b"x" * MB
        for framing in ("Content-Length: %d" % total, "Transfer-Encoding: chunked"):
            rss_before = proc_status(server.proc.pid, "VmRSS")
            started = time.monotonic()
            s = socket.create_connection(("127.0.0.1", port), timeout=20)
            s.sendall(b"POST /p/x HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n" % framing.encode())
            sent = 0
            try:
                while sent < total:
                    s.sendall(b"100000\r\n" + chunk + b"\r\n" if "chunked" in framing else chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server closed the connection: what it should do
            try:
                answer = s.recv(4096)
            except ConnectionResetError:
                answer = b""  # the 413 was lost with the reset; the close is what matters
            s.close()
            took = time.monotonic() - started
            grew = (proc_status(server.proc.pid, "VmRSS") - rss_before) // 1024
            self.assertLess(sent, total, framing + ": the server read the whole body")
            self.assertLess(took, 10, framing)
            self.assertLess(grew, 20, framing + ": VmRSS grew by %d MB" % grew)
            if answer:
                self.assertTrue(answer.startswith(b"HTTP/1.1 413 "), answer[:200])
                self.assertIn(b"request bodies over 4096 bytes are not accepted", answer)
            print("%s: refused after %d MB sent, %.2f s, VmRSS %+d MB" %
                  (framing, sent // MB, took, grew))
        # A small body is no reason to refuse a GET; and the server still serves.
        req = urllib.request.Request(base + "/static/verify.js", data=b"x" * 100, method="GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 200)
        self.assertEqual(get(base + RING)[0], 200)
        self.assertEqual(server.stop(), 0)

    def test_connections_held_at_once_stay_within_the_limit(self):
        server, base = self.start("--http_threads", "2", "--http_max_connections", "4")
        pid = server.proc.pid
        before = open_sockets(pid)
        clients = []
        for _ in range(40):  # idle connections: each holds a thread until it times out
            s = socket.socket()
            s.settimeout(0.1)
            try:
                s.connect(("127.0.0.1", int(base.rsplit(":", 1)[1])))
            except socket.timeout:
                pass  # not accepted: the listen backlog is full, as it should be
            clients.append(s)
        time.sleep(0.5)
        held = open_sockets(pid) - before
        # At most the limit, plus the one accepted last, waiting for room.
        self.assertLessEqual(held, 4 + 1)
        self.assertGreaterEqual(held, 2)  # the two being served, at least
        for s in clients:
            s.close()
        self.assertEqual(get(base + RING)[0], 200)
        self.assertEqual(server.stop(), 0)

    def test_a_bundle_is_built_once_per_checkpoint(self):
        server, base = self.start()
        m0 = scrape_metrics(base)
        self.assertEqual(m0["touchstone_http_bundle_cache_misses_total"], 0)
        status, first = get(base + RING)
        self.assertEqual(status, 200)
        status, again = get(base + RING)
        self.assertEqual(status, 200)
        # The same bytes, built-at time (created_micros, field 5) included: not rebuilt.
        self.assertEqual(again, first)
        self.assertEqual(get(base + RING + ".json")[0], 200)  # the JSON form of the same
        m1 = scrape_metrics(base)
        self.assertEqual(m1["touchstone_http_bundle_cache_misses_total"], 1)
        self.assertEqual(m1["touchstone_http_bundle_cache_hits_total"], 2)
        self.assertGreaterEqual(m1["touchstone_http_bundle_cache_bytes"], len(first))

        # The log grows (a new participant): a new checkpoint, so the bundle is built anew.
        key = os.path.join(self.tmp, "late.pem")
        if os.path.exists(key):
            os.remove(key)
        self.cli(server, "keygen", "-o", key)
        self.cli(server, "participant", "register", "--as", "operator", "--key",
                 os.path.join(self.data, "operator.pem"), "--id", "late-%d" % os.getpid(),
                 "--name", "Late Cutter", "--role", "cutter", "--pubkey", key)
        status, grown = get(base + RING)
        self.assertEqual(status, 200)
        old_note, new_note = (proto_fields(b)[3][0].decode() for b in (first, grown))
        self.assertGreater(int(new_note.splitlines()[1]), int(old_note.splitlines()[1]))
        m2 = scrape_metrics(base)
        self.assertEqual(m2["touchstone_http_bundle_cache_misses_total"], 2)
        self.assertEqual(m2["touchstone_http_bundle_cache_hits_total"], 2)
        self.assertEqual(server.stop(), 0)

    def test_the_cache_keeps_within_its_bytes_least_recently_used_out(self):
        server, base = self.start()
        ring, band = get(base + RING)[1], get(base + BAND)[1]
        self.assertEqual(server.stop(), 0)
        # Room for the bigger of the two bundles, not for both.
        room = max(len(ring), len(band)) + 64
        self.assertLess(room, len(ring) + len(band))
        server, base = self.start("--http_bundle_cache_bytes", str(room))
        get(base + RING)
        get(base + RING)  # a hit
        get(base + BAND)  # a miss that drops RING-1's
        get(base + RING)  # a miss again
        m = scrape_metrics(base)
        self.assertEqual(m["touchstone_http_bundle_cache_hits_total"], 1)
        self.assertEqual(m["touchstone_http_bundle_cache_misses_total"], 3)
        self.assertEqual(m["touchstone_http_bundle_cache_evictions_total"], 2)
        self.assertLessEqual(m["touchstone_http_bundle_cache_bytes"], room)
        self.assertEqual(server.stop(), 0)

    def test_a_bundle_bigger_than_the_limit_is_refused_with_a_message(self):
        server, base = self.start("--http_max_bundle_bytes", "2000")
        for path in (RING, RING + ".json"):
            status, body = get(base + path)
            self.assertEqual(status, 429, path)
            self.assertIn("RESOURCE_EXHAUSTED: the bundle of piece '%s-RING-1' is more than 2000 "
                          "bytes" % P, body.decode())
            self.assertIn("more than this server serves over HTTP (--http_max_bundle_bytes)",
                          body.decode())
        m = scrape_metrics(base)
        self.assertEqual(m["touchstone_http_bundles_too_big_total"], 2)
        self.assertEqual(m["touchstone_http_bundle_cache_bytes"], 0)
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
