"""The statistics a reviewer asks for: t(df), W and z, dz with its CI, counts, McNemar b and c,
Holm-adjusted p, the minimum-items rule, p to three significant figures, one unit per row."""

import io
import math

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats as sps
from sqlalchemy import delete, select
from statsmodels.stats.multitest import multipletests

from lms.extensions import db
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse
from lms.reports.figures import OVERALL
from lms.reports.stats import dz_interval, holm, paired_change, wilcoxon_w_z
from lms.reports.tables import p_text
from tests.conftest import get_file
from tests.reports.conftest import report_for, row
from tests.reports.helpers import html_table
from tests.reports.test_stats import POST, PRE

FEAR = ("F01", "F02", "F03", "F04")


def test_t_df_w_and_z_match_scipy():
    r = paired_change(PRE, POST)
    t = sps.ttest_rel(POST, PRE)
    assert (r.t, r.df) == (pytest.approx(t.statistic), t.df)
    approx = sps.wilcoxon(POST, PRE, zero_method="wilcox", method="approx")
    assert r.wilcoxon_w == pytest.approx(approx.statistic)
    assert r.wilcoxon_z == pytest.approx(abs(approx.zstatistic))  # scores rose: z > 0
    fell = paired_change(POST, PRE)
    assert fell.wilcoxon_z == pytest.approx(-r.wilcoxon_z) and fell.t == pytest.approx(-r.t)
    # the Pratt variant would rank the zeros too: a different W, so which one is stated
    assert sps.wilcoxon(POST, PRE, zero_method="pratt").statistic != r.wilcoxon_w


def test_w_and_z_with_zeros_and_ties_match_scipy():
    d = np.array([0, 0, 1, 1, -1, 2, 2, 2, -0.5, 3, 0, 1.5, 1, 1, -2, 2.5])
    w, z = wilcoxon_w_z(d)
    approx = sps.wilcoxon(d, zero_method="wilcox", method="approx")
    assert w == pytest.approx(approx.statistic) and abs(z) == pytest.approx(abs(approx.zstatistic))


def test_dz_interval_inverts_the_noncentral_t():
    r = paired_change(PRE, POST)
    n = 30
    t = r.cohen_dz * math.sqrt(n)
    assert sps.nct.cdf(t, n - 1, r.dz_low * math.sqrt(n)) == pytest.approx(0.975, abs=1e-7)
    assert sps.nct.cdf(t, n - 1, r.dz_high * math.sqrt(n)) == pytest.approx(0.025, abs=1e-7)
    # close to the large-sample interval dz ± 1.96 √(1/n + dz²/2n)
    se = math.sqrt(1 / n + r.cohen_dz**2 / (2 * n))
    assert r.dz_low == pytest.approx(r.cohen_dz - 1.96 * se, abs=0.02)
    assert r.dz_high == pytest.approx(r.cohen_dz + 1.96 * se, abs=0.02)
    low, high = dz_interval(-r.cohen_dz, n)
    assert (low, high) == (pytest.approx(-r.dz_high), pytest.approx(-r.dz_low))


def test_holm_matches_statsmodels():
    p = [0.01, 0.04, 0.03, 0.005, 0.5, None, 0.2, 0.0001]
    tested = [x for x in p if x is not None]
    expected = iter(multipletests(tested, method="holm")[1])
    assert holm(p) == [None if x is None else pytest.approx(next(expected)) for x in p]
    assert holm([]) == []


@pytest.mark.parametrize(
    ("p", "exact", "threshold"),
    [
        (0.04321, "0.0432", "0.0432"),
        (0.5, "0.500", "0.500"),
        (0.001234, "0.00123", "0.00123"),
        (0.000123, "0.000123", "< 0.001"),
        (1.234e-8, "1.23 × 10⁻⁸", "< 0.001"),
        (0.9999, "1.00", "1.00"),
        (0.0999, "0.0999", "0.0999"),
    ],
)
def test_p_values_to_three_significant_figures(app, p, exact, threshold):
    with app.test_request_context("/?lang=en"):
        assert p_text(p, "exact") == exact
        assert p_text(p, "threshold") == threshold


@pytest.fixture
def partial(app, make_cohort, bulk_surveys):
    """30 trainees; six of them left F03 and F04 blank after the training (2 of 4 fear items)."""
    data = bulk_surveys(make_cohort(name="Đợt một"), 30, seed=11)
    left = data.enrolment_ids[:6]
    blank = select(SurveyItem.id).where(SurveyItem.key.in_(("F03", "F04")))
    post = select(SurveyResponse.id).where(
        SurveyResponse.enrolment_id.in_(left), SurveyResponse.phase == "post"
    )
    db.session.execute(delete(Answer).where(Answer.item_id.in_(blank), Answer.response_id.in_(post)))
    db.session.commit()
    for e in left:
        for key in ("F03", "F04"):
            del data.scores[e]["post"][key]
    return data


def fear_scores(data, share):
    pre, post = [], []
    for e in data.enrolment_ids:
        a = [data.scores[e]["pre"][k] for k in FEAR if k in data.scores[e]["pre"]]
        b = [data.scores[e]["post"][k] for k in FEAR if k in data.scores[e]["post"]]
        if len(a) >= math.ceil(share * 4) and len(b) >= math.ceil(share * 4):
            pre.append(np.mean(a))
            post.append(np.mean(b))
    return pre, post


def test_minimum_items_rule_scores_complete_enough_answers_and_shows_who_is_left_out(app, partial):
    with app.test_request_context("/?lang=en"):
        report = report_for()
    fear = row(report.tables["subscales"], key="fear")
    pre, post = fear_scores(partial, 0.8)
    assert fear["n"] == 24 == len(pre)
    expected = sps.ttest_rel(post, pre)
    assert fear["change"] == pytest.approx(np.mean(post) - np.mean(pre))
    assert (fear["t"], fear["df"], fear["t_p"]) == (
        pytest.approx(expected.statistic),
        23,
        pytest.approx(expected.pvalue),
    )
    d = np.array(post) - np.array(pre)
    assert fear["improved_n"] == int((d > 1e-9).sum()) and fear["improved"] == pytest.approx(
        100 * fear["improved_n"] / 24
    )
    assert fear["improved_n"] + fear["unchanged_n"] + fear["worse_n"] == 24
    rule = row(report.tables["min_items"], key="fear")
    assert (rule["asked"], rule["needed"], rule["excluded"]) == (4, 4, 6)
    assert row(report.tables["min_items"], key=OVERALL)["excluded"] == 0


def test_minimum_items_rule_is_configurable(app, partial):
    app.config["REPORT_MIN_ITEM_SHARE"] = 0.5
    with app.test_request_context("/?lang=en"):
        report = report_for()
    pre, post = fear_scores(partial, 0.5)
    fear = row(report.tables["subscales"], key="fear")
    assert fear["n"] == 30 and fear["change"] == pytest.approx(np.mean(post) - np.mean(pre))
    assert row(report.tables["min_items"], key="fear")["excluded"] == 0
    assert any("at least 50%" in m for m in report.methods)


def test_holm_and_mcnemar_counts_in_the_report(app, make_cohort, bulk_surveys):
    data = bulk_surveys(make_cohort(name="Đợt hai"), 40, seed=5)
    with app.test_request_context("/?lang=en"):
        report = report_for()
    items = [r for r in report.tables["items"].rows if isinstance(r["t_p"], float)]
    assert len(items) == 34
    adjusted = multipletests([r["t_p"] for r in items], method="holm")[1]
    assert [r["t_p_holm"] for r in items] == pytest.approx(list(adjusted))
    knowledge = report.tables["knowledge_items"].rows
    assert knowledge and all(isinstance(r["p_holm"], float) for r in knowledge)
    assert [r["p_holm"] for r in knowledge] == pytest.approx(
        list(multipletests([r["p"] for r in knowledge], method="holm")[1])
    )
    k = knowledge[0]
    before = [data.scores[e]["pre"][k["key"]] for e in data.enrolment_ids]
    after = [data.scores[e]["post"][k["key"]] for e in data.enrolment_ids]
    assert k["b"] == sum(1 for x, y in zip(before, after, strict=True) if x and not y)
    assert k["c"] == sum(1 for x, y in zip(before, after, strict=True) if y and not x)
    assert any("Holm" in m for m in report.methods)
    assert any("not Pratt" in m for m in report.methods)


def test_no_empty_rows_and_an_overall_label_true_to_what_was_asked(app, make_cohort, bulk_surveys):
    bulk_surveys(make_cohort(name="Đợt ba"), 12, keys={"A01", "A21", "F01", "F02"})
    with app.test_request_context("/?lang=en"):
        report = report_for()
    assert [r["key"] for r in report.tables["items"].rows] == ["A01", "A21", "F01", "F02"]
    assert report.tables["knowledge_items"].rows == []
    overall = row(report.tables["subscales"], key=OVERALL)
    assert overall["label"] == "Overall (4 of 34 core items asked)"


def test_page_shows_t_df_w_z_and_exact_p(app, client, auth, make_user, make_cohort, bulk_surveys):
    bulk_surveys(make_cohort(name="Đợt bốn"), 30, seed=3)
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports").get_data(as_text=True)
    subscales = html_table(page, "subscales")
    assert {"t (df)", "Wilcoxon W (z)", "Cohen's dz [95% CI]", "p (Holm)"} & set(
        html_table(page, "items")[0]
    ) == {"t (df)", "Wilcoxon W (z)", "Cohen's dz [95% CI]", "p (Holm)"}
    overall = subscales[-1]
    assert overall["t (df)"].endswith("(29)")
    with app.test_request_context("/?lang=en"):
        expected = row(report_for().tables["subscales"], key=OVERALL)
        assert overall["Paired t-test p"] == p_text(expected["t_p"], "exact")
    assert "< 0.001" not in {r["Paired t-test p"] for r in html_table(page, "items")}
    items = html_table(client.get("/reports?p_values=threshold").get_data(as_text=True), "items")
    assert "< 0.001" in {r["Paired t-test p"] for r in items}
    app.config["REPORT_P_STYLE"] = "threshold"
    assert "< 0.001" in {
        r["Paired t-test p"] for r in html_table(client.get("/reports").get_data(as_text=True), "items")
    }


def test_excel_knowledge_row_has_one_unit(app, client, auth, make_user, make_cohort, bulk_surveys):
    bulk_surveys(make_cohort(name="Đợt năm"), 30, seed=9)
    auth.login(make_user("staff", language="en"))
    book = load_workbook(io.BytesIO(get_file(client, "/reports/export.xlsx").data))
    sheet = [[c for c in r] for r in book["Knowledge"].iter_rows()]
    title = next(i for i, r in enumerate(sheet) if r[0].value == "Knowledge check: overall score")
    header = [c.value for c in sheet[title + 1]]
    cells = dict(zip(header, sheet[title + 2], strict=False))
    with app.test_request_context("/?lang=en"):
        total = report_for().tables["knowledge_total"].rows[0]
    for name, key in (
        ("Before: mean (%)", "pre_mean"),
        ("Before: SD (%)", "pre_sd"),
        ("Mean change", "change"),
        ("95% CI low", "ci_low"),
    ):
        assert cells[name].value == pytest.approx(total[key] / 100), name
        assert "%" in cells[name].number_format
