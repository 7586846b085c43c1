#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs every test through ctest (fuzz
# corpora included, replayed by a plain driver). Then builds with
# ThreadSanitizer and runs the threaded tests (label "threads"), and builds
# the libFuzzer targets with clang and runs the fuzz tests: each corpus once
# and a 30-second fuzz of each target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh test
jobs=$(nproc)

cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DLAPSE_SANITIZE=ON >/dev/null
cmake --build build-test -j"$jobs"
(cd build-test && ctest --output-on-failure -j"$jobs")

cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DLAPSE_TSAN=ON >/dev/null
cmake --build build-tsan -j"$jobs"
(cd build-tsan && ctest --output-on-failure -j"$jobs" -L threads)

CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DLAPSE_FUZZ=ON -DLAPSE_TESTS=OFF \
  >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzzers
(cd build-fuzz && ctest --output-on-failure -j"$jobs" -L fuzz)
