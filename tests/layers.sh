#!/usr/bin/env bash
# The layers of src/ (README, "How it is built") hold: a source includes
# headers of its own layer and those below it, never of a layer above, and
# the command layer includes only the public headers. A module's layer is
# the folder of its .c file (or of its header, for internal headers).
set -euo pipefail
src="${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must name the source tree}/src"
layers=(base data algo model tasks)
declare -A rank
for i in "${!layers[@]}"; do
    for f in "$src/${layers[$i]}"/*.[ch]; do
        m=$(basename "$f"); rank[${m%.*}]=$i
    done
done
# A public header with no source (types only, as lapse/progress.h) is of the lowest layer.
for f in "$src"/../include/lapse/*.h; do
    m=$(basename "$f" .h); [ -n "${rank[$m]+x}" ] || rank[$m]=0
done
bad=0
for i in "${!layers[@]}"; do
    for f in "$src/${layers[$i]}"/*.[ch]; do
        while read -r header; do
            m=${header#lapse/}; m=${m%.h}
            if [ -z "${rank[$m]+x}" ]; then
                echo "FAIL: ${f#"$src"/} includes \"$header\", which no layer holds" >&2; bad=1
            elif [ "${rank[$m]}" -gt "$i" ]; then
                echo "FAIL: ${f#"$src"/} (${layers[$i]}) includes \"$header\" (${layers[${rank[$m]}]}, above it)" >&2
                bad=1
            fi
        done < <(sed -n 's/^#include "\(.*\)"$/\1/p' "$f")
    done
done
if grep -n '^#include "' "$src"/cli/*.[ch] | grep -v '"lapse/\|"cli\.h"\|"cli_[a-z]*\.h"\|"report\.h"' >&2; then
    echo "FAIL: the command layer includes a header that is not public" >&2; bad=1
fi
[ "$bad" -eq 0 ] || exit 1
echo "ok: ${#rank[@]} modules in ${#layers[@]} layers"
