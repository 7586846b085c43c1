#!/usr/bin/env python3
"""Reference values for tests/test_btyd.c, computed with mpmath at 40 digits
by routes independent of src/algo/btyd*.c: mpmath's own hyp2f1, and the
Pareto/NBD and BG/NBD posteriors integrated numerically (mpmath.quad) rather
than through the hypergeometric closed forms. Writes hyp2f1.inc, bgnbd.inc and pareto.inc beside this file (the test
includes them). Run: python3 vectors.py (a few minutes: double integrals)."""
import os
from mpmath import mp, mpf, hyp2f1, quad, log, exp, gamma, inf, beta as B

mp.dps = 40

here = os.path.dirname(os.path.abspath(__file__))
out = open(os.path.join(here, "hyp2f1.inc"), "w")
print("/* a, b, z, log 2F1(a, b; a+1; z): mpmath.hyp2f1 at 40 digits */", file=out)
for a, b, z in [(1.5, 1.6, 0.3), (27.2, 1.61, 0.9), (27.2, 1.61, 0.999), (1.2, 2.0, 0.99999),
                (5.0, 1.0000001, 0.9999), (3.3, 3.0, 0.99999), (200.5, 1.2, 0.5), (0.2, 1.05, 0.99999)]:
    print("{ %r, %r, %r, %s }," % (a, b, z, mp.nstr(log(hyp2f1(a, b, a + 1, z)), 17)), file=out)
out.close()
mp.dps = 20  # enough for 1e-12 and keeps the double integrals to minutes

bg = [mpf('0.243'), mpf('4.414'), mpf('0.793'), mpf('2.426')]
out = open(os.path.join(here, "bgnbd.inc"), "w")
print("/* BG/NBD at r 0.243, alpha 4.414, a 0.793, b 2.426: x, t_x, T, t, P(alive), E, P(none) */", file=out)
for x, tx, T, t in [(2, 30.43, 38.86, 39), (0, 0, 38.86, 39), (1, 1.71, 38.86, 10), (15, 37.5, 38.86, 52), (5, 2.0, 38.86, 500)]:
    r, al, a, b = bg
    x, tx, T, t = mpf(x), mpf(tx), mpf(T), mpf(t)
    # joint posterior over lambda and p, integrated numerically
    def prior(l, p):
        return l ** (r - 1) * exp(-al * l) * p ** (a - 1) * (1 - p) ** (b - 1)
    def alive(l, p):
        return l ** x * exp(-l * T) * (1 - p) ** x
    def dead(l, p):
        return l ** x * exp(-l * tx) * p * (1 - p) ** (x - 1) if x > 0 else mpf(0)
    def q2(f):
        return quad(lambda l: quad(lambda p: prior(l, p) * f(l, p), [0, 0.5, 1]), [0, 0.1, 1, inf])
    za, zd = q2(alive), q2(dead)
    pa = za / (za + zd)
    # E by eq. 10 with mpmath's own hyp2f1 (the double integral of
    # (1/p)(1 - exp(-lambda p t)) is only good to 1e-6 where r < 1)
    ea = (a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) *
                                      hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t)))
    none = (zd + q2(lambda l, p: alive(l, p) * exp(-l * t))) / (za + zd)
    print("{ %r, %r, %r, %r, %s, %s, %s }," % (float(x), float(tx), float(T), float(t), mp.nstr(pa, 17),
                                               mp.nstr(pa * ea, 17), mp.nstr(none, 17)), file=out)
out.close()

pn = [mpf('0.5534'), mpf('10.5802'), mpf('0.6061'), mpf('11.6562')]
out = open(os.path.join(here, "pareto.inc"), "w")
print("/* Pareto/NBD at r 0.5534, alpha 10.5802, s 0.6061, beta 11.6562: x, t_x, T, t, LL_i, P(alive), E, P(none) */", file=out)
for x, tx, T, t in [(26, 30.86, 31, 52), (0, 0, 38.86, 39), (2, 30.43, 38.86, 39), (1, 1.71, 38.86, 10), (40, 5, 6, 30)]:
    r, al, s, be = pn
    x, tx, T, t = mpf(x), mpf(tx), mpf(T), mpf(t)
    head = gamma(r + x) / gamma(r) * al ** r * be ** s
    A = (al + T) ** -(r + x) * (be + T) ** -s
    D = s * quad(lambda u: (al + u) ** -(r + x) * (be + u) ** -(s + 1), [tx, T]) if tx < T else 0
    ll = log(head * (A + D))
    pa = A / (A + D)
    e = pa * (r + x) * (be + T) / ((al + T) * (s - 1)) * (1 - ((be + T) / (be + T + t)) ** (s - 1))
    # alive: lambda ~ Gamma(r+x, al+T), mu ~ Gamma(s, be+T); P(none | lambda, mu) integrated
    ra, aa, sa, ba = r + x, al + T, s, be + T
    def g(k, rate, v):
        return rate ** k * v ** (k - 1) * exp(-rate * v) / gamma(k)
    def pnone(l, m):
        return m / (l + m) + l / (l + m) * exp(-(l + m) * t)
    na = quad(lambda l: g(ra, aa, l) * quad(lambda m: g(sa, ba, m) * pnone(l, m), [0, 0.01, 0.1, 1, inf]),
              [0, 0.01, 0.1, 1, 10, inf])
    print("{ %r, %r, %r, %r, %s, %s, %s, %s }," % (float(x), float(tx), float(T), float(t), mp.nstr(ll, 17),
                                                   mp.nstr(pa, 17), mp.nstr(e, 17), mp.nstr(1 - pa + pa * na, 17)),
          file=out)
out.close()
