#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs every test through ctest (fuzz
# corpora included, replayed by a plain driver). Then builds the libFuzzer
# targets with clang and runs only the fuzz tests: each corpus once, and a
# 30-second fuzz of each target, two at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh test
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DLAPSE_SANITIZE=ON >/dev/null
cmake --build build-test -j"$(nproc)"
(cd build-test && ctest --output-on-failure -j"$(nproc)")

CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DLAPSE_FUZZ=ON -DLAPSE_TESTS=OFF \
  >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzzers
cd build-fuzz
ctest --output-on-failure -j"$(nproc)" -L fuzz
