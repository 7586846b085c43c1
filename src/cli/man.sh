#!/usr/bin/env bash
# Writes man pages from the commands' own --help with help2man, so a page
# never says other than the program:
#   man.sh LAPSE OUTDIR COMMAND...
# lapse.1 for the command list, lapse-COMMAND.1 for each command. help2man
# runs a program with --help and --version, so each page gets a small
# wrapper that answers both (--version with its first line only: the
# dependencies' versions belong to the build, not the page).
set -euo pipefail
lapse=$1 out=$2
shift 2
mkdir -p "$out"
wrappers=$(mktemp -d)
trap 'rm -rf "$wrappers"' EXIT
page() { # NAME COMMAND-OR-EMPTY SUMMARY
    local wrapper=$wrappers/$1
    printf '#!/bin/sh\n[ "$1" = --version ] && { "%s" --version | head -n 1; exit; }\nexec "%s" %s "$@"\n' \
        "$lapse" "$lapse" "$2" >"$wrapper"
    chmod +x "$wrapper"
    help2man --no-info --name "$3" --output "$out/$1.1" "$wrapper"
}
page lapse "" "churn prediction from raw event logs"
for command in "$@"; do
    page "lapse-$command" "$command" "$("$lapse" --help | sed -n "s/^  $command  *//p")"
done
