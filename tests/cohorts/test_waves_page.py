"""A facilitator schedules follow-up waves, opens one early, types in paper answers for it,
and prints the come-back slip; bad input is refused with a message and changes nothing."""

import subprocess

from sqlalchemy import select

from lms.cohorts.models import Enrolment
from lms.cohorts.services import set_cohort_modules
from lms.cohorts.waves import months_after
from lms.extensions import db


def test_months_after_keeps_the_day_or_takes_the_last_of_a_short_month():
    from datetime import date

    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_schedule_open_and_slip(app, client, auth, make_cohort, answer_survey, tmp_path):
    cohort = make_cohort(trainees=2)
    set_cohort_modules(cohort, [], [])
    db.session.commit()
    facilitator = cohort.facilitators[0]
    enrolments = list(db.session.scalars(select(Enrolment).where(Enrolment.cohort_id == cohort.id)))
    for enrolment in enrolments:
        answer_survey(enrolment, "pre")
    answer_survey(enrolments[0], "post")
    auth.login(facilitator)

    page = client.post(f"/cohorts/{cohort.id}/waves", data={"follow-1": "6", "follow-2": "3"})
    assert page.status_code == 422 and "second follow-up must come after" in page.get_data(as_text=True)
    page = client.post(f"/cohorts/{cohort.id}/waves", data={"follow-1": "ba"})
    assert page.status_code == 422
    db.session.expire_all()
    assert cohort.wave_date("follow-1") is None

    assert (
        client.post(f"/cohorts/{cohort.id}/waves", data={"follow-1": "3", "follow-2": "6"}).status_code == 302
    )
    db.session.expire_all()
    assert cohort.wave_date("follow-1") == months_after(cohort.end_date, 3)
    page = client.get(f"/cohorts/{cohort.id}/waves").get_data(as_text=True)
    assert "Follow-up survey" in page

    # Opened early: the trainee who answered after the training may answer it now.
    client.post(f"/cohorts/{cohort.id}/waves", data={"action": "open-follow-1"})
    grid = client.get(f"/cohorts/{cohort.id}/paper/follow-1")
    assert grid.status_code == 200
    answer_survey(enrolments[0], "follow-1", source="paper")
    page = client.get(f"/cohorts/{cohort.id}/waves").get_data(as_text=True)
    assert 'data-count="follow-1-done">1<' in page

    slip = client.get(f"/cohorts/{cohort.id}/waves/come-back.pdf")
    assert slip.status_code == 200 and slip.mimetype == "application/pdf"
    path = tmp_path / "slip.pdf"
    path.write_bytes(slip.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert cohort.name in text and "Follow-up survey" in text
    png = tmp_path / "slip.png"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(png.with_suffix("")),
        ],
        check=True,
    )
    codes = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True).stdout
    assert "/login" in codes


def test_a_trainee_cannot_schedule_and_another_facilitator_cannot_see(
    app, client, auth, make_cohort, make_user
):
    cohort = make_cohort(trainees=1)
    auth.login(make_user("facilitator"))
    assert client.post(f"/cohorts/{cohort.id}/waves", data={"follow-1": "3"}).status_code == 404
    db.session.expire_all()
    assert cohort.wave_date("follow-1") is None


def test_paper_sheets_of_a_follow_up_are_typed_into_the_same_grid(
    app, client, auth, make_cohort, answer_survey
):
    from lms.quizzes.models import SurveyResponse
    from lms.quizzes.services import items_for

    cohort = make_cohort(trainees=1)
    set_cohort_modules(cohort, [], [])
    cohort.schedule_wave("follow-1", months_after(cohort.end_date, 3))
    db.session.commit()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id))
    answer_survey(enrolment, "pre")
    answer_survey(enrolment, "post")
    auth.login(cohort.facilitators[0])
    assert f"/cohorts/{cohort.id}/paper/follow-1" in client.get(f"/cohorts/{cohort.id}/paper").text
    row = {
        f"cell-{enrolment.id}-{item.key}": "B" if item.kind in ("knowledge", "practice") else "3"
        for item in items_for(enrolment, "follow-1")
    }
    response = client.post(f"/cohorts/{cohort.id}/paper/follow-1", data=row)
    assert response.status_code == 302
    saved = db.session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.enrolment_id == enrolment.id, SurveyResponse.phase == "follow-1"
        )
    )
    pre = db.session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.enrolment_id == enrolment.id, SurveyResponse.phase == "pre"
        )
    )
    assert saved.source == "paper" and saved.version_id == pre.version_id
