"""Home pages per role, the language switch, and a bare health check."""

from pathlib import Path

from flask import Response, current_app, redirect, render_template, request, session
from flask_login import current_user

from lms.cohorts.services import cohorts_for_facilitator
from lms.extensions import db
from lms.main.blueprint import bp
from lms.permissions import Permission, public, signed_in
from lms.progress.trainee import dashboard
from lms.reports.services import overview_for_home
from lms.urls import safe_next


@bp.get("/")
@public
def home():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    if current_user.can(Permission.MANAGE_ALL_COHORTS):
        overview = overview_for_home(current_user)
        db.session.commit()  # the groups released to this viewer
        return render_template("main/home_staff.html", overview=overview)
    if current_user.can(Permission.RUN_COHORTS):
        return render_template("main/home_facilitator.html", cohorts=cohorts_for_facilitator(current_user))
    return render_template("main/home_trainee.html", dashboard=dashboard(current_user))


@bp.get("/lang/<lang>")
@public
def set_language(lang: str):
    """Switch language without JavaScript and go back to the same page."""
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    return redirect(safe_next(request.args.get("next")))


@bp.get("/favicon.ico")
@public
def favicon():
    icon = Path(current_app.static_folder, "favicon.ico").read_bytes()
    return Response(
        icon, mimetype="image/vnd.microsoft.icon", headers={"Cache-Control": "public, max-age=86400"}
    )


@bp.get("/healthz")
@public
def healthz():
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.get("/account")
@signed_in
def account():
    return render_template("main/account.html")
