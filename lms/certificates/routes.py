"""Certificates: the trainee's own, downloads, and public verification."""

from flask import render_template

from lms.certificates import bp
from lms.permissions import Permission, public, require


@bp.get("/certificates")
@require(Permission.LEARN)
def mine():
    return render_template("certificates/mine.html", certificates=[])


@bp.route("/verify", methods=["GET", "POST"])
@public
def verify_form():
    return render_template("certificates/verify.html")
