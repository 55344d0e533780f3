"""Cohorts: creating and editing them, the roster, and joining with a code or link."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from lms.auth.services import AccountError, record_failure, throttled
from lms.cohorts.blueprint import bp
from lms.cohorts.forms import PACING_LABELS, STATUS_LABELS, CohortForm, JoinCodeForm, RegisterForm
from lms.cohorts.models import Enrolment
from lms.cohorts.services import (
    CohortError,
    anonymous_urls,
    check_can_join,
    cohort_by_join_code,
    cohorts_for_facilitator,
    create_cohort,
    default_cohort_modules,
    default_org_type,
    enrolment_counts,
    enrolment_in_cohort_or_404,
    facilitator_candidates,
    historical_cohorts,
    is_enrolled,
    join_cohort,
    join_url,
    live_cohort_or_404,
    managed_cohort_or_404,
    normalise_join_code,
    qr_svg,
    register_and_join,
    reset_trainee_password,
    roster,
    set_anonymous,
    set_cohort_modules,
    set_facilitators,
    set_pre_survey_waived,
    set_status,
)
from lms.extensions import db
from lms.i18n import current_language
from lms.mail import mail_configured
from lms.modules.services import active_modules
from lms.permissions import Permission, public, require
from lms.progress.reminders import wave_reminders
from lms.progress.trainee import waiting_state
from lms.text import nfc
from lms.vocab import province_choices


def _cohort_form(cohort=None) -> CohortForm:
    form = CohortForm(obj=cohort)
    form.province.choices = province_choices()
    form.facilitators.choices = [(u.id, u.full_name) for u in facilitator_candidates()]
    modules = [(m.id, m.text("title")) for m in active_modules()]
    form.modules.choices = form.required_modules.choices = modules
    if request.method == "GET":
        if cohort is None:
            form.facilitators.data = [current_user.id]
            form.language.data = current_user.language or "vi"
        else:
            form.facilitators.data = [u.id for u in cohort.facilitators]
            form.modules.data = [cm.module_id for cm in cohort.modules]
            form.required_modules.data = [cm.module_id for cm in cohort.modules if cm.required]
    return form


def _save_cohort(form: CohortForm, cohort):
    fields = {
        name: getattr(form, name).data
        for name in (
            "name",
            "audience",
            "province",
            "start_date",
            "end_date",
            "language",
            "pacing",
            "knowledge_pass_percent",
        )
    }
    fields["venue"] = form.venue.data or None
    if cohort is None:
        cohort = create_cohort(current_user, modules=[], status=form.status.data, **fields)
    else:
        for name, value in fields.items():
            setattr(cohort, name, value)
        set_status(current_user, cohort, form.status.data)
    set_anonymous(current_user, cohort, form.anonymous.data, form.anonymous_certificates.data)
    set_facilitators(current_user, cohort, form.facilitators.data)
    if form.modules.data:
        set_cohort_modules(cohort, form.modules.data, form.required_modules.data)
    else:  # none ticked: the modules of the cohort's audience
        cohort.modules = default_cohort_modules(cohort.audience)
    db.session.commit()
    return cohort


@bp.get("/cohorts")
@require(Permission.RUN_COHORTS)
def index():
    cohorts = cohorts_for_facilitator(current_user)
    search = nfc(request.args.get("q") or "")[:200]  # no NUL reaches PostgreSQL
    province = nfc(request.args.get("province") or "")[:60]
    historical = historical_cohorts(current_user, search, province)
    return render_template(
        "cohorts/index.html",
        cohorts=cohorts,
        status_labels=STATUS_LABELS,
        counts=enrolment_counts(cohorts + historical),
        historical=historical,
        search=search,
        province=province,
        provinces=province_choices(),
        staff=current_user.can(Permission.MANAGE_ALL_COHORTS),
    )


@bp.route("/cohorts/new", methods=["GET", "POST"])
@require(Permission.RUN_COHORTS)
def new():
    form = _cohort_form()
    if form.validate_on_submit():
        cohort = _save_cohort(form, None)
        flash(_("The cohort has been created. Its join code is %(code)s.", code=cohort.join_code), "success")
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, title=_("New cohort")), 422 if form.errors else 200


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@require(Permission.RUN_COHORTS)
def edit(cohort_id: int):
    cohort = live_cohort_or_404(current_user, cohort_id)
    form = _cohort_form(cohort)
    if form.validate_on_submit():
        try:  # checked before anything changes, so a refusal writes nothing
            set_anonymous(current_user, cohort, form.anonymous.data, form.anonymous_certificates.data)
        except CohortError as error:
            db.session.rollback()
            form.anonymous.errors.append(str(error))
            return render_template("cohorts/form.html", form=form, cohort=cohort, title=cohort.name), 422
        _save_cohort(form, cohort)
        flash(_("Saved."), "success")
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    return render_template(
        "cohorts/form.html", form=form, cohort=cohort, title=cohort.name
    ), 422 if form.errors else 200


@bp.get("/cohorts/<int:cohort_id>")
@require(Permission.RUN_COHORTS)
def show(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    if cohort.historical:  # imported results: read-only, no join code, pacing or passwords
        return render_template("cohorts/show_historical.html", cohort=cohort, enrolments=roster(cohort))
    return render_template(
        "cohorts/show.html",
        cohort=cohort,
        enrolments=roster(cohort),
        join_url=join_url(cohort),
        status_labels=STATUS_LABELS,
        anonymous_urls=anonymous_urls(cohort),
        pacing_labels=PACING_LABELS,
        waves=wave_reminders(cohort),
        mail_ready=mail_configured(),
    )


@bp.post("/cohorts/<int:cohort_id>/status")
@require(Permission.RUN_COHORTS)
def change_status(cohort_id: int):
    cohort = live_cohort_or_404(current_user, cohort_id)
    try:
        set_status(current_user, cohort, request.form.get("status", ""))
    except CohortError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("The cohort is now %(status)s.", status=STATUS_LABELS[cohort.status]), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/enrolments/<int:enrolment_id>/reset-password")
@require(Permission.RUN_COHORTS)
def reset_password(cohort_id: int, enrolment_id: int):
    cohort = live_cohort_or_404(current_user, cohort_id)
    enrolment = enrolment_in_cohort_or_404(cohort, enrolment_id)
    try:
        password = reset_trainee_password(current_user, enrolment)
    except CohortError as error:
        flash(str(error), "error")
        return redirect(url_for("cohorts.show", cohort_id=cohort.id))
    db.session.commit()
    return render_template(
        "one_time_password.html",
        user=enrolment.user,
        password=password,
        back_url=url_for("cohorts.show", cohort_id=cohort.id) + "#roster",
        back_label=_("Back to the cohort"),
    )


@bp.post("/cohorts/<int:cohort_id>/enrolments/<int:enrolment_id>/waive")
@require(Permission.RUN_COHORTS)
def waive(cohort_id: int, enrolment_id: int):
    cohort = live_cohort_or_404(current_user, cohort_id)
    enrolment = enrolment_in_cohort_or_404(cohort, enrolment_id)
    set_pre_survey_waived(current_user, enrolment, request.form.get("waived") == "1")
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort.id) + "#roster")


@bp.get("/cohorts/<int:cohort_id>/poster")
@require(Permission.RUN_COHORTS)
def poster(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    url = join_url(cohort)
    return render_template(
        "cohorts/poster.html",
        cohort=cohort,
        join_url=url,
        qr=qr_svg(url, _("Join %(name)s", name=cohort.name)),
    )


# --- Joining -------------------------------------------------------------------------------


def _too_many_guesses(address: str) -> bool:
    return throttled(
        {f"join:{address}": current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]},
        current_app.config["LOGIN_LOCK_MINUTES"],
    )


def _cohort_for_code_or_refuse(code: str):
    """The cohort of a join code in a URL; unknown codes count against the address, and an
    address that guessed too often is refused on every join page (429)."""
    address = request.remote_addr or "unknown"
    if _too_many_guesses(address):
        abort(429)
    cohort = cohort_by_join_code(code)
    if cohort is None:
        record_failure(f"join:{address}")
    return cohort


@bp.route("/join", methods=["GET", "POST"])
@public
def join():
    form = JoinCodeForm()
    if form.validate_on_submit():
        address = request.remote_addr or "unknown"
        if _too_many_guesses(address):
            form.code.errors.append(_("Too many wrong codes. Please wait a few minutes."))
        elif cohort_by_join_code(form.code.data) is None:
            record_failure(f"join:{address}")
            form.code.errors.append(_("No cohort has this join code. Please check it with your facilitator."))
        else:
            return redirect(url_for("cohorts.join_code", code=normalise_join_code(form.code.data)))
    return render_template("cohorts/join.html", form=form), 422 if form.errors else 200


def _join_page(cohort, register_form=None, error=None, status=200):
    if cohort is not None and register_form is None:
        register_form = RegisterForm(
            formdata=None, org_type=default_org_type(cohort), province=cohort.province
        )
    if register_form is not None:
        register_form.province.choices = province_choices()
    enrolled = cohort is not None and current_user.is_authenticated and is_enrolled(cohort, current_user)
    if error is None and cohort is not None and not enrolled:
        try:
            check_can_join(cohort, current_user if current_user.is_authenticated else None)
        except CohortError as refusal:
            error, status = str(refusal), 409 if status == 200 else status
    return render_template(
        "cohorts/join_cohort.html", cohort=cohort, form=register_form, error=error, enrolled=enrolled
    ), status


@bp.get("/join/<code>")
@public
def join_code(code: str):
    cohort = _cohort_for_code_or_refuse(code)
    if cohort is None:
        return _join_page(
            None, error=_("No cohort has this join code. Please check it with your facilitator."), status=404
        )
    if normalise_join_code(code) != code:
        return redirect(url_for("cohorts.join_code", code=cohort.join_code))
    return _join_page(cohort)


@bp.post("/join/<code>")
@require(Permission.LEARN)
def enrol_self(code: str):
    cohort = _cohort_for_code_or_refuse(code) or abort(404)
    try:
        _enrolment, created = join_cohort(cohort, current_user)
    except CohortError as error:
        return _join_page(cohort, error=str(error), status=409)
    db.session.commit()
    if created:
        flash(_("Welcome! You have joined %(name)s.", name=cohort.name), "success")
    else:
        flash(_("You are already in %(name)s.", name=cohort.name), "info")
    return redirect(url_for("main.home"))


@bp.post("/join/<code>/register")
@public
def register(code: str):
    cohort = _cohort_for_code_or_refuse(code) or abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("cohorts.join_code", code=cohort.join_code))
    form = RegisterForm()
    form.province.choices = province_choices()
    if form.validate_on_submit():
        try:
            enrolment = register_and_join(
                cohort,
                username=form.username.data,
                full_name=form.full_name.data,
                password=form.password.data,
                org_type=form.org_type.data,
                province=form.province.data,
                language=current_language(),
            )
        except AccountError as error:
            form.username.errors.append(str(error))
        except CohortError as error:
            return _join_page(cohort, form, error=str(error), status=409)
        else:
            db.session.commit()
            login_user(enrolment.user)
            flash(_("Welcome! You have joined %(name)s.", name=cohort.name), "success")
            return redirect(url_for("main.home"))
    return _join_page(cohort, form, status=422)


@bp.get("/enrolments/<int:enrolment_id>/state")
@require(Permission.LEARN)
def trainee_state(enrolment_id: int):
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != current_user.id:
        abort(404)
    return waiting_state(enrolment)
