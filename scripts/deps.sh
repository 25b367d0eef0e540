#!/usr/bin/env bash
# Installs the Debian 12 packages Touchstone builds and tests with, if any are missing.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config git
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
      librocksdb-dev rocksdb-tools libssl-dev openssl libabsl-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      libcli11-dev nlohmann-json3-dev libcpp-httplib-dev
      python3 python3-grpcio python3-protobuf
      clang libclang-rt-14-dev llvm)  # fuzzing (libFuzzer) and symbolized sanitizer reports
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
