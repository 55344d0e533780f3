"""The release log: every group of respondents whose figures someone has been shown."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db
from lms.models import utcnow


class Release(db.Model):
    """Figures about these respondents (enrolment ids) were shown to viewer, or projected in
    a cohort's room (viewer None: anyone in the room saw them)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[str] = mapped_column(String(16))  # pre | post: which answers
    size: Mapped[int]
    digest: Mapped[str] = mapped_column(String(64))
    members: Mapped[str] = mapped_column(Text)  # sorted enrolment ids, comma-separated
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_release_viewer_quantity_size", "viewer_id", "quantity", "size"),)

    @property
    def member_ids(self) -> frozenset[int]:
        return frozenset(int(m) for m in self.members.split(",") if m)


class IdentificationCode(db.Model):
    """The self-generated identification code written with one survey, kept only as keyed
    hashes (lms.privacy.sgic): the whole code, and the code with each element masked."""

    response_id: Mapped[int] = mapped_column(
        ForeignKey("survey_response.id", ondelete="CASCADE"), primary_key=True
    )
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(20))
    full: Mapped[str] = mapped_column(String(64))
    masked: Mapped[str] = mapped_column(Text)  # the masked hashes, comma-separated, in order
