#!/usr/bin/env bash
# lapse report in a real browser: the report of the shipped sample (features
# with labels at 2026-05-31 as in models/README.md, scored by
# models/default.model, compared with a model trained a month earlier, the
# features' drift from the training snapshots, and a simulated campaign) is
# rendered by headless Chromium. The page must log nothing to the console,
# fetch nothing, and hold every section with charts that draw; the DOM is
# checked as the browser parsed it. A screenshot is kept as a CI artifact:
# report_sample.png (and the page, report_sample.html) in the test's build
# folder. Skipped (77) without chromium or python3.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
: "${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must point at the source tree}"
chromium=${CHROMIUM:-$(command -v chromium || true)}
if [[ -z $chromium ]]; then
    echo "SKIP: no chromium (Debian package chromium; .ci/deps.sh test installs it)"
    exit 77
fi
if ! command -v python3 >/dev/null; then
    echo "SKIP: no python3 to read the browser's DOM"
    exit 77
fi
artifacts=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

browse() {
    timeout 120 "$chromium" --headless=new --disable-gpu --no-sandbox --no-first-run \
        --user-data-dir="$work/profile" --enable-logging=stderr --v=0 "$@"
}

# The console check must be able to fail: a page that logs an error is caught.
printf '<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>' >noisy.html
browse --dump-dom "file://$work/noisy.html" >/dev/null 2>noisy.log
grep -q 'CONSOLE.*"boom"' noisy.log || fail "the browser's console is not seen: $(tail -5 noisy.log)"

sample="$LAPSE_SOURCE_DIR/datasets/sample/events.csv.gz"
"$LAPSE_BIN" extract -q --asof 2026-05-31 -o now.csv "$sample" 2>/dev/null
"$LAPSE_BIN" score -q -m "$LAPSE_SOURCE_DIR/models/default.model" -o scored.csv now.csv 2>/dev/null
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-04-01,2026-05-01 -o before.csv "$sample" 2>/dev/null
"$LAPSE_BIN" train -q --model logistic --seed 1 -o previous.model before.csv 2>/dev/null
"$LAPSE_BIN" score -q -m previous.model -o previous.csv now.csv 2>/dev/null
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-04-01,2026-05-01,2026-05-31 -o all.csv "$sample" 2>/dev/null
# A campaign and its measurement (simulated: the sample has no sends).
"$LAPSE_BIN" simulate -q --campaign -o camp/
"$LAPSE_BIN" campaign eval -q --sends camp/sends.csv --clicks camp/clicks.csv -o campaign.csv \
    camp/events.csv 2>/dev/null
"$LAPSE_BIN" report -q -m "$LAPSE_SOURCE_DIR/models/default.model" --previous-model previous.model \
    --previous-scores previous.csv --table all.csv --campaign campaign.csv --log "$sample" --title "lapse report: the shipped sample" \
    -o report.html scored.csv 2>/dev/null
cp report.html "$artifacts/report_sample.html"

browse --dump-dom "file://$work/report.html" >dom.html 2>browser.log ||
    fail "chromium failed: $(tail -5 browser.log)"
if grep -q "CONSOLE" browser.log; then
    fail "console messages: $(grep CONSOLE browser.log)"
fi

python3 - dom.html <<'PY'
import sys
from html.parser import HTMLParser

DRAW = {"polyline", "rect", "circle", "line"}
FETCH = {"src", "href", "srcset", "poster", "data"}

class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections = []   # [id, charts, drawn charts]
        self.svg = None      # drawing elements of the chart being read
        self.problems = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "link", "img", "iframe", "object", "embed"):
            self.problems.append(f"<{tag}> on the page")
        for name in FETCH & a.keys():
            self.problems.append(f"<{tag} {name}={a[name]}> fetches")
        if "url(" in (a.get("style") or ""):
            self.problems.append(f"<{tag}> style fetches")
        if tag == "section":
            self.sections.append([a.get("id"), 0, 0])
        elif tag == "svg":
            self.svg = 0
            self.sections[-1][1] += 1
        elif self.svg is not None and tag in DRAW:
            # Data, not the frame, grid or reference lines (classes s0, s1,
            # b0, b1), with extent: points, a width, a radius or two ends.
            data = (a.get("class") or "x")[0] in "sb"
            extent = (len(a.get("points", "").split()) >= 2 or float(a.get("width", 0)) > 0
                      or float(a.get("r", 0)) > 0
                      or (tag == "line" and (a.get("x1"), a.get("y1")) != (a.get("x2"), a.get("y2"))))
            if data and extent:
                self.svg += 1

    def handle_endtag(self, tag):
        if tag == "svg":
            if self.svg:
                self.sections[-1][2] += 1
            self.svg = None

    def handle_data(self, data):
        if "url(" in data and "@import" in data:
            self.problems.append("a stylesheet import")

page = Page()
page.feed(open(sys.argv[1], encoding="utf-8").read())
want = ["data", "model", "segments", "reasons", "training", "features", "campaign", "compare"]
got = [s[0] for s in page.sections]
if got != want:
    sys.exit(f"FAIL: sections {got}, expected {want}")
for sid, charts, drawn in page.sections:
    if charts == 0 or drawn != charts:
        sys.exit(f"FAIL: section {sid}: {charts} charts, {drawn} drawn")
if page.problems:
    sys.exit("FAIL: " + "; ".join(page.problems))
print("sections:", ", ".join(f"{s} ({c} charts)" for s, c, _ in page.sections))
PY

rm -f "$artifacts/report_sample.png"
browse --screenshot="$artifacts/report_sample.png" --window-size=1200,7200 --hide-scrollbars \
    "file://$work/report.html" >/dev/null 2>shot.log || fail "screenshot: $(tail -5 shot.log)"
[[ $(head -c 8 "$artifacts/report_sample.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
    fail "no PNG screenshot"
[[ $(stat -c %s "$artifacts/report_sample.png") -gt 50000 ]] || fail "a blank screenshot"
echo "screenshot: $artifacts/report_sample.png"
echo ok
