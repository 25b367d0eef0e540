#!/usr/bin/env bash
# Installs the Debian 12 packages Touchstone builds and tests with, if any are missing.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config git ccache
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
      librocksdb-dev rocksdb-tools libssl-dev openssl libabsl-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      libcli11-dev nlohmann-json3-dev libcpp-httplib-dev
      python3 python3-grpcio python3-protobuf python3-cryptography python3-yaml
      python3-jsonschema python3-rfc3987  # the EPCIS 2.0 export, checked against GS1's schema
      libcsv-dev  # touchstone import: RFC 4180 CSV
      libqrencode-dev zlib1g-dev chromium
      etcd-server etcd-client golang-etcd-server-dev  # the replicated writer: etcd (etcdctl for the tests), its .proto files
      fonts-noto-cjk  # the customer page in Japanese and Chinese: Chromium draws boxes without it
      clang-format clang libclang-rt-14-dev llvm)  # the format gate; fuzzing (libFuzzer), symbolized sanitizer reports
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm for the browser test (tests/browser/), from Debian unless a node is
# already installed (another packaging of nodejs, e.g. NodeSource's, bundles npm).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
