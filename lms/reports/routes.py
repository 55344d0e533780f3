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
    ImportMappingForm,
    ReportFilterForm,
    ResearchExportForm,
)
from lms.reports.importer import (
    MAX_ROWS,
    Coding,
    ImportPlan,
    archive_import,
    check_table,
    import_batches,
    template_csv,
    template_xlsx,
)
from lms.reports.mapping import (
    Mapping,
    guess,
    headings,
    item_values,
    recognise,
    samples,
    sources,
    unrecognised,
    value_targets,
)
from lms.reports.mapping import apply as apply_mapping
from lms.reports.mapping import check as check_mapping
from lms.reports.mapping import targets as mapping_targets
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
    cohort_ids = tuple(
        dict.fromkeys(int(v) for v in request.args.getlist("cohort") if v.isdigit() and len(v) < 10)
    )
    restrict_filters(current_user, Filters(cohort_ids=cohort_ids))
    form = ReportFilterForm(request.args)
    everyone = sees_all_cohorts(current_user)
    form.fill_choices(
        report_cohorts(current_user), facilitators() if everyone else [current_user], survey_versions()
    )
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
    report = build_report(filters, viewer=current_user, item_analysis=sees_all_cohorts(current_user))
    db.session.commit()  # the groups released to this viewer
    return render_template(
        "reports/index.html",
        form=form,
        report=report,
        display=display,
        svg=to_svg,
        query=_query(),
        everyone=sees_all_cohorts(current_user),
    )


@bp.get("/reports/export.<any(csv, xlsx, pdf):fmt>")
@require(Permission.VIEW_REPORTS)
def export(fmt: str):
    form, filters = _report_filters()
    if form.errors:
        abort(400)
    if not 0 < len(filters.cohort_ids) <= current_app.config["JOBS_DIRECT_COHORTS"]:
        # Programme-wide: built by the jobs worker, behind a progress bar.
        job = start_job(
            current_user,
            "report_export",
            {
                "fmt": fmt,
                "filters": filters_payload(filters),
                "p_style": g.get("p_style"),
                "item_analysis": sees_all_cohorts(current_user),
                "audit": f"format={fmt}; {_filters_for_audit(filters)}"[:2000],
            },
            return_to=url_for("reports.index") + (f"?{_query()}" if _query() else ""),
        )
        db.session.commit()
        submit(job)
        return redirect(url_for("jobs.show", public_id=job.public_id), 303)
    report = build_report(filters, viewer=current_user, item_analysis=sees_all_cohorts(current_user))
    if fmt == "csv":
        data, mimetype = report_csv(report), CSV_MIMETYPE
    elif fmt == "xlsx":
        data, mimetype = report_xlsx(report), XLSX_MIMETYPE
    else:
        data, mimetype = report_pdf(report, current_language()), "application/pdf"
    audit(
        current_user,
        "report_export",
        "reports",
        details=f"format={fmt}; {_filters_for_audit(filters)}"[:2000],
    )
    db.session.commit()
    return download(data, f"attitude-report-{date.today().isoformat()}.{fmt}", mimetype)


@bp.route("/reports/research", methods=["GET", "POST"])
@require(Permission.EXPORT_RESEARCH_DATA)
def research_export():
    filter_form, filters = _report_filters()
    form = ResearchExportForm()
    if not filter_form.errors and form.validate_on_submit():
        # Every survey of the programme: built by the jobs worker, behind a progress bar.
        job = start_job(
            current_user,
            "research_export",
            {
                "filters": filters_payload(filters),
                "k": max(5, min_group_size()),
                "purpose": form.purpose.data,
                "audit": _filters_for_audit(filters)[:1900],
            },
            return_to=url_for("reports.research_export") + (f"?{_query()}" if _query() else ""),
        )
        db.session.commit()
        submit(job)
        return redirect(url_for("jobs.show", public_id=job.public_id), 303)
    return render_template(
        "reports/research.html", form=form, query=_query(), description=describe_filters(filters)
    ), 422 if form.errors else 200


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
        try:
            table = uploads.read_table(upload.filename, upload.read(), max_rows=MAX_ROWS)
        except uploads.UploadError as error:
            table, problem = [], str(error)
        else:
            problem = None if table else _("The file is empty.")
        if problem:
            return render_template(
                "reports/import_preview.html",
                plan=ImportPlan(problems=[problem]),
                version=version,
                filename=upload.filename,
                commit_form=None,
            ), 422
        # The file as read waits here until imported: mapping and preview read it again.
        kept = {
            "filename": upload.filename,
            "version_id": version.id,
            "table": table,
            "coding": [form.reverse_coding.data, form.knowledge_coding.data],
        }
        mapping = guess(table, version)
        token = uploads.keep("mapping", current_user.id, {**kept, "mapping": mapping.as_dict()})
        if check_mapping(table, version, mapping) or unrecognised(table, mapping):
            return _mapping_page(token, kept, version, mapping, notice=True)
        return _preview(token, kept, version, mapping)
    return render_template("reports/import.html", form=form), 422 if form.errors else 200


def _mapping_page(
    token: str,
    kept: dict,
    version: SurveyVersion,
    mapping: Mapping,
    problems: list[str] = (),
    notice: bool | str = False,
    status: int = 200,
):
    """The mapping form: problems are the officer's choices refused (422); a notice says what
    still needs choosing (the headings not recognised, or the questions of a long file)."""
    table = kept["table"]
    lang = current_language()
    values = item_values(table, mapping)
    form = ImportMappingForm()
    form.item_column.data = str(mapping.at("item")) if mapping.long else ""
    return render_template(
        "reports/import_mapping.html",
        form=form,
        token=token,
        filename=kept["filename"],
        version=version,
        mapping=mapping,
        columns=list(zip(headings(table), samples(table), mapping.columns, strict=True)),
        values=[(value, mapping.values.get(value, "")) for value in values],
        targets=mapping_targets(version, lang),
        value_targets=value_targets(version, lang),
        problems=problems,
        missing=unrecognised(table, mapping) if notice is True else [],
        guessed=check_mapping(table, version, mapping) if notice else [],
    ), status


def _preview(token: str, kept: dict, version: SurveyVersion, mapping: Mapping):
    """The mapped file checked; kept for the import when it has no problems."""
    table = apply_mapping(kept["table"], mapping)
    coding = kept["coding"]
    plan = check_table(table, version, Coding(*coding))
    history = (
        uploads.keep(
            "history",
            current_user.id,
            {
                "filename": kept["filename"],
                "version_id": version.id,
                "table": table,
                "coding": coding,
                "mapping_token": token,
            },
        )
        if plan.ok
        else None
    )
    return render_template(
        "reports/import_preview.html",
        plan=plan,
        version=version,
        filename=kept["filename"],
        mapping_token=token,
        sources=sources(kept["table"], mapping),
        commit_form=ImportCommitForm(token=history, version=str(version.id)),
    ), 200 if plan.ok else 422


@bp.route("/reports/import/mapping/<token>", methods=["GET", "POST"])
@require(Permission.IMPORT_HISTORICAL)
def import_mapping(token: str):
    kept = uploads.load("mapping", current_user.id, token)
    version = db.session.get(SurveyVersion, kept["version_id"]) if kept else None
    if version is None:
        flash(
            _(
                "This file is no longer kept (after %(n)s minutes). Please upload it again.",
                n=current_app.config["IMPORT_KEEP_MINUTES"],
            ),
            "error",
        )
        return redirect(url_for("reports.import_results"))
    mapping = Mapping.from_dict(kept.get("mapping") or {})
    if request.method == "GET":
        return _mapping_page(token, kept, version, mapping)
    form = ImportMappingForm()
    if not form.validate_on_submit():
        abort(400)
    table = kept["table"]
    chosen = Mapping([request.form.get(f"column-{i}", "")[:40] for i in range(len(headings(table)))])
    # The values of the question column shown on the page: when the officer chose another
    # column as the question, its values are recognised anew and shown for choosing.
    same = chosen.at("item") is not None and form.item_column.data == str(chosen.at("item"))
    values = item_values(table, chosen)
    chosen.values = (
        {value: request.form.get(f"value-{index}", "")[:40] for index, value in enumerate(values)}
        if same
        else recognise(values, version)
    )
    problems = check_mapping(table, version, chosen)
    if problems and chosen.long and not same:  # a question column chosen: now its values
        return _mapping_page(token, kept, version, chosen, notice="values")
    if problems:  # shown again with the officer's choices
        return _mapping_page(token, kept, version, chosen, problems, status=422)
    uploads.keep("mapping", current_user.id, {**kept, "mapping": chosen.as_dict()}, token=token)
    return _preview(token, kept, version, chosen)


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
    # The worker checks the rows again and writes them chunk by chunk (lms/jobs/tasks.py).
    job = start_job(
        current_user,
        "historical_import",
        {
            "filename": kept["filename"],
            "version_id": version.id,
            "table": kept["table"],
            "coding": kept.get("coding", ["raw", "option"]),
        },
        return_to=url_for("reports.import_results"),
        key=key,
    )
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        uploads.release("history", token)
        flash(_("The import failed and nothing was saved. Please try again."), "error")
        return redirect(url_for("reports.import_results"))
    uploads.drop("history", token)
    if kept.get("mapping_token"):  # the file as first read is no longer needed either
        uploads.drop("mapping", kept["mapping_token"])
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
    batch = db.session.get(ImportBatch, int(form.batch.data))
    if batch is None or not batch.complete:  # one still being written is not listed
        abort(404)
    archive_import(batch, current_user)
    db.session.commit()
    flash(
        _("The import of %(file)s is undone: its surveys are no longer in any report.", file=batch.filename),
        "success",
    )
    return redirect(url_for("reports.imports"))


@bp.get("/reports/import/template.xlsx")
@require(Permission.IMPORT_HISTORICAL)
def import_template_xlsx():
    version = current_version() or abort(404)
    return download(template_xlsx(version), "historical-import-template.xlsx", XLSX_MIMETYPE)
