#!/usr/bin/env bash
# Set-up and the main job: installs what is missing, builds in Release, and
# runs lapse on the shipped sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
build/lapse --version
