#!/usr/bin/env bash
# A data team reads lapse's tables with pandas, as datasets/README.md says
# (skiprows=1 past the meta line of a feature table, float_precision=
# 'round_trip'; comment='#' past the warnings line a scored file may start with): every row, every column, ids
# as text, numbers exactly as lapse wrote them.
set -euo pipefail
: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
py=/usr/bin/python3 # Debian's python3-pandas (.ci/deps.sh test installs it)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$LAPSE_BIN" simulate -q --seed 5 --users 200 --days 120 -o sim
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-03-20 -o table.csv sim/events.csv.gz
"$LAPSE_BIN" train -q --model logistic -o m.model table.csv
"$LAPSE_BIN" score -q -m m.model -o scored.csv table.csv

"$py" - table.csv scored.csv <<'PY'
import csv, sys
import pandas as pd

table, scored = sys.argv[1], sys.argv[2]
with open(table) as f:
    meta = f.readline()
    rows = list(csv.reader(f))
assert meta.startswith("# lapse-features "), meta
header, body = rows[0], rows[1:]

# pandas' default float parser can be off in the last bit; round_trip reads
# back the double lapse wrote.
df = pd.read_csv(table, skiprows=1, dtype={"user_id": str}, float_precision="round_trip")
assert list(df.columns) == header, "columns differ"
assert len(df) == len(body), (len(df), len(body))
assert list(df["user_id"]) == [r[0] for r in body], "user ids changed"
for j, name in enumerate(header[2:-1], start=2):
    got = df[name].tolist()
    want = [float(r[j]) for r in body]
    assert got == want, f"column {name} does not read back exactly"

s = pd.read_csv(scored, comment="#", dtype={"user_id": str})
assert len(s) == len(body), (len(s), len(body))
assert s["p_churn"].between(0, 1).all()
print(f"ok: pandas read {len(df)} rows x {len(header)} columns and {len(s)} scores")
PY
