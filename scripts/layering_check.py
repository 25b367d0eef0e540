#!/usr/bin/env python3
"""Checks that ledger/ keeps its rooms (ledger/CMakeLists.txt says what each holds).

Two kinds of rule, each printed with the file or target that breaks it:
  includes: no file under ledger/ includes gRPC or services/; a file in a room
            includes only headers of the rooms below it (ROOM_MAY_INCLUDE); and
            no file of a storage-free room includes RocksDB.
  links:    from CMake's own dependency graph (cmake --graphviz, configured into
            a scratch directory), no storage-free library reaches RocksDB and no
            ledger library reaches gRPC.

Usage: layering_check.py [--source DIR] [--skip-links]
Exits 0 when every rule holds, 1 otherwise.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

# The room of a file is its first directory under ledger/ ("root" for ledger/*).
ROOM_MAY_INCLUDE = {
    "base": {"base"},
    "log": {"base", "log"},
    "store": {"base", "log", "store"},
    "provenance": {"base", "log", "provenance", "store"},
    "bundle": {"base", "log", "provenance", "bundle"},
    "epcis": {"base", "log", "provenance", "epcis"},
    "root": {"base", "log", "store", "provenance", "bundle", "epcis", "root"},
}
# Rooms whose files never include RocksDB (provenance's storage-free part is
# held to it by the link rule on touchstone_records).
NO_ROCKSDB_ROOMS = {"base", "log", "bundle", "epcis"}
# Libraries that must never link RocksDB, and the ledger libraries that must
# never link gRPC.
NO_ROCKSDB_TARGETS = ["touchstone_base", "touchstone_log", "touchstone_records",
                      "touchstone_bundle", "touchstone_verify", "touchstone_epcis"]
LEDGER_TARGETS = NO_ROCKSDB_TARGETS + ["touchstone_store", "touchstone_provenance",
                                       "touchstone_ledger"]

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def room_of(path):
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else "root"


def check_includes(source):
    problems = []
    ledger = os.path.join(source, "ledger")
    for dirpath, _, names in os.walk(ledger):
        for name in sorted(names):
            if not name.endswith((".h", ".cc")):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), source)
            room = room_of(rel)
            with open(os.path.join(source, rel), encoding="utf-8") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                if inc.startswith(("grpc", "grpcpp/")) or ".grpc.pb.h" in inc \
                        or inc.startswith("services/"):
                    problems.append(f"{rel}: includes {inc}: ledger/ never includes gRPC or services/")
                if inc.startswith("rocksdb/") and room in NO_ROCKSDB_ROOMS:
                    problems.append(f"{rel}: includes {inc}: ledger/{room} has no storage")
                if inc.startswith("ledger/"):
                    target = room_of(inc)
                    if target not in ROOM_MAY_INCLUDE[room]:
                        problems.append(f"{rel}: includes {inc}: ledger/{room} may include only "
                                        + ", ".join(sorted(ROOM_MAY_INCLUDE[room])))
    return problems


def parse_graphviz(path):
    """Returns {target label: set of labels it links}, following CMake's .dot file."""
    labels, edges = {}, {}
    node = re.compile(r'^\s*"(node\d+)"\s*\[\s*label\s*=\s*"([^"]+)"')
    edge = re.compile(r'^\s*"(node\d+)"\s*->\s*"(node\d+)"')
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = node.match(line)
            if m:
                labels[m.group(1)] = m.group(2)
                continue
            m = edge.match(line)
            if m:
                edges.setdefault(m.group(1), set()).add(m.group(2))
    graph = {}
    for n, label in labels.items():
        graph.setdefault(label, set()).update(labels[d] for d in edges.get(n, ()))
    return graph


def reachable(graph, start):
    seen, todo = set(), [start]
    while todo:
        for d in graph.get(todo.pop(), ()):
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def check_links(source):
    with tempfile.TemporaryDirectory() as scratch:
        dot = os.path.join(scratch, "deps.dot")
        run = subprocess.run(["cmake", "-S", source, "-B", scratch, "-G", "Ninja",
                              "-DBUILD_TESTING=OFF", "-DTOUCHSTONE_BENCH=OFF",
                              f"--graphviz={dot}"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            return [f"cmake --graphviz failed: {run.stderr.strip()[-400:]}"]
        graph = parse_graphviz(dot)
    problems = []
    for target in LEDGER_TARGETS:
        if target not in graph:
            problems.append(f"{target}: not in CMake's dependency graph (renamed?)")
            continue
        linked = reachable(graph, target)
        if target in NO_ROCKSDB_TARGETS:
            for lib in sorted(linked):
                if "rocksdb" in lib.lower():
                    problems.append(f"{target}: links {lib}, and it must have no storage")
        for lib in sorted(linked):
            if "grpc" in lib.lower():
                problems.append(f"{target}: links {lib}, and ledger/ never uses gRPC")
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", default=os.path.join(os.path.dirname(__file__), ".."))
    parser.add_argument("--skip-links", action="store_true")
    args = parser.parse_args()
    source = os.path.abspath(args.source)
    problems = check_includes(source)
    if not args.skip_links:
        problems += check_links(source)
    for p in problems:
        print(f"layering: {p}")
    if problems:
        print(f"layering: {len(problems)} rule(s) broken", file=sys.stderr)
        return 1
    print("layering: every ledger room includes and links only what it may")
    return 0


if __name__ == "__main__":
    sys.exit(main())
