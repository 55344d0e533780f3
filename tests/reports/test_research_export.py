"""The research export on the current instrument: its policy items may be answered "not my role"."""

import csv
import io

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import NOT_APPLICABLE, Answer, SurveyItem
from tests.conftest import follow_job


def test_research_export_tells_not_applicable_from_unanswered(
    client, auth, make_user, make_cohort, bulk_surveys
):
    """'Not my role' is an answer without a score; a blank is a question nobody answered."""
    bulk_surveys(make_cohort(audience="police"), 6, seed=3)
    policy = db.session.scalars(
        select(Answer).join(SurveyItem).where(SurveyItem.kind == "policy").order_by(Answer.id)
    ).all()
    not_applicable, unanswered = policy[0], policy[1]
    na_key = db.session.get(SurveyItem, not_applicable.item_id).key
    blank_key = db.session.get(SurveyItem, unanswered.item_id).key
    not_applicable.value, not_applicable.score = NOT_APPLICABLE, None
    db.session.delete(unanswered)
    db.session.commit()
    auth.login(make_user("staff"))
    response = follow_job(client, client.post("/reports/research", data={"purpose": "Kiểm tra"}))
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    cells = [r[na_key] for r in rows] + [r[blank_key] for r in rows]
    assert cells.count("n/a") == 1 and cells.count("") == 1
    assert all(c.isdigit() for c in cells if c not in ("n/a", ""))
