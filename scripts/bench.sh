#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs them all: micro_bench, append_bench,
# scale_bench. Prints everything and keeps the raw output and JSON in $OUT.
#
#   scripts/bench.sh                          # about 30-60 min on 2 cores (10^6 and 10^7 logs)
#   SIZES=10000 WAIT_QUIET=0 scripts/bench.sh # quick pass
#
# Environment: OUT (default /tmp/touchstone-bench-<UTC time>), SIZES (scale_bench
# log sizes, default 10000,1000000,10000000), WAIT_QUIET (append_bench --wait_quiet, default
# 120), BUILD (build dir, default build). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
OUT=${OUT:-/tmp/touchstone-bench-$(date -u +%Y%m%dT%H%M%SZ)}
SIZES=${SIZES:-10000,1000000,10000000}
WAIT_QUIET=${WAIT_QUIET:-120}
mkdir -p "$OUT"

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target micro_bench append_bench scale_bench touchstoned

{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit: $(git rev-parse --short HEAD)"
  echo "loadavg at start: $(cat /proc/loadavg)"
} | tee "$OUT/machine.txt"

echo "== micro_bench"
"$BUILD/bench/micro_bench" --benchmark_min_time=0.5 \
  --benchmark_out="$OUT/micro.json" --benchmark_out_format=json | tee "$OUT/micro.txt"
echo "loadavg: $(cat /proc/loadavg)" | tee -a "$OUT/micro.txt"

echo "== append_bench"
"$BUILD/bench/append_bench" --wait_quiet "$WAIT_QUIET" --json "$OUT/append.json" \
  | tee "$OUT/append.txt"

echo "== scale_bench"
"$BUILD/bench/scale_bench" --sizes "$SIZES" --json "$OUT/scale.json" | tee "$OUT/scale.txt"

echo "results in $OUT"
