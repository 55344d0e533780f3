"""Attitude-change reports for programme staff and facilitators."""

from flask import render_template

from lms.permissions import Permission, require
from lms.reports import bp


@bp.get("/reports")
@require(Permission.VIEW_REPORTS)
def index():
    return render_template("reports/index.html")
