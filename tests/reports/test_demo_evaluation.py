"""`flask demo evaluation` seeds a programme whose three-wave report is complete."""

from sqlalchemy import func, select

from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.quizzes.models import SurveyResponse


def test_demo_evaluation_seeds_three_waves_and_the_report_shows_them(app, runner, client, auth,
                                                                     make_user):
    result = runner.invoke(args=["demo", "evaluation"])
    assert result.exit_code == 0, result.output
    counts = dict(db.session.execute(select(SurveyResponse.phase, func.count())
                                     .group_by(SurveyResponse.phase)).all())
    trainees = db.session.scalar(select(func.count()).select_from(Enrolment))
    assert trainees == 60 and counts["pre"] == counts["post"] == 60
    assert 30 <= counts["follow-1"] < 60
    auth.login(make_user("staff", language="en"))
    page = client.get("/reports/waves").get_data(as_text=True)
    assert 'data-waves="3"' in page and f"{counts['follow-1']} trainees answered all" in page
    assert "lost at follow-up" in page
