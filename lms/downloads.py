"""Files handed to a browser: one way to name them and to keep them out of every cache."""

import io
import re
from urllib.parse import quote

from flask import Response, send_file

from lms.text import fold, nfc

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters no file system or browser keeps in a file name.
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def name_part(text: str, limit: int = 80) -> str:
    """A piece of a file name from free text (a cohort's name): one line, without the
    characters file systems refuse, at most `limit` characters."""
    return " ".join(_NOT_IN_NAMES.sub(" ", nfc(text or "")).split())[:limit].strip()


def download(data: bytes, filename: str, mimetype: str) -> Response:
    """An attachment named `filename` (Vietnamese names reach Excel intact: RFC 6266 filename*,
    with an ASCII fallback) that no browser or proxy keeps: these files hold personal data."""
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )
    if not filename.isascii():
        # Werkzeug's fallback drops "đ" and every accented letter it cannot decompose:
        # "Đà Nẵng" would become "a Nang". lms.text.fold turns it into "da nang".
        fallback = fold(filename).encode("ascii", "ignore").decode("ascii")
        response.headers.set(
            "Content-Disposition",
            "attachment",
            filename=fallback,
            **{"filename*": "UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")},
        )
    response.headers["Cache-Control"] = "no-store, private"
    return response
