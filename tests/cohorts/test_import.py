"""Bulk import: preview with every row's problems, all-or-nothing commit, login slips once."""

import io
import os
import re
import time
import unicodedata

from openpyxl import Workbook
from sqlalchemy import func, select

from lms.auth.models import AuditEvent, User
from lms.cohorts.models import Enrolment
from lms.cohorts.services import enrol
from lms.extensions import db
from tests.pdf.helpers import pdf_text

COMMIT_FORM = re.compile(r'action="/cohorts/\d+/import/([A-Za-z0-9_-]{20,})"')
HEADER = "Họ và tên,Tên đăng nhập,Loại cơ quan,Tỉnh/Thành phố\n"
ROWS = (
    "Nguyễn Thị Hương,huong.nt,police,Hà Nội\n"
    "Trần Văn Đức,0912 345 678,Công an,ha-noi\n"
    "Lê Thị Thu Hà,ha.le@example.org,NGO,Thành phố Đà Nẵng\n"
    "Phạm Quốc Bảo,bao.pq,05-06 centre staff,Huế\n"
)


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def upload(client, cohort, data: bytes, filename="trainees.csv"):
    return client.post(
        f"/cohorts/{cohort.id}/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def token_of(page: str) -> str:
    return COMMIT_FORM.search(page).group(1)


def preview_ok(client, cohort, data, filename="trainees.csv") -> str:
    response = upload(client, cohort, data, filename)
    assert response.status_code == 200, response.text
    assert "Nothing has been written yet" in response.text
    return token_of(response.text)


def test_csv_with_bom_preview_writes_nothing_then_commit_creates_all(client, auth, make_cohort, import_dir):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    before = users()
    token = preview_ok(client, cohort, (HEADER + ROWS).encode("utf-8-sig"))
    assert users() == before  # the preview writes nothing
    response = client.post(f"/cohorts/{cohort.id}/import/{token}")
    assert response.status_code == 302
    assert users() == before + 4
    duc = db.session.scalar(select(User).where(User.username == "0912345678"))
    assert duc.full_name == "Trần Văn Đức" and duc.org_type == "police"
    ha = db.session.scalar(select(User).where(User.username == "ha.le@example.org"))
    assert (ha.org_type, ha.province, ha.role) == ("ngo", "da-nang", "trainee")
    assert ha.must_change_password
    bao = db.session.scalar(select(User).where(User.username == "bao.pq"))
    assert (bao.org_type, bao.province) == ("centre_staff", "hue")
    assert (
        db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.cohort_id == cohort.id))
        == 4
    )
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "trainees_import"))
    assert not list(import_dir.glob("*.preview.json"))


def test_login_slips_contain_the_names_and_can_be_downloaded_once(client, auth, make_cohort, import_dir):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    token = preview_ok(client, cohort, (HEADER + ROWS).encode("utf-8"))
    client.post(f"/cohorts/{cohort.id}/import/{token}")
    assert "Download the login slips" in client.get(f"/cohorts/{cohort.id}/import/{token}/done").text
    response = client.get(f"/cohorts/{cohort.id}/import/{token}/slips.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for name in ("Nguyễn Thị Hương", "Trần Văn Đức", "Lê Thị Thu Hà", "Phạm Quốc Bảo"):
        assert name in text
    assert "huong.nt" in text
    # The passwords were shown once: the file holding them is gone.
    assert not list(import_dir.glob("*.json"))
    assert client.get(f"/cohorts/{cohort.id}/import/{token}/slips.pdf").status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login_slips_download"))


def test_slip_password_signs_in(client, auth, make_cohort):
    cohort = make_cohort()
    facilitator = cohort.facilitators[0]
    auth.login(facilitator)
    token = preview_ok(client, cohort, (HEADER + "Nguyễn Văn An,an.nv,police,ha-noi\n").encode("utf-8"))
    client.post(f"/cohorts/{cohort.id}/import/{token}")
    text = pdf_text(client.get(f"/cohorts/{cohort.id}/import/{token}/slips.pdf").data)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    password = next(
        line for line in lines if len(line) == 8 and line.isalnum() and line.islower() and line != "an.nv"
    )
    auth.logout()
    response = auth.login("an.nv", password)
    assert response.status_code == 302  # signed in, then asked to choose a new password


def test_xlsx_import(client, auth, make_cohort):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Full name", "Phone", "Organisation type", "Province"])
    sheet.append(["Đặng Thị Mai", 912000111, "CBO / community group", "Hanoi"])
    sheet.append(["Vũ Văn Long", "0912000222", "cbo", "Quảng Ninh"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    token = preview_ok(client, cohort, buffer.getvalue(), "list.xlsx")
    client.post(f"/cohorts/{cohort.id}/import/{token}")
    mai = db.session.scalar(select(User).where(User.username == "912000111"))
    assert mai.full_name == "Đặng Thị Mai" and mai.org_type == "cbo"
    long = db.session.scalar(select(User).where(User.username == "0912000222"))
    assert long.province == "quang-ninh"


def test_decomposed_names_are_stored_composed(client, auth, make_cohort):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Thủy")
    assert decomposed != "Nguyễn Thị Thủy"
    token = preview_ok(client, cohort, (HEADER + f"{decomposed},thuy,police,ha-noi\n").encode("utf-8"))
    client.post(f"/cohorts/{cohort.id}/import/{token}")
    assert db.session.scalar(select(User.full_name).where(User.username == "thuy")) == "Nguyễn Thị Thủy"


def test_a_bad_row_blocks_the_whole_file(client, auth, make_cohort, make_user):
    cohort = make_cohort()
    make_user("facilitator", username="colleague")
    auth.login(cohort.facilitators[0])
    before = users()
    rows = ROWS + (
        ",no.name,police,ha-noi\n"
        "Đinh Văn A,dup,police,ha-noi\n"
        "Đinh Văn B,DUP,police,ha-noi\n"
        "Hồ Thị C,ho.c,fishmonger,ha-noi\n"
        "Hồ Thị D,ho.d,police,Atlantis\n"
        "Hồ Thị E,colleague,police,ha-noi\n"
    )
    response = upload(client, cohort, (HEADER + rows).encode("utf-8"))
    assert response.status_code == 422
    page = response.text
    assert "Nothing has been imported" in page
    assert "The full name is missing." in page
    assert page.count("appears more than once in the file (rows 7, 8)") == 2
    assert "Unknown organisation type: fishmonger." in page
    assert "Unknown province: Atlantis." in page
    assert "colleague is already taken by another account" in page
    assert COMMIT_FORM.search(page) is None
    assert users() == before


def test_commit_checks_again_and_writes_nothing_when_a_row_became_invalid(
    client, auth, make_cohort, make_user
):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    token = preview_ok(client, cohort, (HEADER + ROWS).encode("utf-8"))
    make_user("staff", username="bao.pq")  # taken by a staff account in the meantime
    before = users()
    response = client.post(f"/cohorts/{cohort.id}/import/{token}")
    assert response.status_code == 409
    assert users() == before
    assert (
        db.session.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.cohort_id == cohort.id))
        == 0
    )


def test_own_trainees_are_enrolled_not_duplicated(client, auth, make_cohort, make_user):
    cohort = make_cohort()
    existing = make_user("trainee", username="huong.nt", full_name="Nguyễn Thị Hương Xưa")
    earlier = make_cohort(facilitator=cohort.facilitators[0])
    enrol(earlier, existing)  # she trained with this facilitator before
    db.session.commit()
    auth.login(cohort.facilitators[0])
    response = upload(client, cohort, (HEADER + ROWS).encode("utf-8"))
    assert "will be enrolled, not created again" in response.text
    assert "Hương Xưa" not in response.text  # the account's own name is never shown
    before = users()
    client.post(f"/cohorts/{cohort.id}/import/{token_of(response.text)}")
    assert users() == before + 3
    assert db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == existing.id, Enrolment.cohort_id == cohort.id)
    )
    text = pdf_text(client.get(f"/cohorts/{cohort.id}/import/{token_of(response.text)}/slips.pdf").data)
    assert "Trần Văn Đức" in text and "huong.nt" not in text  # her password is unchanged


def test_import_cannot_take_over_someone_elses_account(client, auth, make_cohort, make_user):
    victim = make_user("trainee", username="victim", full_name="Bùi Thị Bí Mật")
    theirs = make_cohort()
    enrol(theirs, victim)  # another facilitator's trainee
    make_user("trainee", username="loner", full_name="Cao Văn Riêng")  # in no cohort
    db.session.commit()
    attacker = make_cohort()
    auth.login(attacker.facilitators[0])
    for login, name in (("victim", "Bí Mật"), ("loner", "Văn Riêng")):
        response = upload(client, attacker, (HEADER + f"Ai Đó,{login},police,ha-noi\n").encode("utf-8"))
        assert response.status_code == 422
        assert f"{login} is already taken by another account" in response.text
        assert name not in response.text
        assert COMMIT_FORM.search(response.text) is None
    assert (
        db.session.scalar(
            select(func.count()).select_from(Enrolment).where(Enrolment.cohort_id == attacker.id)
        )
        == 0
    )


def test_windows_1252_file_is_rejected_clearly(client, auth, make_cohort):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    data = "Full name,Login\nJosé Müller,jose\n".encode("cp1252")
    response = upload(client, cohort, data)
    assert response.status_code == 422
    assert "not in UTF-8" in response.text and "CSV UTF-8" in response.text
    # Windows' Vietnamese code page writes tone marks as separate combining characters.
    cp1258 = "Full name,Login\nTr\u00e2\u0300n V\u0103n \u0110\u01b0\u0301c,y\n".encode("cp1258")
    assert "not in UTF-8" in upload(client, cohort, cp1258).text


def test_missing_columns_and_wrong_file_types(client, auth, make_cohort):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    assert "The first row must name the columns" in upload(client, cohort, b"a,b\n1,2\n").text
    assert "Only .csv and .xlsx" in upload(client, cohort, b"x", "list.txt").text
    assert "could not be read" in upload(client, cohort, b"not a zip", "list.xlsx").text


def test_kept_files_expire_after_an_hour(client, auth, make_cohort, import_dir):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    token = preview_ok(client, cohort, (HEADER + ROWS).encode("utf-8"))
    (kept,) = import_dir.glob("*.json")
    old = time.time() - 3700
    os.utime(kept, (old, old))
    before = users()
    response = client.post(f"/cohorts/{cohort.id}/import/{token}")
    assert response.status_code == 302 and "/import" in response.headers["Location"]
    assert users() == before and not kept.exists()


def test_closed_cohort_takes_no_import(client, auth, make_cohort):
    cohort = make_cohort(status="closed")
    auth.login(cohort.facilitators[0])
    before = users()
    response = upload(client, cohort, (HEADER + ROWS).encode("utf-8"))
    assert "This cohort is closed" in response.text
    assert users() == before


def test_an_email_or_phone_too_long_for_its_column_is_refused_in_the_preview(client, auth, make_cohort):
    cohort = make_cohort()
    auth.login(cohort.facilitators[0])
    email = "a" * 200 + "@example.org"
    data = (f"Full name,Login,Phone,Email\nMai Anh,mai.anh,{'0' * 41},\nLan Chi,lan.chi,,{email}\n").encode()
    before = users()
    response = upload(client, cohort, data)
    assert response.status_code == 422
    assert "The phone number is too long (at most 40 characters)." in response.text
    assert "The email address is too long (at most 200 characters)." in response.text
    assert COMMIT_FORM.search(response.text) is None
    assert users() == before
