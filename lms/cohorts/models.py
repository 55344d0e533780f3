"""Cohorts (workshop groups), their facilitators, modules and enrolled trainees."""

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.auth.models import User
from lms.extensions import db
from lms.models import Timestamps, utcnow
from lms.modules.models import Module

STATUSES = ("planned", "active", "closed")
PACINGS = ("self", "facilitator")


class Cohort(Timestamps, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(20))  # police | centre_staff | ngo_cbo | mixed
    province: Mapped[str] = mapped_column(String(40))
    venue: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(5), default="vi")
    status: Mapped[str] = mapped_column(String(10), default="planned", index=True)
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    pacing: Mapped[str] = mapped_column(String(12), default="self")
    knowledge_pass_percent: Mapped[int | None]  # certificate rule; None = no pass mark
    historical: Mapped[bool] = mapped_column(default=False)  # created by a historical import
    # Answers carry a self-generated identification code (lms.privacy.sgic) for pairing waves.
    anonymous: Mapped[bool] = mapped_column(default=False)
    # Anonymous mode only: whether signed-in trainees may still earn a certificate.
    anonymous_certificates: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    facilitators: Mapped[list[User]] = relationship(secondary="cohort_facilitator")
    modules: Mapped[list["CohortModule"]] = relationship(
        back_populates="cohort", order_by="CohortModule.position", cascade="all, delete-orphan"
    )
    phase_gates: Mapped[list["PhaseGate"]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_closed(self) -> bool:
        return self.status == "closed"

    @property
    def facilitator_paced(self) -> bool:
        return self.pacing == "facilitator"

    def gate_open(self, phase: str) -> bool:
        """Whether the facilitator has opened this survey phase (facilitator pacing only)."""
        return any(gate.phase == phase and gate.is_open for gate in self.phase_gates)

    def set_gate(self, phase: str, is_open: bool) -> None:
        gate = next((g for g in self.phase_gates if g.phase == phase), None)
        if gate is None:
            gate = PhaseGate(phase=phase)
            self.phase_gates.append(gate)
        gate.is_open = is_open

    def wave_date(self, phase: str) -> date | None:
        """The date a follow-up wave is scheduled to open (None: not scheduled)."""
        return next((g.opens_on for g in self.phase_gates if g.phase == phase), None)

    def schedule_wave(self, phase: str, opens_on: date | None) -> None:
        """Schedule (or, with None, cancel) a follow-up wave."""
        gate = next((g for g in self.phase_gates if g.phase == phase), None)
        if gate is None:
            if opens_on is None:
                return
            gate = PhaseGate(phase=phase, is_open=False)
            self.phase_gates.append(gate)
        gate.opens_on = opens_on

    # The two gates every cohort has, by name (forms, seeds and tests set them directly).
    pre_survey_open = property(
        lambda self: self.gate_open("pre"), lambda self, value: self.set_gate("pre", value)
    )
    post_survey_open = property(
        lambda self: self.gate_open("post"), lambda self, value: self.set_gate("post", value)
    )


class PhaseGate(db.Model):
    """A survey phase of a facilitator-paced cohort (before, after, a follow-up wave) that the
    facilitator opens and closes: one row per phase, so a new wave is a row, not a column."""

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), primary_key=True)
    phase: Mapped[str] = mapped_column(String(20), primary_key=True)
    is_open: Mapped[bool] = mapped_column(default=False)
    opens_on: Mapped[date | None] = mapped_column(Date)  # a follow-up wave's scheduled date


class CohortFacilitator(db.Model):
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)


class CohortModule(db.Model):
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    required: Mapped[bool] = mapped_column(default=True)
    unlocked: Mapped[bool] = mapped_column(default=False)  # only used when facilitator-paced

    cohort: Mapped[Cohort] = relationship(back_populates="modules")
    module: Mapped[Module] = relationship(lazy="joined")


class Enrolment(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    # None: an anonymous respondent without an account (see AnonymousRespondent).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    trainee_code: Mapped[str] = mapped_column(String(12))  # printed on paper survey sheets
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    pre_survey_waived: Mapped[bool] = mapped_column(default=False)

    cohort: Mapped[Cohort] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("cohort_id", "user_id"), UniqueConstraint("cohort_id", "trainee_code"))

    @property
    def is_anonymous(self) -> bool:
        """A respondent who answered an anonymous cohort's public link, without an account."""
        return self.user_id is None


class AnonymousRespondent(db.Model):
    """One survey answered without an account in an anonymous cohort (online or on paper).

    Its own enrolment (no user) holds the drafts while answering; the browser keeps only the
    random token. The code is kept as keyed hashes only, until the survey is submitted and
    they move to lms.privacy IdentificationCode. Once waves pair by code, the response may sit
    on the enrolment of the respondent's earlier survey (lms.cohorts.anonymous.regroup).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)  # None: paper
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(20))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("survey_response.id", ondelete="SET NULL"), unique=True
    )
    code_full: Mapped[str | None] = mapped_column(String(64))
    code_masked: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    enrolment: Mapped[Enrolment] = relationship()


class Reminder(db.Model):
    """A follow-up reminder emailed to a trainee for one wave: at most one per enrolment and
    wave, so a restarted job or a second click never emails anyone twice."""

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"))
    phase: Mapped[str] = mapped_column(String(20))
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # None: claimed by a job that stopped before the mail server took the email (sent again)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("enrolment_id", "phase"),)
