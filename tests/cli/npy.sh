#!/usr/bin/env bash
# Binary feature tables (datasets/README.md, "Binary tables"): extract
# --format npy writes T.npy and T.rows.csv; train and score read them to the
# same model and the same scores, byte for byte, as the CSV table; numpy
# reads the matrix in one call (where python3 has numpy: pandas brings it);
# bad pairs are refused naming the file.
set -euo pipefail
: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$LAPSE_BIN" simulate -q --seed 5 --users 300 --days 120 -o sim
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-03-20 -o table.csv sim/events.csv.gz
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-03-20 --format npy -o table.npy sim/events.csv.gz
test -s table.npy && test -s table.rows.csv
[ "$(head -n 1 table.rows.csv)" = "$(head -n 1 table.csv)" ] || { echo "meta lines differ" >&2; exit 1; }

"$LAPSE_BIN" train -q --model logistic -o csv.model table.csv
"$LAPSE_BIN" train -q --model logistic -o npy.model table.npy
cmp csv.model npy.model
"$LAPSE_BIN" score -q -m csv.model -o csv.scored table.csv
"$LAPSE_BIN" score -q -m csv.model -o npy.scored table.npy
cmp csv.scored npy.scored

if /usr/bin/python3 -c 'import numpy' 2> /dev/null; then
  /usr/bin/python3 - table.npy table.csv <<'PY'
import csv, sys
import numpy as np
x = np.load(sys.argv[1])
with open(sys.argv[2]) as f:
    f.readline()
    rows = list(csv.reader(f))[1:]
assert x.dtype == np.float64 and x.shape == (len(rows), len(rows[0]) - 4), x.shape
for i, r in enumerate(rows):
    assert x[i].tolist() == [float(v) for v in r[2:-2]], f"row {i} differs"
PY
fi

# Not a .npy path; a rows file that is missing or one row short.
if "$LAPSE_BIN" extract -q --asof 2026-03-20 --format npy -o t.csv sim/events.csv.gz 2> err; then
  echo "npy to a .csv path accepted" >&2; exit 1
fi
grep -q "T.npy" err
cp table.npy lone.npy
if "$LAPSE_BIN" score -q -m csv.model -o /dev/null lone.npy 2> err; then
  echo "a .npy without its rows file accepted" >&2; exit 1
fi
grep -q "lone.rows.csv" err
cp table.npy short.npy
head -n -1 table.rows.csv > short.rows.csv
if "$LAPSE_BIN" score -q -m csv.model -o /dev/null short.npy 2> err; then
  echo "rows one short accepted" >&2; exit 1
fi
grep -q "short.rows.csv has" err
echo "npy: ok"
