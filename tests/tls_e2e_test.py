#!/usr/bin/python3
"""TLS and mutual TLS on touchstoned's gRPC port, with certificates the openssl
command line makes for this run (nothing secret is checked in): a TLS server
refuses plaintext clients and clients that do not trust its CA; with a client
CA it refuses clients without a certificate or with one from another CA; the
right credentials work from python3-grpcio and from the touchstone CLI."""
import os
import subprocess
import tempfile
import unittest

import grpc

from e2e_support import Server, clean_env, parse_binaries, proto_fields

ARGS = None


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_ca(d, name):
    """A self-signed P-256 CA: <name>.key, <name>.pem."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "1",
            "-subj", "/CN=" + name, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign", cwd=d)


def make_leaf(d, name, ca, ext):
    """A P-256 key and certificate <name>.key, <name>.pem issued by CA `ca`."""
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name,
            cwd=d)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write(ext + "\n")
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
            "-CAcreateserial", "-out", name + ".pem", "-days", "1", "-extfile", name + ".ext",
            cwd=d)


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def log_info(channel):
    """GetLogInfo over `channel`, decoded without Touchstone code: (origin, size)."""
    call = channel.unary_unary("/touchstone.v1.Ledger/GetLogInfo", request_serializer=None,
                               response_deserializer=None)
    info = proto_fields(call(b"", timeout=10))
    return info[1][0].decode(), info[3][0]


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.certs = d = os.path.join(cls.tmp.name, "certs")
        os.mkdir(d)
        make_ca(d, "ca")
        make_ca(d, "other-ca")
        make_leaf(d, "server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                     "extendedKeyUsage=serverAuth")
        make_leaf(d, "client", "ca", "extendedKeyUsage=clientAuth")
        make_leaf(d, "stranger", "other-ca", "extendedKeyUsage=clientAuth")
        cls.servers = []

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            rc = s.stop()
            assert rc == 0, "touchstoned exited %d on SIGTERM" % rc
        cls.tmp.cleanup()

    def start(self, name, *extra):
        work = os.path.join(self.tmp.name, name)
        os.mkdir(work)
        server = Server(ARGS.touchstoned, work, os.path.join(work, "data"), extra).start()
        self.servers.append(server)
        return server

    def cert(self, name):
        return os.path.join(self.certs, name)

    def tls_channel(self, server, ca="ca.pem", client=None):
        creds = grpc.ssl_channel_credentials(
            root_certificates=read(self.certs, ca),
            private_key=read(self.certs, client + ".key") if client else None,
            certificate_chain=read(self.certs, client + ".pem") if client else None)
        return grpc.secure_channel(server.addr, creds)

    def assert_refused(self, channel):
        with self.assertRaises(grpc.RpcError) as err:
            log_info(channel)
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNAVAILABLE)
        channel.close()

    def cli(self, server, *args, env_extra=None):
        env = clean_env()
        env.update(env_extra or {})
        return subprocess.run([ARGS.touchstone, "--server", server.addr, "--timeout", "10"] +
                              list(args), env=env, capture_output=True, text=True, timeout=60)

    def test_tls_server_serves_clients_that_trust_its_ca_and_refuses_plaintext(self):
        server = self.start("tls", "--tls_cert", self.cert("server.pem"),
                            "--tls_key", self.cert("server.key"))
        self.assertIn("(TLS)", server.log())
        with self.tls_channel(server) as ch:
            self.assertEqual(log_info(ch), ("touchstone.local/ledger", 1))
        self.assert_refused(grpc.insecure_channel(server.addr))
        self.assert_refused(self.tls_channel(server, ca="other-ca.pem"))

        ok = self.cli(server, "--tls_ca", self.cert("ca.pem"), "log", "info")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("origin touchstone.local/ledger", ok.stdout)
        # The CLI checks the certificate's name too: "localhost" is in it, "ledger.example" not.
        named = self.cli(server, "--tls_ca", self.cert("ca.pem"), "--tls_server_name",
                         "localhost", "log", "checkpoint")
        self.assertEqual(named.returncode, 0, named.stderr)
        self.assertTrue(named.stdout.startswith("touchstone.local/ledger\n1\n"))
        wrong_name = self.cli(server, "--tls_ca", self.cert("ca.pem"), "--tls_server_name",
                              "ledger.example", "log", "info")
        self.assertNotEqual(wrong_name.returncode, 0)
        self.assertIn("UNAVAILABLE", wrong_name.stderr)
        plain = self.cli(server, "log", "info")
        self.assertNotEqual(plain.returncode, 0)
        self.assertIn("UNAVAILABLE", plain.stderr)
        untrusted = self.cli(server, "--tls_ca", self.cert("other-ca.pem"), "log", "info")
        self.assertNotEqual(untrusted.returncode, 0)
        self.assertIn("UNAVAILABLE", untrusted.stderr)

    def test_mutual_tls_server_accepts_only_certificates_from_its_client_ca(self):
        server = self.start("mtls", "--tls_cert", self.cert("server.pem"),
                            "--tls_key", self.cert("server.key"),
                            "--tls_client_ca", self.cert("ca.pem"))
        self.assertIn("(mutual TLS)", server.log())
        with self.tls_channel(server, client="client") as ch:
            self.assertEqual(log_info(ch), ("touchstone.local/ledger", 1))
        self.assert_refused(self.tls_channel(server))  # no client certificate
        self.assert_refused(self.tls_channel(server, client="stranger"))  # another CA's
        self.assert_refused(grpc.insecure_channel(server.addr))

        # The CLI, configured through its environment variables.
        env = {"TOUCHSTONE_TLS_CA": self.cert("ca.pem"),
               "TOUCHSTONE_TLS_CERT": self.cert("client.pem"),
               "TOUCHSTONE_TLS_KEY": self.cert("client.key")}
        ok = self.cli(server, "log", "info", env_extra=env)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("size 1", ok.stdout)
        no_cert = self.cli(server, "--tls_ca", self.cert("ca.pem"), "log", "info")
        self.assertNotEqual(no_cert.returncode, 0)
        self.assertIn("UNAVAILABLE", no_cert.stderr)
        stranger = self.cli(server, "--tls_ca", self.cert("ca.pem"), "--tls_cert",
                            self.cert("stranger.pem"), "--tls_key", self.cert("stranger.key"),
                            "log", "info")
        self.assertNotEqual(stranger.returncode, 0)
        self.assertIn("UNAVAILABLE", stranger.stderr)

    def test_incomplete_or_missing_tls_files_are_refused_with_a_message(self):
        def touchstoned_fails(*args):
            work = tempfile.mkdtemp(dir=self.tmp.name)
            run = subprocess.run([ARGS.touchstoned, "--listen", "127.0.0.1:0", "--data_dir",
                                  os.path.join(work, "data")] + list(args),
                                 env=clean_env(), capture_output=True, text=True, timeout=60)
            self.assertNotEqual(run.returncode, 0)
            return run.stderr
        self.assertIn("both a certificate and its key",
                      touchstoned_fails("--tls_cert", self.cert("server.pem")))
        self.assertIn("needs TLS", touchstoned_fails("--tls_client_ca", self.cert("ca.pem")))
        self.assertIn("cannot read the TLS key",
                      touchstoned_fails("--tls_cert", self.cert("server.pem"),
                                        "--tls_key", self.cert("missing.key")))
        self.assertIn("is not a PEM file",
                      touchstoned_fails("--tls_cert", self.cert("server.ext"),
                                        "--tls_key", self.cert("server.key")))
        cli = subprocess.run([ARGS.touchstone, "--tls_ca", self.cert("missing.pem"), "log", "info"],
                             env=clean_env(), capture_output=True, text=True, timeout=60)
        self.assertNotEqual(cli.returncode, 0)
        self.assertIn("cannot read the TLS CA", cli.stdout + cli.stderr)


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
