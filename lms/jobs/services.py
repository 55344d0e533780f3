"""Starting jobs from a request and showing them: only to their owner (and admins)."""

import re
import uuid
from datetime import timedelta

from flask import Flask, abort, current_app, has_request_context, request
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.i18n import current_language
from lms.jobs.models import Job, JobState
from lms.jobs.queue import enqueue, get_progress, init_queue
from lms.jobs.runner import run_job
from lms.jobs.tasks import HANDLERS
from lms.models import utcnow
from lms.permissions import Role

PUBLIC_ID = re.compile(r"[0-9a-f]{32}")


def init_app(app: Flask) -> None:
    init_queue(app, lambda job_id: run_job(job_id, HANDLERS))


def start_job(owner, kind: str, payload: dict, return_to: str, total: int = 0, key: str | None = None) -> Job:
    """Add a queued job to the session (the route commits, then calls submit).

    With a key, a second job under the same key is refused by the database: the existing
    one is returned instead (a double click on "Import" starts one import)."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    _clear_old_results()
    job = Job(
        public_id=uuid.uuid4().hex,
        kind=kind,
        owner_id=owner.id,
        key=key,
        payload=payload,
        total=total,
        state=JobState.QUEUED,
        language=current_language(),
        base_url=request.host_url if has_request_context() else "",
        return_to=return_to,
    )
    if key is None:
        db.session.add(job)
        return job
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:
        return db.session.scalar(select(Job).where(Job.key == key))
    return job


def job_by_key(key: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.key == key))


def submit(job: Job) -> None:
    """Hand a committed job to the worker. If the queue cannot be reached, the job stays
    queued in the database and the worker picks it up when it starts."""
    try:
        enqueue(job.id)
    except Exception:
        current_app.logger.exception("job %s could not be queued; the worker will find it", job.id)


def visible_job(user, public_id: str) -> Job:
    """The job if this user may see it: its owner, or an admin; 404 for anyone else."""
    if not PUBLIC_ID.fullmatch(public_id):
        abort(404)  # never a query for a malformed address (a NUL would upset PostgreSQL)
    job = db.session.scalar(select(Job).where(Job.public_id == public_id))
    if job is None or (job.owner_id != user.id and user.role != Role.ADMIN):
        abort(404)
    return job


def job_progress(job: Job) -> tuple[int, int]:
    """(done, total): live from the queue while it runs, from the table once finished."""
    if job.state == JobState.RUNNING:
        live = get_progress(job.id)
        if live is not None:
            return live
    return job.done, job.total


def _clear_old_results() -> None:
    """Files of jobs finished more than JOBS_KEEP_HOURS ago are deleted (they hold personal
    data); the job itself stays as a record."""
    before = utcnow() - timedelta(hours=current_app.config["JOBS_KEEP_HOURS"])
    db.session.execute(
        update(Job).where(Job.finished_at < before, Job.result.is_not(None)).values(result=None)
    )
