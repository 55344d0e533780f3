"""Certificate files: the PDF built from the frozen snapshot, file names, the cohort's ZIP."""

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l

from lms.certificates.models import Certificate
from lms.certificates.pdf import LANGUAGES, CertificateView, render_certificate
from lms.certificates.services import certificate_labels, format_code
from lms.text import nfc
from lms.urls import public_url
from lms.vocab import COHORT_AUDIENCES

# Vietnamese documents write dates as numbers; English spells the month to avoid 11/12 vs 12/11.
DATE_FORMATS = {"vi": "dd/MM/yyyy", "en": "d MMMM yyyy"}


def _per_language(value: date) -> dict[str, str]:
    formatted = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            formatted[lang] = format_date(value, DATE_FORMATS[lang])
    return formatted


def _translated(text) -> dict[str, str]:
    result = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            result[lang] = str(text)
    return result


def verify_url(code: str) -> str:
    """The absolute public verification address (see lms.urls.public_url)."""
    return public_url("certificates.verify", code=format_code(code))


def certificate_view(certificate: Certificate) -> CertificateView:
    """What the certificate prints: the snapshot, worded in both languages."""
    snapshot = certificate.snapshot
    organisation = snapshot.get("organisation_name")
    if not organisation:
        names = _translated(_l("Stigma-reduction training"))
        first = snapshot["language"]
        organisation = " · ".join(
            dict.fromkeys([names[first], *(names[lang] for lang in LANGUAGES if lang != first)])
        )
    logo = snapshot.get("logo_path")
    if logo:
        logo = logo if Path(logo).is_file() else None  # a moved logo must not break old PDFs
    return CertificateView(
        full_name=snapshot["full_name"],
        language=snapshot["language"],
        cohort_name=snapshot["cohort_name"],
        audience=_translated(COHORT_AUDIENCES.get(snapshot["audience"], snapshot["audience"])),
        modules=[{lang: module[lang] for lang in LANGUAGES} for module in snapshot["modules"]],
        hours=snapshot["hours"],
        start_date=_per_language(date.fromisoformat(snapshot["start_date"])),
        end_date=_per_language(date.fromisoformat(snapshot["end_date"])),
        issued_on=_per_language(date.fromisoformat(snapshot["issued_on"])),
        facilitators=list(snapshot["facilitators"]),
        organisation_name=organisation,
        code=format_code(certificate.code),
        verify_url=verify_url(certificate.code),
        labels=certificate_labels(),
        logo_path=logo,
    )


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as a PDF; the same certificate gives the same bytes."""
    return render_certificate(certificate_view(certificate))


def slugify(text: str) -> str:
    """ASCII file-name form of a Vietnamese name: "Nguyễn Thị Hương" -> "nguyen-thi-huong"."""
    text = nfc(text).replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "certificate"


def certificate_filename(certificate: Certificate) -> str:
    return f"{slugify(certificate.snapshot['full_name'])}-{format_code(certificate.code)}.pdf"


def certificates_zip(
    certificates: list[Certificate], progress: Callable[[int, int], None] | None = None
) -> bytes:
    """One ZIP of the PDFs, named and ordered by name slug and code, with fixed timestamps;
    progress(done, total) is called after each certificate (a background job's bar)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, certificate in enumerate(sorted(certificates, key=certificate_filename), 1):
            issued = date.fromisoformat(certificate.snapshot["issued_on"])
            info = zipfile.ZipInfo(
                certificate_filename(certificate), date_time=(issued.year, issued.month, issued.day, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, certificate_pdf(certificate))
            if progress is not None:
                progress(done, len(certificates))
    return buffer.getvalue()
