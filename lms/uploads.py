"""One way in for uploaded spreadsheets, shared by both imports (trainees, historical results).

read_table turns a CSV or XLSX into rows of text within limits checked before any real work
(rows, and an XLSX's unpacked size read from its zip directory). Between preview and confirm
the checked rows wait in IMPORT_DIR as one small JSON file per upload (keep, load, claim,
drop), for IMPORT_KEEP_MINUTES at most; sweep deletes only such files, never anything else.
"""

import codecs
import csv
import io
import json
import os
import re
import secrets
import time
import warnings
import zipfile
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from lms.text import nfc

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
KINDS = ("preview", "result", "history", "mapping")
# Only files named like this are ours: "<token>.<kind>.json", ".claimed" while being imported.
KEPT_NAME = re.compile(r"^[A-Za-z0-9_-]{32}\.(" + "|".join(KINDS) + r")\.json(\.claimed)?$")
BLANK_ROWS_TOLERATED = 1000  # empty rows (formatted but unused) read before giving up


class UploadError(ValueError):
    """The file as a whole cannot be read; the message is translated."""


# --- Reading -------------------------------------------------------------------------------


def read_table(filename: str, data: bytes, max_rows: int) -> list[list[str]]:
    """The non-empty rows of a CSV or of an XLSX's first sheet, every cell as clean text.

    max_rows counts the rows below the heading; a longer file is refused without being read
    to its end."""
    if filename.lower().endswith(".xlsx"):
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(data)
    table, seen = [], 0
    for row in rows:
        seen += 1
        cells = [_cell_text(value) for value in row]
        if any(cells):
            table.append(cells)
        if len(table) > max_rows + 1 or seen > max_rows + 1 + BLANK_ROWS_TOLERATED:
            raise UploadError(_("The file has more than %(n)s rows.", n=max_rows))
    return table


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")  # Excel's "Unicode text"
        except UnicodeDecodeError:
            raise UploadError(_("This does not look like a CSV file.")) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError(
            _(
                "The file is not in UTF-8, so Vietnamese names would be garbled. It was probably "
                "saved in an older Windows encoding (Windows-1252 or CP1258). In Excel, choose "
                "“Save as” › “CSV UTF-8 (comma delimited)” and upload it again."
            )
        ) from None


def _csv_rows(data: bytes):
    text = _decode(data)
    if "\x00" in text:  # a binary file, or UTF-16 without its mark: refused, never cleaned
        raise UploadError(_("This does not look like a CSV file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)  # Excel in some locales writes semicolons
    return csv.reader(io.StringIO(text), delimiter=delimiter)


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    unreadable = UploadError(
        _("The Excel file could not be read. Please check that it is an .xlsx file and try again.")
    )
    limit = current_app.config["IMPORT_MAX_UNPACKED_MB"] * 1024 * 1024
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # The zip directory declares every part's size; zipfile never unpacks more.
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if unpacked > limit:
        raise UploadError(
            _(
                "The Excel file is too large once unpacked (more than %(n)s MB). "
                "Please split it, or save it as CSV.",
                n=current_app.config["IMPORT_MAX_UNPACKED_MB"],
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot read
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            yield from workbook.worksheets[0].iter_rows(values_only=True)
        finally:
            workbook.close()
    except Exception:  # a damaged or mislabelled file: any reader error means the same
        raise unreadable from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()  # the imports read days, never times
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return nfc(str(value))


# --- Keeping a checked upload until it is confirmed ----------------------------------------


def _folder() -> Path:
    path = Path(current_app.config["IMPORT_DIR"])
    path.mkdir(parents=True, exist_ok=True, mode=0o700)  # names and answers: owner only
    return path


def _path(kind: str, token: str) -> Path | None:
    if kind not in KINDS or not TOKEN.match(token or ""):
        return None
    return _folder() / f"{token}.{kind}.json"


def _write(path: Path, content: dict) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as f:
        json.dump(content, f, ensure_ascii=False)


def _read(path: Path, owner_id: int) -> dict | None:
    if _expired(path):
        path.unlink(missing_ok=True)
        return None
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if content.get("owner_id") != owner_id:
        return None  # another person's upload: behave as if it did not exist
    return content


def _expired(path: Path) -> bool:
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return True
    return age > current_app.config["IMPORT_KEEP_MINUTES"] * 60


def keep(kind: str, owner_id: int, content: dict, token: str | None = None) -> str:
    """Keep content for its owner until confirmed or expired; returns its token."""
    token = token or secrets.token_urlsafe(24)
    _write(_path(kind, token), {**content, "owner_id": owner_id})
    return token


def load(kind: str, owner_id: int, token: str) -> dict | None:
    """The owner's kept content, or None (unknown, expired, someone else's)."""
    path = _path(kind, token)
    return _read(path, owner_id) if path else None


def claim(kind: str, owner_id: int, token: str) -> dict | None:
    """Take the owner's kept content for importing: of two simultaneous claims only one gets
    it (an atomic rename), so a double-clicked confirm imports once."""
    path = _path(kind, token)
    if path is None or load(kind, owner_id, token) is None:
        return None
    claimed = path.with_name(path.name + ".claimed")
    try:
        path.rename(claimed)
    except OSError:
        return None  # claimed by another request a moment ago
    return _read(claimed, owner_id)


def release(kind: str, token: str) -> None:
    """Give a claimed upload back (the import failed and may be tried again)."""
    path = _path(kind, token)
    if path is not None:
        claimed = path.with_name(path.name + ".claimed")
        if claimed.exists():
            claimed.rename(path)


def drop(kind: str, token: str) -> None:
    path = _path(kind, token)
    if path is not None:
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".claimed").unlink(missing_ok=True)


def sweep() -> None:
    """Delete this module's kept files older than IMPORT_KEEP_MINUTES; nothing else."""
    folder = Path(current_app.config["IMPORT_DIR"])
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if KEPT_NAME.match(path.name) and _expired(path):
            path.unlink(missing_ok=True)


_last_sweep = 0.0


def sweep_now_and_then() -> None:
    """Sweep at most every five minutes, so passwords vanish even if nobody opens an import."""
    global _last_sweep
    if time.time() - _last_sweep > 300:
        _last_sweep = time.time()
        try:
            sweep()
        except OSError:
            current_app.logger.exception("could not sweep the kept import files")
