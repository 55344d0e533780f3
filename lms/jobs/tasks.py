"""What each kind of job does. A handler reads its payload, writes its file (or its rows) and
its audit event as the request did before, and reports progress; the runner commits.

Heavy libraries (reportlab, openpyxl, scipy) are imported inside the handlers: the worker
loads them when a job needs them, the web process never does for a queued job."""

from dataclasses import asdict, fields
from datetime import date

from flask import current_app, g
from sqlalchemy import update

from lms.auth.models import User, audit
from lms.certificates.services import audit_download, valid_certificates
from lms.cohorts.models import Cohort
from lms.extensions import db
from lms.jobs.models import Job, JobState
from lms.jobs.runner import Handler, JobError, Progress
from lms.reports.queries import Filters

ZIP_MIMETYPE = "application/zip"


def filters_payload(filters: Filters) -> dict:
    """Report filters as JSON for a job's payload."""
    return {
        name: value.isoformat()
        if isinstance(value, date)
        else list(value)
        if isinstance(value, tuple)
        else value
        for name, value in asdict(filters).items()
    }


def payload_filters(data: dict) -> Filters:
    values = {}
    for field in fields(Filters):
        value = data.get(field.name)
        if isinstance(value, list):
            value = tuple(value)
        elif field.name in ("date_from", "date_to") and value:
            value = date.fromisoformat(value)
        if value is not None:
            values[field.name] = value
    return Filters(**values)


def _owner(job: Job) -> User:
    return db.session.get(User, job.owner_id)


def certificate_zip(job: Job, progress: Progress) -> None:
    """Every valid certificate of a cohort in one ZIP; one audit event, as a direct download."""
    from lms.certificates.documents import certificates_zip

    cohort = db.session.get(Cohort, job.payload["cohort_id"])
    certificates = valid_certificates(cohort) if cohort is not None else []
    if not certificates:  # all revoked since the click
        raise JobError("no_certificates")
    job.result = certificates_zip(certificates, progress=progress)
    job.result_name, job.result_mimetype = f"certificates-cohort-{cohort.id}.zip", ZIP_MIMETYPE
    audit_download(_owner(job), certificates, cohort)


def report_export(job: Job, progress: Progress) -> None:
    """The attitude-change report as CSV, XLSX or PDF, with the viewer's filters and rights."""
    from lms.reports.exports import CSV_MIMETYPE, XLSX_MIMETYPE, report_csv, report_xlsx
    from lms.reports.pdf import report_pdf
    from lms.reports.services import build_report

    payload, owner = job.payload, _owner(job)
    if payload.get("p_style"):
        g.p_style = payload["p_style"]  # read by tables.p_text
    progress(0, 2)
    report = build_report(
        payload_filters(payload["filters"]), viewer=owner, item_analysis=payload["item_analysis"]
    )
    progress(1, 2)
    fmt = payload["fmt"]
    if fmt == "csv":
        data, mimetype = report_csv(report), CSV_MIMETYPE
    elif fmt == "xlsx":
        data, mimetype = report_xlsx(report), XLSX_MIMETYPE
    else:
        data, mimetype = report_pdf(report, job.language), "application/pdf"
    audit(owner, "report_export", "reports", details=payload["audit"])
    job.result, job.result_mimetype = data, mimetype
    job.result_name = f"attitude-report-{date.today().isoformat()}.{fmt}"
    progress(2, 2)


def research_export(job: Job, progress: Progress) -> None:
    """The de-identified respondent-level CSV, audited with its purpose."""
    from flask_babel import format_date

    from lms.reports.exports import CSV_MIMETYPE, ExportRefused, research_csv

    payload, owner = job.payload, _owner(job)
    progress(0, 1)
    try:
        data, rows = research_csv(payload_filters(payload["filters"]), payload["k"], viewer_id=owner.id)
    except ExportRefused as refused:
        since = refused.verdict.since
        raise JobError(
            "research_overlap",
            outcome={"n": payload["k"], "date": format_date(since, "medium") if since else "?"},
            keep=lambda: audit(
                owner,
                "research_export_refused",
                "reports",
                reason=payload["purpose"],
                details=f"overlap; {payload['audit']}"[:2000],
            ),
        ) from None
    audit(
        owner,
        "research_export",
        "reports",
        reason=payload["purpose"],
        details=f"rows={rows}; {payload['audit']}"[:2000],
    )
    job.result, job.result_mimetype = data, CSV_MIMETYPE
    job.result_name = f"research-data-{date.today().isoformat()}.csv"
    job.outcome = {"rows": rows}
    progress(1, 1)


class TakenOver(Exception):
    """A restarted worker queued and claimed the job again: this run stops, writing nothing
    more; the new run deletes what this one committed."""


def historical_import(job: Job, progress: Progress) -> None:
    """A checked historical import, written CHUNK_SURVEYS surveys per transaction out of sight
    (archived, in an unfinished batch), then made live in one short transaction with the
    job's "done". A failed run deletes its chunks; a restarted one deletes its earlier run's
    chunks before writing again, so nothing is imported twice and nothing half."""
    from lms.quizzes.models import SurveyVersion
    from lms.reports.importer import (
        Coding,
        check_table,
        discard_import,
        publish_import,
        write_import,
    )
    from lms.reports.models import ImportBatch

    if job.result_ref:  # a batch of an earlier run of this job
        batch = db.session.get(ImportBatch, int(job.result_ref.removeprefix("import_batch:")))
        if batch is not None and batch.complete:  # committed already, with "done"
            return
        if batch is not None:  # left unfinished by a stopped worker
            discard_import(batch.id)
        job.result_ref = None
        db.session.commit()
    payload = job.payload
    version = db.session.get(SurveyVersion, payload["version_id"])
    if version is None:
        raise JobError("import_changed")
    # Checked again (the bar has no total yet), then written chunk by chunk.
    plan = check_table(payload["table"], version, Coding(*payload.get("coding", ("raw", "option"))))
    if not plan.ok:  # something changed since the preview, e.g. another import
        raise JobError("import_changed")
    progress(0, len(plan.rows))
    # Committed now: left pending, the job's new figures would be flushed by the next read
    # and hold SQLite's write lock while the writer reads what it needs (many seconds).
    db.session.commit()
    job_id, attempt, owner = job.id, job.attempts, _owner(job)
    written: list[int] = []  # the batch this run wrote, once a chunk of it is committed

    def commit(batch: ImportBatch) -> None:
        job.result_ref = f"import_batch:{batch.id}"  # a restarted run finds it
        db.session.flush()
        ours = db.session.execute(  # last, so the job's row stays ours until the commit
            update(Job)
            .where(Job.id == job_id, Job.attempts == attempt, Job.state == JobState.RUNNING)
            .values(done=job.done)
        )
        if ours.rowcount != 1:
            db.session.rollback()
            raise TakenOver
        db.session.commit()
        written[:] = [batch.id]

    try:
        batch = write_import(plan, version, owner, payload["filename"], progress=progress, commit=commit)
        summary = publish_import(batch, plan, owner)
        db.session.flush()  # a clash with surveys made live meanwhile fails here, not later
    except TakenOver:
        raise
    except Exception:
        db.session.rollback()
        if written:  # nothing of it was ever shown; the runner marks the job failed
            _discard(written[0], job_id, attempt)
        raise
    job.result_ref = f"import_batch:{summary['batch']}"
    job.outcome = {"rows": summary["rows"], "trainees": summary["trainees"]}
    progress(summary["rows"], summary["rows"])


def follow_up_reminders(job: Job, progress: Progress) -> None:
    """Email the trainees who have not answered a follow-up wave (lms/progress/reminders.py)."""
    from lms.progress.reminders import send_reminders

    cohort = db.session.get(Cohort, job.payload["cohort_id"])
    job.outcome = send_reminders(cohort, job.payload["phase"], progress)


def _discard(batch_id: int, job_id: int, attempt: int) -> None:
    """Delete a failed run's chunks. Should that fail too, they stay archived in an unfinished
    batch: in no report, list or count."""
    from lms.reports.importer import discard_import

    try:
        discard_import(batch_id)
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.attempts == attempt, Job.state == JobState.RUNNING)
            .values(result_ref=None)
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("the unfinished import batch %s was not deleted", batch_id)


HANDLERS: dict[str, Handler] = {
    "certificate_zip": certificate_zip,
    "report_export": report_export,
    "research_export": research_export,
    "historical_import": historical_import,
    "follow_up_reminders": follow_up_reminders,
}
