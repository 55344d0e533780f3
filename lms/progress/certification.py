"""Certificates earned on the journey: applying the rule, and each trainee's certificate state.

The rule itself (required modules, post-survey, pass mark) is `journey.eligibility`; the
certificate (code, snapshot, PDF, revocation) is lms.certificates'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from lms.auth.models import User, audit
from lms.certificates.models import Certificate
from lms.certificates.services import (
    cohort_modules,
    current_certificate,
    ever_certified,
    insert_certificate,
    issue_certificate,
)
from lms.cohorts.models import Cohort, Enrolment
from lms.cohorts.services import active_enrolments
from lms.extensions import db
from lms.modules.models import Module
from lms.progress.journey import Eligibility, Journey, cohort_journeys, journey, journeys
from lms.progress.states import CertificateState, Completion


def completed_modules(trainee_journey: Journey) -> list[Module]:
    """The cohort's modules this trainee has completed, in the cohort's order."""
    return [step.module for step in trainee_journey.modules if step.completion == Completion.COMPLETED]


def issue_if_eligible(enrolment: Enrolment) -> Certificate | None:
    """Issue the certificate once the rule is met; idempotent and race-safe, no commit.

    Returns the valid certificate (new or existing) or None. An enrolment whose certificate
    was revoked gets no automatic one: revocation is final.
    """
    if ever_certified(enrolment):
        return current_certificate(enrolment)
    trainee_journey = journey(enrolment)
    if not trainee_journey.eligibility.eligible:
        return None
    return insert_certificate(enrolment, completed_modules(trainee_journey)) or current_certificate(enrolment)


def issue_quietly(enrolment: Enrolment) -> Certificate | None:
    """issue_if_eligible in a savepoint that never raises: the trainee's work must be kept."""
    try:
        with db.session.begin_nested():
            return issue_if_eligible(enrolment)
    except Exception:
        # It can be issued later from the cohort's certificates page.
        current_app.logger.exception("certificate not issued for enrolment %s", enrolment.id)
        return None


def issue_earned_certificates(user: User) -> list[Certificate]:
    """What the trainee's active cohorts now owe them (after a lesson is completed); no commit."""
    issued = (issue_quietly(enrolment) for enrolment in active_enrolments(user))
    return [certificate for certificate in issued if certificate is not None]


def issue_by_hand(
    actor: User, enrolment: Enrolment, reason: str | None, *, in_room: bool = False
) -> Certificate:
    """A facilitator's certificate, rule met or not: every cohort module when taught in the room,
    else the modules completed online."""
    modules = cohort_modules(enrolment) if in_room else completed_modules(journey(enrolment))
    return issue_certificate(actor, enrolment, reason, modules, in_room=in_room)


def issue_to_eligible(actor: User, cohort: Cohort) -> list[Certificate]:
    """Apply the automatic rule to every trainee of the cohort (after a pass mark changed)."""
    issued = []
    for trainee_journey in cohort_journeys(cohort):
        if trainee_journey.certificate == CertificateState.ELIGIBLE:
            certificate = insert_certificate(trainee_journey.enrolment, completed_modules(trainee_journey))
            if certificate is not None:
                issued.append(certificate)
    if issued:
        audit(
            actor,
            "certificate_issue_eligible",
            f"cohort:{cohort.id}",
            details=", ".join(f"certificate:{c.code}" for c in issued),
        )
    return issued


@dataclass
class TraineeCertificates:
    """One row of the cohort's certificates page."""

    journey: Journey
    certificate: Certificate | None
    revoked: list[Certificate] = field(default_factory=list)

    @property
    def enrolment(self) -> Enrolment:
        return self.journey.enrolment

    @property
    def state(self) -> CertificateState:
        return self.journey.certificate

    @property
    def eligibility(self) -> Eligibility:
        return self.journey.eligibility


def cohort_certificates(cohort: Cohort) -> list[TraineeCertificates]:
    """Every trainee of the cohort with their certificate, or why they have none yet."""
    by_enrolment: dict[int, list[Certificate]] = {}
    for certificate in db.session.scalars(
        select(Certificate)
        .join(Enrolment)
        .where(Enrolment.cohort_id == cohort.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ):
        by_enrolment.setdefault(certificate.enrolment_id, []).append(certificate)
    rows = []
    for trainee_journey in cohort_journeys(cohort):
        certificates = by_enrolment.get(trainee_journey.enrolment.id, [])
        rows.append(
            TraineeCertificates(
                trainee_journey,
                next((c for c in certificates if not c.is_revoked), None),
                [c for c in certificates if c.is_revoked],
            )
        )
    return rows


def uncertified_journeys(user: User) -> list[Journey]:
    """The trainee's enrolments that have no certificate yet, with what is still missing."""
    enrolments = db.session.scalars(
        select(Enrolment)
        .join(Cohort)
        .outerjoin(Certificate)
        .where(Enrolment.user_id == user.id, Certificate.id.is_(None), Cohort.historical.is_(False))
        .order_by(Enrolment.joined_at.desc())
    )
    return journeys(list(enrolments))
