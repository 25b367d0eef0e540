#!/usr/bin/env bash
# Builds the core, the server and the tests with AddressSanitizer +
# UndefinedBehaviorSanitizer in build-asan and runs the whole test suite there (the
# Python end-to-end tests run the instrumented server too). Any sanitizer report
# ends the process that made it with a failure, so the test that ran it fails. No
# suppressions are needed: gRPC, protobuf, abseil and RocksDB are Debian's
# uninstrumented builds, so ASan sees their heap use only through malloc and UBSan
# not at all.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
# Leaner than the Release build: -Og (compiles about twice as fast as -O1 with the
# sanitizers, measured on tests/rules_test.cc: 25 s against 55 s, and still
# optimizes), no benchmark programs, executables linked without PIE (the
# instrumented binaries' 1.7 million load-time relocations made each process
# start ~20 % slower, and the end-to-end tests start hundreds); ccache when present.
# The CLI is not instrumented: the end-to-end tests run the Release build's
# (TOUCHSTONE_TEST_CLI) against the instrumented server. Its 38 files were over a
# quarter of this build, and the tests that run it most (cli_e2e, conformance,
# demo_e2e) took five times as long with it instrumented. What it does with hostile
# input (bundles, documents, checkpoints) is the core's code, which the unit tests
# and the fuzz targets run instrumented.
# shellcheck source=scripts/ccache.sh
source scripts/ccache.sh
if [[ ! -x build/services/touchstone ]]; then
  [[ -e build/CMakeCache.txt ]] ||
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${LAUNCHER[@]}" >/dev/null
  cmake --build build -j"$(nproc)" --target touchstone
fi
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-Og \
      -DTOUCHSTONE_SANITIZE=ON -DTOUCHSTONE_BENCH=OFF \
      -DTOUCHSTONE_TEST_CLI="$PWD/build/services/touchstone" "${LAUNCHER[@]}" >/dev/null
cmake --build build-asan -j"$(nproc)"
echo "sanitizer build: $(( $(date +%s) - start )) s"
start=$(date +%s)
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Every test but those labelled sanitizer_skip (page_e2e: tests/CMakeLists.txt says why).
ctest --test-dir build-asan -j"$(nproc)" --output-on-failure --timeout 1800 -LE sanitizer_skip
echo "sanitizer tests: $(( $(date +%s) - start )) s"
