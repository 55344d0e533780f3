"""The survey instrument (versioned), drafts being answered, and submitted responses."""

from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    false,
    literal,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.i18n import current_language
from lms.models import utcnow
from lms.modules.models import Bilingual


class Phase(StrEnum):
    """When a survey is answered: before the training, after it, and at follow-up waves."""

    PRE = "pre"
    POST = "post"
    FOLLOW_1 = "follow-1"  # a follow-up wave, months later (scheduled per cohort)
    FOLLOW_2 = "follow-2"

    @property
    def is_follow_up(self) -> bool:
        return self.value.startswith("follow-")

    @property
    def title(self) -> str:
        """The survey's title for trainees: "Survey before the training"."""
        return str(PHASE_TITLES[self])

    @property
    def label(self) -> str:
        """The phase in a table or a report: "Before the training"."""
        return str(PHASE_LABELS[self])


# The one table of phase names.
PHASE_TITLES = {
    Phase.PRE: _l("Survey before the training"),
    Phase.POST: _l("Survey after the training"),
    Phase.FOLLOW_1: _l("Follow-up survey"),
    Phase.FOLLOW_2: _l("Second follow-up survey"),
}
PHASE_LABELS = {
    Phase.PRE: _l("Before the training"),
    Phase.POST: _l("After the training"),
    Phase.FOLLOW_1: _l("Follow-up"),
    Phase.FOLLOW_2: _l("Second follow-up"),
}
FOLLOW_UPS = (Phase.FOLLOW_1, Phase.FOLLOW_2)
PHASES = tuple(Phase)
LIKERT_LABELS = (_l("Strongly disagree"), _l("Disagree"), _l("Not sure"), _l("Agree"), _l("Strongly agree"))
NOT_APPLICABLE_LABEL = _l("Not my role / not applicable")
DONT_KNOW_LABEL = _l("Don't know")
SOURCES = ("online", "paper", "imported")
NOT_APPLICABLE = 0  # the value of "not my role / not applicable" on a policy item: no score
# Self-reported practice since the training (follow-up waves only) is asked in bands, not as a
# typed number: people recall how often they did something rarely and roughly, so exact
# counts over months are estimates that heap on round numbers; bands ask only what can be
# recalled, are quick to tick on paper and to type back in, and say less about any one
# person (these acts can be sensitive). The bands are low and narrow because these acts are
# rare in three months, with an open top band (a top-heavy scale suggests "doing more" is
# expected). Stored 1-4 as ticked; 0 = "does not apply / can't say", as on policy items.
PRACTICE_BANDS = (_l("Not once"), _l("1–2 times"), _l("3–5 times"), _l("6 times or more"))
PRACTICE_NOT_APPLICABLE_LABEL = _l("Does not apply to my work / can't say")


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
    # [{"id", "text_vi", "text_en"}]: short cases that some items refer to (none before v2)
    vignettes: Mapped[list | None] = mapped_column(JSON)

    items: Mapped[list["SurveyItem"]] = relationship(back_populates="version", order_by="SurveyItem.position")

    def vignette_text(self, key: str, lang: str | None = None) -> str:
        """The story of a case, in the current (or given) language."""
        for vignette in self.vignettes or []:
            if vignette["id"] == key:
                lang = lang or current_language()
                return vignette.get(f"text_{lang}") or vignette["text_vi"]
        return ""


class SurveyItem(Bilingual, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"), index=True)
    key: Mapped[str] = mapped_column(String(20))  # "A01", "K03": stable across versions
    kind: Mapped[str] = mapped_column(String(10))  # likert | policy | knowledge | practice
    position: Mapped[int]
    subscale: Mapped[str | None] = mapped_column(String(40))
    reverse: Mapped[bool] = mapped_column(default=False)
    audience: Mapped[str] = mapped_column(String(20), default="all")
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    options_vi: Mapped[list | None] = mapped_column(JSON)
    options_en: Mapped[list | None] = mapped_column(JSON)
    answer: Mapped[int | None]  # correct option (knowledge items)
    dont_know: Mapped[bool] = mapped_column(default=False)  # knowledge: a last "don't know"
    vignette: Mapped[str | None] = mapped_column(String(20))  # the case it is rated after
    months: Mapped[int | None]  # practice: the recall period ("in the last 3 months")
    explanation_vi: Mapped[str | None] = mapped_column(Text)
    explanation_en: Mapped[str | None] = mapped_column(Text)

    version: Mapped[SurveyVersion] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("version_id", "key"),)

    @hybrid_property
    def score_bucket(self) -> str | None:
        """Where an item's score counts: its subscale for a core attitude item, "@<audience>"
        for an audience's own items, nothing for policy and knowledge items. The trainee's
        profile, the room view and the reports all count subscales through this one rule."""
        if self.kind != "likert":
            return None
        return self.subscale if self.audience == "all" else f"@{self.audience}"

    @score_bucket.inplace.expression
    @classmethod
    def _score_bucket_expression(cls):
        return case(
            (and_(cls.kind == "likert", cls.audience == "all"), cls.subscale),
            (cls.kind == "likert", literal("@") + cls.audience),
            else_=None,
        )

    @hybrid_property
    def in_subscale(self) -> bool:
        """A core attitude item: counted in its subscale and in the overall score."""
        return self.kind == "likert" and self.audience == "all"

    @in_subscale.inplace.expression
    @classmethod
    def _in_subscale_expression(cls):
        return and_(cls.kind == "likert", cls.audience == "all")

    def allowed_values(self) -> range:
        """What may be stored: 1–5 on the scale (0 too on a policy item: not applicable);
        an option index for knowledge, "don't know" being the index after the last option;
        a band (1–4, or 0: does not apply) for practice."""
        if self.kind == "likert":
            return range(1, 6)
        if self.kind == "policy":
            return range(NOT_APPLICABLE, 6)
        if self.kind == "practice":
            return range(NOT_APPLICABLE, len(PRACTICE_BANDS) + 1)
        return range(len(self.options_vi or []) + int(self.dont_know))

    @property
    def dont_know_value(self) -> int | None:
        return len(self.options_vi or []) if self.kind == "knowledge" and self.dont_know else None

    def score(self, value: int) -> int | None:
        """Keyed score: 1–5 with higher = less stigma (none for "not applicable"); knowledge
        1 if correct else 0 ("don't know" is not correct); practice is described, never scored."""
        if self.kind == "practice":
            return None
        if self.kind == "knowledge":
            return int(value == self.answer)
        if self.kind == "policy" and value == NOT_APPLICABLE:
            return None
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
    """A submitted survey: at most one per enrolment and phase (not counting surveys of an
    undone import), enforced by the database."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    phase: Mapped[str] = mapped_column(String(20))
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    source: Mapped[str] = mapped_column(String(10), default="online")
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # paper, import
    knowledge_correct: Mapped[int | None]
    knowledge_total: Mapped[int | None]
    # Its historical import was undone: out of every report, and no longer the trainee's
    # survey of that phase, so the same survey can be imported again.
    archived: Mapped[bool] = mapped_column(default=False, server_default=false())

    answers: Mapped[list["Answer"]] = relationship(cascade="all, delete-orphan")

    __table_args__ = (
        Index(
            "uq_survey_response_live",
            "enrolment_id",
            "phase",
            unique=True,
            sqlite_where=text("NOT archived"),
            postgresql_where=text("NOT archived"),
        ),
    )

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
    score: Mapped[int | None]  # keyed: see SurveyItem.score; none for "not applicable"

    __table_args__ = (
        UniqueConstraint("response_id", "item_id"),
        Index("ix_answer_item_response", "item_id", "response_id"),
    )
