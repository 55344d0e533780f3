"""Two instrument versions side by side: answers to the first stay valid and pair within it,
the second pairs within itself, and the report says which version each figure describes."""

import numpy as np
import pytest
from scipy import stats as sps
from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.instrument import current_version
from lms.quizzes.models import Answer, SurveyItem, SurveyResponse
from lms.quizzes.services import items_for
from lms.reports.figures import OVERALL
from tests.conftest import get_file
from tests.reports.conftest import enrolments_of, keyed, report_for, row


def expected_means(enrolment, phase, version, scores) -> dict[str, float]:
    """By hand: a trainee's mean keyed score per core subscale and overall, from the items
    they were shown (core = answered by everyone; audience items never count)."""
    core = [i for i in items_for(enrolment, phase, version) if i.kind == "likert" and i.audience == "all"]
    means = {
        s: float(np.mean([scores(i) for i in core if i.subscale == s])) for s in {i.subscale for i in core}
    }
    means[OVERALL] = float(np.mean([scores(i) for i in core]))
    return means


def check_against_scipy(found: dict, pre: list[float], post: list[float]) -> None:
    pre, post = np.array(pre), np.array(post)
    assert found["n"] == len(pre)
    assert found["pre_mean"] == pytest.approx(pre.mean())
    assert found["post_mean"] == pytest.approx(post.mean())
    assert found["change"] == pytest.approx((post - pre).mean())
    difference = post - pre
    if np.ptp(difference) > 0:
        assert found["t_p"] == pytest.approx(sps.ttest_rel(post, pre).pvalue)
        low, high = sps.t.interval(0.95, len(pre) - 1, loc=difference.mean(), scale=sps.sem(difference))
        assert (found["ci_low"], found["ci_high"]) == (pytest.approx(low), pytest.approx(high))


def test_each_version_pairs_within_itself_and_is_reported_apart(app, two_versions):
    first, second = two_versions["first"], two_versions["second"]
    late = two_versions["people"][first.number][6][0]
    late_post = db.session.scalar(
        select(SurveyResponse).where(SurveyResponse.enrolment_id == late.id, SurveyResponse.phase == "post")
    )
    assert late_post.version_id == first.id  # the new version did not break the pair
    with app.test_request_context("/?lang=en"):
        report = report_for()
        chosen = report_for(version_id=first.id)
    versions = report.tables["versions"]
    assert {r["group"] for r in versions.rows} == {"Version 1", "Version 2"}
    for version in (first, second):
        subscales = [s["id"] for s in version.subscales]
        expected = {key: ([], []) for key in [*subscales, OVERALL]}
        for enrolment, n in two_versions["people"][version.number]:
            before = expected_means(enrolment, "pre", version, keyed(n, "pre"))
            after = expected_means(enrolment, "post", version, keyed(n, "post"))
            for key in expected:
                expected[key][0].append(before[key])
                expected[key][1].append(after[key])
        for key, (pre, post) in expected.items():
            check_against_scipy(row(versions, key=f"{version.number}:{key}"), pre, post)
    # The first instrument's "fear" and the second's are different items: never pooled.
    assert row(versions, key="1:fear")["n"] == 7 and row(versions, key="2:fear")["n"] == 6
    assert not any(r["key"].startswith("1:") and r["key"].endswith("plhiv") for r in versions.rows)
    # Without a version filter the attitude figures describe the newest version, and say so.
    assert row(report.tables["subscales"], key=OVERALL)["n"] == 6
    assert row(report.tables["subscales"], key="plhiv")["n"] == 6
    notes = " ".join(next(s for s in report.sections if s.key == "attitudes").notes)
    assert "survey version 2, the newest answered" in notes
    # Choosing the first version shows its seven pairs and its own subscales.
    assert row(chosen.tables["subscales"], key=OVERALL)["n"] == 7
    assert [r["key"] for r in chosen.tables["subscales"].rows] == [
        "blame",
        "fear",
        "health",
        "rights",
        OVERALL,
    ]
    assert "survey version 1 (chosen in the filters)" in " ".join(
        next(s for s in chosen.sections if s.key == "attitudes").notes
    )
    assert ("Survey version", "1") in chosen.description


def test_the_report_page_names_the_version_of_its_figures(client, auth, make_user, two_versions):
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports").text
    assert "Attitude change within each survey version" in page
    assert "survey version 2, the newest answered in this report" in page


def test_historical_import_takes_not_applicable_and_dont_know(app, make_user):
    import csv
    import io

    from lms.reports.importer import check_import, commit_import

    version = current_version()
    # Practice questions are asked at follow-up waves only: no column of a historical import.
    items = {i.key: i for i in version.items if i.audience in ("all", "police") and i.kind != "practice"}
    row = {
        "cohort_name": "Công an xã (2026)",
        "audience": "police",
        "province": "ha-noi",
        "start_date": "2026-03-02",
        "trainee_ref": "CA-01",
        "org_type": "police",
        "phase": "pre",
        "date": "2026-03-02",
    }
    for key, item in items.items():
        row[key] = 3 if item.kind != "knowledge" else 1
    row["Q01"], row["K13"] = 0, len(items["K13"].options_vi) + 1  # not applicable, don't know

    def as_csv(rows):
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode("utf-8-sig")

    with app.test_request_context("/?lang=en"):
        bad, _rows = check_import("history.csv", as_csv([{**row, "Q02": 7, "A01": 0}]), version)
        assert any("Q02 must be a whole number from 1 to 5, or 0" in p for p in bad.problems)
        assert any("A01 must be a whole number from 1 to 5." in p for p in bad.problems)
        practice, _rows = check_import("history.csv", as_csv([{**row, "B01": 2}]), version)
        assert any("B01 is neither one of the expected columns" in p for p in practice.problems), (
            practice.problems
        )
        plan, _rows = check_import("history.csv", as_csv([row]), version)
        assert plan.ok, plan.problems
        commit_import(plan, version, make_user("staff"), "history.csv")
    db.session.commit()
    stored = {
        key: (value, score)
        for key, value, score in db.session.execute(
            select(SurveyItem.key, Answer.value, Answer.score).join(Answer, Answer.item_id == SurveyItem.id)
        )
    }
    assert stored["Q01"] == (0, None) and stored["K13"] == (4, 0)


def test_dont_know_and_not_applicable_are_reported_apart(app, client, auth, make_user, make_cohort):
    from lms.quizzes.services import submit_survey

    cohort = make_cohort(trainees=5)
    people = enrolments_of(cohort)
    for n, enrolment in enumerate(people):
        for phase, dont_know_below, not_applicable_below, ticked in (("pre", 3, 2, 2), ("post", 1, 1, 4)):
            answers = {}
            for item in items_for(enrolment, phase):
                if item.kind == "knowledge":
                    answers[item.id] = item.dont_know_value if n < dont_know_below else item.answer
                elif item.kind == "policy":
                    answers[item.id] = 0 if n < not_applicable_below else ticked
                else:
                    answers[item.id] = 3
            submit_survey(enrolment, phase, answers)
    with app.test_request_context("/?lang=en"):
        report = report_for()
    k13 = row(report.tables["dont_know"], key="K13")
    assert (k13["n"], k13["pre_pct"], k13["post_pct"]) == (5, 60, 20)
    knowledge = row(report.tables["knowledge_total"], key="knowledge")
    assert knowledge["pre_mean"] == pytest.approx(40) and knowledge["post_mean"] == 80
    policy = {(r["label"][:3], r["phase"]): r for r in report.tables["policy_items"].rows}
    q01, q02 = policy[("Q01", "Before the training")], policy[("Q02", "After the training")]
    assert (q01["n"], q01["na_pct"], q01["mean"]) == (5, 40, 2)  # Q01: agreeing is the key
    assert (q02["n"], q02["na_pct"], q02["mean"]) == (5, 20, 2)  # Q02 is reverse-keyed: 6 - 4
    # Policy answers are in no attitude score: every core item was ticked 3 (keyed 3).
    overall = row(report.tables["subscales"], key=OVERALL)
    assert overall["pre_mean"] == overall["post_mean"] == 3
    assert not any(r["key"].startswith("Q") for r in report.tables["items"].rows)
    auth.login(make_user("staff", language="en"))
    for fmt in ("csv", "xlsx", "pdf"):
        assert get_file(client, f"/reports/export.{fmt}").status_code == 200
