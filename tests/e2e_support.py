"""Shared by the Python end-to-end tests: a real touchstoned on a loopback port,
and a protobuf wire-format reader that needs no generated code (so these tests
check the server with code independent of ours)."""
import argparse
import json
import atexit
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


_HOMES = None  # where each command's own HOME is made; removed when the tests exit


def clean_env():
    """The environment without TOUCHSTONE_* variables that would change a command,
    and with a fresh, empty HOME of its own: what a command keeps there (the
    trusted heads and keys `submit` pins on first use, ~/.touchstone/trusted)
    neither leaks into the next command nor touches the real home. A test that
    wants state kept between commands passes --state_dir."""
    global _HOMES
    if _HOMES is None:
        _HOMES = tempfile.mkdtemp(prefix="touchstone_homes_")
        atexit.register(shutil.rmtree, _HOMES, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHSTONE_")}
    env["HOME"] = tempfile.mkdtemp(dir=_HOMES)
    return env


# ledger/provenance/record.h: a record signature covers this context, the log's origin, a
# newline and the record bytes (the legacy form, before a log's first LogPolicy
# entry, covered LEGACY_RECORD_SIGNING_CONTEXT and the record bytes).
RECORD_SIGNING_CONTEXT = b"touchstone.v1 record signature for log\n"
LEGACY_RECORD_SIGNING_CONTEXT = b"touchstone.v1 record signature\n"


def record_signing_message(origin, record):
    """The exact bytes a record signature for the log `origin` covers."""
    return RECORD_SIGNING_CONTEXT + origin.encode() + b"\n" + record


def encode_varint(n):
    """A protobuf base-128 varint."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def parse_fields(data):
    """The fields of a protobuf message, in order: [(field number, wire type, value)];
    wire types 0 (an int) and 2 (bytes) only."""
    fields, pos = [], 0

    def varint():
        nonlocal pos
        value = shift = 0
        while True:
            b = data[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value
    while pos < len(data):
        key = varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            fields.append((number, 0, varint()))
        elif wire == 2:
            n = varint()
            fields.append((number, 2, bytes(data[pos:pos + n])))
            pos += n
        else:
            raise AssertionError("unexpected wire type %d" % wire)
    return fields


def encode_fields(fields):
    """The bytes of [(field number, wire type, value)] (parse_fields' inverse)."""
    out = bytearray()
    for number, wire, value in fields:
        out += encode_varint(number << 3 | wire)
        out += encode_varint(value) if wire == 0 else encode_varint(len(value)) + value
    return bytes(out)


def proto_fields(data):
    """Top-level fields of a protobuf message: {field number: [values]} (wire types 0, 2)."""
    fields = {}
    for number, _, value in parse_fields(data):
        fields.setdefault(number, []).append(value)
    return fields


class Server:
    """A touchstoned process on 127.0.0.1, any free port (--listen 127.0.0.1:0,
    read back from --port_file), over one data dir."""

    def __init__(self, touchstoned, workdir, data_dir, extra_args=(), argv=None, env=None):
        """`argv`, if given, replaces the default --listen/--data_dir arguments (it
        must listen on port 0 itself); --port_file is always added. `env`: variables
        added to the clean environment (test hooks such as TOUCHSTONE_TEST_COMMIT_DELAY_MS)."""
        self.env = dict(env or {})
        self.touchstoned, self.workdir, self.data_dir = touchstoned, workdir, data_dir
        self.extra_args = list(extra_args)
        self.argv = argv
        self.proc = None
        self.addr = None

    def start(self):
        port_file = os.path.join(self.workdir, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.log_path = os.path.join(self.workdir, "touchstoned.%d.log" % time.monotonic_ns())
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [self.touchstoned, "--port_file", port_file] +
                (list(self.argv) if self.argv is not None else
                 ["--listen", "127.0.0.1:0", "--data_dir", self.data_dir]) + self.extra_args,
                stdout=log, stderr=log, env=dict(clean_env(), **self.env))
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):  # touchstoned renames it into place when serving
            if self.proc.poll() is not None:
                raise AssertionError("touchstoned exited %d before serving:\n%s" %
                                     (self.proc.returncode, self.log()))
            if time.monotonic() > deadline:
                raise AssertionError("touchstoned wrote no port file in 20 s:\n" + self.log())
            time.sleep(0.02)
        with open(port_file) as f:
            port = int(f.read().strip())
        assert 0 < port < 65536
        self.addr = "127.0.0.1:%d" % port
        return self

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        """SIGTERM; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("touchstoned did not exit within 30 s of SIGTERM")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


METRIC_SAMPLE = re.compile(r'^([a-z_]+)(\{[a-z]+="[^"]*"\})? (-?[0-9.e+]+|\+Inf)$')


BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "browser")


def run_browser_test(script, args, env=None):
    """Installs tests/browser's node modules (`npm ci`, failing on error) and runs
    `node script args...` there (playwright-core drives Debian's Chromium); returns
    (exit code, stdout + stderr), the output also copied to stderr for the test log."""
    npm = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=BROWSER_DIR,
                         capture_output=True, timeout=300)
    assert npm.returncode == 0, npm.stderr.decode(errors="replace")
    node = subprocess.run(["node", script] + list(args), cwd=BROWSER_DIR, capture_output=True,
                          timeout=300, env=env)
    output = node.stdout.decode(errors="replace") + node.stderr.decode(errors="replace")
    sys.stderr.write(output)
    return node.returncode, output


class Result:
    """A finished `touchstone` CLI run (a subprocess.CompletedProcess of bytes): its
    arguments, exit code and decoded output; describe() for an assertion message."""

    def __init__(self, args, proc):
        self.args, self.rc = args, proc.returncode
        self.out = proc.stdout.decode(errors="replace")
        self.err = proc.stderr.decode(errors="replace")

    def describe(self):
        return "touchstone %s -> exit %d\nstdout:\n%s\nstderr:\n%s" % (
            " ".join(self.args), self.rc, self.out, self.err)


def scrape_metrics(base):
    """GETs base/metrics and parses it as the Prometheus text format (every sample line
    `name{labels} value`, every family typed): {name{labels}: value}."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
        text = r.read().decode()
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
        elif line and not line.startswith("#"):
            m = METRIC_SAMPLE.match(line)
            assert m, "not a sample line: %r" % line
            samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    for key in samples:
        family = re.sub(r"(_bucket|_sum|_count)$", "", key.split("{")[0])
        assert family in types or key.split("{")[0] in types, "untyped sample " + key
    return samples


def run_demo(touchstone, addr, data_dir, keys_dir, prefix, timeout=120, extra=()):
    """Seeds the server at addr with `touchstone demo` (the operator key from data_dir, the
    participants' keys in keys_dir, ids prefixed with prefix, and `extra` flags such as
    --sealed); fails unless it exits 0."""
    r = subprocess.run([touchstone, "--server", addr, "demo", "--prefix", prefix,
                        "--operator_key", os.path.join(data_dir, "operator.pem"),
                        "--keys_dir", keys_dir] + list(extra),
                       capture_output=True, text=True, env=clean_env(), timeout=timeout)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


EXAMPLE_CLIENT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "examples", "python", "touchstone_client.py")


def load_example_client(tmp):
    """The Python example (examples/python/touchstone_client.py) as a module, with its stubs
    generated under a new directory in tmp and importable (package `proto`): a second client
    whose RFC 9162 and signed-note code the tests use to check what the CLI checked."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("touchstone_client", EXAMPLE_CLIENT)
    client = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(client)
    client.generate_stubs(tempfile.mkdtemp(dir=tmp))
    return client


def revoke_certificate(touchstone, addr, keys_dir, tmp, signer, certificate, reason,
                       effective_in=1.0):
    """Submits, as `signer` (its key in keys_dir), the revocation of `certificate`, effective
    `effective_in` seconds from now; fails unless `touchstone submit` exits 0."""
    path = os.path.join(tmp, "revoke-%s.json" % certificate)
    with open(path, "w") as f:
        json.dump({"certificateStatusChanged": {
            "certificateId": certificate, "status": "CERTIFICATE_STATUS_REVOKED",
            "reason": reason,
            "effectiveMicros": str(int((time.time() + effective_in) * 1e6))}}, f)
    r = subprocess.run([touchstone, "--server", addr, "submit", "--as", signer, "--key",
                        os.path.join(keys_dir, signer + ".pem"), "--json", path],
                       capture_output=True, text=True, env=clean_env(), timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def ldb(db, cf, *args):
    """Runs rocksdb-tools' ldb on column family cf of the closed database db; its stdout."""
    r = subprocess.run(["ldb", "--db=" + db, "--column_family=" + cf] + list(args),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "ldb %s: %s" % (args, r.stdout + r.stderr)
    return r.stdout.strip()


def read_port_file(path, server, timeout=20):
    """The port a running `server` (a Server) writes to `path` (its --http_port_file,
    --metrics_port_file) once that port serves."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if server.proc.poll() is not None or time.monotonic() > deadline:
            raise AssertionError("no port file %s:\n%s" % (path, server.log()))
        time.sleep(0.02)
    with open(path) as f:
        port = int(f.read().strip())
    assert 0 < port < 65536
    return port


def parse_binaries(cli=True):
    """Reads --touchstoned (and, if `cli`, --touchstone) from the command line as
    absolute paths. Returns (args, the rest of argv for unittest.main)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--touchstoned", required=True)
    if cli:
        parser.add_argument("--touchstone", required=True)
    args, rest = parser.parse_known_args()
    args.touchstoned = os.path.abspath(args.touchstoned)
    if cli:
        args.touchstone = os.path.abspath(args.touchstone)
    return args, [sys.argv[0]] + rest


class Witness:
    """A `touchstone witness` process on 127.0.0.1, any free port."""

    def __init__(self, touchstone, tmp, name, key, log_vkey, state):
        self.touchstone = touchstone
        self.tmp, self.name, self.key, self.log_vkey, self.state = tmp, name, key, log_vkey, state
        self.proc = None
        self.vkey = None  # its cosignature verifier key, once known (start_witness)

    def start(self):
        port_file = os.path.join(self.tmp, self.name.replace("/", "_") + ".port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.out_path = os.path.join(self.tmp, "%s.%d.out" % (self.name.replace("/", "_"),
                                                              time.monotonic_ns()))
        self.err_path = self.out_path + ".err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                [self.touchstone, "witness", "--listen", "127.0.0.1:0", "--key", self.key,
                 "--name", self.name, "--log", self.log_vkey, "--state", self.state,
                 "--port_file", port_file], stdout=out, stderr=err, env=clean_env())
        deadline = time.monotonic() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise AssertionError("witness exited %d:\n%s" % (self.proc.returncode,
                                                                self.stderr()))
            if time.monotonic() > deadline:
                raise AssertionError("witness wrote no port file in 20 s:\n" + self.stderr())
            time.sleep(0.02)
        with open(port_file) as f:
            self.url = "http://127.0.0.1:%d" % int(f.read().strip())
        return self

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode()

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def add_checkpoint(self, body):
        """POSTs an add-checkpoint body: (status, content type, body text)."""
        req = urllib.request.Request(self.url + "/add-checkpoint", data=body.encode(),
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read().decode()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_witness(touchstone, tmp, name, log_vkey):
    """Makes a witness key (`touchstone keygen`, `witness-key`) and starts a
    Witness named `name` for the log key `log_vkey`, its files in `tmp`. The
    caller stops it (kill or stop)."""
    base = os.path.join(tmp, name.replace("/", "_"))
    for args in (["keygen", "-o", base + ".pem"], ["witness-key", base + ".pem", "--name", name]):
        r = subprocess.run([touchstone] + args, capture_output=True, text=True, env=clean_env(),
                           timeout=60, cwd=tmp)
        if r.returncode != 0:
            raise AssertionError("touchstone %s: %s" % (" ".join(args), r.stderr))
    w = Witness(touchstone, tmp, name, base + ".pem", log_vkey, base + ".state").start()
    w.vkey = r.stdout.strip()
    return w
