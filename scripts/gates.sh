#!/usr/bin/env bash
# The gates scripts/test.sh (and so CI) passes before it builds anything:
#   format:   every C++ file in git is as clang-format (the repo's .clang-format)
#             writes it; fix with `git ls-files '*.cc' '*.h' | xargs clang-format -i`
#   layering: ledger/ rooms include and link only downward, storage-free rooms
#             link no RocksDB, ledger/ no gRPC (scripts/layering_check.py)
# The third gate, -Werror, is the build itself (TOUCHSTONE_WERROR=ON in test.sh).
# Exits non-zero at the first gate that fails, after printing what broke it.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t cxx < <(git ls-files '*.cc' '*.h')
if ! clang-format --dry-run --Werror "${cxx[@]}"; then
  echo "gate failed: clang-format: the files above are not formatted (.clang-format)" >&2
  exit 1
fi
echo "gate passed: clang-format (${#cxx[@]} files)"
if ! python3 scripts/layering_check.py; then
  echo "gate failed: layering" >&2
  exit 1
fi
echo "gate passed: layering"
