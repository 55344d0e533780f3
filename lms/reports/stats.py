"""Pre/post attitude statistics, computed with scipy exactly as published evaluations do."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads on the first statistic, not at start-up
    import numpy as np


def _scipy_stats():
    """scipy.stats, imported on first use: at start-up it would cost every worker ~60 MB."""
    from scipy import stats

    return stats


# Answers closer than this are "the same": float noise from averaging items is not a change.
TOL = 1e-9
# Below this many discordant pairs the chi-square approximation is poor (standard advice).
MCNEMAR_EXACT_BELOW = 25

METHODS: dict[str, str] = {
    "mean_change": "Mean of post − pre differences, 95% CI (t distribution)",
    "t_p": "Paired t-test (two-sided)",
    "wilcoxon_p": "Wilcoxon signed-rank test (two-sided)",
    "cohen_dz": "Cohen's dz = mean difference / SD of differences",
    "dz_ci": "95% CI of dz from the noncentral t distribution",
    "zeros": "Wilcoxon: zero differences are dropped before ranking (Wilcoxon's method, "
    "not Pratt's); tied differences get average ranks; W is the smaller of the "
    "positive and negative rank sums and z its normal approximation with the tie "
    "correction, signed so that z > 0 means scores rose",
    "holm": "Holm-adjusted p: across the attitude items shown (one family) and across the "
    "knowledge questions shown (another family)",
    "alpha": "Cronbach's alpha",
    "mcnemar": "McNemar test (exact binomial when fewer than 25 discordant pairs)",
    "mean_ci": "Mean with 95% CI (t distribution)",
}


@dataclass(frozen=True)
class PairedChange:
    """Summary of paired pre/post scores; None marks what the data cannot support."""

    n: int
    pre_mean: float | None
    pre_sd: float | None
    post_mean: float | None
    post_sd: float | None
    mean_change: float | None
    ci_low: float | None
    ci_high: float | None
    t_p: float | None
    wilcoxon_p: float | None
    cohen_dz: float | None
    improved: int
    unchanged: int
    worse: int
    t: float | None = None  # the paired t statistic, with df = n - 1
    df: int | None = None
    wilcoxon_w: float | None = None  # smaller of the two rank sums, zeros dropped (as scipy)
    wilcoxon_z: float | None = None  # normal approximation, tie-corrected, > 0 when scores rose
    dz_low: float | None = None
    dz_high: float | None = None


@dataclass(frozen=True)
class McNemar:
    """McNemar test of paired correct/incorrect answers before and after training."""

    n: int
    pre_correct: int
    post_correct: int
    b: int  # correct before, wrong after
    c: int  # wrong before, correct after
    p: float | None
    method: str


def _finite(value: float) -> float | None:
    """Return value as a float, or None if it is NaN or infinite."""
    value = float(value)
    return value if math.isfinite(value) else None


def _sd(values: np.ndarray) -> float | None:
    """Return the sample SD (ddof=1), or None below two values."""
    import numpy as np

    return float(np.std(values, ddof=1)) if values.size >= 2 else None


# scipy.stats.wilcoxon runs a permutation test (all 2^n sign flips) up to this many pairs
# when there are ties or zeros, as Likert data nearly always has.
PERMUTATION_MAX_N = 13


def _wilcoxon_p(d: np.ndarray) -> float | None:
    """scipy.stats.wilcoxon's two-sided p (zero_method="wilcox").

    Where scipy would run its permutation test, the same exact null distribution of the sum
    of positive ranks is counted directly over the (doubled, so whole) ranks: identical p,
    but milliseconds instead of seconds for a report on a small cohort (~30 tests)."""
    import numpy as np

    nonzero = d[d != 0]
    ranks = _scipy_stats().rankdata(np.abs(nonzero))
    tied = np.unique(ranks).size < ranks.size
    if d.size > PERMUTATION_MAX_N or not (tied or nonzero.size < d.size):
        return _finite(_scipy_stats().wilcoxon(d, zero_method="wilcox").pvalue)
    doubled = np.rint(2 * ranks).astype(int)
    ways = np.zeros(int(doubled.sum()) + 1)
    ways[0] = 1.0
    for r in doubled:  # ways[s] = sign patterns whose positive ranks sum to s / 2
        ways[r:] = ways[r:] + ways[:-r].copy()
    observed = int(doubled[nonzero > 0].sum())
    total = ways.sum()
    less, greater = ways[: observed + 1].sum() / total, ways[observed:].sum() / total
    return _finite(min(1.0, 2 * min(less, greater)))


def paired_change(pre: Sequence[float], post: Sequence[float]) -> PairedChange:
    """Describe and test the change from pre to post scores paired by position."""
    import numpy as np

    if len(pre) != len(post):
        raise ValueError(f"pre and post differ in length ({len(pre)} != {len(post)})")
    a = np.asarray(pre, dtype=float)
    b = np.asarray(post, dtype=float)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("scores must be finite numbers")
    n = int(a.size)
    d = b - a
    improved = int((d > TOL).sum())
    worse = int((d < -TOL).sum())
    base = dict(n=n, improved=improved, unchanged=n - improved - worse, worse=worse)
    if n == 0:
        return PairedChange(
            pre_mean=None,
            pre_sd=None,
            post_mean=None,
            post_sd=None,
            mean_change=None,
            ci_low=None,
            ci_high=None,
            t_p=None,
            wilcoxon_p=None,
            cohen_dz=None,
            **base,
        )
    mean_d = float(d.mean())
    sd_d = _sd(d)
    ci_low = ci_high = t_p = wilcoxon_p = dz = t = df = w = z = dz_low = dz_high = None
    # A (near-)zero SD makes t infinite and scipy warns about precision loss: no test then.
    if sd_d is not None and sd_d > TOL * max(1.0, abs(mean_d)):
        res = _scipy_stats().ttest_rel(b, a)
        ci = res.confidence_interval(0.95)
        ci_low, ci_high = _finite(ci.low), _finite(ci.high)
        t_p = _finite(res.pvalue)
        t, df = _finite(res.statistic), n - 1
        dz = mean_d / sd_d
        dz_low, dz_high = dz_interval(dz, n)
    # Rounding to the tolerance makes float noise count as ties/zeros, as a person would.
    d_round = np.round(d, 9)
    if n >= 2 and np.any(d_round != 0):
        wilcoxon_p = _wilcoxon_p(d_round)
        w, z = wilcoxon_w_z(d_round)
    return PairedChange(
        pre_mean=float(a.mean()),
        pre_sd=_sd(a),
        post_mean=float(b.mean()),
        post_sd=_sd(b),
        mean_change=mean_d,
        ci_low=ci_low,
        ci_high=ci_high,
        t_p=t_p,
        wilcoxon_p=wilcoxon_p,
        cohen_dz=dz,
        t=t,
        df=df,
        wilcoxon_w=w,
        wilcoxon_z=z,
        dz_low=dz_low,
        dz_high=dz_high,
        **base,
    )


def wilcoxon_w_z(d: np.ndarray) -> tuple[float | None, float | None]:
    """W (the smaller rank sum, zeros dropped) and its tie-corrected normal z, signed so
    that z > 0 when the positive differences outweigh the negative ones."""
    import numpy as np

    nonzero = d[d != 0]
    m = nonzero.size
    if m == 0:
        return None, None
    ranks = _scipy_stats().rankdata(np.abs(nonzero))
    r_plus = float(ranks[nonzero > 0].sum())
    r_minus = float(ranks[nonzero < 0].sum())
    _values, ties = np.unique(ranks, return_counts=True)
    variance = m * (m + 1) * (2 * m + 1) / 24 - float((ties**3 - ties).sum()) / 48
    z = (r_plus - m * (m + 1) / 4) / math.sqrt(variance) if variance > 0 else None
    return min(r_plus, r_minus), None if z is None else _finite(z)


def dz_interval(dz: float, n: int, level: float = 0.95) -> tuple[float | None, float | None]:
    """Confidence interval of Cohen's dz by inverting the noncentral t distribution of
    t = dz * sqrt(n) with n - 1 df (Cumming & Finch 2001)."""
    if n < 2 or not math.isfinite(dz):
        return None, None
    if dz < 0:  # the noncentral t is mirrored: scipy's cdf is steadier for t >= 0
        low, high = dz_interval(-dz, n, level)
        return (None if high is None else -high), (None if low is None else -low)
    from scipy.optimize import brentq

    nct = _scipy_stats().nct
    t_obs, df, root = dz * math.sqrt(n), n - 1, math.sqrt(n)
    upper_tail, lower_tail = (1 - level) / 2, (1 + level) / 2
    span = abs(t_obs) + 10 + 10 * math.sqrt(1 + t_obs * t_obs / (2 * df))

    def bound(target: float) -> float | None:
        try:  # ncp where P(T <= t_obs) = target; the cdf falls as ncp rises
            return (
                brentq(lambda ncp: nct.cdf(t_obs, df, ncp) - target, t_obs - span, t_obs + span, xtol=1e-10)
                / root
            )
        except (ValueError, RuntimeError):
            return None

    return bound(lower_tail), bound(upper_tail)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjusted p-values (None stays None and is not counted as a test)."""
    tested = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(tested)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted


def cronbach_alpha(rows: Sequence[Sequence[float | None]]) -> float | None:
    """Return Cronbach's alpha of respondents x items, or None when it is undefined."""
    # Respondents with a missing item are left out (listwise deletion, as SPSS does).
    import numpy as np

    complete = [list(r) for r in rows if all(v is not None for v in r)]
    if len(complete) < 2:
        return None
    if len({len(r) for r in complete}) != 1:
        raise ValueError("every respondent must have the same number of items")
    x = np.asarray(complete, dtype=float)
    k = x.shape[1]
    if k < 2:
        return None
    total_var = float(np.var(x.sum(axis=1), ddof=1))
    if total_var <= TOL:
        return None
    item_var = float(np.var(x, axis=0, ddof=1).sum())
    return k / (k - 1) * (1.0 - item_var / total_var)


def mean_ci(values: Sequence[float]) -> tuple[float | None, float | None]:
    """Return the t-distribution 95% confidence interval of the mean (None below two values)."""
    import numpy as np

    x = np.asarray(values, dtype=float)
    sd = _sd(x)
    if sd is None:
        return None, None
    if sd <= TOL:  # every value equal: the interval is the value itself
        return float(x.mean()), float(x.mean())
    low, high = _scipy_stats().t.interval(0.95, x.size - 1, loc=x.mean(), scale=sd / math.sqrt(x.size))
    return _finite(low), _finite(high)


def cronbach_alpha_from_variances(item_variances: Sequence[float], total_variance: float) -> float | None:
    """Cronbach's alpha from the k item variances and the variance of the sum score.

    Equal to cronbach_alpha on the raw rows when both come from the same respondents; lets
    the database aggregate instead of sending every answer to Python.
    """
    k = len(item_variances)
    if k < 2 or not math.isfinite(total_variance) or total_variance <= TOL:
        return None
    return k / (k - 1) * (1.0 - float(sum(item_variances)) / total_variance)


def mcnemar(pre_correct: Sequence[bool], post_correct: Sequence[bool]) -> McNemar:
    """Test whether the share answering correctly changed, using only discordant pairs."""
    if len(pre_correct) != len(post_correct):
        raise ValueError(f"pre and post differ in length ({len(pre_correct)} != {len(post_correct)})")
    pairs = [(bool(x), bool(y)) for x, y in zip(pre_correct, post_correct, strict=True)]
    b = sum(1 for x, y in pairs if x and not y)
    c = sum(1 for x, y in pairs if y and not x)
    discordant = b + c
    if discordant < MCNEMAR_EXACT_BELOW:
        method = "exact binomial"
        p = _scipy_stats().binomtest(b, discordant, 0.5).pvalue if discordant else None
    else:
        method = "chi-square with continuity correction"
        p = _scipy_stats().chi2.sf((abs(b - c) - 1) ** 2 / discordant, 1)
    return McNemar(
        n=len(pairs),
        pre_correct=sum(1 for x, _ in pairs if x),
        post_correct=sum(1 for _, y in pairs if y),
        b=b,
        c=c,
        p=None if p is None else _finite(min(1.0, float(p))),
        method=method,
    )


@dataclass(frozen=True)
class ItemAnalysis:
    """Classical item analysis of one subscale: complete answers only (listwise)."""

    n: int
    alpha: float | None
    item_rest: list[float | None]  # Pearson r of each item with the sum of the others
    alpha_if_deleted: list[float | None]


def item_analysis(rows: Sequence[Sequence[float]]) -> ItemAnalysis:
    """Cronbach's alpha, corrected item–total (item–rest) correlations and alpha if an item
    is deleted, for respondents x items; an item–rest r below zero suggests a mis-keyed item."""
    import numpy as np

    x = np.asarray(rows, dtype=float).reshape(len(rows), -1)
    n, k = x.shape
    if n < 3 or k < 2:
        return ItemAnalysis(n, None, [None] * k, [None] * k)
    alpha = cronbach_alpha(x.tolist())
    total = x.sum(axis=1)
    item_rest: list[float | None] = []
    alpha_if_deleted: list[float | None] = []
    for j in range(k):
        rest = total - x[:, j]
        if np.var(x[:, j]) <= TOL or np.var(rest) <= TOL:
            item_rest.append(None)  # a constant item (or rest) has no correlation
        else:
            item_rest.append(_finite(float(np.corrcoef(x[:, j], rest)[0, 1])))
        alpha_if_deleted.append(cronbach_alpha(np.delete(x, j, axis=1).tolist()) if k > 2 else None)
    return ItemAnalysis(n, alpha, item_rest, alpha_if_deleted)
