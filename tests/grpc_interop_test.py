#!/usr/bin/python3
"""A second, independent gRPC client (Debian's python3-grpcio) against a real
touchstoned: standard health checking, server reflection, a raw call whose
reply is decoded without any Touchstone code, and request bodies that are not
the method's request message (INVALID_ARGUMENT naming the type, every method)."""
import os
import tempfile
import unittest

import grpc

from e2e_support import Server, encode_varint, parse_binaries, proto_fields

ARGS = None

# Every method of touchstoned's services and its request type (proto/*_service.proto).
UNARY = {"/touchstone.v1.Ledger/Submit": "SubmitRequest",
         "/touchstone.v1.Ledger/SubmitBatch": "SubmitBatchRequest",
         "/touchstone.v1.Ledger/GetEntry": "GetEntryRequest",
         "/touchstone.v1.Ledger/GetCheckpoint": "GetCheckpointRequest",
         "/touchstone.v1.Ledger/GetInclusionProof": "GetInclusionProofRequest",
         "/touchstone.v1.Ledger/GetConsistencyProof": "GetConsistencyProofRequest",
         "/touchstone.v1.Ledger/GetLogInfo": "GetLogInfoRequest",
         "/touchstone.v1.Provenance/GetParticipant": "LookupRequest",
         "/touchstone.v1.Provenance/GetLot": "LookupRequest",
         "/touchstone.v1.Provenance/GetCertificate": "LookupRequest",
         "/touchstone.v1.Provenance/GetPiece": "LookupRequest",
         "/touchstone.v1.Provenance/GetPieceBundle": "LookupRequest",
         "/touchstone.v1.Admin/Backup": "BackupRequest"}  # on the Admin socket, not the TCP port
# Bytes that are no protobuf message: field 1, length-delimited, 100 bytes long, but
# 3 bytes follow; and wire type 7, which does not exist.
GARBAGE = [b"\x0a\x64abc", b"\x0f"]


class GrpcInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.server = Server(ARGS.touchstoned, cls.tmp.name,
                            os.path.join(cls.tmp.name, "data")).start()
        cls.channel = grpc.insecure_channel(cls.server.addr)
        cls.admin = grpc.insecure_channel("unix:" + os.path.join(cls.tmp.name, "data", "admin.sock"))

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.admin.close()
        rc = cls.server.stop()
        cls.tmp.cleanup()
        assert rc == 0, "touchstoned exited %d on SIGTERM" % rc

    def raw_unary(self, method, request):
        channel = self.admin if method.startswith("/touchstone.v1.Admin/") else self.channel
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
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

    def assert_malformed(self, err, request_type, detail=""):
        self.assertEqual(err.code(), grpc.StatusCode.INVALID_ARGUMENT, err.details())
        self.assertEqual(err.details(), "request is not a touchstone.v1." + request_type + detail)

    def test_a_unary_request_that_is_not_the_request_message_is_invalid_argument(self):
        for method, request_type in UNARY.items():
            for garbage in GARBAGE:
                with self.subTest(method=method, garbage=garbage):
                    with self.assertRaises(grpc.RpcError) as err:
                        self.raw_unary(method, garbage)
                    self.assert_malformed(err.exception, request_type)
        # The same call well formed is answered (the check is not all it does).
        info = proto_fields(self.raw_unary("/touchstone.v1.Ledger/GetLogInfo", b""))
        self.assertEqual(info[3], [1])

    def test_a_streamed_read_of_a_malformed_request_is_invalid_argument(self):
        call = self.channel.unary_stream("/touchstone.v1.Ledger/GetEntries",
                                         request_serializer=None, response_deserializer=None)
        for garbage in GARBAGE:
            with self.assertRaises(grpc.RpcError) as err:
                list(call(garbage, timeout=10))
            self.assert_malformed(err.exception, "GetEntriesRequest")
        self.assertEqual(len(list(call(b"", timeout=10))), 1)  # the genesis entry

    def test_a_malformed_message_in_a_submit_stream_ends_it_with_invalid_argument(self):
        call = self.channel.stream_stream("/touchstone.v1.Ledger/SubmitStream",
                                          request_serializer=None, response_deserializer=None)
        # An empty SubmitRequest parses (and is refused as a record); the second message
        # does not parse: its result is the stream's status, after the first one's.
        replies = call(iter([b"", GARBAGE[0], b""]), timeout=10)
        first = proto_fields(next(replies))
        self.assertEqual(first[1], [3])  # SubmitResult.code: INVALID_ARGUMENT, the record
        with self.assertRaises(grpc.RpcError) as err:
            next(replies)
        self.assert_malformed(err.exception, "SubmitRequest", " (message 2 of the stream)")
        # A stream that simply ends is still OK.
        self.assertEqual(len(list(call(iter([b""]), timeout=10))), 1)
        self.assertEqual(list(call(iter([]), timeout=10)), [])

    def test_out_of_range_entry_is_a_precise_status(self):
        with self.assertRaises(grpc.RpcError) as err:
            self.raw_unary("/touchstone.v1.Ledger/GetEntry", b"\x08" + encode_varint(99))
        self.assertEqual(err.exception.code(), grpc.StatusCode.OUT_OF_RANGE)
        self.assertIn("beyond the log", err.exception.details())


if __name__ == "__main__":
    ARGS, argv = parse_binaries(cli=False)
    unittest.main(argv=argv, verbosity=2)
