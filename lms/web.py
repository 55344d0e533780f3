"""Request-wide behaviour: security headers, sign-in plumbing, error pages, template helpers."""

import hashlib
from functools import cache, lru_cache
from pathlib import Path

from flask import Flask, flash, g, redirect, render_template, request, url_for
from flask.globals import _cv_request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from lms.auth.models import User
from lms.extensions import db, login_manager
from lms.i18n import current_language
from lms.permissions import Permission, has_permission
from lms.progress.states import CertificateState, Completion, ModuleAccess, PhaseState
from lms.quizzes.models import Phase
from lms.urls import safe_next, workshop_address
from lms.vocab import AUDIENCES, COHORT_AUDIENCES, ORG_TYPES, label, province_name

# Ids are 32-bit integer columns on PostgreSQL; a larger number in a URL names nothing.
MAX_ID = 2**31 - 1

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

ERROR_TITLES = {
    400: _l("The request could not be understood"),
    403: _l("You do not have access to this page"),
    404: _l("Page not found"),
    405: _l("This action is not allowed here"),
    413: _l("The file is too large"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
}
ERROR_HINTS = {
    400: _l("Please go back, reload the page and try again."),
    403: _l("If you think you should have access, ask your facilitator or programme staff."),
    404: _l("The address may be mistyped, or the page has moved."),
    405: _l("Please go back and use the buttons on the page."),
    413: _l("Please choose a smaller file and try again."),
    429: _l("Please wait a few minutes before you try again."),
    500: _l("Nothing you entered has been lost. Please try again in a moment."),
}


@login_manager.user_loader
def load_user(session_id: str):
    """The user of a session or remember-me cookie, unless it was ended since (sign-out,
    new password) or the account is inactive."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or int(user_id) > MAX_ID:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


@cache
def _static_version(folder: str, filename: str) -> str:
    path = Path(folder) / filename
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else "0"


class BoundedInt(IntegerConverter):
    """<int:...> in every route: a number too large for an id is a 404, not a database error."""

    def __init__(self, map, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, **kwargs)


class App(Flask):
    def url_for(
        self, endpoint: str, /, *, _anchor=None, _method=None, _scheme=None, _external=None, **values
    ) -> str:
        """Flask's url_for, with the relative address of an endpoint and plain values kept:
        a page builds the same dozen addresses (its menu, stylesheet, the lesson's neighbours)
        on every request, and the route map never changes while the process runs."""
        ctx = _cv_request.get(None)
        if (
            ctx is None
            or _anchor
            or _method
            or _scheme
            or _external
            or endpoint[:1] == "."
            or not all(type(v) in (str, int) for v in values.values())
        ):
            return super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values
            )
        return self._relative_url(ctx.request.script_root, endpoint, tuple(values.items()))

    @lru_cache(maxsize=4096)  # noqa: B019 (one App per process, kept for its whole life)
    def _relative_url(self, script_root: str, endpoint: str, values: tuple) -> str:
        return super().url_for(endpoint, **dict(values))

    def get_send_file_max_age(self, filename):
        # Static URLs carry a hash of the file (see static_version), so phones on slow
        # connections may keep them for a year; generated downloads (filename None) are not cached.
        return 31_536_000 if filename else None


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt  # before any blueprint adds its routes

    @app.url_defaults
    def static_version(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["v"] = _static_version(app.static_folder, values["filename"])

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"

    @app.before_request
    def force_password_change():
        # A one-time password is for signing in once: change it before anything else.
        if (
            current_user.is_authenticated
            and current_user.must_change_password
            and request.endpoint
            not in {"auth.change_password", "auth.logout", "main.set_language", "main.favicon", "static"}
        ):
            flash(_("Please choose a new password before you continue."), "info")
            return redirect(url_for("auth.change_password"))
        return None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        # Pages and files with personal data (certificates, exports) are never kept in a cache.
        attachment = "attachment" in response.headers.get("Content-Disposition", "")
        # is_anonymous reads no column: a user expired by the route's commit is not reloaded.
        signed_in = not getattr(g.get("_login_user"), "is_anonymous", True)
        if (
            (signed_in or attachment)
            and request.endpoint not in ("static", "main.favicon")
            and "no-store" not in response.headers.get("Cache-Control", "")
        ):
            response.headers["Cache-Control"] = "private, no-store"
        return response

    @app.errorhandler(HTTPException)
    def http_error(error):
        code = error.code if error.code in ERROR_TITLES else 400
        if error.code and error.code < 400:
            return error
        return render_template(
            "error.html", code=code, title=ERROR_TITLES[code], hint=ERROR_HINTS[code]
        ), error.code or 400

    @app.errorhandler(Exception)
    def server_error(error):
        app.logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        return render_template("error.html", code=500, title=ERROR_TITLES[500], hint=ERROR_HINTS[500]), 500

    def _can():
        """can('…') in templates: the user's permissions looked up once per page, not per
        menu entry (a name that is no permission is still an error)."""
        user = current_user._get_current_object()
        granted = {p for p in Permission if has_permission(user, p)}
        return lambda permission: Permission(permission) in granted

    @app.context_processor
    def template_helpers():
        return {
            "current_lang": current_language(),
            "audience_label": lambda code: label(AUDIENCES | COHORT_AUDIENCES, code),
            "org_type_label": lambda code: label(ORG_TYPES, code),
            "province_name": province_name,
            "workshop_address": workshop_address,
            "can": _can(),
            "lang_switch_url": lambda lang: url_for(
                "main.set_language", lang=lang, next=request.full_path.rstrip("?")
            ),
        }

    app.jinja_env.globals["safe_next"] = safe_next
    # Templates (macros included) compare enum members, never bare strings.
    app.jinja_env.globals.update(
        Phase=Phase,
        PhaseState=PhaseState,
        ModuleAccess=ModuleAccess,
        Completion=Completion,
        CertificateState=CertificateState,
    )
