"""Three-wave statistics against scipy and statsmodels, on synthetic data with known effects."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from lms.reports.waves import attrition, holm, retention, three_wave


def waves(n=80, gain=0.8, kept=0.5, seed=1):
    rng = np.random.default_rng(seed)
    person = rng.normal(3.0, 0.5, n)
    pre = person + rng.normal(0, 0.3, n)
    post = person + gain + rng.normal(0, 0.3, n)
    follow = person + kept * gain + rng.normal(0, 0.3, n)
    return pre, post, follow


def test_means_contrasts_and_holm_agree_with_scipy_and_statsmodels():
    pre, post, follow = waves()
    result = three_wave(pre, post, follow, resamples=500)
    assert result.n == 80
    for name, values in (("pre", pre), ("post", post), ("follow", follow)):
        mean, low, high = result.means[name]
        expected = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
        assert mean == pytest.approx(values.mean())
        assert (low, high) == pytest.approx(expected)
    raw = [stats.ttest_rel(post, pre), stats.ttest_rel(follow, pre), stats.ttest_rel(follow, post)]
    adjusted = multipletests([r.pvalue for r in raw], method="holm")[1]
    for contrast, expected, p_holm in zip(result.contrasts, raw, adjusted, strict=True):
        assert contrast.t == pytest.approx(expected.statistic)
        assert contrast.p == pytest.approx(expected.pvalue)
        assert contrast.p_holm == pytest.approx(p_holm)
    # The known effects: a gain of 0.8, half of it kept: every contrast is clear.
    assert result.contrasts[0].mean_difference == pytest.approx(0.8, abs=0.1)
    assert result.contrasts[1].mean_difference == pytest.approx(0.4, abs=0.1)
    assert all(c.p_holm < 0.001 for c in result.contrasts)


def test_retention_and_its_bootstrap_interval_cover_the_truth():
    pre, post, follow = waves(n=200, kept=0.5, seed=3)
    result = three_wave(pre, post, follow, resamples=1000)
    assert result.retention == pytest.approx((follow.mean() - pre.mean()) / (post.mean() - pre.mean()))
    low, high = result.retention_ci
    assert low < 0.5 < high and high - low < 0.3
    # scipy's own percentile bootstrap of the same statistic gives about the same interval.
    ci = stats.bootstrap(
        (pre, post, follow),
        lambda a, b, c, axis=-1: (c.mean(axis) - a.mean(axis)) / (b.mean(axis) - a.mean(axis)),
        paired=True,
        vectorized=True,
        n_resamples=1000,
        method="percentile",
        random_state=7,
    ).confidence_interval
    assert low == pytest.approx(ci.low, abs=0.05) and high == pytest.approx(ci.high, abs=0.05)


def test_a_full_loss_and_no_change_are_reported_honestly():
    pre, post, follow = waves(kept=0.0, seed=5)
    lost = three_wave(pre, post, follow, resamples=500)
    assert lost.retention == pytest.approx(0, abs=0.15)
    assert lost.contrasts[1].p_holm > 0.05 and lost.contrasts[2].p_holm < 0.001
    flat = three_wave(pre, pre + 0.01, pre, resamples=200)
    assert retention(pre, pre + 0.01, pre) is None and flat.retention is None


def test_holm_keeps_missing_p_values_missing():
    assert holm([0.01, None, 0.04]) == pytest.approx([0.02, None, 0.04])


def test_attrition_compares_those_lost_with_those_kept_before_training():
    rng = np.random.default_rng(2)
    pre_scores = {i: (2.5 if i < 30 else 3.5) + rng.normal(0, 0.3) for i in range(100)}
    answered = {"pre": set(range(100)), "post": set(range(100)), "follow-1": set(range(30, 100))}
    table = attrition(pre_scores, answered, "follow-1")
    assert (table.retained, table.lost) == (70, 30)
    kept = [pre_scores[i] for i in range(30, 100)]
    lost = [pre_scores[i] for i in range(30)]
    assert table.p == pytest.approx(stats.ttest_ind(kept, lost, equal_var=False).pvalue)
    assert table.p < 0.001 and table.pre_lost < table.pre_retained
