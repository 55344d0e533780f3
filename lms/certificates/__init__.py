from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")

from lms.certificates import routes  # noqa: E402,F401
