"""Shared helpers for the PDF tests: text extraction, QR decoding and realistic sample data."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from lms.certificates.pdf import CertificateView

VERIFY_URL = "https://lms.example.org/verify/K7QX-M4TR-9PHA"

CERTIFICATE_LABELS = {
    "vi": {
        "title": "GIẤY CHỨNG NHẬN HOÀN THÀNH",
        "certifies": "Chứng nhận",
        "completed": "đã hoàn thành khóa tập huấn",
        "modules": "Học phần",
        "hours": "Số giờ",
        "dates": "Thời gian",
        "facilitators": "Giảng viên",
        "issued": "Ngày cấp",
        "code": "Mã xác thực",
        "verify": "Kiểm tra tại",
    },
    "en": {
        "title": "CERTIFICATE OF COMPLETION",
        "certifies": "This certifies that",
        "completed": "has completed the training",
        "modules": "Modules",
        "hours": "Hours",
        "dates": "Dates",
        "facilitators": "Facilitators",
        "issued": "Issued on",
        "code": "Verification code",
        "verify": "Verify at",
    },
}

MODULES = [
    {"vi": "Hiểu về kỳ thị và phân biệt đối xử", "en": "Understanding stigma and discrimination"},
    {"vi": "HIV: lây truyền và không lây truyền", "en": "HIV: how it is and is not transmitted"},
    {"vi": "Ngôn từ quan trọng", "en": "Words matter"},
    {"vi": "Quyền con người và pháp luật Việt Nam", "en": "Human rights and Vietnamese law"},
    {"vi": "Điều trị methadone và giảm hại", "en": "Methadone treatment and harm reduction"},
    {"vi": "Làm việc với nhóm tự lực", "en": "Working with self-help groups"},
    {"vi": "Bảo mật thông tin và tình trạng HIV", "en": "Confidentiality and HIV status"},
    {"vi": "Lập kế hoạch hành động tại cơ quan", "en": "Action planning in your workplace"},
]


def certificate_view(**changes: object) -> CertificateView:
    """A realistic certificate for a police cohort in Hà Nội; keyword arguments override."""
    fields: dict[str, object] = {
        "full_name": "Nguyễn Thị Hương",
        "language": "vi",
        "cohort_name": "Tập huấn Công an phường – Hà Nội, đợt 3/2026",
        "audience": {"vi": "Công an", "en": "Police"},
        "modules": MODULES,
        "hours": 12.5,
        "start_date": {"vi": "15/11/2026", "en": "15 November 2026"},
        "end_date": {"vi": "22/11/2026", "en": "22 November 2026"},
        "issued_on": {"vi": "22/11/2026", "en": "22 November 2026"},
        "facilitators": ["Trần Văn Minh", "Lê Thị Thu Hà", "Phạm Quốc Bảo"],
        "organisation_name": "Viện Nghiên cứu Xã hội, Kinh tế và Môi trường (ISDS)",
        "code": "K7QX-M4TR-9PHA",
        "verify_url": VERIFY_URL,
        "labels": CERTIFICATE_LABELS,
    }
    fields.update(changes)
    return CertificateView(**fields)  # type: ignore[arg-type]


def pdf_text(data: bytes) -> str:
    """Extract all text, with poppler's pdftotext when available, else with pypdf."""
    if shutil.which("pdftotext"):
        result = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
        )
        return result.stdout.decode("utf-8")
    # Pages are separated by form feeds, as pdftotext does.
    return "\f".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def require_tools(*names: str) -> None:
    """Skip when a command-line tool is missing, but fail on CI where it must be installed."""
    missing = [name for name in names if not shutil.which(name)]
    if missing:
        reason = f"needs {', '.join(missing)} (apt-get install poppler-utils zbar-tools)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def decode_qr(data: bytes, dpi: int = 150) -> str:
    """Rasterise page 1 with pdftoppm and return what zbarimg decodes from the PNG."""
    require_tools("pdftoppm", "zbarimg")
    with tempfile.TemporaryDirectory() as tmp:
        pdf, root = Path(tmp, "doc.pdf"), Path(tmp, "page")
        pdf.write_bytes(data)
        subprocess.run(
            ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "-f", "1", "-l", "1", pdf, root],
            capture_output=True,
            check=True,
        )
        result = subprocess.run(
            ["zbarimg", "--raw", "-q", root.with_suffix(".png")], capture_output=True, check=False
        )
    return result.stdout.decode("utf-8").strip()
