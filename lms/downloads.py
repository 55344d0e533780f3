"""Files handed to a browser: one way to name them and to keep them out of every cache."""

import io

from flask import Response, send_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, filename: str, mimetype: str) -> Response:
    """An attachment named `filename` (Vietnamese names reach Excel intact: RFC 6266 filename*,
    with an ASCII fallback) that no browser or proxy keeps: these files hold personal data."""
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=filename, max_age=0)
    response.headers["Cache-Control"] = "no-store, private"
    return response
