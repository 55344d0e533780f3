"""Cohorts: creating and running workshops, enrolment, the room view, paper mode."""

from flask import render_template

from lms.cohorts import bp
from lms.permissions import Permission, public, require


@bp.get("/cohorts")
@require(Permission.RUN_COHORTS)
def index():
    return render_template("cohorts/index.html")


@bp.route("/join", methods=["GET", "POST"])
@public
def join():
    return render_template("cohorts/join.html")


@bp.get("/enrolments/<int:enrolment_id>/state")
@require(Permission.LEARN)
def trainee_state(enrolment_id: int):
    return {}
