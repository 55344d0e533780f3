"""Surveys answered without an account count in the reports, paired by personal code."""

from lms.cohorts.services import set_cohort_modules
from lms.extensions import db
from lms.reports.figures import OVERALL
from tests.cohorts.test_anonymous import answer_anonymously, fresh
from tests.reports.conftest import report_for, row

LETTERS = "ABCDEFGHJKLM"  # twelve respondents, twelve codes


def _anonymous_cohort_with_waves(app, make_cohort, followed=6):
    """Twelve people answer before (2 or 3 on every item), after (4 or 5) and, the first
    `followed`, at follow-up (3 or 4), each on a new phone, with no account. One of them
    mistypes an element of the code after the training: a tolerant pair."""
    cohort = make_cohort(anonymous=True)
    set_cohort_modules(cohort, [], [])
    cohort.schedule_wave("follow-1", cohort.end_date)
    cohort.set_gate("follow-1", True)
    db.session.commit()
    for index, mother in enumerate(LETTERS):
        answer_anonymously(fresh(app), cohort, "pre", lambda item, i=index: 2 + i % 2, mother=mother)
        answer_anonymously(
            fresh(app),
            cohort,
            "post",
            lambda item, i=index: 4 + i % 2,
            mother=mother,
            siblings=5 if index == 0 else 1,
        )
        if index < followed:
            answer_anonymously(fresh(app), cohort, "follow-1", lambda item, i=index: 3 + i % 2, mother=mother)
    return cohort


def test_the_main_report_pairs_anonymous_surveys_by_code(app, make_cohort):
    cohort = _anonymous_cohort_with_waves(app, make_cohort, followed=0)
    with app.test_request_context("/?lang=en"):
        report = report_for(cohort_ids=(cohort.id,))
    overview = report.tables["overview"].rows[0]
    assert [overview[k] for k in ("enrolled", "pre_done", "post_done", "matched")] == [12, 12, 12, 12]
    overall = row(report.tables["subscales"], key=OVERALL)
    assert (overall["n"], overall["pre_mean"], overall["post_mean"]) == (12, 2.5, 4.5)


def test_the_waves_report_pairs_three_anonymous_waves_by_code(app, client, auth, make_user, make_cohort):
    cohort = _anonymous_cohort_with_waves(app, make_cohort, followed=6)
    auth.login(make_user("staff", language="en"))
    page = client.get(f"/reports/waves?cohort={cohort.id}").get_data(as_text=True)
    assert 'data-waves="3"' in page and "6 trainees answered all three surveys" in page
    assert "2.50" in page and "4.50" in page and "3.50" in page and "50%" in page
    # The match-quality table: 11 exact and 1 tolerant pair (too few to show) before -> after.
    assert 'data-quality="post-exact">11<' in page
    assert 'data-quality="post-tolerant">&lt;5<' in page
    assert 'data-quality="follow-1-exact">6<' in page
