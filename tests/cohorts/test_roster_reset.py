"""A facilitator resets a forgotten password only for trainees wholly in their own cohorts."""

from sqlalchemy import select

from lms.auth.models import AuditEvent
from lms.cohorts.services import enrol
from lms.extensions import db


def test_facilitator_resets_their_trainee_but_not_someone_from_another_cohort(
    client, auth, make_cohort, make_user
):
    mine = make_cohort()
    trainee = make_user("trainee")
    enrolment = enrol(mine, trainee)
    db.session.commit()
    auth.login(mine.facilitators[0])
    url = f"/cohorts/{mine.id}/enrolments/{enrolment.id}/reset-password"
    response = client.post(url)
    assert response.status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "password_reset"))
    enrol(make_cohort(), trainee)  # now also in a cohort run by someone else
    db.session.commit()
    before = trainee.password_hash
    client.post(url, follow_redirects=True)
    db.session.refresh(trainee)
    assert trainee.password_hash == before
