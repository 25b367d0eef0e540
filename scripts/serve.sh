#!/usr/bin/env bash
# Installs what is missing, builds, and runs touchstoned on 127.0.0.1:50051 with
# its embedded RocksDB in /var/lib/touchstone, and the customer pages on
# http://127.0.0.1:8080/p/PIECE_ID (override: TOUCHSTONE_DATA_DIR,
# TOUCHSTONE_LISTEN, TOUCHSTONE_HTTP_LISTEN, or any touchstoned flag after the script name).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
# shellcheck source=scripts/ccache.sh
source scripts/ccache.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${LAUNCHER[@]}" >/dev/null
cmake --build build -j"$(nproc)" --target touchstoned touchstone
exec build/services/touchstoned \
  --data_dir "${TOUCHSTONE_DATA_DIR:-/var/lib/touchstone}" \
  --listen "${TOUCHSTONE_LISTEN:-127.0.0.1:50051}" \
  --http_listen "${TOUCHSTONE_HTTP_LISTEN:-127.0.0.1:8080}" "$@"
