#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs every test through ctest; then
# builds with ThreadSanitizer and runs the threaded tests (label "threads").
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh test
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DLAPSE_SANITIZE=ON -DLAPSE_FUZZ=ON >/dev/null
cmake --build build-test -j"$(nproc)"
cd build-test
ctest --output-on-failure -j"$(nproc)"
cd ..
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DLAPSE_TSAN=ON >/dev/null
cmake --build build-tsan -j"$(nproc)"
cd build-tsan
ctest --output-on-failure -j"$(nproc)" -L threads
