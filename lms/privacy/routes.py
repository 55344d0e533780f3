"""The privacy page: who can see what, in plain words."""

from flask import current_app, render_template

from lms.permissions import public
from lms.privacy.blueprint import bp


@bp.get("/privacy")
@public
def page():
    return render_template("privacy/page.html", min_n=current_app.config["REPORT_MIN_N"])
