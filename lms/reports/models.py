"""Historical imports, kept as batches so that one can be undone (archived out of reports)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models import utcnow


class ImportBatch(db.Model):
    """One confirmed historical import: who, when, which file; archived when undone."""

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(300))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    surveys: Mapped[int] = mapped_column(default=0)
    trainees: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # False while the jobs worker writes it chunk by chunk (its surveys archived meanwhile):
    # listed nowhere until one short transaction makes its surveys live and sets it True.
    complete: Mapped[bool] = mapped_column(default=True, server_default=true())


class ImportBatchResponse(db.Model):
    """The surveys an import wrote (and whose trainee they belong to)."""

    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"), primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id"), primary_key=True, index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
