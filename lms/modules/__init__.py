from flask import Blueprint

bp = Blueprint("modules", __name__, template_folder="templates")

from lms.modules import material_routes, routes  # noqa: E402,F401
