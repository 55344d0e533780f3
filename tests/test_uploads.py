"""Both imports read uploads one way: encodings, NUL bytes, broken or oversized XLSX, row caps,
and a short-lived store whose clean-up touches only its own files."""

import io
import os
import re
import time
import zipfile

import pytest
from openpyxl import Workbook

from lms import uploads
from lms.quizzes.instrument import current_version

TRAINEES = "Full name,Login,Organisation type,Province\nĐặng Thị Mai,mai.dt,police,ha-noi\n"


@pytest.fixture
def staff(client, auth, make_user):
    user = make_user("staff", language="en")
    auth.login(user)
    return user


@pytest.fixture(params=["trainees", "history"])
def post_file(request, client, staff, make_cohort):
    """post_file(data, filename) -> the response of the import's preview, for each import."""
    if request.param == "trainees":
        cohort = make_cohort(facilitator=staff)

        def post(data: bytes, filename="list.csv"):
            return client.post(
                f"/cohorts/{cohort.id}/import",
                data={"file": (io.BytesIO(data), filename)},
                content_type="multipart/form-data",
            )
    else:

        def post(data: bytes, filename="list.csv"):
            return client.post(
                "/reports/import",
                data={"file": (io.BytesIO(data), filename), "version": str(current_version().id)},
                content_type="multipart/form-data",
            )

    post.kind = request.param
    return post


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_with_sheet_xml(sheet_xml: bytes) -> bytes:
    """A workbook whose first sheet is replaced by this XML (written as a hostile tool would)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx([["a"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            target.writestr(info.filename, data)
    return out.getvalue()


def many_rows_sheet(rows: int) -> bytes:
    row = '<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>Nguyễn Văn A</t></is></c></row>'
    body = "".join(row.format(n=n) for n in range(1, rows + 1))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>"
    ).encode()


def test_utf16_is_read_and_windows_encodings_are_explained(post_file):
    page = post_file(TRAINEES.encode("utf-16")).text
    assert "UTF-16" not in page and "not in UTF-8" not in page
    assert "could not be read" not in page and "does not look like a CSV" not in page
    assert "not in UTF-8" in post_file("Tên,José\n".encode("cp1252")).text


def test_nul_bytes_are_refused_by_both_imports_alike(post_file):
    response = post_file(TRAINEES.replace("Mai", "M\x00ai").encode())
    assert response.status_code == 422
    assert "This does not look like a CSV file." in response.text


def test_a_broken_workbook_is_explained(post_file):
    for data in (b"not a zip", xlsx([["a"]])[:300]):
        response = post_file(data, "list.xlsx")
        assert response.status_code == 422
        assert "The Excel file could not be read" in response.text


def test_a_workbook_too_large_unpacked_is_refused_before_it_is_opened(app, post_file, monkeypatch):
    import openpyxl

    app.config["IMPORT_MAX_UNPACKED_MB"] = 1
    data = xlsx_with_sheet_xml(many_rows_sheet(20_000))  # 2 MB of XML in a 115 KB file

    def never(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    response = post_file(data, "list.xlsx")
    assert response.status_code == 422
    assert "too large once unpacked (more than 1 MB)" in response.text


def test_rows_beyond_the_cap_are_refused(post_file):
    if post_file.kind == "trainees":
        response = post_file(xlsx_with_sheet_xml(many_rows_sheet(5_000)), "list.xlsx")
        assert "The file has more than 1000 rows." in response.text
    else:
        header = "cohort_name,audience,province,start_date,trainee_ref,org_type,phase,date\n"
        response = post_file((header + "L\n" * 20_001).encode())
        assert "The file has more than 20000 rows." in response.text
    assert response.status_code == 422


def test_kept_uploads_expire_within_the_hour_and_the_sweep_keeps_other_files(
    app, client, staff, import_dir, instrument_v1
):
    from tests.reports.test_import import history_rows, to_csv

    import_dir.mkdir(parents=True, exist_ok=True)
    foreign = import_dir / "notes.txt"
    foreign.write_text("not an upload")
    old = time.time() - 2 * 86400
    os.utime(foreign, (old, old))
    preview = client.post(
        "/reports/import",
        data={
            "file": (io.BytesIO(to_csv(history_rows())), "history.csv"),
            "version": str(current_version().id),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    # the file as read (for the mapping step) and the checked file (for the import)
    files = sorted((p for p in import_dir.iterdir() if p != foreign), key=lambda p: p.name.split(".")[1])
    assert [p.name.split(".")[1] for p in files] == ["history", "mapping"]
    kept = files[0]
    hours_ago = time.time() - 2 * 3600
    for path in files:
        os.utime(path, (hours_ago, hours_ago))
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', preview.text).group(1)
    response = client.post(
        "/reports/import/commit", data={"token": token, "version": str(current_version().id)}
    )
    assert response.status_code == 302 and response.location.endswith("/reports/import")
    assert not kept.exists()
    with app.app_context():
        uploads.sweep()
    assert list(import_dir.iterdir()) == [foreign]  # the mapping's file swept too
    assert foreign.exists()  # the clean-up deletes its own files only
