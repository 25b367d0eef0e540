#!/usr/bin/python3
"""The offline verifier builds without the store: a binary linked with
touchstone_verify alone (verify_only_tests) has no RocksDB library on its link
line (as the build system wrote it), holds no RocksDB symbol (nm) and loads no
RocksDB library (ldd: librocksdb, or the compression libraries that only
RocksDB brings in; Debian's RocksDB CMake target is the static librocksdb.a).
The same checks find RocksDB in ledger_tests, which links touchstone_ledger, so
they are not vacuous."""
import argparse
import os
import subprocess
import sys
import unittest

ARGS = None


def rocksdb_symbols(binary):
    """Defined or undefined symbols of `binary` in namespace rocksdb (demangled)."""
    out = subprocess.run(["nm", "-C", binary], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "rocksdb::" in line]


# librocksdb and the libraries only it links (RocksDBTargets.cmake on Debian 12).
ROCKSDB_LIBRARIES = ("librocksdb", "libsnappy", "liblz4", "libzstd", "libbz2")


def rocksdb_libraries(binary):
    """The shared libraries `binary` loads that are RocksDB's."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines()
            if line.strip().startswith(ROCKSDB_LIBRARIES)]


def link_line(binary):
    """How the build links `binary` (a target in tests/): its Makefile link.txt, or its
    build statement in build.ninja."""
    name = os.path.basename(binary)
    link_txt = os.path.join(ARGS.build_dir, "tests", "CMakeFiles", name + ".dir", "link.txt")
    if os.path.exists(link_txt):
        with open(link_txt) as f:
            return f.read()
    with open(os.path.join(ARGS.build_dir, "build.ninja")) as f:
        blocks = f.read().split("\n\n")
    found = [b for b in blocks if b.startswith(("build tests/%s " % name, "build tests/%s:" % name))]
    assert len(found) == 1, "no link statement of %s in build.ninja" % name
    return found[0]


class VerifyLinksCheck(unittest.TestCase):
    def test_the_verifier_alone_has_no_rocksdb(self):
        self.assertEqual([t for t in link_line(ARGS.verify_only).split() if "rocksdb" in t], [])
        self.assertEqual(rocksdb_symbols(ARGS.verify_only), [])
        self.assertEqual(rocksdb_libraries(ARGS.verify_only), [])

    def test_the_check_finds_rocksdb_where_it_is_linked(self):
        self.assertNotEqual([t for t in link_line(ARGS.with_store).split() if "rocksdb" in t], [])
        self.assertNotEqual(rocksdb_symbols(ARGS.with_store), [])
        self.assertNotEqual(rocksdb_libraries(ARGS.with_store), [])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--verify_only", required=True)
    parser.add_argument("--with_store", required=True)
    parser.add_argument("--build_dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
