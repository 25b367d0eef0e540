#!/usr/bin/python3
"""The JSON API on touchstoned's HTTP port, against its OpenAPI 3.1 description
(docs/openapi.yaml), on a log seeded by `touchstone demo`:

- every documented operation is called, and every documented response code is provoked; each
  body validates (python3-jsonschema, draft 2020-12, the document's own component schemas), and
  the test fails if an operation or a documented code is left unexercised;
- what the answers say holds: an entry's leaf hash is SHA-256(0x00 || its bytes), and its
  inclusion proof leads to the root of a checkpoint signed by the log's key (checked with the
  Python example's own RFC 9162 and signed-note code);
- caching: answers about the latest state carry the weak ETag W/"<size>-<body hash>";
  If-None-Match with it (weakly compared, in a list) is 304 until the log grows, or until the
  clock changes a certificate's status with no new entry, then 200 with a new ETag; an entry is
  immutable, a checkpoint at a size is cached a minute (it may gain cosignatures); errors, and
  any other path under /v1/, are JSON and never cached."""
import base64
import hashlib
import json
import os
import shutil
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import jsonschema
import yaml

from e2e_support import (Server, load_example_client, parse_binaries, read_port_file,
                         revoke_certificate, run_demo)

ARGS = None
DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                   "openapi.yaml")


def get(url, headers=None):
    """(status, headers, parsed JSON body or None)."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
            return r.status, r.headers, json.loads(body) if body else None
    except urllib.error.HTTPError as e:
        body = e.read()
        return e.code, e.headers, json.loads(body) if body else None


class JsonApiE2ETest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="touchstone_json_api_")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        cls.data = os.path.join(cls.tmp, "data")
        cls.keys = os.path.join(cls.tmp, "keys")
        port_file = os.path.join(cls.tmp, "http_port")
        cls.server = Server(ARGS.touchstoned, cls.tmp, cls.data,
                            ["--http_listen", "127.0.0.1:0", "--http_port_file", port_file]).start()
        cls.addClassCleanup(cls.server.kill)
        cls.base = "http://127.0.0.1:%d" % read_port_file(port_file, cls.server)
        run_demo(ARGS.touchstone, cls.server.addr, cls.data, cls.keys, "demo", timeout=240)
        with open(DOC) as f:
            cls.doc = yaml.safe_load(f)
        cls.resolver = jsonschema.RefResolver.from_schema(cls.doc)
        cls.called = set()

    def call(self, path, query="", headers=None, operation=None):
        """GETs path?query; validates the body against the documented response for its status
        and records (operation path, status) as exercised."""
        template = operation or path
        status, hdrs, body = get(self.base + path + ("?" + query if query else ""), headers)
        if status == 304:
            return status, hdrs, body
        responses = self.doc["paths"][template]["get"]["responses"]
        self.assertIn(str(status), responses, "%s %s: undocumented status %d: %s" %
                      (path, query, status, body))
        response = responses[str(status)]
        if "$ref" in response:
            response = self.doc["components"]["responses"][response["$ref"].split("/")[-1]]
        schema = response["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator(schema, resolver=self.resolver).validate(body)
        type(self).called.add((template, str(status)))
        return status, hdrs, body

    def batch_of_two(self):
        """Registers two participants in one SubmitBatch; returns the size between them."""
        import grpc
        client = load_example_client(self.tmp)
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from proto import ledger_service_pb2, ledger_service_pb2_grpc, record_pb2 as pb
        log = self.call("/v1/log")[2]
        origin = log["origin"]
        operator = client.load_key(os.path.join(self.data, "operator.pem"))
        requests = []
        for n in (1, 2):
            reg = pb.ParticipantRegistered(
                participant_id="batch-%d" % n, legal_name="Batch %d" % n, roles=[pb.ROLE_CUTTER],
                keys=[pb.PublicKey(ed25519=client.raw_public(Ed25519PrivateKey.generate()))])
            raw = client.record(pb, "operator", operator, "batch-%d" % n,
                                participant_registered=reg).SerializeToString()
            requests.append(ledger_service_pb2.SubmitRequest(
                record=raw, signature=operator.sign(client.signing_message(origin, raw))))
        with grpc.insecure_channel(self.server.addr) as channel:
            reply = ledger_service_pb2_grpc.LedgerStub(channel).SubmitBatch(
                ledger_service_pb2.SubmitBatchRequest(records=requests), timeout=30)
        self.assertEqual([r.code for r in reply.results], [0, 0], reply)
        self.assertEqual(reply.results[0].receipt.tree_size, reply.results[1].receipt.tree_size)
        return reply.results[0].receipt.index + 1

    def example(self, template, name):
        for p in self.doc["paths"][template]["get"].get("parameters", []):
            if p["name"] == name:
                return p["example"]
        raise AssertionError("no example for %s in %s" % (name, template))

    def test_1_every_operation_and_documented_status(self):
        report = self.call("/v1/certificates/demo-report-1",
                           operation="/v1/certificates/{id}")[2]["certificate"]["report_number"]
        size = int(self.call("/v1/log")[2]["size"])
        for template in self.doc["paths"]:
            path = template
            for name in ("id", "index"):
                if "{%s}" % name in template:
                    path = path.replace("{%s}" % name, str(self.example(template, name)))
            ok = {"/v1/checkpoint": "size=%d" % self.example(template, "size")
                  if template == "/v1/checkpoint" else "",
                  "/v1/proofs/inclusion": "index=1",
                  "/v1/proofs/consistency": "old=2",
                  "/v1/search": "report=%s&lab=igi" % report,
                  "/v1/impact": "certificate=demo-cert-refiner"}.get(template, "")
            status, _, _ = self.call(path, ok, operation=template)
            self.assertEqual(status, 200, path)
        # Each documented refusal, provoked. Two records in one SubmitBatch commit as one
        # group with one checkpoint: none is issued at the size between (404).
        between = self.batch_of_two()
        self.call("/v1/checkpoint", "size=%d" % between, operation="/v1/checkpoint")
        self.call("/v1/proofs/inclusion", "index=1&size=%d" % between)
        self.call("/v1/checkpoint", "size=%d" % (size + 10), operation="/v1/checkpoint")
        self.call("/v1/checkpoint", "size=x", operation="/v1/checkpoint")
        self.call("/v1/entries/%d" % (size + 10), operation="/v1/entries/{index}")
        self.call("/v1/proofs/inclusion", "index=%d" % (size + 10))
        self.call("/v1/proofs/inclusion", "index=1&size=%d" % (size + 10))
        self.call("/v1/proofs/consistency", "old=0")
        self.call("/v1/proofs/consistency", "old=1&new=%d" % between)
        self.call("/v1/entries/abc", operation="/v1/entries/{index}")
        self.call("/v1/impact", "certificate=demo-cert-refiner&lot=demo-grain-1")
        self.assertEqual(self.call("/v1/impact", "lot=demo-grain-1&participant=demo-refiner")[0],
                         400)
        self.assertEqual(self.call("/v1/impact", "participant=nosuch")[0], 404)
        self.call("/v1/search", "report=1&gtin=2")
        for kind in ("participants", "lots", "certificates", "pieces"):
            status, _, body = self.call("/v1/%s/nosuch" % kind, operation="/v1/%s/{id}" % kind)
            self.assertEqual((status, body["code"]), (404, "NOT_FOUND"))
        self.call("/v1/search", "")
        self.call("/v1/search", "report=NOSUCH&lab=igi")
        self.call("/v1/impact", "")
        self.call("/v1/impact", "certificate=nosuch")
        # A server failure (500, 503) cannot be provoked from outside; every other documented
        # status is.
        documented = {(p, code) for p, ops in self.doc["paths"].items()
                      for code in ops["get"]["responses"] if not code.startswith("5")}
        self.assertEqual(documented - self.called, set(), "documented but never exercised")

    def test_2_answers_say_what_the_log_says(self):
        client = load_example_client(self.tmp)
        log = self.call("/v1/log")[2]
        entry = self.call("/v1/entries/5", operation="/v1/entries/{index}")[2]
        data = base64.b64decode(entry["data"])
        self.assertEqual(entry["leaf_hash"], hashlib.sha256(b"\x00" + data).hexdigest())
        proof = self.call("/v1/proofs/inclusion", "index=5")[2]
        _, size, root = client.verify_checkpoint(proof["checkpoint"], log["verifier_key"])
        self.assertEqual(str(size), proof["tree_size"])
        self.assertEqual(client.root_from_inclusion_proof(
            5, size, bytes.fromhex(entry["leaf_hash"]),
            [bytes.fromhex(h) for h in proof["hashes"]]), root)
        piece = self.call("/v1/pieces/demo-RING-1", operation="/v1/pieces/{id}")[2]
        self.assertEqual(piece["jeweler"], "demo-jeweler")
        impact = self.call("/v1/impact", "certificate=demo-cert-grower")[2]
        self.assertEqual(sorted(i["id"] for i in impact["items"] if i["kind"] == "piece"),
                         ["demo-HEIRLOOM-RING-1", "demo-PAVE-1", "demo-PENDANT-1", "demo-RING-1"])
        # A participant: what it made or certified. The grower grew the lab-grown stones of
        # these four pieces; IGI graded every stone set in a piece (the natural one too).
        pieces = lambda who: sorted(
            i["id"] for i in self.call("/v1/impact", "participant=" + who)[2]["items"]
            if i["kind"] == "piece")
        self.assertEqual(pieces("demo-grower"),
                         ["demo-HEIRLOOM-RING-1", "demo-PAVE-1", "demo-PENDANT-1", "demo-RING-1"])
        self.assertEqual(pieces("demo-igi"), ["demo-HEIRLOOM-RING-1", "demo-NATURAL-1",
                                              "demo-PAVE-1", "demo-PENDANT-1", "demo-RING-1"])

    def test_3_caching_follows_the_checkpoint_and_the_clock(self):
        status, hdrs, _ = self.call("/v1/pieces/demo-RING-1", operation="/v1/pieces/{id}")
        etag = hdrs["ETag"]
        size = self.call("/v1/log")[2]["size"]
        self.assertRegex(etag, r'^W/"%s-[0-9a-f]{16}"$' % size)
        self.assertEqual(hdrs["Cache-Control"], "public, max-age=5")
        self.assertEqual(hdrs["Vary"], "Accept-Encoding")
        for sent in (etag, etag[2:], '"x", ' + etag):  # weak comparison, lists
            status, hdrs, body = self.call("/v1/pieces/demo-RING-1",
                                           headers={"If-None-Match": sent},
                                           operation="/v1/pieces/{id}")
            self.assertEqual((status, body), (304, None), sent)
        cert = "/v1/certificates/demo-cert-refiner"
        revoke_certificate(ARGS.touchstone, self.server.addr, self.keys, self.tmp, "demo-rjc",
                           "demo-cert-refiner", "refinery audit failed", 1.5)
        status, hdrs, _ = self.call("/v1/pieces/demo-RING-1", headers={"If-None-Match": etag},
                                    operation="/v1/pieces/{id}")
        self.assertEqual(status, 200, "the log grew: the old ETag is stale")
        self.assertTrue(hdrs["ETag"].startswith('W/"%d-' % (int(size) + 1)), hdrs["ETag"])
        # The revocation takes effect 1.5 s later with no new entry: the certificate's answer
        # changes, and so does its ETag.
        _, hdrs, before = self.call(cert, operation="/v1/certificates/{id}")
        self.assertEqual(before["status_now"], "valid")
        time.sleep(1.7)
        status, after_hdrs, after = self.call(cert, headers={"If-None-Match": hdrs["ETag"]},
                                              operation="/v1/certificates/{id}")
        self.assertEqual((status, after["status_now"]), (200, "revoked"))
        self.assertNotEqual(after_hdrs["ETag"], hdrs["ETag"])
        _, hdrs, _ = self.call("/v1/entries/0", operation="/v1/entries/{index}")
        self.assertEqual(hdrs["Cache-Control"], "public, max-age=31536000, immutable")
        self.assertNotIn("ETag", hdrs)
        _, hdrs, _ = self.call("/v1/checkpoint", "size=3")
        self.assertEqual(hdrs["Cache-Control"], "public, max-age=60", "may gain cosignatures")
        self.assertNotIn("ETag", hdrs)
        _, hdrs, _ = self.call("/v1/pieces/nosuch", operation="/v1/pieces/{id}")
        self.assertEqual(hdrs["Cache-Control"], "no-store")
        status, hdrs, body = get(self.base + "/v1/nothing-here")
        self.assertEqual((status, body["code"], hdrs["Cache-Control"]),
                         (404, "NOT_FOUND", "no-store"))

if __name__ == "__main__":
    ARGS, rest = parse_binaries()
    unittest.main(argv=rest, verbosity=2)
