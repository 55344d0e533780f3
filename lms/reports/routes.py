"""Attitude-change reports, their exports, the research export and the historical import."""

from dataclasses import asdict
from datetime import date

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from lms import uploads
from lms.auth.models import audit
from lms.downloads import download
from lms.extensions import db
from lms.i18n import current_language
from lms.jobs.services import job_by_key, start_job, submit
from lms.jobs.tasks import filters_payload
from lms.permissions import Permission, require
from lms.quizzes.instrument import current_version
from lms.quizzes.models import SurveyVersion
from lms.reports.blueprint import bp
from lms.reports.charts import to_svg
from lms.reports.exports import CSV_MIMETYPE, XLSX_MIMETYPE, report_csv, report_xlsx
from lms.reports.forms import (
    ImportBatchForm,
    ImportCommitForm,
    ImportForm,
    ReportFilterForm,
    ResearchExportForm,
)
from lms.reports.importer import (
    Coding,
    archive_import,
    check_import,
    import_batches,
    template_csv,
    template_xlsx,
)
from lms.reports.models import ImportBatch
from lms.reports.pdf import report_pdf
from lms.reports.queries import Filters
from lms.reports.services import (
    build_report,
    describe_filters,
    facilitators,
    min_group_size,
    report_cohorts,
    restrict_filters,
    sees_all_cohorts,
    survey_versions,
)
from lms.reports.tables import display


def _report_filters() -> tuple[ReportFilterForm, Filters]:
    """Filters from the query string, limited to what the user may see (404 otherwise)."""
    cohort_ids = tuple(dict.fromkeys(
        int(v) for v in request.args.getlist("cohort") if v.isdigit() and len(v) < 10))
    restrict_filters(current_user, Filters(cohort_ids=cohort_ids))
    form = ReportFilterForm(request.args)
    everyone = sees_all_cohorts(current_user)
    form.fill_choices(report_cohorts(current_user),
                      facilitators() if everyone else [current_user], survey_versions())
    form.validate()
    if form.p_values.data and not form.p_values.errors:
        g.p_style = form.p_values.data  # read by tables.p_text for the page and every export
    return form, restrict_filters(current_user, form.filters(cohort_ids))



def _filters_for_audit(filters: Filters) -> str:
    return "; ".join(f"{k}={v}" for k, v in asdict(filters).items() if v not in (None, ()))


def _query() -> str:
    return request.query_string.decode("ascii", "ignore")


@bp.get("/reports")
@require(Permission.VIEW_REPORTS)
def index():
    form, filters = _report_filters()
    report = build_report(filters, viewer=current_user,
                          item_analysis=sees_all_cohorts(current_user))
    db.session.commit()  # the groups released to this viewer
    return render_template("reports/index.html", form=form, report=report, display=display,
                           svg=to_svg, query=_query(), everyone=sees_all_cohorts(current_user))


@bp.get("/reports/export.<any(csv, xlsx, pdf):fmt>")
@require(Permission.VIEW_REPORTS)
def export(fmt: str):
    form, filters = _report_filters()
    if form.errors:
        abort(400)
    if not 0 < len(filters.cohort_ids) <= current_app.config["JOBS_DIRECT_COHORTS"]:
        # Programme-wide: built by the jobs worker, behind a progress bar.
        job = start_job(current_user, "report_export", {
            "fmt": fmt, "filters": filters_payload(filters), "p_style": g.get("p_style"),
            "item_analysis": sees_all_cohorts(current_user),
            "audit": f"format={fmt}; {_filters_for_audit(filters)}"[:2000]},
            return_to=url_for("reports.index") + (f"?{_query()}" if _query() else ""))
        db.session.commit()
        submit(job)
        return redirect(url_for("jobs.show", public_id=job.public_id), 303)
    report = build_report(filters, viewer=current_user,
                          item_analysis=sees_all_cohorts(current_user))
    if fmt == "csv":
        data, mimetype = report_csv(report), CSV_MIMETYPE
    elif fmt == "xlsx":
        data, mimetype = report_xlsx(report), XLSX_MIMETYPE
    else:
        data, mimetype = report_pdf(report, current_language()), "application/pdf"
    audit(current_user, "report_export", "reports",
          details=f"format={fmt}; {_filters_for_audit(filters)}"[:2000])
    db.session.commit()
    return download(data, f"attitude-report-{date.today().isoformat()}.{fmt}", mimetype)


@bp.route("/reports/research", methods=["GET", "POST"])
@require(Permission.EXPORT_RESEARCH_DATA)
def research_export():
    filter_form, filters = _report_filters()
    form = ResearchExportForm()
    if not filter_form.errors and form.validate_on_submit():
        # Every survey of the programme: built by the jobs worker, behind a progress bar.
        job = start_job(current_user, "research_export", {
            "filters": filters_payload(filters), "k": max(5, min_group_size()),
            "purpose": form.purpose.data, "audit": _filters_for_audit(filters)[:1900]},
            return_to=url_for("reports.research_export") + (f"?{_query()}" if _query() else ""))
        db.session.commit()
        submit(job)
        return redirect(url_for("jobs.show", public_id=job.public_id), 303)
    return render_template("reports/research.html", form=form, query=_query(),
                           description=describe_filters(filters)), 422 if form.errors else 200


def _version_choices(form) -> None:
    form.version.choices = [(v.id, _("Version %(n)s", n=v.number)) for v in survey_versions()]
    if request.method == "GET" and current_version() is not None:
        form.version.data = current_version().id


@bp.route("/reports/import", methods=["GET", "POST"])
@require(Permission.IMPORT_HISTORICAL)
def import_results():
    form = ImportForm()
    _version_choices(form)
    if form.validate_on_submit():
        upload = form.file.data
        version = db.session.get(SurveyVersion, form.version.data) or abort(400)
        coding = Coding(form.reverse_coding.data, form.knowledge_coding.data)
        plan, table = check_import(upload.filename, upload.read(), version, coding)
        token = uploads.keep("history", current_user.id, {
            "filename": upload.filename, "version_id": version.id, "table": table,
            "coding": [coding.reverse, coding.knowledge]}) if plan.ok else None
        return render_template(
            "reports/import_preview.html", plan=plan, version=version,
            filename=upload.filename,
            commit_form=ImportCommitForm(token=token, version=str(version.id))), \
            200 if plan.ok else 422
    return render_template("reports/import.html", form=form), 422 if form.errors else 200


@bp.post("/reports/import/commit")
@require(Permission.IMPORT_HISTORICAL)
def import_commit():
    form = ImportCommitForm()
    if not form.validate_on_submit():
        abort(400)
    token = form.token.data
    # One job per preview (a unique key), and the upload claimed, not just read: a second
    # click on "Import" finds the first one's job and imports nothing more.
    key = f"history:{token}"
    started = job_by_key(key)
    if started is not None and started.owner_id == current_user.id:
        return redirect(url_for("jobs.show", public_id=started.public_id))
    kept = uploads.claim("history", current_user.id, token)
    version = db.session.get(SurveyVersion, kept["version_id"]) if kept else None
    if version is None:
        started = job_by_key(key)  # a simultaneous click that claimed it a moment ago
        if started is not None and started.owner_id == current_user.id:
            return redirect(url_for("jobs.show", public_id=started.public_id))
        flash(_("This preview has expired. Please upload the file again."), "error")
        return redirect(url_for("reports.import_results"))
    # The worker checks the rows again and writes them in one transaction (lms/jobs/tasks.py).
    job = start_job(current_user, "historical_import", {
        "filename": kept["filename"], "version_id": version.id, "table": kept["table"],
        "coding": kept.get("coding", ["raw", "option"])},
        return_to=url_for("reports.import_results"), key=key)
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        uploads.release("history", token)
        flash(_("The import failed and nothing was saved. Please try again."), "error")
        return redirect(url_for("reports.import_results"))
    uploads.drop("history", token)
    submit(job)
    return redirect(url_for("jobs.show", public_id=job.public_id))


@bp.get("/reports/import/template.csv")
@require(Permission.IMPORT_HISTORICAL)
def import_template():
    version = current_version() or abort(404)
    return download(template_csv(version), "historical-import-template.csv", CSV_MIMETYPE)


@bp.get("/reports/imports")
@require(Permission.IMPORT_HISTORICAL)
def imports():
    return render_template("reports/imports.html", batches=import_batches())


@bp.post("/reports/imports/archive")
@require(Permission.IMPORT_HISTORICAL)
def archive():
    form = ImportBatchForm()
    if not form.validate_on_submit():
        abort(400)
    batch = db.session.get(ImportBatch, int(form.batch.data)) or abort(404)
    archive_import(batch, current_user)
    db.session.commit()
    flash(_("The import of %(file)s is undone: its surveys are no longer in any report.",
            file=batch.filename), "success")
    return redirect(url_for("reports.imports"))


@bp.get("/reports/import/template.xlsx")
@require(Permission.IMPORT_HISTORICAL)
def import_template_xlsx():
    version = current_version() or abort(404)
    return download(template_xlsx(version), "historical-import-template.xlsx", XLSX_MIMETYPE)
