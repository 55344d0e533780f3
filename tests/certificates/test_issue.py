"""The issue rule, automatic issue from both hooks, races, and issuing/revoking by hand."""

import threading

import pytest
from sqlalchemy import func, select

from lms.auth.models import AuditEvent
from lms.certificates import services
from lms.certificates.models import Certificate
from lms.certificates.services import (
    CertificateError,
    current_certificate,
    revoke_certificate,
    training_hours,
)
from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.modules.models import LessonProgress
from lms.progress import certification, reactions
from lms.progress.certification import issue_by_hand, issue_if_eligible
from lms.progress.journey import journey
from lms.quizzes.models import SurveyResponse
from lms.quizzes.services import response_for

from .helpers import in_english


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_no_certificate_before_the_modules_and_the_post_survey(enrolments, answer_survey, complete_modules):
    enrolment = enrolments[0]
    answer_survey(enrolment, "pre")
    assert journey(enrolment).eligibility.missing == "modules"
    complete_modules(enrolment)
    assert journey(enrolment).eligibility.missing == "post_survey"
    assert issue_if_eligible(enrolment) is None
    assert _count(Certificate) == 0


def test_the_post_survey_issues_the_certificate_when_the_modules_are_done(
    enrolments, answer_survey, complete_modules
):
    enrolment = enrolments[0]
    answer_survey(enrolment, "pre")
    complete_modules(enrolment)
    answer_survey(enrolment, "post")
    certificate = current_certificate(enrolment)
    assert certificate is not None and certificate.issued_by_id is None
    required = [cm.module for cm in enrolment.cohort.modules if cm.required]
    listed = [m["key"] for m in certificate.snapshot["modules"]]
    assert [m.key for m in required] == [k for k in listed if k in {m.key for m in required}]
    assert certificate.snapshot["hours"] >= training_hours(required) > 0
    assert _count(Certificate) == 1  # only this trainee


def test_no_certificate_below_the_cohorts_pass_mark(app, cohort, enrolments, certify):
    cohort.knowledge_pass_percent = 80
    db.session.commit()
    assert certify(enrolments[0], correct=False) is None
    rule = journey(enrolments[0]).eligibility
    with app.test_request_context("/?lang=en"):
        assert rule.missing == "pass_mark" and "80%." in rule.message
    assert response_for(enrolments[0], "post").knowledge_percent < 80
    assert certify(enrolments[1], correct=True) is not None


def test_completing_the_last_lesson_after_the_post_survey_issues_it(
    client, auth, enrolments, answer_survey, complete_modules
):
    # A paper post-survey can be entered before the trainee finishes online.
    enrolment = enrolments[0]
    answer_survey(enrolment, "pre")
    last = complete_modules(enrolment, leave_last=True)
    answer_survey(enrolment, "post")
    assert current_certificate(enrolment) is None
    auth.login(enrolment.user)
    assert client.post(f"/lessons/{last.key}/complete").status_code == 302
    certificate = current_certificate(enrolment)
    assert certificate is not None
    assert certificate.snapshot["full_name"] == enrolment.user.full_name


def test_issuing_is_idempotent(enrolments, certify):
    first = certify(enrolments[0])
    assert issue_if_eligible(enrolments[0]).id == first.id
    db.session.commit()
    assert _count(Certificate) == 1


def test_losing_a_race_returns_the_winners_certificate(enrolments, certify, monkeypatch):
    winner = certify(enrolments[0])
    # Both requests saw "no certificate yet"; the unique index settles it.
    monkeypatch.setattr(certification, "ever_certified", lambda enrolment: False)
    assert issue_if_eligible(enrolments[0]).id == winner.id
    db.session.commit()
    assert _count(Certificate) == 1


def test_many_threads_issuing_at_once_store_one_certificate(
    app, enrolments, answer_survey, complete_modules, monkeypatch
):
    enrolment = enrolments[0]
    answer_survey(enrolment, "pre")
    complete_modules(enrolment)
    monkeypatch.setattr(reactions, "issue_quietly", lambda enrolment: None)
    answer_survey(enrolment, "post")
    enrolment_id = enrolment.id  # read here: the threads must not touch this thread's session
    codes, errors, barrier = [], [], threading.Barrier(6, timeout=30)

    def issue():
        with app.app_context():
            try:
                mine = db.session.get(Enrolment, enrolment_id)
                barrier.wait()
                codes.append(issue_if_eligible(mine).code)
                db.session.commit()
            except Exception as error:  # reported below; a thread must not hang the run
                errors.append(repr(error))
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, daemon=True) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert _count(Certificate) == 1
    assert len(codes) == 6 and set(codes) == {current_certificate(enrolment).code}


def test_a_failure_to_issue_never_loses_the_survey(enrolments, answer_survey, complete_modules, monkeypatch):
    enrolment = enrolments[0]
    answer_survey(enrolment, "pre")
    complete_modules(enrolment)

    def broken(*args, **kwargs):
        raise RuntimeError("renderer on fire")

    monkeypatch.setattr(services, "build_snapshot", broken)
    answer_survey(enrolment, "post")
    assert response_for(enrolment, "post") is not None
    assert _count(SurveyResponse) == 2 and _count(Certificate) == 0


def test_a_failure_to_issue_never_loses_the_lesson(
    client, auth, enrolments, answer_survey, complete_modules, monkeypatch
):
    enrolment = enrolments[0]
    answer_survey(enrolment, "pre")
    last = complete_modules(enrolment, leave_last=True)
    answer_survey(enrolment, "post")
    monkeypatch.setattr(services, "build_snapshot", lambda *a, **k: 1 / 0)
    auth.login(enrolment.user)
    assert client.post(f"/lessons/{last.key}/complete").status_code == 302
    progress = db.session.scalar(
        select(LessonProgress).where(
            LessonProgress.lesson_id == last.id, LessonProgress.user_id == enrolment.user_id
        )
    )
    assert progress.completed_at is not None
    assert _count(Certificate) == 0


def test_training_hours_round_to_the_nearest_half_hour():
    class Module:
        def __init__(self, minutes):
            self.minutes = minutes

    assert training_hours([Module(40)]) == 0.5
    assert training_hours([Module(45)]) == 1.0
    assert training_hours([Module(50), Module(25)]) == 1.5
    assert training_hours([Module(44)]) == 0.5
    assert training_hours([]) == 0


def test_a_facilitator_issues_by_hand_with_a_reason_and_it_is_audited(client, auth, cohort, enrolments):
    facilitator = in_english(cohort.facilitators[0])
    enrolment = enrolments[1]
    auth.login(facilitator)
    url = f"/cohorts/{cohort.id}/certificates/enrolments/{enrolment.id}/issue"

    response = client.post(url, data={"reason": "   "}, follow_redirects=True)
    assert "Please give a reason." in response.get_data(as_text=True)
    assert _count(Certificate) == 0 and _events("certificate_issue") == []

    response = client.post(
        url, data={"reason": "Dự hội thảo trên giấy", "in_room": "y"}, follow_redirects=True
    )
    assert response.status_code == 200
    certificate = current_certificate(enrolment)
    assert certificate.issued_by_id == facilitator.id
    assert certificate.issue_reason == "Dự hội thảo trên giấy"
    # Nothing was completed online; the room covered every module of the cohort.
    assert [m["key"] for m in certificate.snapshot["modules"]] == [cm.module.key for cm in cohort.modules]
    [event] = _events("certificate_issue")
    assert (event.actor_id, event.reason, event.target) == (
        facilitator.id,
        "Dự hội thảo trên giấy",
        f"certificate:{certificate.code}",
    )
    assert event.at is not None

    response = client.post(url, data={"reason": "again"}, follow_redirects=True)
    assert "already has a valid certificate" in response.get_data(as_text=True)
    assert _count(Certificate) == 1


def test_revoking_needs_a_reason_is_audited_and_is_final(client, auth, cohort, enrolments, certify):
    facilitator = in_english(cohort.facilitators[0])
    enrolment = enrolments[0]
    old = certify(enrolment)
    auth.login(facilitator)
    url = f"/cohorts/{cohort.id}/certificates/{old.code.lower()}/revoke"

    response = client.post(url, data={"reason": ""}, follow_redirects=True)
    assert "Please give a reason." in response.get_data(as_text=True)
    assert not db.session.get(Certificate, old.id).is_revoked

    client.post(url, data={"reason": "Wrong person enrolled"})
    db.session.expire_all()
    old = db.session.get(Certificate, old.id)
    assert old.is_revoked and old.revoked_by_id == facilitator.id
    [event] = _events("certificate_revoke")
    assert (event.actor_id, event.reason) == (facilitator.id, "Wrong person enrolled")
    with client.application.test_request_context(), pytest.raises(CertificateError):
        revoke_certificate(facilitator, old, "twice")

    # Revocation is final: the rule does not bring it back, and nothing new appears by itself.
    assert issue_if_eligible(enrolment) is None
    assert _count(Certificate) == 1
    # A new certificate, with a new code, can be issued by hand.
    new = issue_by_hand(facilitator, enrolment, "Re-issued after correcting the name")
    db.session.commit()
    assert new.code != old.code and not new.is_revoked
    assert db.session.get(Certificate, old.id).is_revoked
    assert current_certificate(enrolment).id == new.id


def test_issue_to_every_eligible_trainee_after_the_pass_mark_is_lowered(
    client, auth, cohort, enrolments, certify
):
    cohort.knowledge_pass_percent = 100
    db.session.commit()
    assert certify(enrolments[0], correct=False) is None
    cohort.knowledge_pass_percent = None
    db.session.commit()
    auth.login(in_english(cohort.facilitators[0]))
    page = client.get(f"/cohorts/{cohort.id}/certificates").get_data(as_text=True)
    assert "Eligible, not yet issued: 1" in page
    client.post(f"/cohorts/{cohort.id}/certificates/issue-eligible")
    assert current_certificate(enrolments[0]) is not None
    assert current_certificate(enrolments[1]) is None
    [event] = _events("certificate_issue_eligible")
    assert event.actor_id == cohort.facilitators[0].id


def test_the_cohort_page_lists_issued_revoked_and_eligible(client, auth, cohort, enrolments, certify):
    issued = certify(enrolments[0])
    revoked = certify(enrolments[1])
    revoke_certificate(cohort.facilitators[0], revoked, "Did not attend")
    db.session.commit()
    auth.login(in_english(cohort.facilitators[0]))
    page = client.get(f"/cohorts/{cohort.id}/certificates").get_data(as_text=True)
    assert services.format_code(issued.code) in page
    assert services.format_code(revoked.code) in page and "Did not attend" in page
    assert "Issued: 1" in page and "Revoked: 1" in page and "Not yet eligible: 1" in page
    for enrolment in enrolments:
        assert enrolment.user.full_name in page


def test_after_a_revocation_the_cohort_page_shows_one_state_and_counts_it(client, auth, enrolments, certify):
    certificate = certify(enrolments[0])
    facilitator = enrolments[0].cohort.facilitators[0]
    revoke_certificate(facilitator, certificate, "Wrong name")
    db.session.commit()
    auth.login(facilitator)
    page = client.get(f"/cohorts/{enrolments[0].cohort_id}/certificates?lang=en")
    text = page.get_data(as_text=True)
    card = text.split(f'id="enrolment-{enrolments[0].id}"')[1].split("</li>")[0]
    assert "Đã thu hồi: hiện không có chứng nhận nào còn hiệu lực" in card
    assert "Chưa đủ điều kiện" not in card and "Đủ điều kiện, chưa cấp" not in card
    assert "Đã thu hồi: 1" in text
