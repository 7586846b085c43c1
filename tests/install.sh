#!/usr/bin/env bash
# cmake --install puts the command, liblapse.so.MAJOR, the headers, lapse.pc
# and the man pages in place under a prefix; a program built against the
# installed library with nothing but pkg-config's flags scores the shipped
# sample exactly as the installed lapse does.
set -euo pipefail
: "${LAPSE_BUILD_DIR:?LAPSE_BUILD_DIR must name the build folder}"
: "${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must name the source tree}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$LAPSE_BUILD_DIR" --prefix "$prefix" >/dev/null
libdir=$(sed -n 's/^libdir=\${prefix}\///p' "$prefix"/lib*/pkgconfig/lapse.pc)
major=$(sed -n 's/^#define LAPSE_VERSION_MAJOR //p' "$LAPSE_SOURCE_DIR/include/lapse/version.h")
for f in bin/lapse bin/lapse-dask "$libdir/liblapse.so.$major" "$libdir/liblapse.so" include/lapse/score.h \
         include/lapse/version.h "$libdir/pkgconfig/lapse.pc" share/doc/lapse/LICENSE; do
    [[ -e $prefix/$f ]] || fail "$f not installed"
done
if command -v help2man >/dev/null; then
    [[ -s $prefix/share/man/man1/lapse-score.1 ]] || fail "no man page for lapse score"
fi
[[ $(readelf -d "$prefix/$libdir/liblapse.so.$major" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p') \
    == "liblapse.so.$major" ]] || fail "SONAME is not liblapse.so.$major"
# Only the public names are exported.
if nm -D --defined-only "$prefix/$libdir/liblapse.so.$major" | awk '$2 ~ /[TDBR]/ {print $3}' |
    grep -v '^lapse_'; then
    fail "the library exports names outside lapse_*"
fi

export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
# The sanitizer flags of this build, when it has them, or the program cannot
# link against a sanitized library.
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror ${LAPSE_TEST_CFLAGS:-} "$LAPSE_SOURCE_DIR/tests/install/score_sample.c" \
    $(pkg-config --cflags --libs lapse) -Wl,-rpath,"$prefix/$libdir" -o "$work/score_sample"

lapse=$prefix/bin/lapse
"$lapse" --version | head -n 1 | grep -qx "lapse $(pkg-config --modversion lapse)" ||
    fail "lapse --version and lapse.pc disagree"
# The rest of --version depends on the machine (OpenBLAS names its kernels),
# so it is checked here by name rather than in a golden transcript.
for dep in libsvm OpenBLAS zlib libcsv zstd yajl nlopt nettle xgboost; do
    "$lapse" --version | grep -q "^$dep [0-9]" || fail "lapse --version does not name $dep"
done
"$lapse" extract -q --no-labels --asof 2026-06-01 -o "$work/now.csv" \
    "$LAPSE_SOURCE_DIR/datasets/sample/events.csv.gz"
"$lapse" score -q -m "$LAPSE_SOURCE_DIR/models/default.model" -o "$work/by_lapse.csv" "$work/now.csv"
"$work/score_sample" "$LAPSE_SOURCE_DIR/models/default.model" "$work/now.csv" >"$work/by_program.csv"
[[ $(wc -l <"$work/by_program.csv") -gt 100 ]] || fail "the program scored too few rows"
cmp -s "$work/by_lapse.csv" "$work/by_program.csv" || fail "the program's scores differ from lapse score's"
echo "ok: installed under a prefix; a pkg-config program scores as lapse does"
