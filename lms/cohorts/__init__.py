from flask import Blueprint

bp = Blueprint("cohorts", __name__, template_folder="templates")

from lms.cohorts import routes  # noqa: E402,F401
