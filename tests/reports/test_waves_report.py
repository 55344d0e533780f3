"""The three-wave report through the app: figures for the trainees who answered all three
surveys, shown only when the group is large enough; a facilitator sees only their cohorts."""

from sqlalchemy import select

from lms.cohorts.models import Enrolment
from lms.cohorts.services import set_cohort_modules
from lms.extensions import db


def _cohort_with_waves(make_cohort, answer_survey, trainees, followed):
    cohort = make_cohort(trainees=trainees)
    set_cohort_modules(cohort, [], [])
    cohort.schedule_wave("follow-1", cohort.end_date)
    cohort.set_gate("follow-1", True)
    db.session.commit()
    enrolments = list(
        db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id))
    )
    for index, enrolment in enumerate(enrolments):
        answer_survey(enrolment, "pre", likert=lambda item, i=index: 2 + i % 2)
        answer_survey(enrolment, "post", likert=lambda item, i=index: 4 + i % 2)
        if index < followed:
            answer_survey(enrolment, "follow-1", likert=lambda item, i=index: 3 + i % 2)
    return cohort


def test_staff_see_three_waves_and_the_attrition_table(
    app, client, auth, make_user, make_cohort, answer_survey
):
    cohort = _cohort_with_waves(make_cohort, answer_survey, trainees=12, followed=6)
    auth.login(make_user("staff", language="en"))
    page = client.get(f"/reports/waves?cohort={cohort.id}").get_data(as_text=True)
    assert 'data-waves="3"' in page and "6 trainees answered all three surveys" in page
    # Overall: before 2.5, after 4.5, follow-up 3.5: half the change kept.
    assert "2.50" in page and "4.50" in page and "3.50" in page and "50%" in page
    assert "lost at follow-up" in page and "Holm" in page
    # A row per subscale and per core attitude item, after the overall score.
    rows = page.split('data-row="')[1:]
    assert rows[0].startswith("_overall") and any(r.startswith("item:") for r in rows)
    assert sum(not r.startswith(("item:", "_overall")) for r in rows) >= 2


def test_a_small_group_is_withheld(app, client, auth, make_user, make_cohort, answer_survey):
    cohort = _cohort_with_waves(make_cohort, answer_survey, trainees=8, followed=3)
    auth.login(make_user("staff", language="en"))
    page = client.get(f"/reports/waves?cohort={cohort.id}").get_data(as_text=True)
    assert 'data-waves="3"' not in page and 'data-withheld="small"' in page
    assert "2.50" not in page


def test_a_facilitator_sees_only_their_own_cohorts(app, client, auth, make_user, make_cohort, answer_survey):
    cohort = _cohort_with_waves(make_cohort, answer_survey, trainees=6, followed=6)
    auth.login(make_user("facilitator", language="en"))
    page = client.get(f"/reports/waves?cohort={cohort.id}").get_data(as_text=True)
    assert cohort.name not in page and 'data-waves="3"' not in page
    assert client.get("/reports/waves").status_code == 200
    auth.logout()
    auth.login(cohort.facilitators[0])
    assert 'data-waves="3"' in client.get("/reports/waves").get_data(as_text=True)
