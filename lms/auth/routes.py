"""Sign in and out, passwords, and account management for staff."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME
from sqlalchemy import select
from werkzeug.security import check_password_hash

from lms.auth.blueprint import bp
from lms.auth.forms import (
    ROLE_LABELS,
    ChangePasswordForm,
    EditUserForm,
    LoginForm,
    ResetPasswordForm,
    UserForm,
    UserSearchForm,
)
from lms.auth.models import User
from lms.auth.services import (
    AccountError,
    authenticate,
    can_manage,
    change_role,
    create_user,
    end_sessions,
    reset_password,
    set_password,
)
from lms.extensions import db
from lms.permissions import MANAGEABLE_ROLES, Permission, Role, public, require, signed_in
from lms.text import fold
from lms.urls import safe_next
from lms.vocab import province_choices


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr or "unknown")
        except AccountError as error:
            form.password.errors.append(str(error))
        else:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
@public
def logout():
    if current_user.is_authenticated:
        end_sessions(current_user)  # copies of this session or its cookie stop working too
        db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not check_password_hash(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is not correct."))
        else:
            try:
                set_password(current_user, form.new_password.data)
            except AccountError as error:
                form.new_password.errors.append(str(error))
            else:
                db.session.commit()
                # Every other session has ended; this one continues under the new id.
                cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
                login_user(current_user._get_current_object(), remember=cookie in request.cookies)
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)


def _one_time_password_page(user: User, password: str):
    return render_template(
        "one_time_password.html",
        user=user,
        password=password,
        back_url=url_for("auth.users"),
        back_label=_("Back to accounts"),
    )


def _role_choices():
    allowed = MANAGEABLE_ROLES.get(Role(current_user.role), set())
    return [(role.value, label) for role, label in ROLE_LABELS.items() if role in allowed]


def _managed_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id) or abort(404)
    if not can_manage(current_user, user.role):
        abort(403)
    return user


@bp.get("/users")
@require(Permission.MANAGE_USERS)
def users():
    form = UserSearchForm(request.args)
    query = select(User).order_by(User.full_name).limit(200)
    manageable = [r.value for r in MANAGEABLE_ROLES.get(Role(current_user.role), set())]
    query = query.where(User.role.in_(manageable))
    if form.q.data:
        query = query.where(User.search_key.contains(fold(form.q.data), autoescape=True))
    return render_template(
        "auth/users.html", users=db.session.scalars(query).all(), form=form, role_labels=ROLE_LABELS
    )


@bp.route("/users/new", methods=["GET", "POST"])
@require(Permission.MANAGE_USERS)
def new_user():
    form = UserForm()
    form.role.choices = _role_choices()
    form.province.choices = [("", "—"), *province_choices()]
    if form.validate_on_submit():
        try:
            user, password = create_user(
                form.username.data,
                form.full_name.data,
                role=form.role.data,
                email=form.email.data or None,
                phone=form.phone.data or None,
                org_type=form.org_type.data,
                province=form.province.data or None,
                language=form.language.data,
            )
        except AccountError as error:
            form.username.errors.append(str(error))
        else:
            db.session.commit()
            return _one_time_password_page(user, password)
    return render_template("auth/user_form.html", form=form, title=_("New account"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require(Permission.MANAGE_USERS)
def edit_user(user_id: int):
    user = _managed_user_or_404(user_id)
    form = EditUserForm(obj=user)
    form.role.choices = _role_choices()
    form.province.choices = [("", "—"), *province_choices()]
    if form.validate_on_submit():
        change_role(current_user, user, form.role.data, form.reason.data or None)
        for field in ("full_name", "org_type", "language", "active"):
            setattr(user, field, getattr(form, field).data)
        user.email, user.phone = form.email.data or None, form.phone.data or None
        user.province = form.province.data or None
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("auth.users"))
    return render_template(
        "auth/user_form.html", form=form, user=user, title=user.full_name, reset_form=ResetPasswordForm()
    )


@bp.post("/users/<int:user_id>/reset-password")
@require(Permission.MANAGE_USERS)
def reset_user_password(user_id: int):
    user = _managed_user_or_404(user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        abort(400)
    password = reset_password(current_user, user, form.reason.data or None)
    db.session.commit()
    return _one_time_password_page(user, password)
