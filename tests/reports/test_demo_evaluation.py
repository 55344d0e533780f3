"""`flask demo evaluation` seeds a programme whose three-wave report is complete."""

from sqlalchemy import func, select

from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.quizzes.models import SurveyResponse


def test_demo_evaluation_seeds_three_waves_and_the_report_shows_them(app, runner, client, auth, make_user):
    result = runner.invoke(args=["demo", "evaluation"])
    assert result.exit_code == 0, result.output
    counts = dict(
        db.session.execute(select(SurveyResponse.phase, func.count()).group_by(SurveyResponse.phase)).all()
    )
    trainees = db.session.scalar(select(func.count()).select_from(Enrolment))
    assert trainees == 60 and counts["pre"] == counts["post"] == 60
    assert 30 <= counts["follow-1"] < 60
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports/waves").get_data(as_text=True)
    assert 'data-waves="3"' in page and f"{counts['follow-1']} trainees answered all" in page
    assert "lost at follow-up" in page
    # Practice since the training: a table for each of the three audiences.
    for audience, first in (("police", "B01"), ("centre_staff", "B05"), ("ngo_cbo", "B08")):
        table = page.split(f'<table class="practice" data-practice="{audience}">')[1]
        assert f'data-row="{first}"' in table.split("</table>")[0]


def test_the_anonymous_cohort_pairs_by_codes_and_the_table_agrees_with_the_truth(
    app, runner, client, auth, make_user
):
    from lms.auth.models import User
    from lms.cohorts.models import Cohort
    from lms.privacy.models import IdentificationCode

    assert runner.invoke(args=["demo", "evaluation"]).exit_code == 0
    cohort = db.session.scalar(select(Cohort).where(Cohort.anonymous.is_(True)))
    followed = set(
        db.session.scalars(
            select(User.username)
            .join(Enrolment, Enrolment.user_id == User.id)
            .join(SurveyResponse, SurveyResponse.enrolment_id == Enrolment.id)
            .where(Enrolment.cohort_id == cohort.id, SurveyResponse.phase == "follow-1")
        )
    )
    mistyped = {f"eval3-{i + 1:02d}" for i in range(18) if i % 6 == 1} & followed
    assert mistyped, "the demo must mistype some codes among those who came back"
    auth.login(make_user("staff", language="en"))
    page = client.get(f"/reports/waves?cohort={cohort.id}").get_data(as_text=True)
    assert 'data-pairing="1"' in page

    def cell(wave, quality):
        return page.split(f'data-quality="{wave}-{quality}">')[1].split("</td>")[0]

    def shown(n):  # small counts are withheld (REPORT_MIN_N = 5)
        return str(n) if n == 0 or n >= 5 else "&lt;5"

    assert cell("follow-1", "exact") == shown(len(followed - mistyped))
    assert cell("follow-1", "tolerant") == shown(len(mistyped))
    assert cell("follow-1", "unmatched") == shown(18 - len(followed))
    assert cell("follow-1", "ambiguous") == "0"
    assert cell("post", "exact") == "18"
    # The codes are never shown: not even their hashes.
    for code in db.session.scalars(
        select(IdentificationCode).where(IdentificationCode.cohort_id == cohort.id)
    ):
        assert code.full not in page and code.full[:12] not in page
