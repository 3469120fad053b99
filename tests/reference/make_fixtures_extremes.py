"""Exact reference values for tests/extremes.rs: numerically extreme data sets.

Run from the repository root (Python 3 with mpmath; nothing else):

    python3 tests/reference/make_fixtures_extremes.py

Writes tests/reference/fixtures_extremes.json, which is committed; the Rust test only reads it.

Why not metafor: on these data metafor's own formulas lose the digits being tested (tr(P) as
sum(w) - sum(w^2)/sum(w) cancels when one study is 10^10 times more precise; Fisher scoring
without step halving does not converge). So every value here is computed from the definitions
in docs/methods.md in 150-digit arithmetic (mpmath), with the data as the exact doubles that the
CSV text reads back as:

  w_i = 1/(v_i + t), mu(t) = sum(w y)/sum(w), Q(t) = sum(w (y - mu)^2)
  FE: t = 0. DL: (Q(0) - df)/(sum w - sum w^2/sum w). HS: (Q(0) - k)/sum w.
  HE: (sum (y - ybar)^2 - (1 - 1/k) sum v)/df. SJ: t0 = sum (y - ybar)^2/k, t0 Q(t0)/df.
  PM and EB: Q(t) = df (EB's Fisher scoring stops where PM's equation holds).
  ML: sum w^2 (y - mu)^2 = sum w. REML: sum w^2 (y - mu)^2 = tr P = sum w - sum w^2/sum w.
  (all truncated at 0; SJ never is). I^2 = 100 t/(vt + t), H^2 = 1 + t/vt, vt = df/tr P(0);
  under FE I^2 = max(0, 100 (Q - df)/Q), H^2 = Q/df. Q-profile limits: Q(t) = chi^2 quantiles
  at 0.975 and 0.025 (0 when Q(0) is below). se = 1/sqrt(sum w(t)); Knapp-Hartung se =
  sqrt(Q(t)/df/sum w(t)), 0 when Q(t) <= 2^-52 (metafor's rule).

Each data set is a few studies; the roots are found by bisection to 1e-40 relative.
"""

import csv
import json
from mpmath import mp, mpf, sqrt, gammainc

mp.dps = 150
LEVEL = mpf("0.95")


def gen_q(y, v, t):
    w = [1 / (vi + t) for vi in v]
    sw = sum(w)
    mu = sum(wi * yi for wi, yi in zip(w, y)) / sw
    return sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y)), mu, w


def trace_p(w):
    # sum w - sum w^2/sum w written as sum_{i != j} w_i w_j / sum w: no cancellation.
    pairs, before = mpf(0), mpf(0)
    for wi in w:
        pairs += wi * before
        before += wi
    return 2 * pairs / before


def bisect(f, lo, hi):
    """A root of f in [lo, hi], f(lo) and f(hi) of opposite signs."""
    flo = f(lo)
    for _ in range(400):
        mid = (lo + hi) / 2
        fm = f(mid)
        if fm == 0:
            return mid
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
        if hi - lo <= mpf("1e-45") * abs(hi):
            break
    return (lo + hi) / 2


def decreasing_root(f, scale):
    """The t >= 0 with f(t) = 0 for f decreasing from f(0) > 0 (0 when f(0) <= 0)."""
    if f(mpf(0)) <= 0:
        return mpf(0)
    hi = scale
    while f(hi) > 0:
        hi *= 4
    return bisect(f, mpf(0), hi)


def pchisq(x, df):
    return gammainc(mpf(df) / 2, 0, x / 2, regularized=True)


def qchisq(p, df):
    hi = mpf(df) + 10
    while pchisq(hi, df) < p:
        hi *= 2
    return bisect(lambda x: pchisq(x, df) - p, mpf(0), hi)


def tau2(method, y, v):
    k, df = len(y), len(y) - 1
    scale = max(v)
    q0, _, w0 = gen_q(y, v, 0)
    ybar = sum(y) / k
    if method == "FE":
        return mpf(0)
    if method == "DL":
        return max(mpf(0), (q0 - df) / trace_p(w0))
    if method == "HS":
        return max(mpf(0), (q0 - k) / sum(w0))
    if method == "HE":
        return max(mpf(0), (sum((yi - ybar) ** 2 for yi in y) - (1 - mpf(1) / k) * sum(v)) / df)
    if method == "SJ":
        t0 = sum((yi - ybar) ** 2 for yi in y) / k
        return t0 * gen_q(y, v, t0)[0] / df
    if method in ("PM", "EB"):
        return decreasing_root(lambda t: gen_q(y, v, t)[0] - df, scale)

    def score(t):
        _, mu, w = gen_q(y, v, t)
        rpp = sum((wi * (yi - mu)) ** 2 for wi, yi in zip(w, y))
        return rpp - (sum(w) if method == "ML" else trace_p(w))

    # The (restricted) likelihood rises from 0 while the score is positive.
    return decreasing_root(score, scale)


def fit(method, y, v):
    k, df = len(y), len(y) - 1
    t = tau2(method, y, v)
    q_t, mu, w = gen_q(y, v, t)
    q0, _, w0 = gen_q(y, v, 0)
    vt = df / trace_p(w0)
    out = {
        "estimate": mu,
        "se": 1 / sqrt(sum(w)),
        # metafor's rule (rma.uni): s^2 = 0 when Q(t) <= .Machine$double.eps.
        "se_hksj": mpf(0) if q_t <= mpf(2) ** -52 else sqrt(q_t / df / sum(w)),
        "tau2": t,
        "Q": q0,
    }
    if method == "FE":
        out["I2"] = max(mpf(0), 100 * (q0 - df) / q0) if q0 > 0 else mpf(0)
        out["H2"] = q0 / df
        out["tau2_ci"] = None
    else:
        out["I2"] = 100 * t / (vt + t)
        out["H2"] = 1 + t / vt
        crit_lower = qchisq(1 - (1 - LEVEL) / 2, df)
        crit_upper = qchisq((1 - LEVEL) / 2, df)
        limit = lambda c: decreasing_root(lambda s: gen_q(y, v, s)[0] - c, max(v))
        out["tau2_ci"] = [limit(crit_lower), limit(crit_upper)]
    return out


def number(x):
    return None if x is None else float(x)


def read_bcg():
    rows = list(csv.DictReader(open("www/examples/bcg.csv")))
    return [float(r["yi"]) for r in rows], [float(r["vi"]) for r in rows]


def main():
    bcg_y, bcg_v = read_bcg()
    spread = [0.01, 0.02, 0.015, 0.012, 0.03]
    sets = {
        # One study 10^10 (and 10^88) times more precise than the other five.
        "dominant_1e10": ([0.16, 0.09, -0.02, 0.47, 0.35, -0.24], [0.04, 0.04, 0.04, 4e-12, 0.04, 0.04]),
        "dominant_1e88": ([0.16, 0.09, -0.02, 0.47, 0.35, -0.24], [0.04, 0.04, 0.04, 4e-90, 0.04, 0.04]),
        # Effects that differ in the 12th digit: Q ~ 1e-21, tau^2 = 0 but for SJ.
        "near_identical": ([0.5, 0.5 + 1e-12, 0.5 - 2e-12, 0.5 + 3e-12, 0.5 - 1e-12], spread),
        # Homogeneous effects: Q(0) below df (REML, ML, PM, DL at the boundary tau^2 = 0) and
        # below the lower chi^2 quantile (both Q-profile limits 0).
        "homogeneous": ([0.10, 0.101, 0.099, 0.1005, 0.1], spread),
        # Q(0) between the chi^2 quantiles: the lower Q-profile limit is 0, the upper is not.
        "lower_limit_zero": ([0.10, 0.25, -0.05, 0.18, 0.0], spread),
        # BCG scaled by 2^-160 and 2^160 (exact): variances near 1e-99 and 1e96.
        "bcg_tiny": ([y * 2.0 ** -160 for y in bcg_y], [v * 2.0 ** -320 for v in bcg_v]),
        "bcg_huge": ([y * 2.0 ** 160 for y in bcg_y], [v * 2.0 ** 320 for v in bcg_v]),
        # BCG 10^6 away from zero, and effects near 1e99 with the BCG variances.
        "bcg_offset": ([y + 1e6 for y in bcg_y], bcg_v),
        "effects_1e99": ([y * 1e99 for y in bcg_y], bcg_v),
    }
    methods = ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"]
    cases = []
    for name, (y, v) in sets.items():
        ym, vm = [mpf(a) for a in y], [mpf(b) for b in v]
        expected = {}
        for m in methods:
            r = fit(m, ym, vm)
            expected[m] = {
                key: ([number(x) for x in val] if isinstance(val, list) else number(val))
                for key, val in r.items()
            }
        data = "yi,vi\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(y, v))
        cases.append({"name": name, "data": data, "expected": expected})
    with open("tests/reference/fixtures_extremes.json", "w") as f:
        json.dump({"level": 0.95, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
