#!/usr/bin/env bash
# Golden files: every command's output, byte for byte. Each case of
# tests/golden/cases.sh runs in one shared folder, in order; its transcript
# (the commands, stdout, stderr, exit code and the files it names with
# `show`) must equal tests/golden/NAME.txt. The transcripts are those of the
# test build (.ci/test.sh: Debug, sanitizers): a Release build rounds some
# SVM sums differently in the last digit. After a deliberate change of
# output, write them anew and review the diff:
#   LAPSE_BIN=build-test/lapse bash tests/cli/golden.sh --redo
set -euo pipefail
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
LAPSE_BIN=$(realpath "$LAPSE_BIN")
golden=$(realpath "$(dirname "$0")/../golden")
redo=0
[ "${1:-}" = --redo ] && redo=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# run ARGS...: one lapse command, its stdout, stderr and exit code.
run() {
    local rc=0
    echo "\$ lapse $*"
    "$LAPSE_BIN" "$@" >"$work/.out" 2>"$work/.err" || rc=$?
    # Elapsed times are the one thing that may differ from run to run.
    sed -E 's/^/  out| /; s/ in [0-9]+\.[0-9]+ s\b/ in N s/' "$work/.out"
    sed -E 's/^/  err| /; s/ in [0-9]+\.[0-9]+ s\b/ in N s/' "$work/.err"
    echo "  exit $rc"
}

# show FILE...: a text file whole, a gzip file unpacked, a binary file by hash.
show() {
    local f
    for f in "$@"; do
        if [ ! -e "$f" ]; then
            echo "  [$f: absent]"
        elif gzip -t "$f" 2>/dev/null; then
            echo "  [$f: gzip, $(gzip -dc "$f" | wc -l) lines, sha256 $(gzip -dc "$f" | sha256sum | cut -c1-16)]"
        elif ! tr -d '\000' <"$f" | cmp -s - "$f"; then
            echo "  [$f: binary, $(wc -c <"$f") bytes, sha256 $(sha256sum <"$f" | cut -c1-16)]"
        else
            echo "  [$f: $(wc -l <"$f") lines, sha256 $(sha256sum <"$f" | cut -c1-16)]"
            head -n "${SHOW_LINES:-12}" "$f" | sed 's/^/  | /'
        fi
    done
}

case_names=()
case_() { case_names+=("$1"); }
# shellcheck source=../golden/cases.sh
source "$golden/cases.sh"

failed=0
for name in "${case_names[@]}"; do
    "golden_$name" >"$work/.transcript" 2>&1 || { echo "case $name: its script failed" >&2; failed=1; }
    if [ $redo -eq 1 ]; then
        cp "$work/.transcript" "$golden/$name.txt"
    elif ! diff -u "$golden/$name.txt" "$work/.transcript" >&2; then
        echo "FAIL: golden case $name differs (redo: see tests/cli/golden.sh)" >&2
        failed=1
    fi
done
[ $failed -eq 0 ] || exit 1
echo "ok: ${#case_names[@]} golden cases"
