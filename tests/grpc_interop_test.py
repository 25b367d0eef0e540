#!/usr/bin/python3
"""A second, independent gRPC client (Debian's python3-grpcio) against a real
touchstoned: standard health checking, server reflection, and a raw call whose
reply is decoded without any Touchstone code."""
import os
import tempfile
import unittest

import grpc

from e2e_support import Server, encode_varint, parse_binaries, proto_fields

ARGS = None


class GrpcInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.server = Server(ARGS.touchstoned, cls.tmp.name,
                            os.path.join(cls.tmp.name, "data")).start()
        cls.channel = grpc.insecure_channel(cls.server.addr)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        rc = cls.server.stop()
        cls.tmp.cleanup()
        assert rc == 0, "touchstoned exited %d on SIGTERM" % rc

    def raw_unary(self, method, request):
        call = self.channel.unary_unary(method, request_serializer=None,
                                        response_deserializer=None)
        return call(request, timeout=10)

    def test_health_check_reports_serving(self):
        reply = proto_fields(self.raw_unary("/grpc.health.v1.Health/Check", b""))
        self.assertEqual(reply.get(1), [1])  # SERVING

    def test_reflection_lists_the_ledger_service(self):
        call = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=None, response_deserializer=None)
        # ServerReflectionRequest{list_services: ""} is field 7, a string.
        replies = list(call(iter([b"\x3a\x00"]), timeout=10))
        self.assertEqual(len(replies), 1)
        listed = proto_fields(proto_fields(replies[0])[6][0])[1]  # list_services_response.service
        names = {proto_fields(s)[1][0].decode() for s in listed}
        self.assertIn("touchstone.v1.Ledger", names)
        self.assertIn("grpc.health.v1.Health", names)

    def test_log_info_and_checkpoint_agree(self):
        info = proto_fields(self.raw_unary("/touchstone.v1.Ledger/GetLogInfo", b""))
        origin = info[1][0].decode()
        vkey = info[2][0].decode()
        self.assertTrue(vkey.startswith(origin + "+"))
        self.assertEqual(info[3], [1])  # size: the genesis entry
        cp = proto_fields(self.raw_unary("/touchstone.v1.Ledger/GetCheckpoint", b""))
        text = cp[1][0].decode()
        self.assertTrue(text.startswith(origin + "\n1\n"))
        self.assertIn("\n\n\u2014 " + origin + " ", text)

    def test_out_of_range_entry_is_a_precise_status(self):
        with self.assertRaises(grpc.RpcError) as err:
            self.raw_unary("/touchstone.v1.Ledger/GetEntry", b"\x08" + encode_varint(99))
        self.assertEqual(err.exception.code(), grpc.StatusCode.OUT_OF_RANGE)
        self.assertIn("beyond the log", err.exception.details())


if __name__ == "__main__":
    ARGS, argv = parse_binaries(cli=False)
    unittest.main(argv=argv, verbosity=2)
