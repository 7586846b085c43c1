#!/usr/bin/env bash
# Set-up and the main job: installs what is missing, builds in Release, and
# runs lapse on the shipped sample: features as of the day after its last
# event, scored with the default model, the users most at risk printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== lapse extract: datasets/sample/events.csv.gz, snapshot 2026-06-30"
build/lapse extract --no-labels --asof 2026-06-30 --dormant "$work/dormant.csv" \
    -o "$work/features.csv" datasets/sample/events.csv.gz
echo
echo "== lapse score -m models/default.model: the 15 active users most at risk"
build/lapse score -q -m models/default.model --top 15 "$work/features.csv" |
    cut -d, -f1,3-9,10,13
echo
echo "== lapse score: the 10 dormant users with the most value at risk (recall candidates)"
build/lapse score -q -m models/default.model --top 10 --sort value "$work/dormant.csv" |
    cut -d, -f1,3-9,13
