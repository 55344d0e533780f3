"""Certificates of completion and their public verification codes."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.models import utcnow


class Certificate(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None = automatic
    issue_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    # What the certificate says, frozen at issue so the PDF is the same every time.
    snapshot: Mapped[dict] = mapped_column(JSON)

    enrolment: Mapped[Enrolment] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
