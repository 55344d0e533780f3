from flask import Blueprint

bp = Blueprint("reports", __name__, template_folder="templates")

from lms.reports import routes  # noqa: E402,F401
