"""A job: what was asked, by whom, how far it got, and its file once done."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models import utcnow


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED)


class Job(db.Model):
    """One piece of long work. The state lives here, so a restarted worker knows what is left;
    what the job wrote and its state "done" are committed together."""

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # in its address
    kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # One job per request that must not run twice (e.g. "history:<preview token>").
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    state: Mapped[str] = mapped_column(String(10), default=JobState.QUEUED)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    base_url: Mapped[str] = mapped_column(String(300), default="")  # for absolute links
    return_to: Mapped[str] = mapped_column(String(300), default="")  # the page it came from
    payload: Mapped[dict | None] = mapped_column(JSON, deferred=True)  # cleared once finished
    result: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_mimetype: Mapped[str | None] = mapped_column(String(100))
    result_ref: Mapped[str | None] = mapped_column(String(100))  # e.g. "import_batch:12"
    outcome: Mapped[dict | None] = mapped_column(JSON)  # a few counts shown on its page
    error: Mapped[str | None] = mapped_column(String(60))  # a key of lms.jobs.services.ERRORS
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def job_state(self) -> JobState:
        return JobState(self.state)
