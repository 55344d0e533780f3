"""Who may download, list and manage certificates; downloads of others' are audited."""

from sqlalchemy import select

from lms.auth.models import AuditEvent
from lms.certificates.models import Certificate
from lms.certificates.services import format_code, revoke_certificate
from lms.extensions import db

from .helpers import in_english


def _pdf_url(certificate) -> str:
    return f"/certificates/{format_code(certificate.code)}.pdf"


def _downloads() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate_download")))


def test_a_trainee_downloads_their_own_but_never_anothers(client, auth, enrolments, certify):
    mine, theirs = certify(enrolments[0]), certify(enrolments[1])
    auth.login(enrolments[0].user)
    assert client.get(_pdf_url(mine)).status_code == 200
    assert client.get(_pdf_url(theirs)).status_code == 404
    assert client.get("/certificates/ABCD-EFGH-JK.pdf").status_code == 404
    assert _downloads() == []  # one's own downloads are not audited


def test_my_certificates_lists_mine_with_a_download_link(
    client, auth, enrolments, certify, make_cohort, answer_survey
):
    mine, theirs = certify(enrolments[0]), certify(enrolments[1])
    trainee = in_english(enrolments[0].user)
    auth.login(trainee)
    page = client.get("/certificates").get_data(as_text=True)
    assert _pdf_url(mine) in page and format_code(theirs.code) not in page
    revoke_certificate(enrolments[0].cohort.facilitators[0], mine, "Mistake")
    db.session.commit()
    page = client.get("/certificates").get_data(as_text=True)
    assert "Revoked on" in page and _pdf_url(mine) not in page
    assert client.get(_pdf_url(mine)).status_code == 404  # a revoked certificate is not handed out


def test_my_certificates_says_what_is_still_missing(client, auth, enrolments, answer_survey):
    trainee = in_english(enrolments[0].user)
    answer_survey(enrolments[0], "pre")
    auth.login(trainee)
    page = client.get("/certificates").get_data(as_text=True)
    assert "You have no certificate yet." in page
    assert "Some required modules are not complete yet." in page


def test_the_cohorts_facilitator_and_staff_download_and_are_audited(
    client, auth, cohort, enrolments, certify, make_user
):
    certificate = certify(enrolments[0])
    facilitator = cohort.facilitators[0]
    auth.login(facilitator)
    assert client.get(_pdf_url(certificate)).status_code == 200
    assert client.get(f"/cohorts/{cohort.id}/certificates").status_code == 200
    auth.logout()
    staff = make_user("staff")
    auth.login(staff)
    assert client.get(_pdf_url(certificate)).status_code == 200
    assert client.get(f"/cohorts/{cohort.id}/certificates").status_code == 200
    events = _downloads()
    assert [(e.actor_id, e.target) for e in events] == [
        (facilitator.id, f"certificate:{certificate.code}"),
        (staff.id, f"certificate:{certificate.code}"),
    ]


def test_a_facilitator_of_another_cohort_gets_404_everywhere(
    client, auth, cohort, enrolments, certify, make_cohort
):
    certificate = certify(enrolments[0])
    other = make_cohort(trainees=1).facilitators[0]
    auth.login(other)
    base = f"/cohorts/{cohort.id}/certificates"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}.zip").status_code == 404
    assert client.get(_pdf_url(certificate)).status_code == 404
    assert client.post(f"{base}/enrolments/{enrolments[1].id}/issue", data={"reason": "x"}).status_code == 404
    assert (
        client.post(f"{base}/{format_code(certificate.code)}/revoke", data={"reason": "x"}).status_code == 404
    )
    assert client.post(f"{base}/issue-eligible").status_code == 404
    assert db.session.scalar(select(Certificate).where(Certificate.revoked_at.isnot(None))) is None
    assert db.session.scalar(select(AuditEvent.id).limit(1)) is None


def test_an_enrolment_or_code_of_another_cohort_is_not_found_through_ones_own(
    client, auth, cohort, enrolments, certify, make_cohort
):
    other_cohort = make_cohort(facilitator=cohort.facilitators[0], trainees=1)
    certificate = certify(enrolments[0])
    auth.login(cohort.facilitators[0])
    base = f"/cohorts/{other_cohort.id}/certificates"
    assert client.post(f"{base}/enrolments/{enrolments[1].id}/issue", data={"reason": "x"}).status_code == 404
    assert (
        client.post(f"{base}/{format_code(certificate.code)}/revoke", data={"reason": "x"}).status_code == 404
    )


def test_trainees_and_visitors_cannot_reach_the_cohort_pages(client, auth, cohort, enrolments):
    assert client.get(f"/cohorts/{cohort.id}/certificates").status_code == 302  # to sign-in
    assert client.get("/certificates/ABCD-EFGH-JK.pdf").status_code == 302
    auth.login(enrolments[0].user)
    assert client.get(f"/cohorts/{cohort.id}/certificates").status_code == 403
    assert client.get(f"/cohorts/{cohort.id}/certificates.zip").status_code == 403


def test_certificates_and_every_personal_download_are_never_cached(client, auth, cohort, enrolments, certify):
    certificate = certify(enrolments[0])
    auth.login(cohort.facilitators[0])
    downloads = [
        _pdf_url(certificate),
        f"/cohorts/{cohort.id}/certificates.zip",
        f"/cohorts/{cohort.id}/progress.csv",
        f"/cohorts/{cohort.id}/progress.xlsx",
        f"/cohorts/{cohort.id}/paper/survey-vi.pdf",
    ]
    for url in downloads:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.headers["Cache-Control"], url
    auth.logout()
    auth.login(enrolments[0].user)
    assert "no-store" in client.get(_pdf_url(certificate)).headers["Cache-Control"]
