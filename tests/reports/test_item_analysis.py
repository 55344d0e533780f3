"""Item analysis for programme staff: item–rest correlation and alpha if an item is deleted,
per subscale, checked against a computation by hand with numpy and scipy; a mis-keyed item is
flagged."""

import numpy as np
import pytest
from scipy import stats as sps
from sqlalchemy import select, update

from lms.extensions import db
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, SurveyItem
from lms.reports.queries import Filters
from lms.reports.services import build_report
from lms.reports.stats import item_analysis


def alpha_by_hand(x: np.ndarray) -> float:
    k = x.shape[1]
    item_variances = [np.var(x[:, j], ddof=1) for j in range(k)]
    return k / (k - 1) * (1 - sum(item_variances) / np.var(x.sum(axis=1), ddof=1))


def test_item_analysis_matches_a_computation_by_hand():
    rng = np.random.default_rng(7)
    trait = rng.integers(1, 6, size=40)
    x = np.clip(trait[:, None] + rng.integers(-1, 2, size=(40, 4)), 1, 5).astype(float)
    x[:, 3] = 6 - x[:, 3]  # one item keyed the wrong way round
    result = item_analysis(x.tolist())
    assert result.n == 40
    assert result.alpha == pytest.approx(alpha_by_hand(x))
    for j in range(4):
        rest = np.delete(x, j, axis=1).sum(axis=1)
        assert result.item_rest[j] == pytest.approx(sps.pearsonr(x[:, j], rest).statistic)
        assert result.alpha_if_deleted[j] == pytest.approx(alpha_by_hand(np.delete(x, j, axis=1)))
    assert result.item_rest[3] < 0 < min(result.item_rest[:3])
    assert result.alpha_if_deleted[3] > result.alpha  # the subscale is better without it


def test_undefined_figures_are_none_not_errors():
    constant = item_analysis([[3, 3, 4], [3, 2, 5], [3, 4, 4], [3, 5, 2]])
    assert constant.item_rest[0] is None and constant.alpha_if_deleted[0] is not None
    assert item_analysis([[1, 2], [2, 3]]).alpha is None  # fewer than three people


@pytest.fixture
def mis_keyed(app, make_cohort, bulk_surveys):
    """Sixty trainees; then item A21's stored scores are turned round, as a mis-keyed import
    or a broken translation would leave them."""
    cohort = make_cohort()
    data = bulk_surveys(cohort, 60, seed=11)
    data.cohort = cohort
    item_ids = db.session.scalars(
        select(SurveyItem.id).where(SurveyItem.key == "A21", SurveyItem.version_id == current_version().id)
    ).all()
    db.session.execute(update(Answer).where(Answer.item_id.in_(item_ids)).values(score=6 - Answer.score))
    db.session.commit()
    for phases in data.scores.values():
        for scores in phases.values():
            scores["A21"] = 6 - scores["A21"]
    return data


def test_report_item_analysis_flags_the_mis_keyed_item(app, mis_keyed):
    version = current_version()
    blame = [
        i.key for i in version.items if i.kind == "likert" and i.audience == "all" and i.subscale == "blame"
    ]
    with app.test_request_context("/?lang=en"):
        table = build_report(Filters(), item_analysis=True).tables["item_analysis"]
    rows = {(r["label"], r["phase"]): r for r in table.rows}
    for phase, label in (("pre", "Before the training"), ("post", "After the training")):
        x = np.array(
            [[mis_keyed.scores[e][phase][k] for k in blame] for e in mis_keyed.enrolment_ids], dtype=float
        )
        for j, key in enumerate(blame):
            found = rows[(key, label)]
            rest = np.delete(x, j, axis=1).sum(axis=1)
            assert found["n"] == 60 and found["group"] == "Blame and moral judgement"
            assert found["item_rest"] == pytest.approx(sps.pearsonr(x[:, j], rest).statistic)
            assert found["alpha_if_deleted"] == pytest.approx(alpha_by_hand(np.delete(x, j, axis=1)))
            assert found["alpha"] == pytest.approx(alpha_by_hand(x))
            assert bool(found["warning"]) == (key == "A21")
    assert any("A21 runs against its subscale" in note for note in table.notes)
    assert not any("A01 runs" in note for note in table.notes)


def test_only_programme_staff_see_the_item_analysis(client, auth, make_user, mis_keyed):
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports").text
    assert 'id="table-item_analysis"' in page and "A21 runs against its subscale" in page
    auth.logout()
    auth.login(mis_keyed.cohort.facilitators[0])
    page = client.get("/reports").text
    assert 'id="table-subscales"' in page  # the facilitator's own report, without it
    assert 'id="table-item_analysis"' not in page and "A21" not in page.split("table-items")[0]
