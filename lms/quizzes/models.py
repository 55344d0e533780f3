"""The survey instrument (versioned), drafts being answered, and submitted responses."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models import utcnow
from lms.modules.models import Bilingual


class Phase(StrEnum):
    """When a survey is answered: before the training, after it (follow-up waves to come)."""

    PRE = "pre"
    POST = "post"

    @property
    def title(self) -> str:
        """The survey's title for trainees: "Survey before the training"."""
        return str(PHASE_TITLES[self])

    @property
    def label(self) -> str:
        """The phase in a table or a report: "Before the training"."""
        return str(PHASE_LABELS[self])


# The one table of phase names.
PHASE_TITLES = {Phase.PRE: _l("Survey before the training"),
                Phase.POST: _l("Survey after the training")}
PHASE_LABELS = {Phase.PRE: _l("Before the training"), Phase.POST: _l("After the training")}
PHASES = tuple(Phase)
LIKERT_LABELS = (_l("Strongly disagree"), _l("Disagree"), _l("Not sure"), _l("Agree"),
                 _l("Strongly agree"))
SOURCES = ("online", "paper", "imported")


class SurveyVersion(Bilingual, db.Model):
    """One version of the instrument; answers always point at the version they answered."""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # hash of the structure and wording
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    intro_vi: Mapped[str] = mapped_column(Text, default="")
    intro_en: Mapped[str] = mapped_column(Text, default="")
    # [{"id", "title_vi", "title_en", "description_vi", "description_en"}] in order
    subscales: Mapped[list] = mapped_column(JSON)

    items: Mapped[list["SurveyItem"]] = relationship(
        back_populates="version", order_by="SurveyItem.position")


class SurveyItem(Bilingual, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(20))  # "A01", "K03": stable across versions
    kind: Mapped[str] = mapped_column(String(10))  # likert | knowledge
    position: Mapped[int]
    subscale: Mapped[str | None] = mapped_column(String(40))
    reverse: Mapped[bool] = mapped_column(default=False)
    audience: Mapped[str] = mapped_column(String(20), default="all")
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    options_vi: Mapped[list | None] = mapped_column(JSON)
    options_en: Mapped[list | None] = mapped_column(JSON)
    answer: Mapped[int | None]  # correct option (knowledge items)
    explanation_vi: Mapped[str | None] = mapped_column(Text)
    explanation_en: Mapped[str | None] = mapped_column(Text)

    version: Mapped[SurveyVersion] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("version_id", "key"),)

    def score(self, value: int) -> int:
        """Keyed score: Likert 1–5 with higher = less stigma; knowledge 1 if correct else 0."""
        if self.kind == "knowledge":
            return int(value == self.answer)
        return 6 - value if self.reverse else value


class DraftAnswer(db.Model):
    """An answer saved while the trainee is still answering (autosave); one per item."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    phase: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_item.id"))
    value: Mapped[int]
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("enrolment_id", "phase", "item_id"),)


class SurveyResponse(db.Model):
    """A submitted survey: at most one per enrolment and phase, enforced by the database."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    phase: Mapped[str] = mapped_column(String(20))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    source: Mapped[str] = mapped_column(String(10), default="online")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                   index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # paper, import
    knowledge_correct: Mapped[int | None]
    knowledge_total: Mapped[int | None]

    answers: Mapped[list["Answer"]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("enrolment_id", "phase"),)

    @property
    def knowledge_percent(self) -> float | None:
        if not self.knowledge_total:
            return None
        return 100 * (self.knowledge_correct or 0) / self.knowledge_total


class Answer(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_response.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("survey_item.id"))
    value: Mapped[int]  # what was ticked: 1–5, or the option index
    score: Mapped[int]  # keyed: see SurveyItem.score

    __table_args__ = (UniqueConstraint("response_id", "item_id"),
                      Index("ix_answer_item_response", "item_id", "response_id"))
