"""Every figure of the attitude-change report: by hand on five trainees, then against scipy and
statsmodels on a few hundred, and fast on thousands."""

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from markupsafe import escape
from scipy import stats as sps
from sqlalchemy import select
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.weightstats import DescrStatsW

from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.quizzes.instrument import current_version
from lms.reports.figures import OVERALL
from lms.reports.labels import METHOD_LABELS
from lms.reports.stats import METHODS, cronbach_alpha
from tests.reports.conftest import report_for, row

# Five trainees' keyed score on every item before (P) and after (Q) the training; their fear
# items stay the same, so that subscale shows no change at all.
P = [2, 3, 2, 4, 3]
Q = [3, 4, 4, 4, 5]


def enrolments_of(cohort):
    return db.session.scalars(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id)
    ).all()


@pytest.fixture
def five(make_cohort, answer_survey):
    cohort = make_cohort(trainees=5, name="Công an phường Hoàn Kiếm")
    for enrolment, p, q in zip(enrolments_of(cohort), P, Q, strict=True):
        answer_survey(enrolment, "pre", lambda item, p=p: p, knowledge=lambda item: item.key <= "K06")
        answer_survey(enrolment, "post", lambda item, p=p, q=q: p if item.subscale == "fear" else q)
    return cohort


@pytest.mark.usefixtures("instrument_v1")  # written for the first instrument
def test_five_trainees_by_hand(app, five):
    with app.test_request_context("/?lang=en"):
        report = report_for()
    blame = row(report.tables["subscales"], key="blame")
    # Differences 1, 1, 2, 0, 2: mean 1.2, variance 2.8 / 4 = 0.7.
    sd = math.sqrt(0.7)
    assert blame["n"] == 5
    assert blame["pre_mean"] == pytest.approx(2.8) and blame["pre_sd"] == pytest.approx(sd)
    assert blame["post_mean"] == pytest.approx(4.0)
    assert blame["post_sd"] == pytest.approx(math.sqrt(2 / 4))  # 3, 4, 4, 4, 5
    assert blame["change"] == pytest.approx(1.2)
    # t = 1.2 / (sd / √5) = 3.207 on 4 df: two-sided p = 0.0327 (t table); t(0.975, 4) = 2.7764.
    assert 1.2 / (sd / math.sqrt(5)) == pytest.approx(3.2071, abs=1e-4)
    assert blame["t_p"] == pytest.approx(0.0327, abs=1e-4)
    assert blame["ci_low"] == pytest.approx(1.2 - 2.7764 * sd / math.sqrt(5), abs=1e-4)
    assert blame["ci_high"] == pytest.approx(1.2 + 2.7764 * sd / math.sqrt(5), abs=1e-4)
    # Wilcoxon: the zero is dropped, the other four all rose: exact p = 2 / 2⁴.
    assert blame["wilcoxon_p"] == pytest.approx(0.125)
    assert blame["dz"] == pytest.approx(1.2 / sd)
    assert (blame["improved"], blame["unchanged"], blame["worse"]) == (80, 20, 0)

    fear = row(report.tables["subscales"], key="fear")
    assert fear["change"] == 0 and fear["unchanged"] == 100
    assert fear["t_p"] is None and fear["wilcoxon_p"] is None and fear["dz"] is None

    # Overall: 15 of the 20 core items changed, so each trainee moved by 3/4 of Q - P.
    overall = row(report.tables["subscales"], key=OVERALL)
    assert overall["pre_mean"] == pytest.approx(2.8)
    assert overall["post_mean"] == pytest.approx((3 * 4.0 + 2.8) / 4)
    assert overall["change"] == pytest.approx(0.9)
    assert overall["t_p"] == pytest.approx(blame["t_p"])  # t does not depend on the scale

    # Every item of a subscale got the same answer: perfectly consistent, alpha = 1.
    alpha = row(report.tables["alpha"], key="blame")
    assert alpha["k"] == 5 and alpha["n_pre"] == 5
    assert alpha["alpha_pre"] == pytest.approx(1.0) and alpha["alpha_post"] == pytest.approx(1.0)

    # The police items are reported apart from the core subscales.
    p01 = row(report.tables["audience_items"], key="P01")
    assert (p01["n"], p01["pre_mean"], p01["post_mean"]) == (5, pytest.approx(2.8), pytest.approx(4.0))
    assert [r["key"] for r in report.tables["items"].rows] == [f"A{n:02d}" for n in range(1, 21)]

    # Knowledge: K01-K06 right before and after; K07-K12 wrong before, right after.
    k01 = row(report.tables["knowledge_items"], key="K01")
    k07 = row(report.tables["knowledge_items"], key="K07")
    assert (k01["pre_pct"], k01["post_pct"], k01["p"]) == (100, 100, None)
    assert (k07["pre_pct"], k07["post_pct"], k07["change"]) == (0, 100, 100)
    assert k07["p"] == pytest.approx(2 * 0.5**5)  # exact binomial, 5 discordant pairs
    assert k07["method"] == "exact binomial"
    total = row(report.tables["knowledge_total"], key="knowledge")
    assert (total["pre_mean"], total["post_mean"], total["change"]) == (50, 100, 50)

    # Participation and the trend.
    overview = report.tables["overview"].rows[0]
    assert [overview[k] for k in ("enrolled", "pre_done", "post_done", "matched")] == [5, 5, 5, 5]
    assert [(r["label"], r["n"]) for r in report.tables["trend"].rows] == [
        (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m"), 5)
    ]


def test_report_page_shows_figures_with_their_methods(app, client, auth, make_user, five):
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports").get_data(as_text=True)
    assert "Blame and moral judgement" in page  # subscale titles from the instrument
    assert "2.80 (0.84)" in page and "4.00 (0.71)" in page
    assert "+1.20 [+0.16; +2.24]" in page
    assert "80.0% / 20.0% / 0.0%" in page
    for key in ("mean_change", "t_p", "wilcoxon_p", "cohen_dz", "alpha", "mcnemar", "mean_ci"):
        assert str(escape(METHODS[key])) in page
    assert page.count("<svg") == 3 and "chart-funnel" in page and "chart-trend" in page
    assert "<script" not in page.split("</footer>")[0]


def test_report_page_in_vietnamese_uses_decimal_commas(client, auth, make_user, five):
    auth.login(make_user("staff", language="vi"))
    page = client.get("/reports").get_data(as_text=True)
    assert "Đổ lỗi và phán xét đạo đức" in page
    assert "2,80 (0,84)" in page and "+1,20 [+0,16; +2,24]" in page


def test_method_labels_are_the_stats_methods_word_for_word():
    assert {k: str(v) for k, v in METHOD_LABELS.items()} == METHODS


def test_unmatched_trainees_are_counted_apart(app, make_cohort, answer_survey):
    cohort = make_cohort(trainees=12)
    enrolments = enrolments_of(cohort)
    for e in enrolments[:6]:  # matched
        answer_survey(e, "pre", lambda item: 2)
        answer_survey(e, "post", lambda item: 4)
    for e in enrolments[6:11]:  # only before, with very different scores
        answer_survey(e, "pre", lambda item: 5)
    answer_survey(enrolments[11], "post", lambda item: 1)  # only after: one trainee
    with app.test_request_context("/?lang=en"):
        report = report_for()
    overall = row(report.tables["subscales"], key=OVERALL)
    assert (overall["n"], overall["pre_mean"], overall["post_mean"]) == (6, 2, 4)
    pre_only, post_only = report.tables["unmatched"].rows
    assert (pre_only["n"], pre_only["mean"]) == (5, 5)
    assert post_only["n"] is post_only["mean"] is not None and post_only["n"].reason == "small"
    totals = report.tables["overview"].rows[0]
    assert (totals["pre_done"], totals["post_done"], totals["matched"]) == (11, 7, 6)


def test_filters_select_cohorts_audience_province_and_dates(app, make_cohort, answer_survey):
    from datetime import date

    police = make_cohort(trainees=5, audience="police", province="ha-noi", start_date=date(2026, 1, 5))
    ngo = make_cohort(trainees=6, audience="ngo_cbo", province="ho-chi-minh", start_date=date(2026, 6, 1))
    for cohort, (a, b) in ((police, (2, 3)), (ngo, (3, 5))):
        for e in enrolments_of(cohort):
            answer_survey(e, "pre", lambda item, a=a: a)
            answer_survey(e, "post", lambda item, b=b: b)
    with app.test_request_context("/?lang=en"):

        def overall(**filters):
            r = row(report_for(**filters).tables["subscales"], key=OVERALL)
            return r["n"], r["change"]

        assert overall() == (11, pytest.approx((5 * 1 + 6 * 2) / 11))
        assert overall(audience="police") == (5, 1)
        assert overall(province="ho-chi-minh") == (6, 2)
        assert overall(cohort_ids=(police.id,)) == (5, 1)
        assert overall(date_from=date(2026, 2, 1)) == (6, 2)
        assert overall(date_to=date(2026, 2, 1)) == (5, 1)
        assert overall(org_type="ngo")[0] == 0  # make_cohort's trainees work for the police
        assert overall(facilitator_id=police.facilitators[0].id) == (5, 1)
        assert overall(sources=("paper",))[0] == 0
        assert overall(version_id=current_version().id)[0] == 11
        by_audience = report_for().tables["audiences_change"].rows
        assert [(r["key"], r["n"], r["change"]) for r in by_audience] == [
            ("ngo_cbo", 6, pytest.approx(2)),
            ("police", 5, pytest.approx(1)),
        ]


# ---- against scipy and statsmodels on a few hundred trainees --------------------------


def _core(items, subscale=None):
    return [
        i.key
        for i in items
        if i.kind == "likert" and i.audience == "all" and (subscale is None or i.subscale == subscale)
    ]


@pytest.mark.usefixtures("instrument_v1")  # written for the first instrument
def test_figures_match_scipy_and_statsmodels(app, make_cohort, bulk_surveys):
    may = datetime(2026, 5, 20, 20, tzinfo=UTC)  # 21 May in Vietnam
    cohort = make_cohort(name="Tập huấn diện rộng")
    data = bulk_surveys(cohort, 220, seed=7)
    data = bulk_surveys(cohort, 80, seed=8, submitted=may, data=data)
    bulk_surveys(cohort, 9, phases=("pre",), seed=9)  # unmatched: never in paired figures
    items = current_version().items
    scores = data.scores
    ids = data.enrolment_ids
    with app.test_request_context("/?lang=en"):
        report = report_for()

    def check(r, pre, post, diffs):
        assert r["n"] == len(pre) == 300
        assert r["pre_mean"] == pytest.approx(np.mean(pre))
        assert r["pre_sd"] == pytest.approx(np.std(pre, ddof=1))
        assert r["post_mean"] == pytest.approx(np.mean(post))
        assert r["post_sd"] == pytest.approx(np.std(post, ddof=1))
        assert r["change"] == pytest.approx(np.mean(diffs))
        low, high = DescrStatsW(diffs).tconfint_mean(0.05)
        assert (r["ci_low"], r["ci_high"]) == (pytest.approx(low), pytest.approx(high))
        assert r["t_p"] == pytest.approx(sps.ttest_rel(post, pre).pvalue, rel=1e-9)
        assert r["wilcoxon_p"] == pytest.approx(sps.wilcoxon(diffs).pvalue, rel=1e-9)
        assert r["dz"] == pytest.approx(np.mean(diffs) / np.std(diffs, ddof=1))
        assert r["improved"] == pytest.approx(100 * np.mean(diffs > 0))
        assert r["worse"] == pytest.approx(100 * np.mean(diffs < 0))

    for subscale in ("blame", "fear", "health", "rights", None):
        keys = _core(items, subscale)
        pre_sum = np.array([sum(scores[e]["pre"][k] for k in keys) for e in ids], float)
        post_sum = np.array([sum(scores[e]["post"][k] for k in keys) for e in ids], float)
        check(
            row(report.tables["subscales"], key=subscale or OVERALL),
            pre_sum / len(keys),
            post_sum / len(keys),
            (post_sum - pre_sum) / len(keys),
        )
        if subscale:
            for phase in ("pre", "post"):
                matrix = [[scores[e][phase][k] for k in keys] for e in ids]
                x = np.array(matrix, float)
                expected = (
                    len(keys)
                    / (len(keys) - 1)
                    * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
                )
                got = row(report.tables["alpha"], key=subscale)[f"alpha_{phase}"]
                assert got == pytest.approx(expected) == pytest.approx(cronbach_alpha(matrix))

    a12 = np.array([[scores[e]["pre"]["A12"], scores[e]["post"]["A12"]] for e in ids], float)
    check(row(report.tables["items"], key="A12"), a12[:, 0], a12[:, 1], a12[:, 1] - a12[:, 0])
    p02 = np.array([[scores[e]["pre"]["P02"], scores[e]["post"]["P02"]] for e in ids], float)
    check(row(report.tables["audience_items"], key="P02"), p02[:, 0], p02[:, 1], p02[:, 1] - p02[:, 0])

    for key in ("K01", "K05", "K12"):
        pre = np.array([scores[e]["pre"][key] for e in ids])
        post = np.array([scores[e]["post"][key] for e in ids])
        table = [
            [np.sum((pre == 1) & (post == 1)), np.sum((pre == 1) & (post == 0))],
            [np.sum((pre == 0) & (post == 1)), np.sum((pre == 0) & (post == 0))],
        ]
        discordant = table[0][1] + table[1][0]
        expected = sm_mcnemar(table, exact=discordant < 25, correction=True).pvalue
        r = row(report.tables["knowledge_items"], key=key)
        assert r["p"] == pytest.approx(expected, rel=1e-9)
        assert r["pre_pct"] == pytest.approx(100 * pre.mean())
        assert r["post_pct"] == pytest.approx(100 * post.mean())
    knowledge = [k for k in scores[ids[0]]["pre"] if k.startswith("K")]
    pre_pct = np.array([100 * np.mean([scores[e]["pre"][k] for k in knowledge]) for e in ids])
    post_pct = np.array([100 * np.mean([scores[e]["post"][k] for k in knowledge]) for e in ids])
    total = row(report.tables["knowledge_total"], key="knowledge")
    assert total["change"] == pytest.approx(np.mean(post_pct - pre_pct))
    assert total["t_p"] == pytest.approx(sps.ttest_rel(post_pct, pre_pct).pvalue, rel=1e-9)

    keys = _core(items)
    overall_pre = np.array([np.mean([scores[e]["pre"][k] for k in keys]) for e in ids])
    overall_post = np.array([np.mean([scores[e]["post"][k] for k in keys]) for e in ids])
    trend = report.tables["trend"].rows
    assert [(r["label"], r["n"]) for r in trend] == [("2026-03", 220), ("2026-05", 80)]
    assert trend[1]["pre_mean"] == pytest.approx(overall_pre[220:].mean())
    assert trend[1]["post_mean"] == pytest.approx(overall_post[220:].mean())
    assert report.tables["unmatched"].rows[0]["n"] == 9
    totals = report.tables["overview"].rows[0]
    assert (totals["enrolled"], totals["pre_done"], totals["matched"]) == (309, 309, 300)


def test_trend_periods_use_local_dates(app, make_cohort, bulk_surveys):
    cohort = make_cohort()
    # After-surveys at 20:00 UTC on 31 March: already 1 April in Vietnam.
    bulk_surveys(cohort, 5, submitted=datetime(2026, 3, 29, 20, tzinfo=UTC))
    bulk_surveys(cohort, 6, submitted=datetime(2026, 3, 29, 10, tzinfo=UTC))
    with app.test_request_context("/?lang=en"):
        months = report_for().tables["trend"].rows
        quarters = report_for(period="quarter").tables["trend"].rows
    assert [(r["label"], r["n"]) for r in months] == [("2026-03", 6), ("2026-04", 5)]
    assert [(r["label"], r["n"]) for r in quarters] == [("2026-Q1", 6), ("2026-Q2", 5)]
