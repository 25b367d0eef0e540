#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ (build-fuzz: clang, ASan + UBSan) and runs
# each over its seed corpus (fuzz/corpus/<target>) for a bounded time. Fails if any
# target crashes, leaks, trips a sanitizer or breaks one of its invariants; the
# input that did it is kept as build-fuzz/artifacts/<target>/crash-* (replay:
# build-fuzz/fuzz/<target> FILE). New inputs go to build-fuzz/corpus/<target>.
#   FUZZ_SECONDS   seconds per target (default 30)
#   FUZZ_TARGETS   space-separated targets to run (default: every fuzz/corpus/* target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-30}
start=$(date +%s)
# shellcheck source=scripts/ccache.sh
source scripts/ccache.sh
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
      -DTOUCHSTONE_FUZZ=ON -DBUILD_TESTING=OFF "${LAUNCHER[@]}" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzzers
echo "fuzz build: $(( $(date +%s) - start )) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<< "$FUZZ_TARGETS"
else
  mapfile -t targets < <(ls fuzz/corpus)
fi
# One target per core at a time (libFuzzer runs one process per target): the same
# FUZZ_SECONDS of fuzzing each, in half the wall time on two cores.
run_target() {
  local t=$1 log="build-fuzz/logs/$1.log" rc=0 execs cov
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/artifacts/$t"
  "build-fuzz/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
      -rss_limit_mb=2048 -artifact_prefix="build-fuzz/artifacts/$t/" \
      "build-fuzz/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if ((rc != 0)); then
    printf '%-18s FAILED (exit %d) after %s executions\n' "$t" "$rc" "${execs:-?}"
    tail -n 40 "$log"
    touch "build-fuzz/logs/$t.failed"
  else
    printf '%-18s %9s executions in %ss, %s, no crash\n' "$t" "${execs:-?}" "$seconds" "$cov"
  fi
}
mkdir -p build-fuzz/logs
rm -f build-fuzz/logs/*.failed
jobs_max=$(nproc)
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs_max)); do wait -n || true; done
  run_target "$t" &
done
wait
failed=()
for t in "${targets[@]}"; do
  if [[ -e "build-fuzz/logs/$t.failed" ]]; then failed+=("$t"); fi
done
echo "fuzz: $(( $(date +%s) - start )) s"
if ((${#failed[@]})); then
  echo "fuzz targets failed: ${failed[*]} (logs in build-fuzz/logs, inputs in build-fuzz/artifacts)" >&2
  exit 1
fi
