from flask import Blueprint

bp = Blueprint("cohorts", __name__, template_folder="templates")

from lms.cohorts import (  # noqa: E402,F401
    routes,
    routes_import,
    routes_paper,
    routes_presenter,
    routes_workshop,
)
