"""Public verification: valid, revoked and unknown codes, tolerant input, throttled guessing."""

from datetime import timedelta

from sqlalchemy import select, update

from lms.auth.models import LoginFailure
from lms.certificates.services import format_code, revoke_certificate
from lms.extensions import db
from lms.models import utcnow


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_a_valid_code_shows_the_name_the_cohort_and_the_date_and_nothing_more(client, enrolments, certify):
    certificate = certify(enrolments[0])
    response = client.get(f"/verify/{format_code(certificate.code)}?lang=en")
    page = _page(response)
    assert response.status_code == 200
    assert "Valid" in page and "Revoked" not in page
    assert enrolments[0].user.full_name in page
    assert "Lớp tập huấn thử" in page
    assert certificate.issued_on.strftime("%Y") in page
    assert enrolments[0].user.username not in page and enrolments[0].trainee_code not in page
    assert response.headers["Cache-Control"] == "no-store"


def test_codes_are_accepted_in_any_case_with_spaces_and_dashes(client, enrolments, certify):
    certificate = certify(enrolments[0])
    grouped = format_code(certificate.code)
    sloppy = " " + " ".join(certificate.code.lower()[n : n + 3] for n in range(0, 10, 3)) + " "
    response = client.get("/verify", query_string={"code": sloppy})
    assert response.status_code == 303 and response.location.endswith(f"/verify/{grouped}")
    response = client.post("/verify", data={"code": certificate.code.lower()})
    assert response.status_code == 303 and response.location.endswith(f"/verify/{grouped}")
    messy = f"{certificate.code[:5].lower()}--{certificate.code[5:]}"
    assert client.get(f"/verify/{messy}").status_code == 200


def test_the_form_explains_a_malformed_code(client):
    assert client.get("/verify?lang=en").status_code == 200
    response = client.get("/verify", query_string={"code": "abc", "lang": "en"})
    assert response.status_code == 422
    assert "A verification code has 10 letters and digits" in _page(response)


def test_a_revoked_certificate_says_so_with_the_date(client, cohort, enrolments, certify):
    certificate = certify(enrolments[0])
    revoke_certificate(cohort.facilitators[0], certificate, "Issued by mistake")
    db.session.commit()
    response = client.get(f"/verify/{format_code(certificate.code)}?lang=en")
    page = _page(response)
    assert response.status_code == 200
    assert "Revoked" in page and "no longer valid" in page
    assert certificate.revoked_at.strftime("%Y") in page
    assert "Issued by mistake" not in page  # the reason is internal


def test_an_unknown_code_gets_a_friendly_404(client, enrolments, certify):
    certify(enrolments[0])
    response = client.get("/verify/ABCD-EFGH-JK?lang=en")
    assert response.status_code == 404
    page = _page(response)
    assert "No certificate has this verification code." in page
    assert 'value="ABCD-EFGH-JK"' in page  # ready to be corrected


def test_guessing_is_throttled_per_address(client, enrolments, certify):
    certificate = certify(enrolments[0])
    real = f"/verify/{format_code(certificate.code)}?lang=en"
    for n in range(20):
        assert client.get(f"/verify/ABCD-EFGH-{n:02d}?lang=en").status_code == 404
    assert db.session.scalar(select(LoginFailure.key).limit(1)) == "verify:127.0.0.1"
    response = client.get(real)
    assert response.status_code == 429  # even a real code: the address is locked out
    assert "Too many unknown codes were tried" in _page(response)
    assert enrolments[0].user.full_name not in _page(response)
    # Another address is unaffected.
    other = client.get(real, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert other.status_code == 200
    # The window slides: failures older than 15 minutes no longer count.
    db.session.execute(update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    assert client.get(real).status_code == 200


def test_valid_lookups_do_not_count_as_guesses(client, enrolments, certify):
    certificate = certify(enrolments[0])
    for _ in range(25):
        assert client.get(f"/verify/{format_code(certificate.code)}").status_code == 200
    assert db.session.scalar(select(LoginFailure.id).limit(1)) is None
