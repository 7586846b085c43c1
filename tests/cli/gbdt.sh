# lapse train --model gbdt from the command line: its options refused out of
# range, the same model bytes twice, model show's line, scores that do not
# depend on -@ or --fast, reasons filled, --contribs, model export
# --xgboost, and a model whose XGBoost bytes were garbled refused with exit 1.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$LAPSE_BIN" train --help | grep -q -- "--trees N" || fail "train --help lacks --trees"
expect_error 2 "--depth" train --model gbdt --depth 0 -o m f.csv
expect_error 2 "--eta" train --model gbdt --eta 2 -o m f.csv
expect_error 2 "--trees" train --model gbdt --trees 0 -o m f.csv
expect_error 2 "take none of the classifiers' options" train --model bgnbd --trees 5 -o m f.csv

"$LAPSE_BIN" simulate -q --seed 5 --users 800 --days 180 -o sim
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-04-01,2026-05-01,2026-05-31 -o feat.csv \
    sim/events.csv.gz
expect_error 2 "give the grid or them, not both" train --model gbdt --grid --depth 3 -o m feat.csv

# --grid: each depth with each learning rate, the lowest held-out log loss
# chosen, and the refit and the model keep the pair
"$LAPSE_BIN" train --model gbdt --grid --trees 40 --report g.json -o g.model feat.csv 2>grid.txt ||
    fail "train gbdt --grid: $(cat grid.txt)"
grep -Eq "^classifier: gbdt, depth [2468], eta (0.05|0.1|0.3) \(grid search, log loss 0\.[0-9]+ on the early-stopping rows\)" grid.txt ||
    fail "grid report: $(grep classifier grid.txt)"
pair=$(sed -n 's/^classifier: gbdt, depth \([0-9]*\), eta \([0-9.]*\) .*/depth \1, eta \2/p' grid.txt)
"$LAPSE_BIN" model show g.model | grep -q "$pair" || fail "model show lacks the grid's $pair"
"$LAPSE_BIN" model show g.model | grep -q "^options:.* grid" || fail "options do not say grid"
grep -Eq '"grid_logloss": 0\.[0-9]+' g.json || fail "--report lacks grid_logloss: $(grep grid g.json)"
grep -Eq '"gbdt_depth": [2468],' g.json || fail "--report lacks the chosen depth"

"$LAPSE_BIN" train --model gbdt --trees 60 --depth 3 -o a.model feat.csv 2>train.txt ||
    fail "train gbdt: $(cat train.txt)"
grep -q "^classifier: gbdt, depth 3, eta 0.1, best round" train.txt || fail "train report: $(cat train.txt)"
"$LAPSE_BIN" train -q --model gbdt --trees 60 --depth 3 -o b.model feat.csv
cmp -s a.model b.model || fail "two gbdt trainings gave different bytes"

"$LAPSE_BIN" model show a.model >show.txt
grep -q "^classifier:   boosted trees (XGBoost), [0-9]* rounds kept (best iteration [0-9]* of at most 60 trees), depth 3, eta 0.1" show.txt ||
    fail "model show: $(grep classifier show.txt)"
grep -q "^options:      gbdt hist trees=60 depth=3 eta=0.1 " show.txt || fail "options: $(grep options show.txt)"

"$LAPSE_BIN" score -q -m a.model -@ 1 -o s1.csv feat.csv
"$LAPSE_BIN" score -q -m a.model -@ 2 -o s2.csv feat.csv
cmp -s s1.csv s2.csv || fail "gbdt scores depend on the thread count"
# Reasons come from the trees' contributions: most rows have one.
with_reason=$(awk -F, 'NR > 1 && $1 !~ /^#/ && $10 != "" { n++ } END { print n + 0 }' s1.csv)
rows=$(awk -F, 'NR > 1 && $1 !~ /^#/ { n++ } END { print n + 0 }' s1.csv)
[ "$with_reason" -gt $((rows / 2)) ] || fail "only $with_reason of $rows rows have a reason"

# --fast compares float32 thresholds, found for every split: the same scores.
"$LAPSE_BIN" score -q -m a.model --fast -o fast.csv feat.csv
cmp -s s1.csv fast.csv || fail "--fast changed gbdt scores"

# --contribs: the reasons' TreeSHAP figures, one column per feature and the
# bias, as numbers; only for trees, and not without reasons.
"$LAPSE_BIN" score -q -m a.model --contribs -o contribs.csv feat.csv
python3 - contribs.csv s1.csv <<'PY'
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if not r[0].startswith("#")]
plain = [r for r in csv.reader(open(sys.argv[2])) if not r[0].startswith("#")]
head = rows[0]
assert head[:len(plain[0])] == plain[0], head[:20]
extra = head[len(plain[0]):]
assert extra[-1] == "contrib_bias" and all(c.startswith("contrib_") for c in extra), extra[:3]
assert len(rows) == len(plain)
for r, p in zip(rows[1:], plain[1:]):
    assert r[:len(p)] == p
    values = [float(v) for v in r[len(p):]]
    assert len(values) == len(extra)
    # The first reason is the feature with the largest contribution.
    if p[9]:
        top = max(range(len(values) - 1), key=lambda j: values[j])
        assert p[9].split(":")[0] == extra[top][len("contrib_"):], (p[9], extra[top])
PY
"$LAPSE_BIN" train -q --model logistic -o lr.model feat.csv
expect_error 2 "--contribs goes with a boosted-trees" score -m lr.model --contribs feat.csv
expect_error 2 "not with --no-reasons" score -m a.model --contribs --no-reasons feat.csv

# export --xgboost writes the XGBoost JSON the model carries, checked to be
# its trees; other models and missing options are refused.
"$LAPSE_BIN" model export --xgboost a.json a.model
python3 - a.model a.json <<'PY'
import sys
model, exported = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
assert exported.startswith(b'{"learner"') and exported in model, len(exported)
PY
expect_error 2 "needs --xgboost" model export a.model
expect_error 2 "exports boosted trees" model export --xgboost lr.json lr.model
[ ! -e lr.json ] || fail "a refused export left lr.json"

# Garble bytes inside the embedded trees and make the file's checksum right
# again: refused with exit 1 by the trees' own sha256, never a crash.
python3 - a.model bad.model <<'EOF'
import sys, zlib
data = bytearray(open(sys.argv[1], "rb").read())
at = data.find(b"{\"learner\"")  # the start of XGBoost's JSON
assert at > 0
data[at:at + 16] = b"x" * 16
data[-4:] = zlib.crc32(bytes(data[:-4])).to_bytes(4, "little")
open(sys.argv[2], "wb").write(bytes(data))
EOF
expect_error 1 "do not match their sha256" score -m bad.model feat.csv
expect_error 1 "do not match their sha256" model show bad.model

# The flat trees (model.h, CLSF): a NaN threshold, a child link back to its
# own node (a cycle), a child past the tree and a feature past the model's
# are refused by the file's name and the section, checksum made right.
python3 - a.model <<'EOF'
import struct, sys, zlib
data = bytearray(open(sys.argv[1], "rb").read())
pos = 20
while data[pos:pos + 4] != b"CLSF":
    pos += 12 + struct.unpack_from("<Q", data, pos + 4)[0]
at = pos + 12 + 1 + 4 * 4 + 8            # kind, features, trees, depth, best; eta
n_trees = struct.unpack_from("<I", data, at + 8)[0]
root = at + 8 + 4 + 4 * n_trees            # base margin, tree count, node counts
for name, offset, value in [("nan", 13, struct.pack("<d", float("nan"))),
                            ("cycle", 0, struct.pack("<I", 0)),
                            ("past", 4, struct.pack("<I", 1 << 20)),
                            ("feature", 8, struct.pack("<I", 999))]:
    bad = bytearray(data)
    bad[root + offset:root + offset + len(value)] = value
    bad[-4:] = zlib.crc32(bytes(bad[:-4])).to_bytes(4, "little")
    open(name + ".model", "wb").write(bytes(bad))
EOF
expect_error 1 "nan.model" score -m nan.model feat.csv
expect_error 1 "section CLSF: tree 0 node 0 has a NaN threshold" score -m nan.model feat.csv
expect_error 1 "section CLSF: tree 0 node 0 links to nodes 0 and" model show cycle.model
expect_error 1 "of a tree of" model show past.model
expect_error 1 "tree 0 node 0 splits on feature 999 of" score -m feature.model feat.csv
echo "gbdt: ok"
