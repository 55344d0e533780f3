"""Running a job in the worker: claim it, do it, commit what it wrote with its state "done".

A job runs only from "queued": a second copy of its task (re-enqueued after a restart, or a
double delivery) finds it taken and does nothing. The job's writes, its audit event and its
state are one transaction, so a crash before the commit leaves nothing, and a job that
committed is never run again. (The historical import commits chunks out of sight on the way,
and makes them live in that last transaction: lms/jobs/tasks.py historical_import.)"""

from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.extensions import db
from lms.jobs.models import Job, JobState
from lms.jobs.queue import enqueue, forget_progress, put_progress
from lms.models import utcnow

# Stored in Job.error as the key; shown translated on the job's page.
ERRORS = {
    "failed": _l("The job stopped because of an error. Nothing was saved. Please try again."),
    "import_changed": _l(
        "The data changed since the preview (for example, another import "
        "was made). Nothing was imported. Please upload the file again."
    ),
    "no_certificates": _l("No certificates have been issued in this cohort yet."),
    "research_overlap": _l(
        "Not exported: these trainees differ by fewer than %(n)s people from a file you "
        "exported on %(date)s, so comparing the two files would reveal individual answers. "
        "Export the same trainees again, or wait until at least %(n)s more have answered."
    ),
}


class JobError(Exception):
    """The job cannot be done; key is one of ERRORS, whose %(name)s places are filled from
    outcome. `keep` is called after what the job wrote is dropped, and what it adds (an
    audit event of the refusal) is committed with the failure."""

    def __init__(self, key: str, outcome: dict | None = None, keep: Callable[[], None] | None = None):
        super().__init__(key)
        self.key, self.outcome, self.keep = key, outcome, keep


class Progress:
    """Called by a job as it goes: progress(done, total)."""

    def __init__(self, job: Job):
        # Its id kept: reading a job expired by a commit (a chunk of an import) would flush
        # the new figures and hold the database's write lock until the next commit.
        self.job, self.job_id = job, job.id

    def __call__(self, done: int, total: int) -> None:
        self.job.done, self.job.total = done, total  # committed with the result (or a chunk)
        put_progress(self.job_id, done, total)  # seen by its page meanwhile


Handler = Callable[[Job, Progress], None]


def run_job(job_id: int, handlers: dict[str, Handler]) -> None:
    """Claim a queued job and run it (in the worker, or at once in immediate mode)."""
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=utcnow(), attempts=Job.attempts + 1)
    )
    db.session.commit()
    if claimed.rowcount != 1:
        return  # done, failed or running already
    job = db.session.get(Job, job_id)
    attempt = job.attempts
    # Absolute links (certificate QR codes) use the address the job was asked from.
    with current_app.test_request_context("/", base_url=job.base_url or None), force_locale(job.language):
        try:
            handlers[job.kind](job, Progress(job))
        except JobError as error:
            _fail(job_id, attempt, error.key, error.outcome, error.keep)
        except Exception:
            current_app.logger.exception("job %s (%s) failed", job_id, job.kind)
            _fail(job_id, attempt, "failed")
        else:
            db.session.flush()
            # Still ours? A worker restarted meanwhile may have queued and claimed it again
            # (a new attempt): then this run's writes are dropped, and the other run's count.
            if _mark(job_id, attempt, state=JobState.DONE, payload=None):
                db.session.commit()  # what the job wrote, its audit event and "done", together
            else:
                db.session.rollback()
                current_app.logger.warning("job %s was taken over; this run is dropped", job_id)
        finally:
            forget_progress(job_id)


def _mark(job_id: int, attempt: int, **values) -> bool:
    marked = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.attempts == attempt, Job.state == JobState.RUNNING)
        .values(finished_at=utcnow(), **values)
    )
    return marked.rowcount == 1


def _fail(
    job_id: int, attempt: int, key: str, outcome: dict | None = None, keep: Callable[[], None] | None = None
) -> None:
    db.session.rollback()  # nothing the job wrote is kept
    if keep is not None:
        keep()
    _mark(job_id, attempt, state=JobState.FAILED, error=key, payload=None, outcome=outcome)
    db.session.commit()


def recover() -> int:
    """At worker start: jobs left running by a stopped worker are queued again, and every
    queued job is (re)enqueued; returns how many. Run one jobs worker process per queue."""
    db.session.execute(update(Job).where(Job.state == JobState.RUNNING).values(state=JobState.QUEUED))
    db.session.commit()
    waiting = list(db.session.scalars(select(Job.id).where(Job.state == JobState.QUEUED).order_by(Job.id)))
    for job_id in waiting:
        enqueue(job_id)
    return len(waiting)
