"""Bulk import of trainees: upload and preview, confirm, then print the login slips once."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.models import audit
from lms.cohorts.blueprint import bp
from lms.cohorts.forms import ImportForm
from lms.cohorts.imports import (
    check_records,
    checked_file,
    forget_result,
    import_result,
    import_trainees,
    keep_checked_file,
    keep_result,
    login_slips_pdf,
    read_records,
)
from lms.cohorts.services import CohortError, managed_cohort_or_404
from lms.downloads import download
from lms.extensions import db
from lms.permissions import Permission, require
from lms.uploads import UploadError, sweep, sweep_now_and_then


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@require(Permission.RUN_COHORTS)
def import_upload(cohort_id: int):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    sweep()
    form = ImportForm()
    check = token = None
    if cohort.is_closed:
        flash(_("This cohort is closed: no one can be added to it."), "error")
    elif form.validate_on_submit():
        upload = form.file.data
        try:
            records = read_records(upload.filename or "", upload.read())
        except UploadError as error:
            form.file.errors.append(str(error))
        else:
            check = check_records(cohort, current_user, records)
            if check.valid:
                token = keep_checked_file(cohort, current_user, upload.filename, records)
    status = 422 if form.errors or (check and not check.valid) else 200
    return render_template("cohorts/import.html", cohort=cohort, form=form, check=check, token=token), status


@bp.post("/cohorts/<int:cohort_id>/import/<token>")
@require(Permission.RUN_COHORTS)
def import_commit(cohort_id: int, token: str):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    if checked_file(cohort, current_user, token) is None:
        flash(_("This import has expired. Please upload the file again."), "error")
        return redirect(url_for("cohorts.import_upload", cohort_id=cohort.id))
    try:
        check, result = import_trainees(cohort, current_user, token)
    except CohortError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("cohorts.import_upload", cohort_id=cohort.id))
    if result is None:  # something changed since the preview: nothing has been written
        db.session.rollback()
        flash(_("Some rows have problems now. Nothing has been imported."), "error")
        return render_template(
            "cohorts/import.html", cohort=cohort, form=ImportForm(), check=check, token=None
        ), 409
    db.session.commit()  # one transaction: every row or none
    keep_result(cohort, current_user, token, result)
    return redirect(url_for("cohorts.import_done", cohort_id=cohort.id, token=token))


@bp.get("/cohorts/<int:cohort_id>/import/<token>/done")
@require(Permission.RUN_COHORTS)
def import_done(cohort_id: int, token: str):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    result = import_result(cohort, current_user, token)
    return render_template("cohorts/import_done.html", cohort=cohort, result=result, token=token)


@bp.get("/cohorts/<int:cohort_id>/import/<token>/slips.pdf")
@require(Permission.RUN_COHORTS)
def import_slips(cohort_id: int, token: str):
    cohort = managed_cohort_or_404(current_user, cohort_id)
    result = import_result(cohort, current_user, token) or abort(404)
    pdf = login_slips_pdf(cohort, result["slips"])
    audit(
        current_user, "login_slips_download", f"cohort:{cohort.id}", details=f"{len(result['slips'])} slips"
    )
    db.session.commit()
    forget_result(token)  # the passwords were shown once: they are gone now
    return download(pdf, f"cohort-{cohort.id}-login-slips.pdf", "application/pdf")


@bp.before_app_request
def sweep_old_imports():
    sweep_now_and_then()
