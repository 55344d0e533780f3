"""Small helpers shared by the certificate tests."""

from lms.extensions import db


def in_english(user):
    """Make the user read the UI in English (their saved choice beats ?lang=); returns it."""
    user.language = "en"
    db.session.commit()
    return user
