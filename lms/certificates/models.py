"""Certificates of completion and their public verification codes."""

from datetime import date, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.cohorts.models import Enrolment
from lms.extensions import db
from lms.models import utcnow

UNREVOKED = text("revoked_at IS NULL")


class Certificate(db.Model):
    """One certificate; revocation is final, so an enrolment may also hold revoked ones."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # stored ungrouped: K7QXM3PD2W
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None = automatic
    issue_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    # What the certificate says, frozen at issue so the PDF is the same every time.
    snapshot: Mapped[dict] = mapped_column(JSON)

    enrolment: Mapped[Enrolment] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    # At most one valid certificate per enrolment: the database settles a race between two
    # requests issuing at once (the loser gets an IntegrityError and reads the winner's).
    __table_args__ = (
        Index(
            "uq_certificate_enrolment_unrevoked",
            "enrolment_id",
            unique=True,
            sqlite_where=UNREVOKED,
            postgresql_where=UNREVOKED,
        ),
    )

    @property
    def issued_on(self) -> date:
        """The issue date printed on the certificate (in the app's time zone)."""
        return date.fromisoformat(self.snapshot["issued_on"])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
