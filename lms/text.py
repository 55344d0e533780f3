"""Unicode hygiene: Vietnamese typed as composed or decomposed characters is the same text."""

import re
import unicodedata

from flask_wtf import FlaskForm
from sqlalchemy import event
from sqlalchemy.orm import Session

# Control characters (NUL above all: PostgreSQL refuses it) never belong in stored text.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: str) -> str:
    """NFC-normalised text without control characters (line breaks and tabs kept)."""
    return unicodedata.normalize("NFC", CONTROL_CHARACTERS.sub("", value))


def nfc(value):
    """Clean and strip a string; anything else passes through."""
    if isinstance(value, str):
        return clean(value).strip()
    return value


def fold(value: str) -> str:
    """Lower-case text without diacritics: "Nguyễn Đức" -> "nguyen duc", so people find a name
    typed on a keyboard without Vietnamese input."""
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Form(FlaskForm):
    """Base form: every text field is NFC-normalised and stripped on the way in."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            options["filters"] = [nfc, *options.get("filters", ())]
            return unbound_field.bind(form=form, **options)


@event.listens_for(Session, "before_flush")
def _normalise_text_columns(session, flush_context, instances):
    # The database guarantee behind the form filter: CLI, imports and services included.
    for obj in (*session.new, *session.dirty):
        for attr in obj.__mapper__.column_attrs:
            value = getattr(obj, attr.key, None)
            if isinstance(value, str) and (
                not unicodedata.is_normalized("NFC", value) or CONTROL_CHARACTERS.search(value)
            ):
                setattr(obj, attr.key, clean(value))
