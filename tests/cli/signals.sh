#!/usr/bin/env bash
# Signals and limits: a closed pipe and a file-size limit are write errors
# (exit 3, no temporary file left); an ignored SIGHUP (nohup) stays ignored;
# a path naming standard output is written through it, never replaced.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
no_temps() { ! compgen -G "*.tmp.*" >/dev/null || fail "$1 left $(echo *.tmp.*)"; }

"$LAPSE_BIN" simulate -q --seed 4 --users 2000 --days 90 -o sim
extract=("$LAPSE_BIN" extract -q --asof 2026-03-01)

# -o - | head: the reader goes away; the run says so and exits 3.
set +o pipefail
"${extract[@]}" -o - sim/events.csv.gz 2>err.txt | head -1 >/dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
[ "$rc" -eq 3 ] || fail "a closed pipe exited $rc, not 3"
grep -qF "write failed: Broken pipe (in <stdout>)" err.txt || fail "closed pipe: $(cat err.txt)"

# ulimit -f: exit 3 naming the output, which is absent, and no temporary file.
rc=0
(ulimit -f 8; exec "${extract[@]}" -o out.csv sim/events.csv.gz) 2>err.txt || rc=$?
[ "$rc" -eq 3 ] || fail "a file-size limit exited $rc, not 3"
grep -qF "write failed: File too large (in out.csv)" err.txt || fail "ulimit -f: $(cat err.txt)"
[ ! -e out.csv ] || fail "ulimit -f left out.csv"
no_temps "ulimit -f"
"${extract[@]}" -o full.csv sim/events.csv.gz

# hup_mid_run IGNORE DIR: a simulate into DIR gets SIGHUP while it runs,
# with SIGHUP ignored by its caller (IGNORE=1, as nohup does) or not; sets rc.
hup_mid_run() {
    if [ "$1" -eq 1 ]; then
        (trap '' HUP; exec "$LAPSE_BIN" simulate -q --seed 4 --users 20000 --days 90 -o "$2") &
    else
        "$LAPSE_BIN" simulate -q --seed 4 --users 20000 --days 90 -o "$2" &
    fi
    local pid=$!
    sleep 0.3
    kill -HUP "$pid" || fail "the run ended before SIGHUP could be sent"
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
}

# nohup: SIGHUP ignored by the caller stays ignored; the run completes.
hup_mid_run 1 hup
[ "$rc" -eq 0 ] || fail "an ignored SIGHUP ended the run (exit $rc)"
gzip -t hup/events.csv.gz || fail "the run after an ignored SIGHUP wrote a broken log"

# Not ignored, SIGHUP ends the run and its temporary files go with it.
hup_mid_run 0 big
[ "$rc" -eq 129 ] || fail "SIGHUP: exit $rc, not 129"
! compgen -G "big/*.tmp.*" >/dev/null || fail "SIGHUP left $(echo big/*.tmp.*)"

# -o /dev/stdout with standard output redirected to a file: the output goes
# there, and /dev/stdout is left as it was.
before=$(ls -l /dev/stdout | cut -c1)
"${extract[@]}" -o /dev/stdout sim/events.csv.gz >out.csv
cmp out.csv full.csv || fail "-o /dev/stdout did not write to standard output"
[ "$(ls -l /dev/stdout | cut -c1)" = "$before" ] || fail "-o /dev/stdout replaced /dev/stdout"
"${extract[@]}" -o /dev/stdout sim/events.csv.gz | cmp - full.csv || fail "-o /dev/stdout to a pipe"
echo ok
