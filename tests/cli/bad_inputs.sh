#!/usr/bin/env bash
# The bad-input corpus (tests/bad/*.tsv: cases.tsv says the format; one
# file per class of problem after it): every case through the built
# lapse, checking the exit code, the message (which names the file and the
# line and column, or the byte), that nothing is left behind on failure, and
# the result of the inputs that are valid. Big inputs, feature tables,
# models and scored files are made here, not committed. Model files of
# another schema come from test_model --write-fixtures.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
: "${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must point at the source tree}"
writer="${LAPSE_MODEL_WRITER:-$(dirname "$LAPSE_BIN")/tests/test_model}"
bad="$LAPSE_SOURCE_DIR/tests/bad"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# A sanitizer report must not pass for exit 1 (bad data).
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:exitcode=99"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:exitcode=99"

# set_byte FILE OFFSET VALUE
set_byte() {
    local octal
    octal=$(printf '\\%03o' "$3")
    # shellcheck disable=SC2059 # the format is the byte, as an octal escape
    printf "$octal" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# --- inputs made at test time
cp "$bad"/logs/* .
sed 's/$/\r/' clean.csv > crlf.csv
{ printf '\xef\xbb\xbf'; cat clean.csv; } > bom.csv
{ printf '\xef\xbb\xbf'; cat crlf.csv; } > bom_crlf.csv
gzip -n -c clean.csv > clean.csv.gz
{ head -4 clean.csv | gzip -n -c; tail -n +5 clean.csv | gzip -n -c; } > members.gz
cp clean.csv plain.gz
# The same log in other shapes (formats.tsv).
tr ',' '\t' < clean.csv > clean.tsv
tr ',' ';' < clean.csv > clean.ssv
# Blank-aligned columns: an empty field must be quoted there.
awk -F, '{ for (i = 1; i <= NF; i++) printf "%s%-24s", (i > 1 ? "  \t " : "  "), ($i == "" ? "\"\"" : $i); print "" }' clean.csv > clean.ws
# JSON lines: keys as Segment writes them, empty fields left out, amounts as numbers.
to_jsonl() {
    awk -F, 'NR > 1 { printf "{\"userId\":\"%s\",\"timestamp\":\"%s\",\"event\":\"%s\"", $1, $2, $3
                      if ($4 != "") printf ",\"properties\":{\"revenue\":%s}", $4
                      if ($5 != "") printf ",\"session_id\":\"%s\"", $5
                      if ($6 != "") printf ",\"device_id\":\"%s\"", $6
                      print "}" }' "$1"
}
to_jsonl clean.csv > clean.jsonl
awk -F, 'NR > 1 { printf "{\"who\":{\"id\":\"%s\"},\"at\":\"%s\",\"e\":{\"name\":\"%s\",\"value\":\"%s\"},\"sid\":\"%s\",\"did\":\"%s\"}\n", $1, $2, $3, $4, $5, $6 }' clean.csv > nested.jsonl
{ head -2 clean.jsonl; echo '{"userId":"u9","timestamp":"2026-02-20",}'; tail -n +3 clean.jsonl; } > bad_line.jsonl
{ head -2 clean.jsonl; echo '{"anonymousId":"a1","timestamp":"2026-02-20","event":"login"}'; tail -n +3 clean.jsonl; } > anonymous.jsonl
zstd -q -c clean.jsonl > clean.jsonl.zst
zstd -q -c clean.csv > clean.csv.zst
{ head -4 clean.csv | zstd -q -c; tail -n +5 clean.csv | zstd -q -c; } > frames.zst
zstd -q -c bom.csv > bom.zst
zstd -q -c clean.tsv > clean.tsv.zst
head -c 30 clean.csv.zst > truncated.zst
{ cat clean.csv.zst; echo 'appended by mistake'; } > trailing_text.zst
printf '\x1f\x00\x8b garbage\x00\xff\n' > not_gzip.gz
size=$(stat -c %s clean.csv.gz)
[[ $size -gt 100 ]] || fail "clean.csv.gz is only $size bytes"
head -c 60 clean.csv.gz > truncated.gz
cp clean.csv.gz corrupt.gz
printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of=corrupt.gz bs=1 seek=12 conv=notrunc 2>/dev/null
cp clean.csv.gz badcrc.gz
crc=$(od -An -tu1 -j $((size - 8)) -N1 badcrc.gz | tr -d ' ')
set_byte badcrc.gz $((size - 8)) $((crc ^ 1))
printf '\x1f\x8b' > gzip_magic.gz
{ cat clean.csv.gz; head -c 512 /dev/zero; } > trailing_zeros.gz
{ cat clean.csv.gz; echo 'appended by mistake'; } > trailing_text.gz
: > empty.csv
printf 'user_id,label\nu1,1\nu2,0\n' > lbl.csv # labels.tsv: as labels_plain's, stored two other ways
{ printf '\xef\xbb\xbf'; cat lbl.csv; } > lbl_bom.csv
gzip -n -c lbl.csv > lbl.csv.gz
mkdir subdir
ln -s clean.csv clean_link.csv # the same file under another name (counting.tsv)
header='user_id,ts,event'
{ echo "$header"; printf 'u%.0s' {1..256}; echo ',2026-02-27,login'; } > id256.csv
{ echo "$header"; echo 'u,2026-02-27,login'; printf 'u%.0s' {1..1024}; echo ',2026-02-27,login'; } > id1k.csv
ten_mb() { head -c 10485760 /dev/zero | tr '\0' "$1"; }
{ echo "$header"; echo 'u,2026-02-27,login'; printf 'u,2026-02-27,'; ten_mb x; echo; } > line10mb_event.csv
{ echo "$header"; ten_mb u; echo ',2026-02-27,login'; } > line10mb_id.csv
{ echo 'event,category'; head -c 2097152 /dev/zero | tr '\0' e; echo ',core'; } > long_map.csv
# 100 users, each with a login and 1000 events of names seen nowhere else.
awk 'BEGIN { print "user_id,ts,event"
             for (u = 0; u < 100; u++) printf "u%d,2026-02-27,login\n", u
             for (i = 0; i < 100000; i++) printf "u%d,2026-02-%02d,ev%d\n", i % 100, 1 + i % 28, i }' |
    gzip -1 -n > names100k.csv.gz
"$writer" --write-fixtures . >/dev/null
model_size=$(stat -c %s logistic.model)
cp logistic.model newer.model && set_byte newer.model 8 6
cp logistic.model version0.model && set_byte version0.model 8 0
: > empty.model
{ cat logistic.model; printf 'x'; } > trailing.model

# Feature tables, models and scored files for train, score, eval and campaign:
# t_*.csv are tables (t_feat.csv the good one, three labelled snapshots).
# schema_hash NAME...: FNV-1a 64 of the names joined by commas, as
# lapse_schema_hash, so a table with a column dropped is consistent.
schema_hash() {
    local h=$((0xcbf29ce484222325)) s i c
    s=$(IFS=,; echo "$*")
    for ((i = 0; i < ${#s}; i++)); do
        printf -v c '%d' "'${s:i:1}"
        h=$(((h ^ c) * 0x100000001b3))
    done
    printf '%016x' "$h"
}
"$LAPSE_BIN" simulate -q --seed 5 --users 300 --days 120 -o tsim
x=("$LAPSE_BIN" extract -q)
# Time (time.tsv): that log with one clock-skewed row at each end; split by
# user in two parts, one stopping on 2026-04-10; split by time in two.
events() { gzip -dc tsim/events.csv.gz; }
{ events; echo 'qa,2099-01-01T00:00:00Z,login,,,'; } | gzip -n > skew.csv.gz
{ events; echo 'qa,1970-01-01T00:00:00Z,login,,,'; } | gzip -n > skew_start.csv.gz
events | awk -F, 'NR == 1 || $1 ~ /[02468]$/' > part_a.csv
events | awk -F, 'NR == 1 || ($1 ~ /[13579]$/ && $2 < "2026-04-11")' > part_b.csv
events | awk -F, 'NR == 1 || $2 < "2026-03"' > jan_feb.csv
events | awk -F, 'NR == 1 || $2 >= "2026-03"' > mar_apr.csv
"${x[@]}" --asof 2026-03-02,2026-03-20,2026-04-01 -o t_feat.csv tsim/events.csv.gz
"${x[@]}" --asof 2026-03-02 -o t_one.csv tsim/events.csv.gz
"${x[@]}" --no-labels --asof 2026-03-02,2026-04-01 -o t_nolab.csv tsim/events.csv.gz
"${x[@]}" --horizon 14 --asof 2026-03-02,2026-04-01 -o t_h14.csv tsim/events.csv.gz
"${x[@]}" --preset game --asof 2026-03-02,2026-04-01 -o t_game.csv tsim/events.csv.gz
# Line 3 is the first row; column 4 is tenure_days.
{ head -2 t_feat.csv; sed -n 3p t_feat.csv | sed 's/,[^,]*$//'; tail -n +4 t_feat.csv; } > t_short.csv
{ head -10 t_feat.csv; sed -n 11p t_feat.csv | sed 's/$/,9/'; tail -n +12 t_feat.csv; } > t_long.csv
{ head -2 t_feat.csv; sed -n 3p t_feat.csv | sed 's/^\([^,]*,[^,]*,[^,]*\),[^,]*,/\1,,/'
  tail -n +4 t_feat.csv; } > t_missing.csv
{ head -2 t_feat.csv; sed -n 3p t_feat.csv | sed 's/^\([^,]*,[^,]*,[^,]*\),[^,]*,/\1,NaN,/'
  tail -n +4 t_feat.csv; } > t_nan.csv
# tenure_days (column 4) is a count, log1p-transformed: -29 has no transform.
{ head -2 t_feat.csv; sed -n 3p t_feat.csv | sed 's/^\([^,]*,[^,]*,[^,]*\),[^,]*,/\1,-29,/'
  tail -n +4 t_feat.csv; } > t_negative.csv
{ head -3 t_feat.csv; tail -n +3 t_feat.csv; } > t_dup.csv
# days_to_churn (column 83, after label) past the horizon, and on a row that stayed.
{ head -2 t_feat.csv; sed -n 3p t_feat.csv | sed 's/,[^,]*,[^,]*$/,1,31/'; tail -n +4 t_feat.csv; } > t_dtc_range.csv
{ head -2 t_feat.csv; sed -n 3p t_feat.csv | sed 's/,[^,]*,[^,]*$/,0,7/'; tail -n +4 t_feat.csv; } > t_dtc_stayed.csv
{ head -1 t_feat.csv; sed -n 2p t_feat.csv | sed 's/,tenure_days,/,tenure,/'; tail -n +3 t_feat.csv; } > t_renamed.csv
sed 's/,[^,]*$//' t_feat.csv > t_nodtc.csv # a table from before days_to_churn (horizons.tsv)
# Hand-edited tables that keep this build's meta line: column 12 (days_since_other)
# cut, columns 11 and 12 swapped, a column "bonus" added before label.
cut -d, -f1-11,13- t_feat.csv > t_cut.csv
awk -F, -v OFS=, 'NR > 1 { t = $11; $11 = $12; $12 = t } 1' t_feat.csv > t_swapped.csv
sed '2s/,label,days_to_churn$/,bonus,label,days_to_churn/; 3,$s/,\([^,]*,[^,]*\)$/,0,\1/' t_feat.csv > t_extra.csv
# The last feature (column 81, age_purchase_days) dropped, with a matching schema hash.
cut -d, -f1-80,82,83 t_feat.csv | tail -n +2 > body.tmp
names=$(head -1 body.tmp | cut -d, -f3- | sed 's/,label,days_to_churn$//')
# shellcheck disable=SC2086 # one argument per name
{ sed -n 1p t_feat.csv | sed "s/schema=.*/schema=$(schema_hash ${names//,/ })/"; cat body.tmp; } > t_less.csv
rm body.tmp
gzip -n -c t_feat.csv | head -c 3000 > t_trunc.csv.gz
# The validation snapshot (2026-04-01, the latest) cut to $1 churners and $2 others.
few_valid() {
    awk -F, -v p="$1" -v n="$2" \
        '$2 != "2026-04-01" || ($(NF - 1) == 1 && p-- > 0) || ($(NF - 1) == 0 && n-- > 0)' t_feat.csv
}
few_valid 1 1 > t_valid2.csv
few_valid 3 57 > t_valid_3pos.csv
# A log whose export stops at 2026-03-02T06:00:00Z, and sends whose 24-hour
# windows close before it (05:00) or after it (08:00).
printf '%s\n' "$header" a,2026-02-20,login b,2026-02-20,login c,2026-02-20,login d,2026-02-20,login \
    a,2026-03-01T20:00:00Z,login b,2026-03-02T05:30:00Z,login c,2026-03-02T06:00:00Z,login > log0600.csv
sends_head='user_id,channel,sent_at,group,cost,variant'
printf '%s\n' "$sends_head" 'a,sms_email,2026-03-01T05:00:00Z,treatment,0.05,A' \
    'b,sms_email,2026-03-01T08:00:00Z,treatment,0.05,A' 'c,sms_email,2026-03-01T05:00:00Z,control,0,-' \
    'd,sms_email,2026-03-01T08:00:00Z,control,0,-' > sends0600.csv
printf '%s\n' "$sends_head" 'a,sms_email,2026-03-01T08:00:00Z,treatment,0.05,A' \
    'c,sms_email,2026-03-01T08:00:00Z,control,0,-' > sends_late.csv
printf '%s\n' "$sends_head" 'a,sms_email,2026-02-19T23:00:00Z,treatment,0.05,A' > sends_early.csv
"$LAPSE_BIN" train -q --model logistic -o lr.model t_feat.csv
"$LAPSE_BIN" train -q --model logistic -o less.model t_less.csv
"$LAPSE_BIN" score -q -m lr.model -o s_all.csv t_feat.csv
"$LAPSE_BIN" score -q -m lr.model -o s_one.csv t_one.csv
"$LAPSE_BIN" score -q -m lr.model -o s_nolab.csv t_nolab.csv
gzip -n -c s_all.csv | head -c 3000 > s_trunc.csv.gz
sed '5s/,[^,]*$//' s_one.csv > s_short.csv
sed '5s/^\([^,]*,[^,]*\),[^,]*,/\1,NaN,/' s_one.csv > s_nan.csv
# strtod reads hex and leading spaces; a scored file's number has neither
sed '5s/^\([^,]*,[^,]*\),[^,]*,/\1,0x1p-1,/' s_one.csv > s_hex.csv
"$LAPSE_BIN" campaign plan -q --budget 5 -o plan.csv s_one.csv
# A byte-order mark (Excel, Notepad) or gzip on tables, scored files and send lists.
{ printf '\xef\xbb\xbf'; cat t_feat.csv; } > t_bom.csv
{ printf '\xef\xbb\xbf'; cat s_one.csv; } > s_bom.csv
gzip -n -c s_one.csv > s_one.csv.gz
{ printf '\xef\xbb\xbf'; cat plan.csv; } > plan_bom.csv
gzip -n -c plan.csv > plan.csv.gz
# Partial extract states (partial.tsv): two maps of the time split, bucket
# files renamed NAME<bucket>.part; other options, bucket counts, versions, cuts.
map() { # map NAME BUCKETS ARGS...
    local out=$1 buckets=$2 f
    shift 2
    "${x[@]}" --partial --buckets "$buckets" -o "$out.d" "$@"
    for f in "$out".d/*; do
        mv "$f" "$out$(echo "$f" | sed 's/.*bucket-0*\([0-9][0-9]*\)-of.*/\1/').part"
    done
    rmdir "$out.d"
}
map pa 2 --asof 2026-03-02 jan_feb.csv
map pb 2 --asof 2026-03-02 mar_apr.csv
map pc 2 --asof 2026-03-02 --horizon 14 mar_apr.csv
map pd 3 --asof 2026-03-02 mar_apr.csv
map pe 2 --asof 2026-03-02 jan_feb.csv mar_apr.csv
map pl 2 --asof 2026-04-20 jan_feb.csv
map pm 2 --asof 2026-04-20 mar_apr.csv
# Some sessions of users ending in 3 or 7 made cancels, in both halves.
for half in jan_feb mar_apr; do
    awk -F, -v OFS=, 'NR > 1 && $1 ~ /[37]$/ && $3 == "session_start" && ++n % 4 == 0 { $3 = "cancel" } 1' \
        "$half.csv" > "${half}_c.csv"
done
map ps 3 --preset subscription --asof 2026-02-10,2026-03-02 jan_feb_c.csv
map pt 3 --preset subscription --asof 2026-02-10,2026-03-02 mar_apr_c.csv
cp pa0.part pa0_copy.part
cp pa0.part pver.part && printf '0.0.9\0\0' | dd of=pver.part bs=1 seek=12 conv=notrunc 2>/dev/null
head -c -9 pa0.part > ptrunc.part
cp pa0.part pcrc.part && set_byte pcrc.part $(($(wc -c < pa0.part) - 3)) 7

# --- the corpus
leftovers() { ls -d out.csv out.model dormant.csv sim ./*.tmp.* clean.csv/sim 2>/dev/null || true; }
cases=0
while IFS=$'\t' read -r name input code message check args; do
    [[ -z $name || $name == \#* ]] && continue
    cases=$((cases + 1))
    [[ $input == - ]] || printf '%b' "$input" > "$name.csv"
    got=0
    # shellcheck disable=SC2086 # the arguments are split on spaces on purpose
    # A hang is a failure too (timeout exits 124).
    timeout 120 "$LAPSE_BIN" $args >stdout.txt 2>stderr.txt || got=$?
    [[ $got == "$code" ]] || fail "$name: exit $got, expected $code; stderr: $(head -c 600 stderr.txt)"
    ! grep -qE 'Sanitizer|runtime error' stderr.txt || fail "$name: sanitizer report: $(cat stderr.txt)"
    if [[ $message != - ]]; then
        IFS='|' read -ra pieces <<< "$message"
        for piece in "${pieces[@]}"; do
            printf -v want '%b' "$piece"
            while [[ $want =~ \{size:([^}]+)\} ]]; do
                want=${want//"${BASH_REMATCH[0]}"/$(stat -c %s "${BASH_REMATCH[1]}")}
            done
            grep -qF -- "$want" stderr.txt || fail "$name: stderr lacks \"$want\": $(head -c 600 stderr.txt)"
        done
    fi
    if [[ $code != 0 ]]; then
        [[ -z $(leftovers) ]] || fail "$name: failed but left $(leftovers)"
        continue
    fi
    IFS=';' read -ra checks <<< "$check"
    for c in "${checks[@]}"; do
        case $c in
        -) ;;
        same=*) cmp -s out.csv "${c#same=}.out" || fail "$name: out.csv differs from ${c#same=}'s" ;;
        rows=*) cmp -s <(grep -v '^# lapse-' out.csv) <(grep -v '^# lapse-' "${c#rows=}.out") ||
                    fail "$name: out.csv's rows differ from ${c#rows=}'s" ;;
        lines=*) [[ $(wc -l < out.csv) == "${c#lines=}" ]] ||
                     fail "$name: out.csv has $(wc -l < out.csv) lines, expected ${c#lines=}" ;;
        grep=*) printf -v want '%b' "${c#grep=}"
                # grep -F matches lines; a piece holding a newline is searched for whole.
                if [[ $want == *$'\n'* ]]; then
                    [[ $(cat out.csv; echo .) == *"$want"* ]] || fail "$name: out.csv lacks $(printf %q "$want")"
                else
                    grep -qF -- "$want" out.csv || fail "$name: out.csv lacks \"$want\""
                fi ;;
        *) fail "$name: unknown check \"$c\"" ;;
        esac
    done
    mv out.csv "$name.out"
    [[ ! -e dormant.csv ]] || mv dormant.csv "$name.dormant"
    if [[ $check == same=* ]]; then
        ref=${check#same=}
        ref=${ref%%;*}
        [[ ! -e $ref.dormant ]] || cmp -s "$name.dormant" "$ref.dormant" ||
            fail "$name: dormant.csv differs from $ref's"
    fi
    [[ -z $(leftovers) ]] || fail "$name: left $(leftovers)"
done < <(cat "$bad"/*.tsv)
[[ $cases -gt 160 ]] || fail "only $cases cases read"

# The clean log's expected rows, worked out by hand: u1 (logged in 02-20,
# nothing key until 04-05: churned), u2 (in 02-25, back 03-10: stayed), u3
# (core_use only: no key event at all, so dormant); u4 silent since 01-02.
[[ $(sed -n '3p' clean.out | cut -d, -f1-3) == u1,2026-03-01,9 ]] || fail "clean: row u1: $(sed -n 3p clean.out)"
[[ $(sed -n '3p' clean.out | awk -F, '{print $(NF - 1)}') == 1 ]] || fail "clean: u1 churned"
[[ $(sed -n '4p' clean.out | awk -F, '{print $1, $(NF - 1)}') == "u2 0" ]] || fail "clean: u2 stayed"
[[ $(sed -n '3p' clean.dormant | cut -d, -f1) == u3 ]] || fail "clean: dormant u3"
[[ $(sed -n '4p' clean.dormant | cut -d, -f1-3) == u4,2026-03-01,58 ]] || fail "clean: dormant u4"

# --- model files: cut at each eighth, and single bit flips through the file
for k in 1 2 3 4 5 6 7; do
    at=$((model_size * k / 8))
    head -c "$at" logistic.model > cut.model
    got=0
    "$LAPSE_BIN" model show cut.model >stdout.txt 2>stderr.txt || got=$?
    [[ $got == 1 ]] || fail "model cut at $k/8: exit $got: $(cat stderr.txt)"
    if ! grep -qF "lapse: model file truncated: it ends at byte $at" stderr.txt ||
        ! grep -qF "(in cut.model, byte $at)" stderr.txt; then
        fail "model cut at $k/8: $(cat stderr.txt)"
    fi
    [[ ! -s stdout.txt ]] || fail "model cut at $k/8 printed on stdout"
done
flips=0
for ((at = 0; at < model_size; at += 23)); do
    cp logistic.model flip.model
    byte=$(od -An -tu1 -j "$at" -N1 flip.model | tr -d ' ')
    set_byte flip.model "$at" $((byte ^ (1 << (at % 8))))
    got=0
    "$LAPSE_BIN" model show flip.model >stdout.txt 2>stderr.txt || got=$?
    [[ $got == 1 ]] || fail "model bit flip at byte $at: exit $got: $(cat stderr.txt)"
    grep -qE '^lapse: .*\(in flip\.model, byte [0-9]+\)$' stderr.txt ||
        fail "model bit flip at byte $at: message without a byte: $(cat stderr.txt)"
    [[ ! -s stdout.txt ]] || fail "model bit flip at byte $at printed on stdout"
    flips=$((flips + 1))
done
echo "ok: $cases cases, 7 truncated models, $flips bit flips"
