#!/usr/bin/env python3
"""The scipy peer of bench/btyd_bench.c: the same BG/NBD likelihood, numpy
vectorised as lifetimes writes it, minimised by scipy's L-BFGS-B over
log-parameters (numerical gradient, lifetimes' default is Nelder-Mead)."""
import sys, time
import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

d = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
x, tx, T = d[:, 0], d[:, 1], d[:, 2]

def nll(lp):
    r, alpha, a, b = np.exp(lp)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return -(a1 + a2 + np.logaddexp(a3, a4)).sum() / len(x)

t0 = time.perf_counter()
res = minimize(nll, np.log([1, T.mean(), 1, 1]), method="L-BFGS-B")
print("scipy fit_s %.3f evals %d params %s ll %.3f" % (time.perf_counter() - t0, res.nfev,
      np.round(np.exp(res.x), 4), -res.fun * len(x)))
