#!/bin/bash
# Fetch a public churn data set as bench/public/run.sh reads it, from the public GitHub copy
# these figures were made with (bench/public/SOURCES.tsv: data set, repository, commit, path,
# sha256, bytes), and check every file's sha256. Where each set comes from originally, and
# its licence: bench/public/README.md.
#
#   bash bench/public/fetch.sh NAME DATADIR      NAME: cdnow | xuetangx | telco | bank
#
# A file already in DATADIR with the right sha256 is kept. Needs curl and sha256sum.
set -euo pipefail
cd "$(dirname "$0")"
NAME=${1:?usage: fetch.sh NAME DATADIR}
DATA=${2:?usage: fetch.sh NAME DATADIR}
mkdir -p "$DATA"
found=0
while IFS=$'\t' read -r name repo commit path sha bytes; do
    [ "$name" = "$NAME" ] || continue
    found=1
    file="$DATA/$(basename "$path")"
    if ! echo "$sha  $file" | sha256sum -c --status 2>/dev/null; then
        curl -fsSL -o "$file.part" "https://raw.githubusercontent.com/$repo/$commit/$path"
        mv "$file.part" "$file"
        echo "$sha  $file" | sha256sum -c --quiet || { echo "fetch.sh: $file: not the copy measured ($bytes bytes expected)" >&2; exit 1; }
    fi
done < SOURCES.tsv
[ $found = 1 ] || { echo "fetch.sh: unknown data set \"$NAME\" (cdnow, xuetangx, telco, bank)" >&2; exit 2; }
echo "$NAME: $DATA ok"
