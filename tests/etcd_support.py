"""A real etcd cluster for the replication tests: members started from Debian's
etcd-server on loopback ports, each with a data directory of its own, and
etcdctl (etcd-client) for reading and writing keys as an operator would."""
import os
import signal
import socket
import subprocess
import time

ETCD = "/usr/bin/etcd"
ETCDCTL = "/usr/bin/etcdctl"


def free_port():
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EtcdCluster:
    """`n` etcd members on 127.0.0.1, started together as a new cluster."""

    def __init__(self, tmp, n=3):
        self.tmp, self.n = tmp, n
        self.names = ["m%d" % i for i in range(n)]
        self.client_ports = [free_port() for _ in range(n)]
        self.peer_ports = [free_port() for _ in range(n)]
        self.procs = [None] * n
        self.initial = ",".join("%s=http://127.0.0.1:%d" % (name, p)
                                for name, p in zip(self.names, self.peer_ports))

    @property
    def endpoints(self):
        return ",".join("127.0.0.1:%d" % p for p in self.client_ports)

    def start_member(self, i):
        data = os.path.join(self.tmp, "etcd-" + self.names[i])
        log = open(os.path.join(self.tmp, "etcd-%s.%d.log" % (self.names[i],
                                                             time.monotonic_ns())), "wb")
        client = "http://127.0.0.1:%d" % self.client_ports[i]
        peer = "http://127.0.0.1:%d" % self.peer_ports[i]
        self.procs[i] = subprocess.Popen(
            [ETCD, "--name", self.names[i], "--data-dir", data,
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", self.initial, "--initial-cluster-state", "new",
             "--initial-cluster-token", "touchstone-test", "--logger", "zap",
             "--log-level", "warn"], stdout=log, stderr=log)

    def start(self):
        for i in range(self.n):
            self.start_member(i)
        deadline = time.monotonic() + 30
        while self.ctl("endpoint", "health", "--cluster", check=False).returncode != 0:
            for i, p in enumerate(self.procs):
                if p.poll() is not None:
                    raise AssertionError("etcd member %s exited %d" % (self.names[i],
                                                                       p.returncode))
            if time.monotonic() > deadline:
                raise AssertionError("etcd cluster not healthy in 30 s")
            time.sleep(0.1)
        return self

    def stop_member(self, i):
        self.procs[i].send_signal(signal.SIGTERM)
        self.procs[i].wait(timeout=30)

    def ctl(self, *args, check=True, stdin=None, endpoints=None):
        """etcdctl (API v3) against the members; its CompletedProcess (bytes)."""
        env = dict(os.environ, ETCDCTL_API="3")
        r = subprocess.run([ETCDCTL, "--endpoints", endpoints or self.endpoints,
                            "--command-timeout", "5s"] + list(args),
                           input=stdin, capture_output=True, env=env, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError("etcdctl %s: %s" % (args, r.stderr.decode(errors="replace")))
        return r

    def get(self, key, check=True):
        """The value of `key` (bytes), or None (also if etcdctl fails and not `check`)."""
        r = self.ctl("get", key, "--print-value-only", check=check)
        if r.returncode != 0:
            return None
        out = r.stdout
        return out[:-1] if out.endswith(b"\n") else (out or None)

    def kill(self):
        for p in self.procs:
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
