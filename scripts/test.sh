#!/usr/bin/env bash
# Installs what is missing, builds everything, and runs the whole test suite.
# The Merkle vector tests read ../shared/testdata/merkle beside the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# The cheap gates first (clang-format, layering); -Werror is the build's own.
bash scripts/gates.sh
start=$(date +%s)
# shellcheck source=scripts/ccache.sh
source scripts/ccache.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTOUCHSTONE_WERROR=ON "${LAUNCHER[@]}" >/dev/null
cmake --build build -j"$(nproc)"
echo "build: $(( $(date +%s) - start )) s"
start=$(date +%s)
ctest --test-dir build -j"$(nproc)" --output-on-failure --timeout 900
echo "tests: $(( $(date +%s) - start )) s"
# Hostile input: the suite again under ASan + UBSan, then every fuzz target for
# FUZZ_SECONDS each. TOUCHSTONE_SANITIZE=0 / TOUCHSTONE_FUZZ=0 skip them.
if [[ "${TOUCHSTONE_SANITIZE:-1}" != 0 ]]; then bash scripts/sanitize.sh; fi
if [[ "${TOUCHSTONE_FUZZ:-1}" != 0 ]]; then bash scripts/fuzz.sh; fi
