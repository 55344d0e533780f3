"""Report statistics against scipy, statsmodels and hand computation."""

import math
import statistics
from dataclasses import fields

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.weightstats import DescrStatsW

from lms.reports.stats import METHODS, PairedChange, cronbach_alpha, mcnemar, paired_change

# 30 learners' scale means (items averaged, so quarter steps), before and after training.
PRE = [3.0, 3.0, 2.75, 2.25, 2.5, 2.25, 3.0, 3.75, 2.5, 2.5, 3.25, 3.25, 3.0, 2.25, 3.0,
       3.5, 2.0, 2.5, 1.5, 2.0, 1.5, 2.75, 2.0, 3.0, 3.0, 2.75, 1.25, 2.5, 2.75, 3.0]  # fmt: skip
POST = [2.5, 3.0, 2.5, 2.25, 3.5, 2.25, 3.5, 4.75, 2.5, 2.75, 3.75, 3.75, 2.75, 2.75, 4.25,
        3.0, 3.0, 3.0, 1.5, 3.5, 2.25, 2.5, 2.5, 3.75, 3.25, 3.5, 1.5, 3.25, 4.0, 3.0]  # fmt: skip

# 30 respondents x 5 Likert items.
ITEMS = [
    [3, 4, 3, 4, 3], [3, 2, 3, 1, 1], [3, 2, 3, 5, 2], [1, 2, 2, 2, 2], [3, 3, 2, 2, 2],
    [2, 3, 2, 4, 3], [4, 3, 4, 2, 3], [4, 2, 5, 3, 5], [1, 2, 2, 1, 3], [3, 2, 2, 2, 1],
    [5, 3, 4, 3, 3], [1, 2, 1, 2, 1], [2, 2, 2, 3, 2], [3, 2, 2, 4, 2], [3, 5, 5, 3, 4],
    [3, 2, 4, 4, 4], [2, 3, 2, 3, 2], [2, 4, 2, 3, 3], [2, 2, 3, 3, 3], [5, 5, 5, 5, 4],
    [1, 3, 3, 2, 3], [3, 3, 3, 2, 4], [2, 4, 4, 4, 5], [4, 2, 2, 4, 2], [3, 3, 1, 1, 3],
    [2, 2, 2, 1, 1], [3, 2, 2, 3, 3], [3, 2, 2, 2, 2], [4, 4, 4, 4, 5], [3, 4, 4, 4, 2],
]  # fmt: skip

# One knowledge question, correct (1) or not (0), for the same 30 learners.
Q_PRE = [0, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1]
Q_POST = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1]


def assert_no_nan(result: object) -> None:
    for f in fields(result):
        value = getattr(result, f.name)
        assert not (isinstance(value, float) and math.isnan(value)), f.name


# --- paired_change: 30-pair fixture against scipy and statsmodels ---------------------------


def test_paired_change_matches_scipy_and_statsmodels():
    r = paired_change(PRE, POST)
    d = np.array(POST) - np.array(PRE)
    described = DescrStatsW(d)
    assert r.n == 30
    assert r.pre_mean == pytest.approx(statistics.mean(PRE))
    assert r.pre_sd == pytest.approx(statistics.stdev(PRE))
    assert r.post_mean == pytest.approx(statistics.mean(POST))
    assert r.post_sd == pytest.approx(statistics.stdev(POST))
    assert r.mean_change == pytest.approx(statistics.mean(d))
    assert (r.ci_low, r.ci_high) == pytest.approx(described.tconfint_mean(alpha=0.05))
    assert r.t_p == pytest.approx(described.ttest_mean(0)[1])
    assert r.t_p == pytest.approx(sps.ttest_rel(POST, PRE).pvalue)
    assert r.wilcoxon_p == pytest.approx(sps.wilcoxon(POST, PRE, zero_method="wilcox").pvalue)
    assert r.cohen_dz == pytest.approx(statistics.mean(d) / statistics.stdev(d))
    assert (r.improved, r.unchanged, r.worse) == (19, 6, 5)
    # Pinned so a change of method (not just of library) is noticed.
    assert r.mean_change == pytest.approx(12 / 30)  # the differences sum to exactly 12
    assert r.t_p == pytest.approx(0.000288430, rel=1e-5)
    assert r.wilcoxon_p == pytest.approx(0.000651772, rel=1e-5)
    assert_no_nan(r)


def test_paired_change_hand_computed():
    # pre 2,3,3,4,2 -> post 3,4,3,5,4: d = 1,1,0,1,2, mean 1.0.
    # Deviations 0,0,-1,0,1: SS = 2, var = 2/4 = 0.5, sd = 0.7071068; SE = sd/sqrt(5) = 0.3162278.
    # t = 1/0.3162278 = 3.1622777 on 4 df; t(0.975, 4) = 2.7764451 -> CI 1 ± 0.8779890.
    # dz = 1/0.7071068 = 1.4142136. Wilcoxon drops the zero; the 4 others are all positive:
    # P(W- = 0) = 1/2^4, two-sided p = 2/16 = 0.125.
    # pre: mean 2.8, deviations -.8,.2,.2,1.2,-.8, SS 2.8, sd sqrt(0.7); post is pre + 1 in spread.
    r = paired_change([2, 3, 3, 4, 2], [3, 4, 3, 5, 4])
    assert r.n == 5
    assert r.pre_mean == pytest.approx(2.8)
    assert r.post_mean == pytest.approx(3.8)
    assert r.pre_sd == pytest.approx(math.sqrt(0.7))
    assert r.post_sd == pytest.approx(math.sqrt(0.7))
    assert r.mean_change == pytest.approx(1.0)
    assert r.ci_low == pytest.approx(1 - 0.8779890, abs=1e-6)
    assert r.ci_high == pytest.approx(1 + 0.8779890, abs=1e-6)
    assert r.t_p == pytest.approx(2 * sps.t.sf(3.1622777, 4), abs=1e-7)
    assert r.t_p == pytest.approx(0.0341094, abs=1e-6)
    assert r.cohen_dz == pytest.approx(1.4142136, abs=1e-6)
    assert r.wilcoxon_p == pytest.approx(0.125)
    assert (r.improved, r.unchanged, r.worse) == (4, 1, 0)


def test_wilcoxon_exact_all_positive():
    # Five distinct positive differences: only 1 of 2^5 sign patterns is as extreme each way.
    r = paired_change([1, 1, 1, 1, 1], [2, 3, 4, 5, 6])
    assert r.wilcoxon_p == pytest.approx(2 / 32)


def test_negative_change_has_negative_effect():
    r = paired_change([4, 5, 4, 5, 3], [3, 4, 4, 3, 2])
    assert r.mean_change == pytest.approx(-1.0)
    assert r.cohen_dz < 0 and r.ci_high < 0
    assert (r.improved, r.unchanged, r.worse) == (0, 1, 4)


# --- paired_change: edge cases -----------------------------------------------------------


def test_empty_input():
    r = paired_change([], [])
    assert r == PairedChange(
        n=0, pre_mean=None, pre_sd=None, post_mean=None, post_sd=None, mean_change=None,
        ci_low=None, ci_high=None, t_p=None, wilcoxon_p=None, cohen_dz=None,
        improved=0, unchanged=0, worse=0,
    )  # fmt: skip


def test_single_pair():
    r = paired_change([2.0], [3.5])
    assert (r.n, r.pre_mean, r.post_mean, r.mean_change) == (1, 2.0, 3.5, 1.5)
    assert r.pre_sd is r.post_sd is r.ci_low is r.ci_high is None
    assert r.t_p is r.wilcoxon_p is r.cohen_dz is None
    assert (r.improved, r.unchanged, r.worse) == (1, 0, 0)


def test_all_differences_zero():
    r = paired_change([1, 2, 3, 4], [1, 2, 3, 4])
    assert r.mean_change == 0.0
    assert r.pre_sd == pytest.approx(statistics.stdev([1, 2, 3, 4]))
    assert r.t_p is r.wilcoxon_p is r.cohen_dz is r.ci_low is r.ci_high is None
    assert (r.improved, r.unchanged, r.worse) == (0, 4, 0)


def test_identical_answers_everywhere():
    r = paired_change([3, 3, 3], [3, 3, 3])
    assert (r.pre_mean, r.pre_sd, r.post_mean, r.post_sd) == (3.0, 0.0, 3.0, 0.0)
    assert r.t_p is r.wilcoxon_p is r.cohen_dz is r.ci_low is None
    assert r.unchanged == 3


def test_constant_nonzero_change_has_no_t_but_has_wilcoxon():
    # Everyone moved up exactly one point: SD of differences is 0, so t and dz are undefined,
    # but the signed-rank test still applies (5 positive ties: p = 2/32).
    r = paired_change([1, 2, 3, 2, 1], [2, 3, 4, 3, 2])
    assert r.mean_change == pytest.approx(1.0)
    assert r.t_p is r.cohen_dz is r.ci_low is r.ci_high is None
    assert r.wilcoxon_p == pytest.approx(2 / 32)


def test_float_noise_is_not_variance():
    # 1.2-1.1, 2.3-2.2, 3.4-3.3 differ in the 16th digit; scipy would warn and report t ~ 1e15.
    r = paired_change([1.1, 2.2, 3.3], [1.2, 2.3, 3.4])
    assert r.mean_change == pytest.approx(0.1)
    assert r.t_p is None and r.cohen_dz is None
    assert r.wilcoxon_p == pytest.approx(2 / 8)  # three tied positive differences
    assert r.improved == 3


def test_two_pairs_one_zero_difference():
    r = paired_change([3, 3], [3, 4])
    assert r.mean_change == pytest.approx(0.5)
    assert r.wilcoxon_p == pytest.approx(1.0)
    assert r.t_p == pytest.approx(0.5)
    assert (r.improved, r.unchanged) == (1, 1)
    assert_no_nan(r)


def test_tolerance_for_unchanged():
    r = paired_change([2.0, 2.0, 2.0], [2.0 + 1e-12, 2.0 - 1e-12, 2.5])
    assert (r.improved, r.unchanged, r.worse) == (1, 2, 0)
    assert r.wilcoxon_p == pytest.approx(1.0)  # only one non-zero difference


def test_paired_change_rejects_bad_input():
    with pytest.raises(ValueError):
        paired_change([1, 2], [1])
    with pytest.raises(ValueError):
        paired_change([1, float("nan")], [1, 2])


# --- cronbach_alpha ------------------------------------------------------------------------


def test_alpha_hand_computed():
    # Items (1,2,3) and (2,3,3): variances 1 and 1/3; totals 3,5,6 have variance 7/3.
    # alpha = 2/1 * (1 - (4/3)/(7/3)) = 2 * 3/7 = 6/7.
    assert cronbach_alpha([[1, 2], [2, 3], [3, 3]]) == pytest.approx(6 / 7)


def test_alpha_matches_covariance_formula():
    # Independent form: alpha = k * mean inter-item covariance / (mean variance + (k-1) * it).
    cov = np.cov(np.array(ITEMS, dtype=float), rowvar=False)
    k = cov.shape[0]
    mean_var = np.trace(cov) / k
    mean_cov = (cov.sum() - np.trace(cov)) / (k * (k - 1))
    expected = k * mean_cov / (mean_var + (k - 1) * mean_cov)
    alpha = cronbach_alpha(ITEMS)
    assert alpha == pytest.approx(expected)
    assert 0.5 < alpha < 0.9


def test_alpha_undefined_cases():
    assert cronbach_alpha([]) is None
    assert cronbach_alpha([[1, 2, 3]]) is None  # one respondent
    assert cronbach_alpha([[1], [2], [3]]) is None  # one item
    assert cronbach_alpha([[2, 2], [2, 2], [2, 2]]) is None  # no variance at all
    assert cronbach_alpha([[1, 3], [3, 1]]) is None  # items cancel: total variance 0


def test_alpha_drops_incomplete_respondents():
    rows = [[1, 2], [2, 3], [None, 5], [3, 3]]
    assert cronbach_alpha(rows) == pytest.approx(6 / 7)
    with pytest.raises(ValueError):
        cronbach_alpha([[1, 2], [1, 2, 3]])


def test_alpha_can_be_negative():
    # Items that disagree give alpha < 0; it is reported, not hidden.
    assert cronbach_alpha([[1, 5], [2, 3], [3, 4], [4, 1]]) < 0


# --- mcnemar -------------------------------------------------------------------------------


def _table(pre, post):
    pre, post = np.array(pre, bool), np.array(post, bool)
    return [[int((pre & post).sum()), int((pre & ~post).sum())],
            [int((~pre & post).sum()), int((~pre & ~post).sum())]]  # fmt: skip


def test_mcnemar_exact_matches_statsmodels():
    r = mcnemar([bool(x) for x in Q_PRE], [bool(x) for x in Q_POST])
    assert (r.n, r.pre_correct, r.post_correct, r.b, r.c) == (30, 19, 26, 2, 9)
    assert r.method == "exact binomial"
    assert r.p == pytest.approx(sm_mcnemar(_table(Q_PRE, Q_POST), exact=True).pvalue)
    # By hand: 2 * P(X <= 2 | n=11, 1/2) = 2 * (1 + 11 + 55) / 2048.
    assert r.p == pytest.approx(2 * 67 / 2048)


def test_mcnemar_hand_exact():
    # b = 1, c = 6: 2 * P(X <= 1 | n=7) = 2 * (1 + 7) / 128 = 0.125.
    pre = [True] * 1 + [False] * 6 + [True] * 3
    post = [False] * 1 + [True] * 6 + [True] * 3
    r = mcnemar(pre, post)
    assert (r.b, r.c, r.p) == (1, 6, pytest.approx(0.125))


def test_mcnemar_chi_square_matches_statsmodels():
    # 10 both right, b = 5 right->wrong, c = 20 wrong->right, 25 both wrong: 25 discordant.
    pre = [True] * 10 + [True] * 5 + [False] * 20 + [False] * 25
    post = [True] * 10 + [False] * 5 + [True] * 20 + [False] * 25
    r = mcnemar(pre, post)
    assert r.method == "chi-square with continuity correction"
    sm = sm_mcnemar(_table(pre, post), exact=False, correction=True)
    assert r.p == pytest.approx(sm.pvalue)
    # By hand: (|5-20| - 1)^2 / 25 = 7.84; for 1 df, sf(x) = erfc(sqrt(x/2)).
    assert r.p == pytest.approx(math.erfc(math.sqrt(7.84 / 2)))


def test_mcnemar_switches_method_at_25():
    at_24 = mcnemar([True] * 12 + [False] * 12, [False] * 12 + [True] * 12)
    at_25 = mcnemar([True] * 12 + [False] * 13, [False] * 12 + [True] * 13)
    assert at_24.method == "exact binomial" and at_24.p == pytest.approx(1.0)
    assert at_25.method == "chi-square with continuity correction"


def test_mcnemar_no_discordant_pairs():
    assert mcnemar([], []).p is None
    r = mcnemar([True, False, True], [True, False, True])
    assert (r.n, r.b, r.c, r.p) == (3, 0, 0, None)
    with pytest.raises(ValueError):
        mcnemar([True], [])


def test_methods_labels():
    for key in ("mean_change", "t_p", "wilcoxon_p", "cohen_dz", "alpha", "mcnemar"):
        assert isinstance(METHODS[key], str) and METHODS[key]
    assert "t distribution" in METHODS["mean_change"]


def test_wilcoxon_small_samples_with_ties_match_scipy_permutation_test():
    # Below 14 pairs with ties or zeros scipy runs a permutation test; stats counts the same
    # exact distribution directly. They must agree on every kind of small Likert sample.
    rng = np.random.default_rng(11)
    # scipy's oracle costs 2^n statistics per sample: many samples up to 9 pairs, then the
    # sizes on both sides of the switch to the normal approximation (13 -> 14) once.
    for n in [*(int(n) for n in rng.integers(2, 10, 60)), 10, 13, 14, 15]:
        pre = rng.integers(1, 6, n).astype(float)
        post = np.clip(pre + rng.integers(-2, 3, n) + (rng.random(n) < 0.3), 1, 5)
        if rng.random() < 0.5:  # subscale means of four items: quarter steps
            pre, post = pre + rng.integers(0, 4, n) / 4, post + rng.integers(0, 4, n) / 4
        d = np.round(post - pre, 9)
        r = paired_change(pre, post)
        if not np.any(d != 0):
            assert r.wilcoxon_p is None
            continue
        expected = sps.wilcoxon(d, zero_method="wilcox").pvalue
        assert r.wilcoxon_p == pytest.approx(expected, rel=1e-12, abs=1e-15), (pre, post)


def test_mean_ci_matches_statsmodels():
    from lms.reports.stats import mean_ci

    low, high = mean_ci(PRE)
    expected = DescrStatsW(np.asarray(PRE)).tconfint_mean(0.05)
    assert (low, high) == (pytest.approx(expected[0]), pytest.approx(expected[1]))
    assert mean_ci([3.0]) == (None, None)
    assert mean_ci([2.5, 2.5, 2.5]) == (2.5, 2.5)


def test_alpha_from_variances_equals_alpha_on_rows():
    from lms.reports.stats import cronbach_alpha_from_variances

    x = np.asarray(ITEMS, dtype=float)
    alpha = cronbach_alpha_from_variances(list(x.var(axis=0, ddof=1)), float(x.sum(axis=1).var(ddof=1)))
    assert alpha == pytest.approx(cronbach_alpha(ITEMS))
    assert cronbach_alpha_from_variances([1.0], 2.0) is None
    assert cronbach_alpha_from_variances([0.0, 0.0], 0.0) is None
