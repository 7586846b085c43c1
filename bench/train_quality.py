"""Scores train's models against the simulator's ground truth.

    train_quality.py SIMDIR SCORED.csv...

Each SCORED.csv is user_id,asof,p_churn,label,segment (bench/train_apply.c).
Joins on (user_id, asof) with SIMDIR/truth_snapshots.csv (p_true, and
p_observed when the simulator ran with --observer) and on
user_id with SIMDIR/truth.csv (archetype), then prints per file: rows, AUC
of p_churn, oracle AUC of p_true on the same rows, their ratio, ECE (10
equal-width bins), the adjusted Rand index of segments against archetypes
(mixed users left out) and whether each archetype's segment carries its name.
Plain Python: no numpy or scikit-learn needed."""
import csv
import math
import sys
from collections import Counter, defaultdict


def auc(scores, labels):
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    s = sum(r for r, y in zip(ranks, labels) if y)
    return (s - pos * (pos + 1) / 2) / (pos * neg)


def ece(p, y):
    bins = defaultdict(lambda: [0, 0.0, 0])
    for pi, yi in zip(p, y):
        b = min(int(pi * 10), 9)
        bins[b][0] += 1
        bins[b][1] += pi
        bins[b][2] += yi
    return sum(abs(s / n - k / n) * n for n, s, k in bins.values()) / len(p)


def comb2(n):
    return n * (n - 1) / 2


def ari(a, b):
    pairs = Counter(zip(a, b))
    ca, cb = Counter(a), Counter(b)
    index = sum(comb2(v) for v in pairs.values())
    sa = sum(comb2(v) for v in ca.values())
    sb = sum(comb2(v) for v in cb.values())
    expected = sa * sb / comb2(len(a))
    return (index - expected) / ((sa + sb) / 2 - expected)


def main():
    sim = sys.argv[1]
    with open(f"{sim}/truth.csv") as f:
        archetype = {r["user_id"]: r["archetype"] for r in csv.DictReader(f)}
    with open(f"{sim}/truth_snapshots.csv") as f:
        rows = list(csv.DictReader(f))
    p_true = {(r["user_id"], r["asof"]): float(r["p_true"]) for r in rows}
    # p_observed (simulate --observer): the posterior given the user's traits
    # and log, the best any model of the log can rank by.
    p_obs = {(r["user_id"], r["asof"]): float(r["p_observed"]) for r in rows
             if r.get("p_observed")}
    for path in sys.argv[2:]:
        p, pt, po, y, seg, arch = [], [], [], [], [], []
        with open(path) as f:
            for r in csv.DictReader(f):
                if r["label"] == "":
                    continue
                p.append(float(r["p_churn"]))
                pt.append(p_true[(r["user_id"], r["asof"])])
                if p_obs:
                    po.append(p_obs[(r["user_id"], r["asof"])])
                y.append(int(r["label"]))
                seg.append(r["segment"])
                arch.append(archetype[r["user_id"]])
        model_auc, oracle_auc = auc(p, y), auc(pt, y)
        keep = [i for i, a in enumerate(arch) if a != "mixed"]
        a_ari = ari([seg[i] for i in keep], [arch[i] for i in keep])
        names = []
        for a in ("price_sensitive", "feature_dependent", "social_driven"):
            top = Counter(seg[i] for i in keep if arch[i] == a).most_common(1)[0][0]
            names.append(f"{a}->{top}{'' if top == a.replace('_', '-') else ' (WRONG)'}")
        print(f"{path}: {len(p)} rows; AUC {model_auc:.4f}, oracle AUC {oracle_auc:.4f}, "
              f"ratio {model_auc / oracle_auc:.4f}; ECE {ece(p, y):.4f} (oracle ECE "
              f"{ece(pt, y):.4f}); segment ARI {a_ari:.4f} on {len(keep)} non-mixed rows; "
              f"{', '.join(names)}")
        if po:
            observer_auc = auc(po, y)
            print(f"  observer (traits + log) AUC {observer_auc:.4f} = "
                  f"{observer_auc / oracle_auc:.4f} of the oracle, ECE {ece(po, y):.4f}; "
                  f"model = {model_auc / observer_auc:.4f} of the observer; "
                  f"goal 0.97 x oracle = {0.97 * oracle_auc:.4f}")


main()
