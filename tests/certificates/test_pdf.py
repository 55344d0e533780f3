"""The certificate PDF through the app: exact Vietnamese, the QR code, determinism, the ZIP."""

import io
import unicodedata
import zipfile

from sqlalchemy import select, update

from lms.auth.models import AuditEvent, User
from lms.certificates.documents import slugify
from lms.certificates.services import format_code, revoke_certificate
from lms.cohorts.models import Cohort
from lms.extensions import db
from tests.pdf.helpers import decode_qr, pdf_text

from .helpers import in_english

NAME = "Nguyễn Thị Hương"


def _download(client, certificate) -> bytes:
    response = client.get(f"/certificates/{format_code(certificate.code)}.pdf")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    return response.data


def test_the_pdf_has_the_exact_name_typed_decomposed_and_the_code(client, auth, enrolments, certify):
    enrolment = enrolments[0]
    # Bypass the ORM's normalisation, as an old import or a raw SQL fix might have.
    db.session.execute(
        update(User).where(User.id == enrolment.user_id).values(full_name=unicodedata.normalize("NFD", NAME))
    )
    db.session.commit()
    db.session.expire_all()
    assert not unicodedata.is_normalized("NFC", enrolment.user.full_name)
    certificate = certify(enrolment)
    auth.login(enrolment.user)
    text = pdf_text(_download(client, certificate))
    assert NAME in text
    assert format_code(certificate.code) in text
    assert len(certificate.code) == 10 and format_code(certificate.code).count("-") == 2
    assert "Lớp tập huấn thử" in text


def test_the_pdf_is_bilingual_with_the_trainees_language_first(client, auth, cohort, enrolments, certify):
    vi_trainee, en_trainee = enrolments[0], enrolments[1]
    en_trainee.user.language = "en"
    db.session.commit()
    certificates = certify(vi_trainee), certify(en_trainee)
    module = cohort.modules[0].module
    start = cohort.start_date
    vi_date = start.strftime("%d/%m/%Y")
    en_date = f"{start.day} {start.strftime('%B')} {start.year}"
    texts = []
    for enrolment, certificate in zip((vi_trainee, en_trainee), certificates, strict=True):
        auth.login(enrolment.user)
        texts.append(pdf_text(_download(client, certificate)))
        auth.logout()
    for text in texts:
        assert module.title_vi in text and module.title_en in text
        assert vi_date in text and en_date in text
        assert "Police" in text
    vi_text, en_text = texts
    assert vi_text.index(module.title_vi) < vi_text.index(module.title_en)
    assert en_text.index(module.title_en) < en_text.index(module.title_vi)
    assert en_text.index("CERTIFICATE OF COMPLETION") < en_text.index("This certifies that")


def test_the_qr_code_decodes_to_the_absolute_verification_url(app, client, auth, enrolments, certify):
    certificate = certify(enrolments[0])
    auth.login(enrolments[0].user)
    url = decode_qr(_download(client, certificate))
    assert url == f"http://localhost/verify/{format_code(certificate.code)}"
    auth.logout()
    page = client.get(url.removeprefix("http://localhost"))
    assert page.status_code == 200 and "Nguyễn Văn trainee" in page.get_data(as_text=True)

    app.config["PUBLIC_URL"] = "https://lms.example.org"
    auth.login(enrolments[0].user)
    data = _download(client, certificate)
    assert decode_qr(data) == f"https://lms.example.org/verify/{format_code(certificate.code)}"
    assert f"https://lms.example.org/verify/{format_code(certificate.code)}" in pdf_text(data)


def test_the_same_certificate_gives_the_same_bytes_even_after_names_change(
    client, auth, cohort, enrolments, certify
):
    certificate = certify(enrolments[0])
    auth.login(enrolments[0].user)
    first = _download(client, certificate)
    assert _download(client, certificate) == first
    enrolments[0].user.full_name = "Tên Đã Đổi"
    cohort.name = "Lớp đã đổi tên"
    cohort.facilitators[0].full_name = "Giảng Viên Khác"
    db.session.commit()
    assert _download(client, certificate) == first
    assert "Tên Đã Đổi" not in pdf_text(first)


def test_a_facilitator_downloads_the_cohort_as_one_deterministic_zip(
    client, auth, cohort, enrolments, certify
):
    certificates = [certify(enrolment) for enrolment in enrolments]
    facilitator = cohort.facilitators[0]
    revoke_certificate(facilitator, certificates[2], "Entered twice")
    db.session.commit()
    auth.login(facilitator)
    response = client.get(f"/cohorts/{cohort.id}/certificates.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert client.get(f"/cohorts/{cohort.id}/certificates.zip").data == response.data
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    expected = sorted(
        f"{slugify(c.snapshot['full_name'])}-{format_code(c.code)}.pdf" for c in certificates[:2]
    )
    assert archive.namelist() == expected
    assert expected[0].startswith("nguyen-van-trainee-")
    for certificate in certificates[:2]:
        name = f"{slugify(certificate.snapshot['full_name'])}-{format_code(certificate.code)}.pdf"
        assert archive.read(name) == _download(client, certificate)
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "certificate_zip")))
    assert len(events) == 2 and events[0].actor_id == facilitator.id
    assert events[0].target == f"cohort:{cohort.id}"


def test_file_names_are_ascii_slugs():
    assert slugify("Nguyễn Thị Hương") == "nguyen-thi-huong"
    assert slugify(unicodedata.normalize("NFD", "Đặng Đức Ánh")) == "dang-duc-anh"
    assert slugify("!!!") == "certificate"


def test_an_empty_cohort_has_no_zip(client, auth, make_cohort):
    cohort = make_cohort(trainees=1)
    auth.login(in_english(cohort.facilitators[0]))
    response = client.get(f"/cohorts/{cohort.id}/certificates.zip", follow_redirects=True)
    assert "No certificates have been issued" in response.get_data(as_text=True)
    assert db.session.get(Cohort, cohort.id) is not None


def test_the_bytes_do_not_depend_on_who_downloads_or_in_which_language(
    client, auth, cohort, enrolments, certify
):
    certificate = certify(enrolments[0])
    auth.login(enrolments[0].user)
    as_trainee = _download(client, certificate)
    auth.logout()
    auth.login(in_english(cohort.facilitators[0]))
    assert _download(client, certificate) == as_trainee


def test_the_organisation_and_logo_are_frozen_at_issue(app, client, auth, enrolments, certify, tmp_path):
    from PIL import Image
    from pypdf import PdfReader

    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 60), (31, 95, 116)).save(logo)
    app.config.update(ORGANISATION_NAME="Viện ISDS", ORGANISATION_LOGO=str(logo))
    certificate = certify(enrolments[0])
    app.config.update(ORGANISATION_NAME="Another name", ORGANISATION_LOGO="")
    auth.login(enrolments[0].user)
    data = _download(client, certificate)
    assert "VIỆN ISDS" in pdf_text(data) and "ANOTHER NAME" not in pdf_text(data)
    assert PdfReader(io.BytesIO(data)).pages[0].images
    logo.unlink()  # a logo moved away later must not break the old certificate
    assert not PdfReader(io.BytesIO(_download(client, certificate))).pages[0].images
