#!/usr/bin/python3
"""The limits as operators set them on the real touchstoned (--max_message_bytes,
--max_batch, --max_record_bytes, and the log policy's --max_backdate and
--allow_history_import), seen by python3-grpcio and the touchstone CLI, and the
CLI's own per-call deadline against a server that never answers."""
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

import grpc

from e2e_support import Server, clean_env, parse_binaries, proto_fields

ARGS = None


def field(number, payload):
    """A length-delimited protobuf field (numbers < 16, payload < 2**21 bytes)."""
    n, length = len(payload), bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        length.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes([number << 3 | 2]) + bytes(length) + payload


def submit_request(record, signature=b"s" * 64):
    return field(1, record) + field(2, signature)


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.server = Server(ARGS.touchstoned, cls.tmp.name, os.path.join(cls.tmp.name, "data"),
                            ["--max_message_bytes", "65536", "--max_batch", "4",
                             "--max_record_bytes", "2048"]).start()
        cls.channel = grpc.insecure_channel(cls.server.addr)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        rc = cls.server.stop()
        cls.tmp.cleanup()
        assert rc == 0, "touchstoned exited %d on SIGTERM" % rc

    def call(self, method, request):
        return self.channel.unary_unary("/touchstone.v1.Ledger/" + method,
                                        request_serializer=None,
                                        response_deserializer=None)(request, timeout=10)

    def refused(self, method, request):
        with self.assertRaises(grpc.RpcError) as err:
            self.call(method, request)
        return err.exception.code(), err.exception.details()

    def size(self):
        return proto_fields(self.call("GetLogInfo", b""))[3][0]

    def test_log_info_publishes_the_limits(self):
        info = proto_fields(self.call("GetLogInfo", b""))
        self.assertEqual(info[4], [4])       # max_batch
        self.assertEqual(info[5], [2048])    # max_record_bytes

    def test_each_server_limit_is_a_clear_status_and_changes_nothing(self):
        size = self.size()
        code, details = self.refused("Submit", submit_request(b"x" * 70000))
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("larger than max", details)
        self.assertIn("65536", details)
        code, details = self.refused("Submit", submit_request(b"x" * 3000))
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("the record is 3000 bytes; the limit is 2048 (max_record_bytes)", details)
        batch = b"".join(field(1, submit_request(b"r")) for _ in range(5))
        code, details = self.refused("SubmitBatch", batch)
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("at most 4 records (max_batch), got 5", details)
        self.assertEqual(self.size(), size)

    def test_the_cli_refuses_a_field_over_its_limit_with_the_servers_message(self):
        work = tempfile.mkdtemp(dir=self.tmp.name)
        with open(os.path.join(work, "lot.json"), "w") as f:
            f.write('{"lotCreated": {"lotId": "%s", "material": "gold"}}' % ("L" * 200))
        run = subprocess.run(
            [ARGS.touchstone, "--server", self.server.addr, "submit", "--as", "operator",
             "--key", os.path.join(self.tmp.name, "data", "operator.pem"),
             "--json", os.path.join(work, "lot.json")],
            env=clean_env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 1, run.stdout)
        self.assertIn("touchstone: INVALID_ARGUMENT: record limit: field lot_created.lot_id is 200 "
                      "bytes; the limit for an identifier is 128", run.stderr)

    def test_a_call_limit_of_zero_is_refused_at_start(self):
        run = subprocess.run([ARGS.touchstoned, "--listen", "127.0.0.1:0", "--data_dir",
                              os.path.join(self.tmp.name, "zero"), "--max_call_seconds", "0"],
                             env=clean_env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 1)
        self.assertIn("max_call_seconds must be more than 0", run.stderr)

    def test_the_backdating_bound_is_recorded_in_the_log_and_enforced(self):
        work = tempfile.mkdtemp(dir=self.tmp.name)
        data = os.path.join(work, "data")

        def touchstone(server, *args):
            return subprocess.run([ARGS.touchstone, "--server", server.addr] + list(args),
                                  env=clean_env(), capture_output=True, text=True, timeout=60)

        def submit(server, name, event_time_micros):
            path = os.path.join(work, name + ".json")
            with open(path, "w") as f:
                json.dump({"eventTimeMicros": str(event_time_micros),
                           "roleGranted": {"participantId": "operator", "role": "ROLE_AUDITOR"}}, f)
            return touchstone(server, "submit", "--as", "operator", "--key",
                              os.path.join(data, "operator.pem"), "--json", path)

        server = Server(ARGS.touchstoned, work, data).start()
        try:
            genesis = json.loads(touchstone(server, "log", "entry", "0", "--json").stdout)
            self.assertEqual(genesis["record"]["genesis"]["policy"],
                             {"record_signature_version": 2, "max_backdate_micros": str(72 * 3600 * 10**6),
                              "rules_version": 2})
        finally:
            self.assertEqual(server.stop(), 0)
        # Restarted with another bound: the ledger records it as entry 1 before serving.
        server = Server(ARGS.touchstoned, work, data, ["--max_backdate", "90m"]).start()
        try:
            policy = json.loads(touchstone(server, "log", "entry", "1", "--json").stdout)
            self.assertEqual(policy["kind"], "log_policy")
            self.assertEqual(policy["record"]["log_policy"]["max_backdate_micros"], str(90 * 60 * 10**6))
            now = time.time_ns() // 1000
            run = submit(server, "old", now - 2 * 3600 * 10**6)
            self.assertEqual(run.returncode, 1, run.stdout)
            self.assertIn("FAILED_PRECONDITION: backdating rule: the record's event time", run.stderr)
            self.assertIn("the log's policy allows at most 1 h 30 min", run.stderr)
            run = submit(server, "current", time.time_ns() // 1000)
            self.assertEqual(run.returncode, 0, run.stderr)
        finally:
            self.assertEqual(server.stop(), 0)
        run = subprocess.run([ARGS.touchstoned, "--listen", "127.0.0.1:0", "--data_dir", data,
                              "--max_backdate", "0s"],
                             env=clean_env(), capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 1)
        self.assertIn("--max_backdate: '0s' is not a positive duration", run.stderr)

    def test_a_call_the_handlers_cannot_end_is_cut_off_with_its_connection(self):
        # A health Watch stays open as long as the client likes; with a call limit of 1 s its
        # connection is told to go away after 1 s and closed 1 s later, Watch and all.
        work = tempfile.mkdtemp(dir=self.tmp.name)
        server = Server(ARGS.touchstoned, work, os.path.join(work, "data"),
                        ["--max_call_seconds", "1"]).start()
        try:
            with grpc.insecure_channel(server.addr) as channel:
                watch = channel.unary_stream("/grpc.health.v1.Health/Watch",
                                             request_serializer=None,
                                             response_deserializer=None)
                start = time.monotonic()
                updates = []
                with self.assertRaises(grpc.RpcError) as err:
                    for update in watch(b"", timeout=30):
                        updates.append(proto_fields(update))
                elapsed = time.monotonic() - start
            self.assertEqual(updates[0].get(1), [1])  # SERVING
            self.assertNotEqual(err.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
            self.assertLess(elapsed, 10)
        finally:
            self.assertEqual(server.stop(), 0)

    def test_the_cli_gives_up_at_its_deadline_on_a_server_that_never_answers(self):
        with socket.socket() as silent:  # accepts connections (the kernel does) and says nothing
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            addr = "127.0.0.1:%d" % silent.getsockname()[1]
            start = time.monotonic()
            run = subprocess.run([ARGS.touchstone, "--server", addr, "--timeout", "2",
                                  "log", "info"],
                                 env=clean_env(), capture_output=True, text=True, timeout=60)
            elapsed = time.monotonic() - start
        self.assertEqual(run.returncode, 1)
        self.assertIn("DEADLINE_EXCEEDED", run.stderr)
        self.assertGreaterEqual(elapsed, 2)
        self.assertLess(elapsed, 20)


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
