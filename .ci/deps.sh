#!/usr/bin/env bash
# Installs the Debian packages lapse needs that are missing, and nothing else.
# Usage: .ci/deps.sh build|test
set -euo pipefail

# libisal-dev is optional to the build (CMake falls back to zlib without it):
# ISA-L's igzip inflates gzip logs about 3x faster than zlib, and CI builds
# with it so the differential fuzz target compares the two inflaters.
packages=(cmake make gcc libsvm-dev libopenblas-dev libcsv-dev zlib1g-dev libzstd-dev libyajl-dev
          libnlopt-dev nettle-dev libxgboost-dev libisal-dev)
if [ "${1:-build}" = test ]; then
  # cmocka runs the unit tests; libsvm-tools gives svm-train/svm-predict to
  # compare against; clang and its runtime build the libFuzzer targets;
  # help2man and pkg-config for the man pages and the install test; pandas
  # reads a table as datasets/README.md says a data team would; chromium
  # renders lapse report's page in the browser test; python3-distributed
  # (Dask's scheduler and workers) runs tools/lapse-dask in the dask tests.
  # (The benchmarks' python peers, python3-sklearn and python3-xgboost, are
  # not the tests'.)
  packages+=(libcmocka-dev libsvm-tools zstd clang libclang-rt-14-dev help2man pkg-config python3-pandas
             chromium python3-distributed)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "lapse: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
