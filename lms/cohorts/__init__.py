from flask import Blueprint

bp = Blueprint("cohorts", __name__, template_folder="templates")

from lms.cohorts import routes, routes_import, routes_paper, routes_workshop  # noqa: E402,F401
