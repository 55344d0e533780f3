"""Certificates: the trainee's own, downloads, a cohort's list and ZIP, public verification."""

from collections import Counter

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.certificates.blueprint import bp
from lms.certificates.forms import IssueForm, RevokeForm, VerifyForm
from lms.certificates.services import (
    CertificateError,
    TooManyGuesses,
    audit_download,
    can_download,
    certificates_of,
    find_certificate,
    format_code,
    normalise_code,
    revoke_certificate,
    valid_certificates,
    verify_code,
)
from lms.cohorts.models import Enrolment
from lms.cohorts.services import managed_cohort_or_404
from lms.downloads import download as send_download
from lms.extensions import db
from lms.jobs.services import start_job, submit
from lms.permissions import Permission, public, require, signed_in
from lms.progress.certification import (
    cohort_certificates,
    issue_by_hand,
    issue_to_eligible,
    uncertified_journeys,
)
from lms.urls import is_private_url, public_url


def verify_url(code: str) -> str:
    from lms.certificates.documents import verify_url  # reportlab loads on first use

    return verify_url(code)


@bp.context_processor
def certificate_helpers():
    return {"format_code": format_code, "verify_url": verify_url}


@bp.get("/certificates")
@require(Permission.LEARN)
def mine():
    return render_template(
        "certificates/mine.html",
        certificates=certificates_of(current_user),
        pending=uncertified_journeys(current_user),
    )


@bp.get("/certificates/<code>.pdf")
@signed_in
def download(code: str):
    certificate = find_certificate(code)
    # Someone else's certificate, a revoked one or a wrong code all look alike: not found.
    if certificate is None or certificate.is_revoked or not can_download(current_user, certificate):
        abort(404)
    from lms.certificates.documents import certificate_filename, certificate_pdf

    data = certificate_pdf(certificate)
    if certificate.enrolment.user_id != current_user.id:
        audit_download(current_user, [certificate])
        db.session.commit()
    return send_download(data, certificate_filename(certificate), "application/pdf")


@bp.route("/verify", methods=["GET", "POST"])
@public
def verify_form():
    submitted = request.method == "POST" or "code" in request.args
    form = VerifyForm(request.form if request.method == "POST" else request.args)
    if submitted and form.validate():
        return redirect(url_for("certificates.verify", code=format_code(normalise_code(form.code.data))), 303)
    return render_template("certificates/verify.html", form=form), 422 if form.errors else 200


@bp.get("/verify/<code>")
@public
def verify(code: str):
    # Revocation must show at once: no shared cache may keep an old answer.
    headers = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
    try:
        certificate = verify_code(code, request.remote_addr or "unknown")
    except TooManyGuesses as error:
        return render_template("certificates/verify_result.html", error=str(error)), 429, headers
    if certificate is None:
        form = VerifyForm(formdata=None, code=code)
        return render_template("certificates/verify_result.html", form=form), 404, headers
    return (
        render_template(
            "certificates/verify_result.html", certificate=certificate, code=format_code(certificate.code)
        ),
        200,
        headers,
    )


@bp.get("/cohorts/<int:cohort_id>/certificates")
@require(Permission.RUN_COHORTS)
def cohort(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    rows = cohort_certificates(cohort)
    # Printed certificates keep their verification address for good: warn before it is private.
    verify_address = public_url("certificates.verify_form")
    return render_template(
        "certificates/cohort.html",
        cohort=cohort,
        rows=rows,
        counts=Counter(row.state for row in rows),
        issue_form=IssueForm(),
        revoke_form=RevokeForm(),
        private_address=verify_address if is_private_url(verify_address) else None,
    )


@bp.get("/cohorts/<int:cohort_id>/certificates.zip")
@require(Permission.RUN_COHORTS)
def cohort_zip(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    certificates = valid_certificates(cohort)
    if not certificates:
        flash(_("No certificates have been issued in this cohort yet."), "info")
        return redirect(url_for("certificates.cohort", cohort_id=cohort.id))
    if len(certificates) > current_app.config["JOBS_DIRECT_CERTIFICATES"]:
        # A large cohort's PDFs take a while: built by the jobs worker, behind a progress bar.
        job = start_job(
            current_user,
            "certificate_zip",
            {"cohort_id": cohort.id},
            return_to=url_for("certificates.cohort", cohort_id=cohort.id),
            total=len(certificates),
        )
        db.session.commit()
        submit(job)
        return redirect(url_for("jobs.show", public_id=job.public_id), 303)
    from lms.certificates.documents import certificates_zip

    data = certificates_zip(certificates)
    audit_download(current_user, certificates, cohort)
    db.session.commit()
    return send_download(data, f"certificates-cohort-{cohort.id}.zip", "application/zip")


def _cohort_enrolment_or_404(cohort, enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != cohort.id:
        abort(404)
    return enrolment


def _back(cohort, anchor: str | None = None):
    target = url_for("certificates.cohort", cohort_id=cohort.id)
    return redirect(f"{target}#{anchor}" if anchor else target, 303)


def _form_failed(form) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(str(error), "error")


@bp.post("/cohorts/<int:cohort_id>/certificates/enrolments/<int:enrolment_id>/issue")
@require(Permission.RUN_COHORTS)
def issue(cohort_id: int, enrolment_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    enrolment = _cohort_enrolment_or_404(cohort, enrolment_id)
    form = IssueForm()
    if not form.validate():
        _form_failed(form)
        return _back(cohort, f"enrolment-{enrolment.id}")
    try:
        certificate = issue_by_hand(current_user, enrolment, form.reason.data, in_room=form.in_room.data)
    except CertificateError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(cohort, f"enrolment-{enrolment.id}")
    db.session.commit()
    flash(
        _(
            "Certificate %(code)s issued to %(name)s.",
            code=format_code(certificate.code),
            name=enrolment.user.full_name,
        ),
        "success",
    )
    return _back(cohort, f"enrolment-{enrolment.id}")


@bp.post("/cohorts/<int:cohort_id>/certificates/issue-eligible")
@require(Permission.RUN_COHORTS)
def issue_eligible(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    issued = issue_to_eligible(current_user, cohort)
    db.session.commit()
    flash(
        ngettext("%(num)s certificate issued.", "%(num)s certificates issued.", len(issued)),
        "success" if issued else "info",
    )
    return _back(cohort)


@bp.post("/cohorts/<int:cohort_id>/certificates/<code>/revoke")
@require(Permission.RUN_COHORTS)
def revoke(cohort_id: int, code: str):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    certificate = find_certificate(code)
    if certificate is None or certificate.enrolment.cohort_id != cohort.id:
        abort(404)
    form = RevokeForm()
    if not form.validate():
        _form_failed(form)
        return _back(cohort, f"enrolment-{certificate.enrolment_id}")
    try:
        revoke_certificate(current_user, certificate, form.reason.data)
    except CertificateError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back(cohort, f"enrolment-{certificate.enrolment_id}")
    db.session.commit()
    flash(_("Certificate %(code)s revoked.", code=format_code(certificate.code)), "success")
    return _back(cohort, f"enrolment-{certificate.enrolment_id}")
