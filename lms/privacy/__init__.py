"""Disclosure control: which groups' figures may be shown, the record of what was shown, and
the privacy page that says who sees what."""

from flask import Blueprint

bp = Blueprint("privacy", __name__, template_folder="templates")

from lms.privacy import routes  # noqa: E402,F401
