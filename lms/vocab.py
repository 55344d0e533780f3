"""Controlled vocabularies shared by every domain: organisation types, audiences, provinces."""

import csv
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.i18n import current_language

ORG_TYPES = {
    "police": _l("Police"),
    "centre_staff": _l("05-06 centre staff"),
    "ngo": _l("NGO"),
    "cbo": _l("CBO / community group"),
    "health_worker": _l("Health worker"),
    "other": _l("Other"),
}

# Audiences of toolkit modules and survey items ("all" = common to everyone).
AUDIENCES = {
    "all": _l("Everyone"),
    "police": _l("Police"),
    "centre_staff": _l("05-06 centre staff"),
    "ngo_cbo": _l("NGO / CBO workers"),
}

# A cohort's audience: one track, or mixed.
COHORT_AUDIENCES = {
    "police": AUDIENCES["police"],
    "centre_staff": AUDIENCES["centre_staff"],
    "ngo_cbo": AUDIENCES["ngo_cbo"],
    "mixed": _l("Mixed"),
}

ORG_TYPE_AUDIENCE = {"police": "police", "centre_staff": "centre_staff", "ngo": "ngo_cbo", "cbo": "ngo_cbo"}

LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}

PROVINCES_FILE = Path(__file__).parent / "data" / "provinces.csv"


@cache
def _provinces() -> dict[str, dict[str, str]]:
    with PROVINCES_FILE.open(encoding="utf-8") as f:
        return {row["code"]: row for row in csv.DictReader(f)}


def province_codes() -> list[str]:
    return list(_provinces())


def province_name(code: str | None, lang: str | None = None) -> str:
    """The province's name in the given (or current) language; unknown codes shown as-is."""
    row = _provinces().get(code or "")
    if row is None:
        return code or ""
    lang = lang or current_language()
    return row["name_vi"] if lang == "vi" else row["name_en"]


def province_choices() -> list[tuple[str, str]]:
    return [(code, province_name(code)) for code in _provinces()]


def label(vocabulary: dict, code: str | None) -> str:
    """Translated label for a code, or the code itself when unknown."""
    return str(vocabulary[code]) if code in vocabulary else (code or "")
