"""The programme staff home page: headline figures, with small groups hidden."""

from sqlalchemy import select

from lms.cohorts.models import Enrolment
from lms.extensions import db


def test_staff_home_before_any_survey(client, auth, make_user):
    auth.login(make_user("staff", language="en"))
    page = client.get("/").get_data(as_text=True)
    assert "Programme overview across all cohorts." in page
    assert "Figures appear once at least 5 trainees" in page
    assert 'href="/reports"' in page and 'href="/reports/import"' in page


def test_staff_home_shows_the_overall_change(client, auth, make_user, make_cohort, answer_survey):
    cohort = make_cohort(trainees=6, name="Lớp tập huấn Cần Thơ")
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.id)
    ).all()
    for n, enrolment in enumerate(enrolments):
        answer_survey(enrolment, "pre", lambda item: 2)
        answer_survey(enrolment, "post", lambda item, n=n: 3 + n % 2)
    auth.login(make_user("staff", language="en"))
    page = client.get("/").get_data(as_text=True)
    assert "Overall attitude score of 6 matched trainees: 2.00 before, 3.50 after" in page
    assert "Mean change +1.50" in page
    assert "Lớp tập huấn Cần Thơ" in page


def test_staff_home_hides_small_numbers(client, auth, make_user, make_cohort, answer_survey):
    cohort = make_cohort(trainees=3, name="Lớp nhỏ")
    enrolment = db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id)).first()
    answer_survey(enrolment, "pre", lambda item: 2)
    auth.login(make_user("staff", language="en"))
    page = client.get("/").get_data(as_text=True)
    assert page.count("fewer than 5") >= 2  # enrolled and answered before
    assert "Figures appear once at least 5 trainees" in page


def test_staff_home_headline_describes_one_survey_version(client, auth, make_user, two_versions):
    """Scores of two versions hold different items: the headline pairs within the newest."""
    auth.login(make_user("staff", language="en"))
    page = client.get("/").get_data(as_text=True)
    newest = two_versions["second"].number
    assert f"Overall attitude score of {len(two_versions['people'][newest])} matched" in page
    assert f"Survey version {newest}, the newest answered" in page
