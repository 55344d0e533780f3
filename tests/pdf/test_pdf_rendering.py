"""Certificates, sign-in slips and paper surveys: text, QR, determinism, size and fonts."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from lms.certificates.pdf import CERTIFICATE_LABEL_KEYS, render_certificate
from lms.cohorts.slips import SLIP_LABEL_KEYS, render_login_slips
from lms.pdf import FONT_DIR, register_fonts
from lms.quizzes.paper_pdf import PAPER_LABEL_KEYS, PaperForm, render_paper_survey

from .helpers import CERTIFICATE_LABELS, MODULES, VERIFY_URL, certificate_view, decode_qr, pdf_text

LONG_NAME = "Tôn Nữ Hoàng Ngọc Phương Thảo"

SLIP_LABELS = {
    "login": "Tên đăng nhập",
    "password": "Mật khẩu dùng một lần",
    "site": "Địa chỉ truy cập",
    "instruction": "Anh/chị sẽ phải đổi mật khẩu này khi đăng nhập lần đầu.",
}

PAPER_LABELS = {
    "trainee_code": "Mã học viên",
    "phase": "Thời điểm",
    "before": "Trước tập huấn",
    "after": "Sau tập huấn",
    "tick_one": "Đánh dấu một ô cho mỗi dòng.",
    "item": "Mã câu",
    "statement": "Nội dung",
    "knowledge": "Câu hỏi kiến thức",
    "tick_answer": "Đánh dấu một đáp án cho mỗi câu.",
    "page": "trang {page}/{pages}",
}


def paper_form(items: int = 6, codes: tuple[str, ...] = ("HN03-017", "HN03-018")) -> PaperForm:
    """A Vietnamese attitude survey with `items` Likert rows and two knowledge questions."""
    statements = [
        "Người sử dụng ma túy nên được đối xử tôn trọng như mọi người dân khác.",
        "Tôi thấy thoải mái khi ngồi ăn cùng mâm với người sống chung với HIV.",
        "Điều trị methadone giúp người sử dụng ma túy ổn định cuộc sống và công việc.",
    ]
    return PaperForm(
        title="Khảo sát thái độ và kiến thức – Tập huấn Công an phường",
        intro="Phiếu không ghi tên. Không có câu trả lời đúng hay sai cho phần thái độ.",
        language="vi",
        trainee_codes=list(codes),
        likert_labels=[
            "Hoàn toàn không đồng ý",
            "Không đồng ý",
            "Phân vân",
            "Đồng ý",
            "Hoàn toàn đồng ý",
        ],
        items=[(f"ATT-{n:02d}", statements[n % 3]) for n in range(1, items + 1)],
        knowledge=[
            ("KN-01", "HIV có thể lây qua đường nào?", ["Dùng chung bơm kim tiêm", "Ăn chung mâm"]),
            ("KN-02", "Methadone là gì?", ["Thuốc điều trị thay thế", "Một loại ma túy mới"]),
        ],
        labels=PAPER_LABELS,
    )


def test_fonts_cover_every_vietnamese_letter() -> None:
    register_fonts()
    register_fonts()  # idempotent
    letters = {"đ", "Đ"}
    for vowel in "aăâeêioôơuưy":
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"):
            letter = unicodedata.normalize("NFC", vowel + tone)
            letters |= {letter, letter.upper()}
    assert len(letters) == 146
    for name in ("Sans", "Sans-Bold"):
        glyphs = pdfmetrics.getFont(name).face.charToGlyph
        assert [ch for ch in sorted(letters) if ord(ch) not in glyphs] == []
    assert "Open Font License" in (FONT_DIR / "OFL.txt").read_text()


def test_label_sets_match_the_declared_keys() -> None:
    for labels in CERTIFICATE_LABELS.values():
        assert set(labels) == set(CERTIFICATE_LABEL_KEYS)
    assert set(SLIP_LABELS) == set(SLIP_LABEL_KEYS)
    assert set(PAPER_LABELS) == set(PAPER_LABEL_KEYS)


@pytest.mark.parametrize("name", ["Nguyễn Thị Hương", LONG_NAME])
def test_certificate_text_is_exact_nfc_vietnamese(name: str) -> None:
    # Decomposed input (as some keyboards produce) must come out as the composed name.
    decomposed = unicodedata.normalize("NFD", name)
    text = pdf_text(render_certificate(certificate_view(full_name=decomposed)))
    assert name in text
    assert "K7QX-M4TR-9PHA" in text
    assert "GIẤY CHỨNG NHẬN HOÀN THÀNH" in text and "CERTIFICATE OF COMPLETION" in text
    assert text.index("GIẤY CHỨNG NHẬN") < text.index("CERTIFICATE OF COMPLETION")


def test_english_trainee_gets_english_first() -> None:
    text = pdf_text(render_certificate(certificate_view(language="en")))
    assert text.index("CERTIFICATE OF COMPLETION") < text.index("GIẤY CHỨNG NHẬN")
    assert "22 November 2026" in text


def test_certificate_qr_decodes_to_the_verify_url() -> None:
    assert decode_qr(render_certificate(certificate_view(full_name=LONG_NAME))) == VERIFY_URL


def test_certificate_is_deterministic_and_small() -> None:
    view = certificate_view(full_name=LONG_NAME)
    first = render_certificate(view)
    assert render_certificate(view) == first
    assert len(first) < 80 * 1024  # render time is measured by `make bench`


def test_certificate_embeds_font_subsets() -> None:
    reader = PdfReader(io.BytesIO(render_certificate(certificate_view())))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [font.get_object() for font in fonts.values() if "/FontDescriptor" in font.get_object()]
    assert embedded, "no embedded TrueType font"
    ttf_size = (FONT_DIR / "NotoSans-Regular.ttf").stat().st_size
    for font in embedded:
        assert re.fullmatch(r"/[A-Z]{6}\+NotoSans-(Regular|Bold)", font["/BaseFont"])
        font_file = font["/FontDescriptor"]["/FontFile2"].get_object()
        assert len(font_file.get_data()) < ttf_size / 4


def test_certificate_with_logo_and_few_modules(tmp_path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 60), (31, 95, 116)).save(logo)
    data = render_certificate(certificate_view(logo_path=str(logo), modules=MODULES[:2]))
    assert len(data) < 80 * 1024
    assert "Words matter" not in pdf_text(data)


def test_login_slips_list_every_name_login_and_password() -> None:
    slips = [
        ("Nguyễn Thị Hương", "hn03-001", "K7QX-M4TR"),
        (LONG_NAME, "hn03-002", "WQ3P-8ZHC"),
        *[(f"Trần Văn Ánh {n}", f"hn03-{n:03d}", f"AB{n}C-DEFG") for n in range(3, 10)],
    ]
    data = render_login_slips(
        "Tập huấn Công an phường", "https://lms.example.org/join/HN03", slips, SLIP_LABELS
    )
    assert len(PdfReader(io.BytesIO(data)).pages) == 2  # 9 slips, 8 per page
    text = pdf_text(data)
    for name, login, password in slips:
        assert name in text and login in text and password in text
    assert SLIP_LABELS["instruction"] in text


def test_paper_survey_has_every_item_and_code() -> None:
    data = render_paper_survey(paper_form())
    text = pdf_text(data)
    for item_id in [f"ATT-{n:02d}" for n in range(1, 7)] + ["KN-01", "KN-02"]:
        assert text.count(item_id) == 2  # once per trainee code
    assert "HN03-017 · trang 1/1" in text and "HN03-018 · trang 1/1" in text


def test_long_paper_survey_spans_several_pages_per_code() -> None:
    data = render_paper_survey(paper_form(items=25))
    pages = [page for page in pdf_text(data).split("\f") if page.strip()]
    assert len(pages) % 2 == 0 and len(pages) >= 4
    per_code = len(pages) // 2
    assert f"HN03-018 · trang {per_code}/{per_code}" in pages[-1]
    for n in range(1, 26):
        assert sum(f"ATT-{n:02d}" in page for page in pages) == 2  # no row split or lost
