"""A job's page (progress bar, then its file or what went wrong), its state as JSON for the
page's poll, and its file. Only the owner and admins see a job; anyone else gets 404."""

from flask import abort, jsonify, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.downloads import download as send_download
from lms.jobs.blueprint import bp
from lms.jobs.models import JobState
from lms.jobs.runner import ERRORS
from lms.jobs.services import job_progress, visible_job
from lms.permissions import signed_in

TITLES = {
    "certificate_zip": _l("Certificates of the cohort (ZIP)"),
    "report_export": _l("Report export"),
    "research_export": _l("De-identified data for researchers"),
    "historical_import": _l("Historical import"),
    "follow_up_reminders": _l("Follow-up reminders by email"),
}
STATES = {
    JobState.QUEUED: _l("Waiting to start"),
    JobState.RUNNING: _l("Working on it"),
    JobState.DONE: _l("Done"),
    JobState.FAILED: _l("Stopped"),
}


@bp.get("/jobs/<public_id>")
@signed_in
def show(public_id: str):
    job = visible_job(current_user, public_id)
    done, total = job_progress(job)
    return render_template(
        "jobs/job.html",
        job=job,
        state=job.job_state,
        done=done,
        total=total,
        title=TITLES[job.kind],
        state_label=STATES[job.job_state],
        error=_error(job),
    )


def _error(job) -> str:
    """Why a failed job stopped, with its figures (a date, a number) filled in."""
    message = str(ERRORS.get(job.error or "", ERRORS["failed"]))
    if job.error in ERRORS and isinstance(job.outcome, dict):
        try:
            return message % job.outcome
        except (KeyError, TypeError, ValueError):
            return str(ERRORS["failed"])
    return message


@bp.get("/jobs/<public_id>.json")
@signed_in
def state(public_id: str):
    job = visible_job(current_user, public_id)
    done, total = job_progress(job)
    # "version" changes when the page must be drawn again (the poll reloads it).
    return jsonify(
        version=job.state,
        state=job.state,
        progress={"done": done, "total": total},
        counts={"job-done": done, "job-total": total},
    )


@bp.get("/jobs/<public_id>/download")
@signed_in
def download(public_id: str):
    job = visible_job(current_user, public_id)
    if job.state != JobState.DONE or not job.result_name:
        abort(404)
    data = job.result
    if data is None:  # deleted after JOBS_KEEP_HOURS
        abort(404)
    return send_download(data, job.result_name, job.result_mimetype or "application/octet-stream")
