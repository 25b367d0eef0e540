#!/usr/bin/python3
"""What can be checked here of deploy/ (Docker cannot build or run on this machine):

- systemd: `systemd-analyze verify` accepts deploy/touchstoned.service (its ExecStart pointed at
  the built binary), and touchstoned serves with the unit's own arguments.
- Dockerfile: two stages on debian:12; the final one runs as a non-root user with the data
  volume; its apt list holds the package of every shared library the built binaries link
  (`ldd` + `dpkg -S`); touchstoned serves with its ENTRYPOINT/CMD arguments.
- Kubernetes: the YAML parses; the StatefulSet keeps its data on a volume claim, probes
  grpc.health.v1 on the container's gRPC port, requests resources and runs as non-root; the
  Service targets that port; touchstoned serves with the container's args.
- docker-compose: the YAML parses; the `keys` service's script, then the witness's and the
  server's commands, run for real (paths and ports moved to a temp dir and loopback): the
  server obtains the witness's cosignature (`log info` shows witnessed_size).

Every file sets a backup directory (--backup_dir) on storage of its own (a state directory, an
image volume, a volume claim, a compose volume), and a backup taken over the Admin socket with
the file's arguments lands there.

Paths and addresses are the only things changed before running anything.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import tomllib
import unittest

import yaml

from e2e_support import Server, clean_env, parse_binaries

ARGS = None
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "deploy")
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}  # in debian:12 itself


def localize(args, data_dir):
    """Manifest arguments with the data dir moved and the gRPC address made loopback port 0."""
    out = []
    for a in args:
        a = a.replace("/var/lib/touchstone", data_dir)
        a = re.sub(r"^0\.0\.0\.0:\d+$", "127.0.0.1:0", a)
        a = re.sub(r"^127\.0\.0\.1:50051$", "127.0.0.1:0", a)
        out.append(a)
    return out


def backup_dir_of(args):
    """The --backup_dir an argument list sets."""
    assert "--backup_dir" in args, "no --backup_dir in %s" % args
    return args[args.index("--backup_dir") + 1]


class DeployCheckTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="touchstone_deploy_")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def cli(self, server, *args):
        return subprocess.run([ARGS.touchstone, "--server", server.addr] + list(args),
                              capture_output=True, text=True, env=clean_env(), timeout=30)

    def serves_with(self, args, name):
        """Starts touchstoned with `args` (localized) and checks it answers log info."""
        data = os.path.join(self.tmp, name)
        os.makedirs(data, mode=0o700)
        server = Server(ARGS.touchstoned, self.tmp, data, argv=localize(args, data))
        self.addCleanup(server.kill)
        server.start()
        r = self.cli(server, "log", "info")
        self.assertEqual(r.returncode, 0, r.stderr + server.log())
        self.assertIn("size 1", r.stdout)
        self.takes_backup(server, localize(args, data))
        self.assertEqual(server.stop(), 0, server.log())
        return server

    def takes_backup(self, server, args):
        """`touchstone backup` over the server's Admin socket writes into the --backup_dir of
        its (localized) arguments."""
        r = subprocess.run([ARGS.touchstone, "--admin",
                            "unix:" + os.path.join(server.data_dir, "admin.sock"), "backup"],
                           capture_output=True, text=True, env=clean_env(), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr + server.log())
        path = re.match(r"backup written: (\S+)\n", r.stdout).group(1)
        self.assertEqual(os.path.dirname(path), backup_dir_of(args))

    def test_systemd_unit_verifies_and_its_arguments_serve(self):
        with open(os.path.join(DEPLOY, "touchstoned.service")) as f:
            unit = f.read()
        joined = unit.replace("\\\n", " ")  # systemd joins a line ending in a backslash
        exec_start = re.search(r"^ExecStart=(\S+)(.*)$", joined, re.M)
        self.assertIsNotNone(exec_start)
        self.assertEqual(exec_start.group(1), "/usr/local/bin/touchstoned")
        for hardening in ["NoNewPrivileges=yes", "ProtectSystem=strict", "User=touchstone",
                          "StateDirectoryMode=0700", "UMask=0077", "KillSignal=SIGTERM"]:
            self.assertIn(hardening, unit)
        # Backups go to a state directory of their own (writable under ProtectSystem=strict).
        backups = backup_dir_of(shlex.split(exec_start.group(2)))
        self.assertEqual(backups, "/var/lib/touchstone-backups")
        self.assertRegex(unit, r"(?m)^StateDirectory=.*\btouchstone-backups\b")
        local = os.path.join(self.tmp, "touchstoned.service")
        with open(local, "w") as f:
            f.write(unit.replace("/usr/local/bin/touchstoned", ARGS.touchstoned))
        if shutil.which("systemd-analyze"):
            r = subprocess.run(["systemd-analyze", "verify", local], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertNotIn(os.path.basename(local), r.stderr)  # no warnings about the unit
        self.serves_with(shlex.split(exec_start.group(2)), "systemd")

    def test_dockerfile_runtime_stage_has_every_library_the_binaries_link(self):
        with open(os.path.join(DEPLOY, "Dockerfile")) as f:
            text = f.read()
        stages = re.findall(r"^FROM (\S+)", text, re.M)
        self.assertEqual(stages, ["debian:12", "debian:12"])
        final = text[text.rindex("\nFROM "):]
        self.assertRegex(final, r"\nUSER touchstone:touchstone\n")
        self.assertIn('VOLUME ["/var/lib/touchstone"]', final)
        self.assertIn("bash scripts/deps.sh", text)  # the build stage installs what CI installs
        install = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", final, re.S)
        packages = set(install.group(1).replace("\\", " ").split())
        libs = set()
        for binary in (ARGS.touchstoned, ARGS.touchstone):
            out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
            libs |= {os.path.realpath(lib) for lib in re.findall(r"=> (/\S+)", out)}
        self.assertGreater(len(libs), 5)
        if any("libasan" in lib for lib in libs):
            # scripts/sanitize.sh runs this suite on ASan/UBSan binaries, which link the
            # sanitizer runtimes (and keep libraries --as-needed drops); the image is built
            # from a Release build, which the main suite checks. The rest is checked below.
            print("note: instrumented binaries: library list compared in the Release suite only")
            libs = set()
        candidates = sorted(libs | {re.sub(r"^/usr", "", lib) for lib in libs}) or ["/bin/sh"]
        out = subprocess.run(["dpkg", "-S"] + candidates, capture_output=True, text=True).stdout
        owners = {}
        for line in out.splitlines():
            package, path = line.split(": ", 1)
            owners[path] = package.split(":")[0]
        needed = set()
        for lib in libs:
            owner = owners.get(lib) or owners.get(re.sub(r"^/usr", "", lib))
            self.assertIsNotNone(owner, "no Debian package owns " + lib)
            needed.add(owner)
        self.assertEqual(needed - packages - BASE_IMAGE_PACKAGES, set(),
                         "libraries the binaries link but the runtime stage does not install")
        entrypoint = re.search(r'^ENTRYPOINT \["touchstoned"\]$', final, re.M)
        self.assertIsNotNone(entrypoint)
        cmd = yaml.safe_load(re.search(r"^CMD (\[.*\])$", final, re.M).group(1))
        # Backups go to a volume of their own, a directory the service user owns.
        backups = backup_dir_of(cmd)
        self.assertNotEqual(backups, "/var/lib/touchstone")
        self.assertIn('VOLUME ["%s"]' % backups, final)
        self.assertRegex(final, r"install -d -o touchstone -g touchstone -m 0700 [^&]*%s" %
                         re.escape(backups))
        self.serves_with(cmd, "docker")

    def test_kubernetes_statefulset_and_service(self):
        with open(os.path.join(DEPLOY, "k8s", "touchstoned.yaml")) as f:
            docs = {d["kind"]: d for d in yaml.safe_load_all(f)}
        self.assertEqual(set(docs), {"Service", "StatefulSet"})
        sts, svc = docs["StatefulSet"], docs["Service"]
        self.assertEqual(sts["spec"]["replicas"], 1)  # one sequencer per log
        pod = sts["spec"]["template"]["spec"]
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        [container] = pod["containers"]
        port = {p["name"]: p["containerPort"] for p in container["ports"]}["grpc"]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            self.assertEqual(container[probe]["grpc"]["port"], port, probe)
        self.assertIn("cpu", container["resources"]["requests"])
        self.assertIn("memory", container["resources"]["requests"])
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        claims = [c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]]
        self.assertEqual(mounts[claims[0]], "/var/lib/touchstone")
        self.assertIn("/var/lib/touchstone", container["args"])
        self.assertEqual(svc["spec"]["selector"], sts["spec"]["selector"]["matchLabels"])
        self.assertEqual(svc["spec"]["ports"][0]["targetPort"], "grpc")
        self.assertIn("0.0.0.0:%d" % port, container["args"])
        # Backups go to a volume claim of their own.
        backups = backup_dir_of(container["args"])
        [backup_volume] = [n for n, path in mounts.items() if path == backups]
        self.assertIn(backup_volume, claims)
        self.assertNotEqual(backup_volume, claims[0])
        self.serves_with(container["args"], "k8s")

    def test_compose_keys_witness_and_server_work_together(self):
        with open(os.path.join(DEPLOY, "docker-compose.yml")) as f:
            compose = yaml.safe_load(f)
        services = compose["services"]
        self.assertEqual(set(services), {"keys", "witness", "touchstoned"})
        bin_dir = os.path.join(self.tmp, "bin")
        os.makedirs(bin_dir)
        for b in (ARGS.touchstoned, ARGS.touchstone):
            os.symlink(b, os.path.join(bin_dir, os.path.basename(b)))
        keys, data, wdata = (os.path.join(self.tmp, d) for d in ("keys", "data", "wdata"))
        for d in (keys, data, wdata):
            os.makedirs(d, mode=0o700)
        env = dict(clean_env(), PATH=bin_dir + ":" + os.environ["PATH"])

        def script(service):
            text = services[service]["command"][0].replace("$$", "$")
            text = text.replace("/keys", keys).replace("/var/lib/touchstone", data)
            return text

        r = subprocess.run(["/bin/sh", "-c", script("keys")], capture_output=True, text=True,
                           env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        for name in ("operator.pem", "witness.pem"):
            self.assertEqual(os.stat(os.path.join(keys, name)).st_mode & 0o777, 0o600)
        with open(os.path.join(keys, "log.vkey")) as f:
            log_vkey = f.read().strip()
        with open(os.path.join(keys, "witness.vkey")) as f:
            witness_vkey = f.read().strip()
        self.assertTrue(log_vkey.startswith("touchstone.local/ledger+"), log_vkey)

        # The witness, on a loopback port the test reads back.
        wscript = script("witness").replace(data, wdata).replace("0.0.0.0:7380", "127.0.0.1:0")
        wport = os.path.join(self.tmp, "wport")
        witness = subprocess.Popen(["/bin/sh", "-c", wscript + " --port_file " + wport],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.addCleanup(lambda: (witness.kill(), witness.wait()))
        deadline = time.monotonic() + 20
        while not os.path.exists(wport):
            self.assertIsNone(witness.poll(), "the witness exited")
            self.assertLess(time.monotonic(), deadline, "the witness never served")
            time.sleep(0.05)
        with open(wport) as f:
            wurl = "http://127.0.0.1:%s" % f.read().strip()

        # The server, with the compose command's arguments.
        server_cmd = shlex.split(script("touchstoned").replace("exec ", "", 1)
                                 .replace("http://witness:7380", wurl)
                                 .replace("$(cat %s/witness.vkey)" % keys,
                                          witness_vkey))
        self.assertEqual(server_cmd[0], "touchstoned")
        # Backups go to a compose volume of their own.
        backups = backup_dir_of(shlex.split(services["touchstoned"]["command"][0]))
        [backup_volume] = [v.split(":")[0] for v in services["touchstoned"]["volumes"]
                           if v.split(":")[1] == backups]
        self.assertIn(backup_volume, compose["volumes"])
        self.assertNotEqual(backup_volume, "data")
        server = Server(ARGS.touchstoned, self.tmp, data, argv=localize(server_cmd[1:], data))
        self.addCleanup(server.kill)
        server.start()
        self.takes_backup(server, localize(server_cmd[1:], data))
        deadline = time.monotonic() + 20
        while True:
            info = dict(l.split(" ", 1) for l in self.cli(server, "log", "info").stdout.splitlines())
            if int(info.get("witnessed_size", "0")) >= 1:
                break
            self.assertLess(time.monotonic(), deadline, "no witnessed checkpoint: " + server.log())
            time.sleep(0.1)
        self.assertEqual(info["verifier_key"], log_vkey)  # the key the keys service published
        self.assertEqual(server.stop(), 0)


    def test_one_config_file_format_with_every_option_flags_winning(self):
        # --print_config writes every option with its value: valid TOML, fed back as is.
        printed = subprocess.run([ARGS.touchstoned, "--print_config"], capture_output=True,
                                 text=True, timeout=30)
        self.assertEqual(printed.returncode, 0, printed.stderr)
        defaults = tomllib.loads(printed.stdout)
        help_text = subprocess.run([ARGS.touchstoned, "--help"], capture_output=True,
                                   text=True, timeout=30).stdout
        # One-shot actions, not settings: not in the file.
        options = set(re.findall(r"^\s+--(\w+)", help_text, re.M)) - {
            "help", "config", "print_config", "rotate_operator_key", "rotation_reason"}
        self.assertEqual(set(defaults), options)
        self.assertEqual(defaults["listen"], "127.0.0.1:50051")
        data = os.path.join(self.tmp, "cfg-data")
        config = os.path.join(self.tmp, "touchstoned.toml")
        with open(config, "w") as f:
            f.write('data_dir = "%s"\nlisten = "127.0.0.1:0"\nmax_batch = 7\n' % data)

        def max_batch(*flags):
            server = Server(ARGS.touchstoned, self.tmp, data, argv=["--config", config] +
                            list(flags))
            self.addCleanup(server.kill)
            server.start()
            info = json.loads(self.cli(server, "log", "info", "--json").stdout)
            self.assertEqual(server.stop(), 0)
            return info["max_batch"]

        self.assertEqual(max_batch(), 7)                    # from the file
        self.assertEqual(max_batch("--max_batch", "9"), 9)  # a flag wins over the file
        with open(config, "a") as f:
            f.write("no_such_option = 1\n")
        bad = subprocess.run([ARGS.touchstoned, "--config", config], capture_output=True,
                             text=True, timeout=30)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("no_such_option", bad.stderr)

    # ---- The replicated mode (docs/replication.md): compose and Kubernetes, run for real.

    def runs_a_replica_set(self, etcd_argvs, replica_argvs, names):
        """Starts the etcd members (argv lists, localized) and the replicas (argv lists,
        localized, each listening on 127.0.0.1:0); checks that one leads, that a follower
        redirects to the leader's advertised name (names[i] is replica i's), that the leader
        takes a record and that every replica then holds the same log."""
        for i, argv in enumerate(etcd_argvs):
            log = open(os.path.join(self.tmp, "etcd%d.log" % i), "wb")
            self.addCleanup(log.close)
            p = subprocess.Popen(["/usr/bin/etcd"] + argv, stdout=log, stderr=log)
            self.addCleanup(lambda p=p: (p.kill(), p.wait()))
        servers = []
        for i, argv in enumerate(replica_argvs):
            work = os.path.join(self.tmp, "replica%d" % i)
            os.makedirs(work, exist_ok=True)
            server = Server(ARGS.touchstoned, work, None, argv=argv)
            self.addCleanup(server.kill)
            servers.append(server.start())
        leaders = [i for i, s in enumerate(servers) if '"event":"leading"' in s.log()]
        self.assertEqual(len(leaders), 1, [s.log() for s in servers])
        leader = leaders[0]
        follower = servers[(leader + 1) % len(servers)]
        key = os.path.join(self.tmp, "p.pem")
        self.assertEqual(self.cli(follower, "keygen", "-o", key).returncode, 0)
        register = ["participant", "register", "--as", "operator", "--key",
                    self.operator_key, "--id", "deploy-refiner", "--name", "Deploy",
                    "--role", "refiner", "--pubkey", key]
        r = self.cli(follower, *register)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("UNAVAILABLE", r.stderr)
        self.assertIn("submit to the leader, %s at %s" % (names[leader][0], names[leader][1]),
                      r.stderr)
        r = self.cli(servers[leader], *register)
        self.assertEqual(r.returncode, 0, r.stderr)
        deadline = time.monotonic() + 20
        while True:
            sizes = {self.cli(s, "log", "info").stdout.split("size ")[1].split()[0]
                     for s in servers}
            if len(sizes) == 1:
                break
            self.assertLess(time.monotonic(), deadline, "replicas at sizes %s" % sizes)
            time.sleep(0.1)
        for s in servers:
            self.assertEqual(s.stop(), 0, s.log())

    def etcd_localizer(self, ports, host):
        """A function (text, i) -> text with member j's name (`host` % j) and ports moved to
        loopback ports[j], member i's own listening addresses to its ports and its data
        directory into the temp dir."""
        def local(text, i):
            for j, (client, peer) in enumerate(ports):
                name = host % j
                text = text.replace("http://%s:2379" % name, "http://127.0.0.1:%d" % client)
                text = text.replace("http://%s:2380" % name, "http://127.0.0.1:%d" % peer)
                text = text.replace("%s:2379" % name, "127.0.0.1:%d" % client)
            text = text.replace("http://0.0.0.0:2379", "http://127.0.0.1:%d" % ports[i][0])
            text = text.replace("http://0.0.0.0:2380", "http://127.0.0.1:%d" % ports[i][1])
            return text.replace("/var/lib/etcd-data", os.path.join(self.tmp, "etcd%d" % i))
        return local

    def etcd_ports(self):
        from etcd_support import free_port
        return [(free_port(), free_port()) for _ in range(3)]

    def test_replicated_compose_runs_for_real(self):
        with open(os.path.join(DEPLOY, "docker-compose.replicated.yml")) as f:
            compose = yaml.safe_load(f)
        services = compose["services"]
        etcds = sorted(n for n in services if n.startswith("etcd"))
        replicas = sorted(n for n in services if n.startswith("touchstoned"))
        self.assertEqual(etcds, ["etcd0", "etcd1", "etcd2"])
        self.assertEqual(replicas, ["touchstoned0", "touchstoned1", "touchstoned2"])
        # Every etcd member and every replica keeps its data on a volume of its own.
        volumes = [services[n]["volumes"][-1 if n.startswith("etcd") else 1].split(":")[0]
                   for n in etcds + replicas]
        self.assertEqual(len(set(volumes)), 6, volumes)
        ports = self.etcd_ports()
        local = self.etcd_localizer(ports, "etcd%d")
        etcd_argvs = [[local(a, i) for a in services[name]["command"]]
                      for i, name in enumerate(etcds)]
        # The keys script as written, then each replica's command.
        bin_dir = os.path.join(self.tmp, "bin")
        os.makedirs(bin_dir)
        for b in (ARGS.touchstoned, ARGS.touchstone):
            os.symlink(b, os.path.join(bin_dir, os.path.basename(b)))
        keys = os.path.join(self.tmp, "keys")
        os.makedirs(keys, mode=0o700)
        env = dict(clean_env(), PATH=bin_dir + ":" + os.environ["PATH"])
        script = services["keys"]["command"][0].replace("/keys", keys)
        r = subprocess.run(["/bin/sh", "-c", script], capture_output=True, text=True, env=env,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.operator_key = os.path.join(keys, "operator.pem")
        replica_argvs, names = [], []
        for i, name in enumerate(replicas):
            text = services[name]["command"][0].replace("$$", "$")
            self.assertTrue(text.startswith("exec touchstoned "), text)
            data = os.path.join(self.tmp, name)
            os.makedirs(data, mode=0o700)
            text = (local(text, i).replace("/keys", keys)
                    .replace("/var/lib/touchstone-backups", data + "-backups")
                    .replace("/var/lib/touchstone", data)
                    .replace("0.0.0.0:50051", "127.0.0.1:0"))
            argv = shlex.split(text)[2:]
            self.assertEqual(argv[argv.index("--replica_id") + 1], name)
            names.append((name, argv[argv.index("--advertise") + 1]))
            self.assertEqual(names[-1][1], name + ":50051")
            replica_argvs.append(argv)
        self.runs_a_replica_set(etcd_argvs, replica_argvs, names)

    def test_replicated_kubernetes_statefulsets_run_for_real(self):
        with open(os.path.join(DEPLOY, "k8s", "replicated.yaml")) as f:
            docs = list(yaml.safe_load_all(f))
        by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
        self.assertEqual(set(by), {("Service", "etcd"), ("StatefulSet", "etcd"),
                                   ("PodDisruptionBudget", "etcd"), ("Service", "touchstoned"),
                                   ("StatefulSet", "touchstoned"),
                                   ("PodDisruptionBudget", "touchstoned")})
        for app in ("etcd", "touchstoned"):
            sts, svc, pdb = (by[(k, app)] for k in ("StatefulSet", "Service",
                                                      "PodDisruptionBudget"))
            self.assertEqual(sts["spec"]["replicas"], 3)
            self.assertEqual(sts["spec"]["serviceName"], app)
            self.assertEqual(svc["spec"]["clusterIP"], "None")  # pods' stable names
            labels = sts["spec"]["selector"]["matchLabels"]
            self.assertEqual(svc["spec"]["selector"], labels)
            self.assertEqual(pdb["spec"]["selector"]["matchLabels"], labels)
            self.assertEqual(pdb["spec"]["minAvailable"], 2)  # a majority of 3
            self.assertTrue(sts["spec"]["volumeClaimTemplates"])
            [c] = sts["spec"]["template"]["spec"]["containers"]
            env = {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in c["env"]}
            self.assertEqual(env["POD_NAME"], "metadata.name")
        ts = by[("StatefulSet", "touchstoned")]["spec"]["template"]["spec"]
        [c] = ts["containers"]
        grpc_port = {p["name"]: p["containerPort"] for p in c["ports"]}["grpc"]
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            self.assertEqual(c[probe]["grpc"]["port"], grpc_port, probe)
        self.assertTrue(ts["securityContext"]["runAsNonRoot"])
        args = c["args"]
        key_dir = os.path.dirname(args[args.index("--operator_key") + 1])
        [mount] = [m for m in c["volumeMounts"] if m["mountPath"] == key_dir]
        [vol] = [v for v in ts["volumes"] if v["name"] == mount["name"]]
        self.assertEqual(vol["secret"]["defaultMode"], 0o400)
        # The etcd members it names are the etcd StatefulSet's pods behind its Service.
        self.assertEqual(args[args.index("--etcd") + 1],
                         ",".join("etcd-%d.etcd:2379" % i for i in range(3)))
        ec = by[("StatefulSet", "etcd")]["spec"]["template"]["spec"]["containers"][0]
        ports = self.etcd_ports()
        to_loopback = self.etcd_localizer(ports, "etcd-%d.etcd")

        def local(text, i, pod):
            return to_loopback(text.replace("$(POD_NAME)", pod), i)

        etcd_argvs = [[local(a, i, "etcd-%d" % i) for a in ec["args"]] for i in range(3)]
        keys = os.path.join(self.tmp, "secret")
        os.makedirs(keys)
        self.operator_key = os.path.join(keys, "operator.pem")
        r = subprocess.run([ARGS.touchstone, "keygen", "-o", self.operator_key],
                           capture_output=True, text=True, env=clean_env(), timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        os.chmod(self.operator_key, 0o400)
        replica_argvs, names = [], []
        for i in range(3):
            pod = "touchstoned-%d" % i
            data = os.path.join(self.tmp, pod)
            os.makedirs(data, mode=0o700)
            argv = [local(a, i, pod).replace(key_dir, keys)
                    .replace("/var/lib/touchstone-backups", data + "-backups")
                    .replace("/var/lib/touchstone", data)
                    .replace("0.0.0.0:50051", "127.0.0.1:0") for a in args]
            names.append((pod, "%s.touchstoned:50051" % pod))
            replica_argvs.append(argv)
        self.runs_a_replica_set(etcd_argvs, replica_argvs, names)


if __name__ == "__main__":
    ARGS, argv = parse_binaries()
    unittest.main(argv=argv, verbosity=2)
